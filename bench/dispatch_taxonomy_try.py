"""The category tree's own names as extra training rows, tried on the category model: 5-fold
cross-validation inside the TRAINING part of the tipdm2020c split of bench/dispatch_eval.py (the
test part is never read), the rows and folds of bench/dispatch_clean_cv.py.

A city configures its category hierarchy with names (二级分类 / 三级分类: 公共汽车 under 城乡建设,
住房公积金 under 劳动和社会保障 …). Each name of a subcategory under one of the labels is given to
`TextClassifier.fit(names=…)`: a title-only training row, `name_copies` times, in every inner fold and
the final model, never scored (no calibration or threshold rests on it). "其他" is left out, and so is a
name filed under two labels. `--inline` instead adds the names as ordinary rows (then the model's own
cross-validation scores them too: the first version of this try).

    .venv/bin/python bench/dispatch_taxonomy_try.py [--copies 5,10] [--seed 12345] [--inline]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_clean_cv import training_rows  # noqa: E402
from dispatch_eval import data_path  # noqa: E402

from hotline.dispatch import metrics  # noqa: E402
from hotline.dispatch.model import ClassifierConfig, TextClassifier  # noqa: E402


def taxonomy_rows(labels: set[str]) -> list[tuple[str, str, str]]:
    """(name, "", label) for every level-2 and level-3 name under one of `labels`, named once."""
    path = data_path() / "tipdm2020c" / "label_taxonomy.csv"
    seen: dict[str, set[str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            if r["一级分类"] in labels:
                for name in (r["二级分类"], r["三级分类"]):
                    if name and name != "其他":
                        seen.setdefault(name, set()).add(r["一级分类"])
    return [(name, "", next(iter(ls))) for name, ls in sorted(seen.items()) if len(ls) == 1]


def fit_eval(train: list[tuple[str, str, str]], test: list[tuple[str, str, str]], config: ClassifierConfig,
             names: list[tuple[str, str]] = ()) -> dict:
    m = TextClassifier(config).fit([r[0] for r in train], [r[1] for r in train], [r[2] for r in train],
                                   names=names)
    proba, views = m.predict_proba([r[0] for r in test], [r[1] for r in test], n_jobs=2)
    rep = metrics.report([r[2] for r in test], proba, m.classes_, [m.threshold_for(v) for v in views])
    rep["right"] = int(sum(m.classes_[int(k)] == r[2] for k, r in zip(proba.argmax(axis=1), test, strict=True)))
    return rep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", default="5,10", help="comma-separated numbers of copies of each name")
    ap.add_argument("--seed", type=int, default=ClassifierConfig().seed, help="the model's seed")
    ap.add_argument("--inline", action="store_true", help="names as ordinary rows (scored by the model's CV)")
    args = ap.parse_args()
    copies = [int(c) for c in args.copies.split(",")]
    base_cfg = ClassifierConfig(seed=args.seed)
    rows = training_rows()
    labels = np.array([r[2] for r in rows])
    extra = taxonomy_rows(set(labels))
    print(len(rows), "rows;", len(extra), "names from the category tree; model seed", args.seed,
          "(inline)" if args.inline else "", flush=True)
    outer = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=7)
    res: dict[str, list[dict]] = {"base": [], **{f"names x{c}": [] for c in copies}}
    for f, (tr, te) in enumerate(outer.split(np.zeros(len(rows)), labels, np.arange(len(rows)))):
        test = [rows[i] for i in te if rows[i][0] and rows[i][1]]
        train = [rows[i] for i in tr]
        t0 = time.time()
        res["base"].append(fit_eval(train, test, base_cfg))
        for c in copies:
            if args.inline:
                rep = fit_eval(train + extra * c, test, base_cfg)
            else:
                rep = fit_eval(train, test, replace(base_cfg, name_copies=c), [(n, y) for n, _c, y in extra])
            res[f"names x{c}"].append(rep)
        print(f"fold {f}: {time.time() - t0:.0f} s; " + " ".join(
            f"{k}: {v[-1]['right']}/{v[-1]['n']}" for k, v in res.items()), flush=True)
    for name, reps in res.items():
        n, right = sum(r["n"] for r in reps), sum(r["right"] for r in reps)
        sent = [r["coverage_at_threshold"] * r["n"] for r in reps]
        ok = sum((r["precision_at_threshold"] or 0.0) * k for r, k in zip(reps, sent, strict=True))
        print(f"{name:<10} title+detail acc {right / n:.4f} ({right} of {n}) coverage {sum(sent) / n:.3f} "
              f"precision {ok / sum(sent) if sum(sent) else float('nan'):.4f} (pooled over the folds)")


if __name__ == "__main__":
    main()
