"""Would self-training on unlabelled messages help the category classifier? Measured inside the
TRAINING part of the tipdm2020c split of bench/dispatch_eval.py only (the test part is never read):

    .venv/bin/python bench/dispatch_selftrain.py [--outer 3] [--min-confidence 0.95]

The unlabelled messages are messages_with_votes.csv and messages_with_replies.csv (title and
detail, truly paired), minus every message whose title or detail (normalised) equals a labelled
title or detail — those may be test messages. In each of `--outer` folds of the (paired) training
rows, a model trained on the other folds labels the unlabelled messages; those it labels with
confidence ≥ --min-confidence are added to the same training rows for a second model; both models
are scored on the held-out fold's title+content rows (argmax accuracy)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_eval import category_split, data_path  # noqa: E402

from hotline.dispatch.model import ClassifierConfig, TextClassifier  # noqa: E402
from hotline.dispatch.text import normalise  # noqa: E402
from hotline.dispatch.training import pair_unlinked  # noqa: E402


def unlabelled(data: Path, known: set[str]) -> list[tuple[str, str]]:
    out, seen = [], set()
    for name in ("messages_with_votes.csv", "messages_with_replies.csv"):
        with (data / "tipdm2020c" / name).open(encoding="utf-8-sig", newline="") as f:
            for r in csv.DictReader(f):
                t, d = r["留言主题"].strip(), r["留言详情"].strip()
                nt, nd = normalise(t), normalise(d)
                if not t or not d or nt in known or nd in known or (nt, nd) in seen:
                    continue
                seen.add((nt, nd))
                out.append((t, d))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outer", type=int, default=3)
    ap.add_argument("--min-confidence", type=float, default=0.95)
    args = ap.parse_args()
    data = data_path()
    s = category_split(data)
    T, TL, D, DL = s["T"], s["TL"], s["D"], s["DL"]
    known = {normalise(x) for x in T + D}  # every labelled text, test part included: excluded from the pool
    pool = unlabelled(data, known)
    tr_t = [i for i in range(len(T)) if not s["t_test"][i]]
    tr_d = [j for j in range(len(D)) if not s["d_test"][j]]
    titles, contents, labels, _n = pair_unlinked(
        [T[i] for i in tr_t] + [""] * len(tr_d), [""] * len(tr_t) + [D[j] for j in tr_d],
        [TL[i] for i in tr_t] + [DL[j] for j in tr_d])
    y = np.array(labels)
    both = np.array([bool(t) and bool(c) for t, c in zip(titles, contents, strict=True)])
    print(f"unlabelled pool: {len(pool)} messages; training rows {len(y)} ({both.sum()} title+content)", flush=True)
    cfg = replace(ClassifierConfig(), folds=3)
    rng = np.random.default_rng(20200601)
    fold = rng.integers(0, args.outer, len(y))
    res = []
    for k in range(args.outer):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero((fold == k) & both)
        started = time.perf_counter()
        base = TextClassifier(cfg).fit([titles[i] for i in tr], [contents[i] for i in tr], y[tr].tolist())
        proba, _v = base.predict_proba([t for t, _d in pool], [d for _t, d in pool], n_jobs=2)
        keep = np.flatnonzero(proba.max(axis=1) >= args.min_confidence)
        pseudo = [base.classes_[i] for i in proba[keep].argmax(axis=1)]
        more = TextClassifier(cfg).fit([titles[i] for i in tr] + [pool[i][0] for i in keep],
                                       [contents[i] for i in tr] + [pool[i][1] for i in keep],
                                       y[tr].tolist() + pseudo)
        accs = []
        for m in (base, more):
            p, _ = m.predict_proba([titles[i] for i in te], [contents[i] for i in te], n_jobs=2)
            accs.append(float(np.mean(np.array(m.classes_)[p.argmax(axis=1)] == y[te])))
        res.append({"fold": k, "test_rows": len(te), "pseudo_labelled": len(keep), "base": round(accs[0], 4),
                    "self_trained": round(accs[1], 4), "seconds": round(time.perf_counter() - started, 1)})
        print(json.dumps(res[-1]), flush=True)
    n = sum(r["test_rows"] for r in res)
    for key in ("base", "self_trained"):
        print(f"{key}: {sum(r[key] * r['test_rows'] for r in res) / n:.4f} (title+content rows, {n})")


if __name__ == "__main__":
    main()
