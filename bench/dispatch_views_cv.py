"""Separate text views as separate models, their calibrated probabilities combined — measured by
cross-validation inside the TRAINING part of the tipdm2020c split of bench/dispatch_eval.py only
(the test part is never read here):

    .venv/bin/python bench/dispatch_views_cv.py --dump /tmp/dvcv              # fit the members, combine
    .venv/bin/python bench/dispatch_views_cv.py --dump /tmp/dvcv --combine-only  # combine saved members

Members are whole `TextClassifier`s (each with its own cross-validation and per-view calibration)
that differ in what they read: the current model (character 1–3-grams + jieba words), character
n-grams only, jieba word 1–2-grams only, and character variants (longer content cap, the title
repeated so that it weighs more in the title+content row). Every member is fitted on the same rows
in the same order with the same seed, so their out-of-fold folds are identical and their
cross-fitted title+content probabilities can be combined row by row:

- "mean log": the average of the members' log-probabilities (no parameter fitted);
- "meta LR": a multinomial logistic regression on the members' log-probabilities, itself scored by
  5-fold cross-validation over the title+content rows;
- "score stack": what the model's own title+content calibration does, with every member's raw
  out-of-fold scores (title+content, title-only, content-only) side by side as its input — a
  logistic regression, cross-fitted in 5 folds as `model._cross_fitted` does. For the current
  model alone it gives exactly the model's own figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_cv import CachedCounts  # noqa: E402
from dispatch_eval import category_split, data_path  # noqa: E402

from hotline.dispatch.model import (  # noqa: E402
    ClassifierConfig,
    TextClassifier,
    _cross_fitted,
    _fit_calibration,
)
from hotline.dispatch.training import pair_unlinked  # noqa: E402

# name → (ClassifierConfig changes, title repeated in the text the member reads)
MEMBERS: dict[str, tuple[dict, bool]] = {
    "current": ({}, False),
    "char13": ({"char_range": (1, 3), "word_range": (0, 0)}, False),
    "char24": ({"char_range": (2, 4), "word_range": (0, 0)}, False),
    "word12": ({"char_range": (0, 0), "word_range": (1, 2)}, False),
    "char24_cap1500": ({"char_range": (2, 4), "word_range": (0, 0), "max_chars": 1500}, False),
    "char24_title2": ({"char_range": (2, 4), "word_range": (0, 0)}, True),
}

COMBOS = [
    ("current",),
    ("current", "char13"), ("current", "char24"), ("current", "word12"),
    ("current", "char13", "word12"), ("current", "char24", "word12"),
    ("char24", "word12"), ("char13", "word12"),
    ("current", "char24_cap1500"), ("current", "char24_cap1500", "word12"),
    ("current", "char24_title2"), ("current", "char24_title2", "word12"),
]


def training_rows() -> tuple[list, list, list]:
    s = category_split(data_path())
    T, TL, D, DL = s["T"], s["TL"], s["D"], s["DL"]
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    titles, contents, labels, n_pairs = pair_unlinked(
        [T[i] for i in tr_t] + [""] * len(tr_d), [""] * len(tr_t) + [D[j] for j in tr_d],
        [TL[i] for i in tr_t] + [DL[j] for j in tr_d])
    print(f"training part: {len(tr_t)} titles + {len(tr_d)} details, {n_pairs} paired", flush=True)
    return titles, contents, labels


def fit_members(names: list[str], out: Path) -> None:
    titles, contents, labels = training_rows()
    CachedCounts().install()
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        change, title_twice = MEMBERS[name]
        cfg = replace(ClassifierConfig(), **change)
        tt = [f"{t}。{t}" if t and str(t).strip() else t for t in titles] if title_twice else titles
        started = time.perf_counter()
        model = TextClassifier(cfg).fit(tt, contents, labels)
        seconds = time.perf_counter() - started
        bv = model.cv["by_view"]
        print(f"member {name:<16} both {bv['both']['accuracy']:.4f} title {bv['title']['accuracy']:.4f} "
              f"content {bv['content']['accuracy']:.4f} coverage {bv['both']['coverage_at_threshold']:.4f} "
              f"({seconds:.0f} s)", flush=True)
        np.savez_compressed(out / f"{name}.npz", classes=np.array(model.classes_), **model.oof_)


def combine(out: Path) -> dict[str, dict]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from hotline.dispatch import metrics

    loaded = {p.stem: np.load(p, allow_pickle=True) for p in sorted(out.glob("*.npz"))}
    ref = loaded["current"]
    sel = ref["view"] == "both"
    y = ref["y"][sel]
    classes = np.array(ref["classes"])
    view, group = ref["view"], ref["group"]
    where = {(view[i], group[i]): i for i in range(len(group))}
    rows_b = group[sel]
    t_idx = [where[("title", g)] for g in rows_b]
    c_idx = [where[("content", g)] for g in rows_b]
    logp, raw = {}, {}
    for name, d in loaded.items():
        assert np.array_equal(d["group"], ref["group"]) and np.array_equal(d["y"], ref["y"]), name
        logp[name] = np.log(np.clip(d["proba"][sel], 1e-12, 1))
        sc = d["scores"]
        raw[name] = np.hstack([sc[sel], sc[t_idx], sc[c_idx]])
    results: dict[str, dict] = {}
    for combo in COMBOS:
        if not all(n in logp for n in combo):
            continue
        z = np.hstack([logp[n] for n in combo])
        mean = np.mean([logp[n] for n in combo], axis=0)
        p_mean = np.exp(mean - mean.max(axis=1, keepdims=True))
        p_mean /= p_mean.sum(axis=1, keepdims=True)
        p_meta = np.zeros_like(p_mean)
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=12345).split(z, y):
            lr = LogisticRegression(C=1.0, max_iter=3000).fit(z[tr], y[tr])
            p_meta[te] = lr.predict_proba(z[te])
        zs = np.hstack([raw[n] for n in combo])
        p_stack = _cross_fitted(zs, y, classes.tolist(), _fit_calibration(zs, y, len(classes)), 12345)
        row = {}
        for kind, p in (("mean_log", p_mean), ("meta_lr", p_meta), ("score_stack", p_stack)):
            conf, ok = p.max(axis=1), classes[p.argmax(axis=1)] == y
            t = metrics.choose_threshold(conf, ok, metrics.DEFAULT_TARGET_PRECISION, 0.99)
            cov, prec = metrics.coverage_precision(conf, ok, t)
            row[kind] = {"accuracy": round(float(ok.mean()), 4), "right": int(ok.sum()),
                         "coverage_0.99": round(cov, 4), "precision_0.99": prec}
        results["+".join(combo)] = row
        print(f"{'+'.join(combo):<36} mean-log {row['mean_log']['accuracy']:.4f} ({row['mean_log']['right']}) "
              f"cov {row['mean_log']['coverage_0.99']:.3f} | meta-LR {row['meta_lr']['accuracy']:.4f} "
              f"({row['meta_lr']['right']}) cov {row['meta_lr']['coverage_0.99']:.3f} | score-stack "
              f"{row['score_stack']['accuracy']:.4f} ({row['score_stack']['right']}) "
              f"cov {row['score_stack']['coverage_0.99']:.3f}  n={len(y)}", flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, required=True, help="directory of the members' out-of-fold scores")
    ap.add_argument("--members", default=",".join(MEMBERS), help="comma-separated names of members to fit")
    ap.add_argument("--combine-only", action="store_true")
    ap.add_argument("--out", type=Path, help="write the combinations' figures here (JSON)")
    args = ap.parse_args()
    if not args.combine_only:
        fit_members([n for n in args.members.split(",") if n], args.dump)
    results = combine(args.dump)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
