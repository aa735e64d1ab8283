"""Cross-validated comparison of category-classifier variants, inside the TRAINING part of the
tipdm2020c split of bench/dispatch_eval.py only (the test part is never read here):

    .venv/bin/python bench/dispatch_cv.py                         # the whole grid below
    .venv/bin/python bench/dispatch_cv.py --only default,nbsvm    # some of it
    .venv/bin/python bench/dispatch_cv.py --variant '{"learners": ["sgd", "cnb"]}'
    .venv/bin/python bench/dispatch_cv.py --only default --dump /tmp/dcv  # keep the out-of-fold scores
    .venv/bin/python bench/dispatch_cv.py --analyse /tmp/dcv/default.npz  # threshold levels, stacker

Each text is tokenised once and its hashed counts reused by every variant (the same counts
`Featurizer.counts` would give), so a variant costs its cross-validation and final fit only.

For each variant: the out-of-fold accuracy per view, and for the title+content view the
auto-dispatch threshold rule checked out of sample — `--repeats` times, the threshold is chosen
on a random 80% of the cross-validated predictions and its precision and coverage measured on
the other 20% (about the size of the held-out test set), for several levels of
`precision_confidence` (0: the point estimate must reach the target). That is what the level
was chosen on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_eval import category_split, data_path  # noqa: E402

from hotline.dispatch import metrics  # noqa: E402
from hotline.dispatch.features import Featurizer  # noqa: E402
from hotline.dispatch.model import ClassifierConfig, TextClassifier  # noqa: E402
from hotline.dispatch.training import pair_unlinked  # noqa: E402

GRID: dict[str, dict] = {
    "default": {},
    "balanced classes": {"class_weight": "balanced"},
    "svc": {"learners": ("svc",)},
    "nbsvm": {"learners": ("nbsvm",)},
    "sgd+cnb": {"learners": ("sgd", "cnb")},
    "sgd+nbsvm": {"learners": ("sgd", "nbsvm")},
    "sgd+svc": {"learners": ("sgd", "svc")},
    "sgd+nbsvm+cnb": {"learners": ("sgd", "nbsvm", "cnb")},
}


class CachedCounts:
    """Featurizer.counts through a per-analyzer cache of each distinct text's row."""

    def __init__(self) -> None:
        self.rows: dict[tuple, dict[str, sp.csr_matrix]] = {}
        self.original = Featurizer.counts

    def install(self) -> None:
        cache = self

        def counts(fz: Featurizer, texts, *, n_jobs: int = 1, on_chunk=None, chunk: int = 500):
            key = (fz.n_features, json.dumps(fz.analyzer.config()))
            store = cache.rows.setdefault(key, {})
            texts = ["" if t is None else str(t) for t in texts]
            missing = sorted({t for t in texts if t not in store})
            if missing:
                m = cache.original(fz, missing, n_jobs=n_jobs, chunk=chunk)
                for i, t in enumerate(missing):
                    store[t] = m[i]
            if not texts:
                return sp.csr_matrix((0, fz.n_features), dtype=np.float32)
            return sp.vstack([store[t] for t in texts]).tocsr()

        Featurizer.counts = counts  # type: ignore[method-assign]


def threshold_check(conf: np.ndarray, correct: np.ndarray, cfg: ClassifierConfig, repeats: int,
                    seed: int = 7) -> dict:
    """Choose on 80%, measure on 20%, `repeats` times."""
    rng = np.random.default_rng(seed)
    precs, covs = [], []
    n = len(conf)
    for _ in range(repeats):
        perm = rng.permutation(n)
        cut = int(0.8 * n)
        a, b = perm[:cut], perm[cut:]
        t = metrics.choose_threshold(conf[a], correct[a], cfg.target_precision, cfg.precision_confidence)
        cov, prec = metrics.coverage_precision(conf[b], correct[b], t)
        covs.append(cov)
        precs.append(np.nan if prec is None else prec)
    p = np.array(precs)
    return {"coverage_mean": round(float(np.mean(covs)), 4), "precision_mean": round(float(np.nanmean(p)), 4),
            "share_below_target": round(float(np.mean(p < cfg.target_precision)), 3)}


LEVELS = (0.0, 0.9, 0.95, 0.975, 0.99, 0.995)


