"""A nearest-neighbour member for the category classifier — cosine kNN over the model's own TF-IDF
rows — measured by cross-validation inside the TRAINING part of the tipdm2020c split of
bench/dispatch_eval.py only (the test part is never read here):

    .venv/bin/python bench/dispatch_knn_cv.py --dump /tmp/dknn      # fit, neighbours, the grid
    .venv/bin/python bench/dispatch_knn_cv.py --dump /tmp/dknn --combine-only   # grid from the dump

The current model is fitted first (same rows, order, seed and folds as bench/dispatch_cv.py); its
out-of-fold scores and cross-fitted probabilities are the baseline. In each of the model's own
folds (StratifiedGroupKFold over rows, the three views of a row in one fold), the fold's TF-IDF
(idf of the fold's training rows, as the model does) of every held-out view row is compared by
cosine with every training view row, and its 40 nearest neighbours are kept. From them, per k and
similarity floor, a per-class score: the similarity-weighted label votes of the k nearest
neighbours with similarity ≥ floor, divided by their total (all zeros when none is left).

- pool "all": neighbours among all view rows of the training folds; "same": only rows of the
  query's view (a title among titles, …).
- "split-faithful": the split of dispatch_eval.py puts every row with an identical title or detail
  text in one unit, so a test message never has a training row with the same title or the same
  detail; the CV folds only keep a row's own views together. A neighbour sharing the query row's
  exact title or detail text is therefore dropped in this variant (it would flatter the kNN: an
  identical text elsewhere in the training data is a label lookup the held-out test never offers).

Combinations, each against the current model on the same rows:
(a) "stack": the kNN scores of the row's view join the model's own inputs of each view's
    calibration (softmax regression, cross-fitted in 5 folds exactly as model._cross_fitted does;
    for the current model alone it reproduces the model's own figures);
(b) "mix w": (1 − w) · the model's cross-fitted probabilities + w · the kNN distribution (rows
    without neighbours keep the model's probabilities).
Reported: title+content / title / content accuracy, title+content coverage and precision at the
0.99 rule, and the current model's title+content errors fixed and new errors made.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from dispatch_cv import CachedCounts  # noqa: E402

from hotline.dispatch import metrics  # noqa: E402
from hotline.dispatch.features import BOTH, CONTENT, TITLE, VIEWS, Featurizer  # noqa: E402
from hotline.dispatch.model import ClassifierConfig, TextClassifier, _cross_fitted, _fit_calibration  # noqa: E402

TOP = 40
KS = (5, 10, 20, 40)
FLOORS = (0.0, 0.3, 0.5)
WEIGHTS = (0.1, 0.2, 0.3, 0.4, 0.5)


def training_rows() -> tuple[list, list, list]:
    from dispatch_cilin_cv import training_rows as rows

    return rows()


def view_counts(model: TextClassifier, titles: list, contents: list) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """The counts matrix, groups and views exactly as TextClassifier._fit builds them (every row
    here has a label and a text)."""
    t_text = [str(t) if t and str(t).strip() else "" for t in titles]
    c_text = [str(c) if c and str(c).strip() else "" for c in contents]
    has_t, has_c = np.array([bool(t) for t in t_text]), np.array([bool(c) for c in c_text])
    ct = model.featurizer.counts([t for t in t_text if t])
    cc = model.featurizer.counts([c for c in c_text if c])
    t_row, c_row, b_row = np.flatnonzero(has_t), np.flatnonzero(has_c), np.flatnonzero(has_t & has_c)
    t_pos, c_pos = np.cumsum(has_t) - 1, np.cumsum(has_c) - 1
    cb = ct[t_pos[b_row]] + cc[c_pos[b_row]]
    counts = sp.vstack([ct, cc, cb]).tocsr()
    group = np.concatenate([t_row, c_row, b_row])
    view = np.array([TITLE] * len(t_row) + [CONTENT] * len(c_row) + [BOTH] * len(b_row))
    return counts, group, view


def neighbours(
    model: TextClassifier,
    counts: sp.csr_matrix,
    group: np.ndarray,
    view: np.ndarray,
    y: np.ndarray,
    titles: list,
    contents: list,
) -> dict[str, np.ndarray]:
    """Per view row, its TOP nearest training-fold rows (indices, similarities) in each pool."""
    from sklearn.model_selection import StratifiedGroupKFold

    cfg = model.config
    splits = StratifiedGroupKFold(n_splits=model.cv["folds"], shuffle=True, random_state=cfg.seed).split(
        counts, y, groups=group
    )
    # rows sharing an identical title or detail text (what the split keeps in one unit)
    by_text: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r, (t, c) in enumerate(zip(titles, contents, strict=True)):
        if t and str(t).strip():
            by_text[("t", str(t))].append(r)
        if c and str(c).strip():
            by_text[("c", str(c))].append(r)
    twins: dict[int, set[int]] = defaultdict(set)
    for rs in by_text.values():
        if len(rs) > 1:
            for r in rs:
                twins[r].update(x for x in rs if x != r)
    n = len(y)
    out = {
        f"{p}_{f}_{a}": np.full((n, TOP), -1 if a == "idx" else 0.0, dtype=np.int64 if a == "idx" else np.float32)
        for p in ("all", "same")
        for f in ("cv", "faithful")
        for a in ("idx", "sim")
    }
    fz = model.featurizer
    for train, test in splits:
        idf = Featurizer(analyzer=fz.analyzer, n_features=fz.n_features).fit_idf(counts[train]).idf
        xtr, xte = fz.tfidf(counts[train], idf), fz.tfidf(counts[test], idf)
        xtr_t = xtr.T.tocsr()
        gtr, vtr = group[train], view[train]
        for s in range(0, len(test), 400):
            q = test[s : s + 400]
            sim = np.asarray((xte[s : s + 400] @ xtr_t).todense(), dtype=np.float32)
            for faithful in (False, True):
                m = sim.copy()
                if faithful:
                    for i, r in enumerate(q):
                        tw = twins.get(int(group[r]))
                        if tw:
                            m[i, np.isin(gtr, list(tw))] = -1.0
                for pool in ("all", "same"):
                    mm = m.copy()
                    if pool == "same":
                        mm[view[q][:, None] != vtr[None, :]] = -1.0
                    top = np.argpartition(-mm, TOP, axis=1)[:, :TOP]
                    ts = np.take_along_axis(mm, top, axis=1)
                    order = np.argsort(-ts, axis=1, kind="stable")
                    top, ts = np.take_along_axis(top, order, axis=1), np.take_along_axis(ts, order, axis=1)
                    key = f"{pool}_{'faithful' if faithful else 'cv'}"
                    out[f"{key}_idx"][q] = train[top]
                    out[f"{key}_sim"][q] = ts
        print(f"  fold done ({len(test)} rows) {time.strftime('%H:%M:%S')}", flush=True)
    n_twin = sum(1 for r in range(len(titles)) if twins.get(r))
    print(f"rows with an identical title or detail text in another row: {n_twin}", flush=True)
    return out


def knn_scores(idx: np.ndarray, sim: np.ndarray, y: np.ndarray, classes: list[str], k: int, floor: float) -> np.ndarray:
    """Similarity-weighted votes of the k nearest with sim ≥ floor, normalised (zeros if none)."""
    cls = {c: i for i, c in enumerate(classes)}
    yi = np.array([cls[c] for c in y])
    i, s = idx[:, :k], sim[:, :k].astype(np.float64)
    keep = (i >= 0) & (s >= max(floor, 1e-9))
    w = np.where(keep, s, 0.0)
    out = np.zeros((len(idx), len(classes)))
    for j in range(k):
        np.add.at(out, (np.arange(len(idx)), yi[np.where(i[:, j] >= 0, i[:, j], 0)]), w[:, j])
    tot = out.sum(axis=1, keepdims=True)
    return np.divide(out, tot, out=np.zeros_like(out), where=tot > 0)


def summary(
    proba: np.ndarray, y: np.ndarray, view: np.ndarray, classes: np.ndarray, base_ok: np.ndarray | None
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for v in VIEWS:
        sel = view == v
        ok = classes[proba[sel].argmax(axis=1)] == y[sel]
        row[v] = round(float(ok.mean()), 4)
        if v == BOTH:
            row["both_right"] = int(ok.sum())
            conf = proba[sel].max(axis=1)
            t = metrics.choose_threshold(conf, ok, metrics.DEFAULT_TARGET_PRECISION, 0.99)
            cov, prec = metrics.coverage_precision(conf, ok, t)
            row["coverage_0.99"], row["precision_0.99"] = round(cov, 4), None if prec is None else round(prec, 4)
            if base_ok is not None:
                row["fixed"], row["broken"] = int((ok & ~base_ok).sum()), int((~ok & base_ok).sum())
    return row


def stacked(base: dict, knn: np.ndarray | None, classes: list[str], seed: int, *, views3: bool = False) -> np.ndarray:
    """Each view's calibration on the model's inputs (+ its row's title and content scores for
    title+content) and the kNN scores of the same view row (`views3`: for title+content also the
    kNN scores of its title and its content rows), cross-fitted."""
    view, group, y, scores = base["view"], base["group"], base["y"], base["scores"]
    t_rows, c_rows = group[view == TITLE], group[view == CONTENT]
    n_t = len(t_rows)
    proba = np.zeros((len(y), len(classes)))
    for v in VIEWS:
        sel = np.flatnonzero(view == v)
        parts = [scores[sel]]
        if v == BOTH:
            rb = group[sel]
            parts += [scores[np.searchsorted(t_rows, rb)], scores[n_t + np.searchsorted(c_rows, rb)]]
        if knn is not None:
            parts.append(knn[sel])
            if v == BOTH and views3:
                parts += [knn[np.searchsorted(t_rows, rb)], knn[n_t + np.searchsorted(c_rows, rb)]]
        z = np.hstack(parts)
        cal = _fit_calibration(z, y[sel], len(classes))
        proba[sel] = _cross_fitted(z, y[sel], classes, cal, seed)
    return proba


def latency(model: TextClassifier, counts: sp.csr_matrix, titles: list, contents: list, n: int = 500) -> dict:
    """Time of the neighbour search alone for one title+content ticket against every training view
    row (TF-IDF with the final model's idf), on training texts (timing only), and its memory."""
    x = model.featurizer.tfidf(counts)
    xt = x.T.tocsr()  # features × rows: a ticket gathers only its own columns' postings
    pairs = [(t, c) for t, c in zip(titles, contents, strict=True) if t and c][:n]
    times = []
    for t, c in pairs:
        started = time.perf_counter()
        ct, cc = model.featurizer.row_counts(t), model.featurizer.row_counts(c)
        for j, v in cc.items():
            ct[j] = ct.get(j, 0.0) + v
        idx, val = model.featurizer.tfidf_row(ct)
        sub = xt[idx]
        sim = np.bincount(sub.indices, weights=np.repeat(val, np.diff(sub.indptr)) * sub.data, minlength=x.shape[0])
        np.argpartition(-sim, TOP)[:TOP]
        times.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    mb = (xt.data.nbytes + xt.indices.nbytes + xt.indptr.nbytes) / 2**20
    return {
        "rows": int(x.shape[0]),
        "nnz": int(x.nnz),
        "matrix_mb": round(mb, 1),
        "tickets": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "note": "tokenising + neighbour search; the linear model's scoring and calibration come on top",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", type=Path, required=True, help="directory of the base OOF and neighbours (.npz)")
    ap.add_argument("--combine-only", action="store_true", help="only the grid, from a previous dump")
    ap.add_argument("--out", type=Path, help="write the figures here (JSON)")
    ap.add_argument("--grid", default="", help="restrict the grid, e.g. 'fair=faithful;pool=same;floor=0;k=10,20'")
    args = ap.parse_args()
    args.dump.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"load_average_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    if not args.combine_only:
        titles, contents, labels = training_rows()
        CachedCounts().install()
        started = time.perf_counter()
        model = TextClassifier(ClassifierConfig()).fit(titles, contents, labels)
        results["base_seconds"] = round(time.perf_counter() - started, 1)
        oof = model.oof_
        counts, group, view = view_counts(model, titles, contents)
        assert np.array_equal(group, oof["group"]) and np.array_equal(view, oof["view"])
        started = time.perf_counter()
        nb = neighbours(model, counts, group, view, oof["y"], titles, contents)
        results["neighbour_seconds"] = round(time.perf_counter() - started, 1)
        results["latency"] = latency(model, counts, titles, contents)
        print(f"latency {json.dumps(results['latency'])}", flush=True)
        np.savez_compressed(args.dump / "knn.npz", classes=np.array(model.classes_), **oof, **nb)
    d = dict(np.load(args.dump / "knn.npz", allow_pickle=True))
    classes = [str(c) for c in d["classes"]]
    cls = np.array(classes)
    y, view = d["y"], d["view"]
    seed = ClassifierConfig().seed
    base_proba = d["proba"]
    base_ok = cls[base_proba[view == BOTH].argmax(axis=1)] == y[view == BOTH]
    grid: dict[str, Any] = {"current model": summary(base_proba, y, view, cls, base_ok)}
    re = summary(stacked(d, None, classes, seed), y, view, cls, base_ok)
    grid["current model, calibration refitted here"] = re
    for name, row in grid.items():
        print(f"{name:<48} {json.dumps(row, ensure_ascii=False)}", flush=True)
    only = dict(kv.split("=", 1) for kv in args.grid.split(";") if kv)
    fairs = only["fair"].split(",") if "fair" in only else ["faithful", "cv"]
    pools = only["pool"].split(",") if "pool" in only else ["all", "same"]
    floors = [float(x) for x in only["floor"].split(",")] if "floor" in only else FLOORS
    ks = [int(x) for x in only["k"].split(",")] if "k" in only else KS
    for fair in fairs:
        for pool in pools:
            idx, sim = d[f"{pool}_{fair}_idx"], d[f"{pool}_{fair}_sim"]
            for floor in floors:
                for k in ks:
                    p = knn_scores(idx, sim, y, classes, k, floor)
                    tag = f"{fair} pool={pool} k={k} floor={floor}"
                    rows = {f"{tag} kNN alone": summary(p, y, view, cls, base_ok)}
                    rows[f"{tag} stack"] = summary(stacked(d, p, classes, seed), y, view, cls, base_ok)
                    rows[f"{tag} stack, 3 views"] = summary(
                        stacked(d, p, classes, seed, views3=True), y, view, cls, base_ok
                    )
                    has = p.sum(axis=1, keepdims=True) > 0
                    for w in WEIGHTS:
                        mix = np.where(has, (1 - w) * base_proba + w * p, base_proba)
                        rows[f"{tag} mix {w}"] = summary(mix, y, view, cls, base_ok)
                    for name, row in rows.items():
                        print(f"{name:<48} {json.dumps(row, ensure_ascii=False)}", flush=True)
                    grid.update(rows)
                    if args.out:
                        results["grid"] = grid
                        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    results["grid"] = grid
    results["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