def analyse(path: Path, repeats: int) -> None:
    """From a --dump file: the threshold rule per view and level (choose on 80%, measure on 20%),
    and the title+content calibration (stacker) with other inputs and regularisation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    d = np.load(path, allow_pickle=True)
    classes, view, y, proba = np.array(d["classes"]), d["view"], d["y"], d["proba"]
    for v in ("both", "title", "content"):
        sel = view == v
        conf, ok = proba[sel].max(axis=1), classes[proba[sel].argmax(axis=1)] == y[sel]
        for level in LEVELS:
            cfg = replace(ClassifierConfig(), precision_confidence=level)
            t = metrics.choose_threshold(conf, ok, cfg.target_precision, level)
            cov, prec = metrics.coverage_precision(conf, ok, t)
            print(f"threshold {v:<8} level {level:<6} all CV rows: t={t} coverage {cov:.4f} precision {prec}; "
                  f"80/20: {json.dumps(threshold_check(conf, ok, cfg, repeats))}", flush=True)
    scores, group = d["scores"], d["group"]
    where = {(view[i], group[i]): i for i in range(len(group))}
    sel = np.flatnonzero(view == "both")
    zb = scores[sel]
    zt = scores[[where[("title", g)] for g in group[sel]]]
    zc = scores[[where[("content", g)] for g in group[sel]]]
    yb = y[sel]
    inputs = {"both": zb, "both+title+content (the model)": np.hstack([zb, zt, zc]),
              "title+content": np.hstack([zt, zc]), "both+title+content+sum": np.hstack([zb, zt, zc, zt + zc])}
    for name, z in inputs.items():
        for c in (0.1, 1.0, 10.0):
            pred = np.empty(len(yb), dtype=object)
            for tr, te in StratifiedKFold(5, shuffle=True, random_state=12345).split(z, yb):
                pred[te] = LogisticRegression(C=c, max_iter=3000).fit(z[tr], yb[tr]).predict(z[te])
            print(f"stacker {name:<32} C={c:<5} title+content accuracy {np.mean(pred == yb):.4f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated names from the grid")
    ap.add_argument("--variant", action="append", default=[], help="a JSON object of ClassifierConfig changes")
    ap.add_argument("--base", default="{}", help="JSON changes applied to every variant")
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--dump", type=Path, help="save each variant's out-of-fold scores here (.npz)")
    ap.add_argument("--analyse", type=Path, help="only analyse a --dump file (thresholds, stacker)")
    args = ap.parse_args()
    if args.analyse:
        analyse(args.analyse, args.repeats)
        return
    s = category_split(data_path())
    T, TL, D, DL = s["T"], s["TL"], s["D"], s["DL"]
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    titles, contents, labels, n_pairs = pair_unlinked(
        [T[i] for i in tr_t] + [""] * len(tr_d), [""] * len(tr_t) + [D[j] for j in tr_d],
        [TL[i] for i in tr_t] + [DL[j] for j in tr_d])
    print(f"training part: {len(tr_t)} titles + {len(tr_d)} details, {n_pairs} paired", flush=True)
    CachedCounts().install()
    base = json.loads(args.base)
    variants = {n: c for n, c in GRID.items() if not args.only or n in args.only.split(",")}
    for v in args.variant:
        variants[v] = json.loads(v)
    results = {}
    for name, change in variants.items():
        change = {**base, **change}
        change = {k: tuple(v) if isinstance(v, list) else v for k, v in change.items()}
        cfg = replace(ClassifierConfig(), **change)
        started = time.perf_counter()
        model = TextClassifier(cfg).fit(titles, contents, labels)
        seconds = time.perf_counter() - started
        oof = model.oof_
        sel = oof["view"] == "both"
        proba = oof["proba"][sel]
        correct = np.array(model.classes_)[proba.argmax(axis=1)] == oof["y"][sel]
        bv = model.cv["by_view"]
        results[name] = {
            "both": bv["both"]["accuracy"], "title": bv["title"]["accuracy"], "content": bv["content"]["accuracy"],
            "both_top3": bv["both"]["top3_accuracy"],
            "both_coverage": bv["both"]["coverage_at_threshold"],
            "both_precision": bv["both"]["precision_at_threshold"],
            "threshold_80_20": {
                str(b): threshold_check(proba.max(axis=1), correct, replace(cfg, precision_confidence=b), args.repeats)
                for b in sorted({*LEVELS, cfg.precision_confidence})},
            "seconds": round(seconds, 1),
        }
        print(f"{name:<28} {json.dumps(results[name], ensure_ascii=False)}", flush=True)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(args.dump / f"{name.replace(' ', '_').replace('/', '_')}.npz",
                                classes=np.array(model.classes_), **oof)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
