"""Evaluation figures of a classifier, and the auto-dispatch threshold: accuracy, macro-F1,
top-k accuracy, and coverage and precision of the predictions at or above a confidence.

The threshold is the lowest confidence at which the precision of the predictions at or above it
(measured on validation data, never the test set) reaches the target, by default 0.98."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score

DEFAULT_TARGET_PRECISION = 0.98


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(t == p)) if len(t) else 0.0


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Macro-F1 over the classes that occur in the truth (a class the model predicts but the data
    never has does not count as a class)."""
    if not len(y_true):
        return 0.0
    labels = sorted(set(y_true))
    return float(f1_score(list(y_true), list(y_pred), labels=labels, average="macro", zero_division=0))


def top_k_accuracy(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str], k: int = 3) -> float:
    """Share of rows whose true label is among the k most probable classes."""
    if not len(y_true):
        return 0.0
    index = {c: i for i, c in enumerate(classes)}
    k = min(k, len(classes))
    top = np.argsort(-proba, axis=1, kind="stable")[:, :k]
    hits = [index.get(y, -1) in row for y, row in zip(y_true, top, strict=True)]
    return float(np.mean(hits))


def wilson_lower(successes: np.ndarray, n: np.ndarray, confidence: float) -> np.ndarray:
    """One-sided lower Wilson score bound of a proportion: with probability `confidence`, the
    true rate is at least this (0 < confidence < 1)."""
    from scipy.stats import norm

    z = float(norm.ppf(confidence))
    n = np.asarray(n, dtype=float)
    p = np.asarray(successes, dtype=float) / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def choose_threshold(confidence: Sequence[float], correct: Sequence[bool],
                     target: float = DEFAULT_TARGET_PRECISION, bound: float = 0.0) -> float | None:
    """The lowest confidence t such that the predictions with confidence ≥ t are right in at
    least `target` of cases; None when no t reaches the target (then nothing is dispatched
    automatically). With `bound` (e.g. 0.9), it is the lower confidence bound of that precision
    (Wilson, one-sided, at level `bound`) that must reach the target: a margin that grows as the
    validation rows above t get fewer, so that unseen tickets still clear the target."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if conf.size == 0:
        return None
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    n = np.arange(1, len(ok) + 1)
    precision = wilson_lower(np.cumsum(ok), n, bound) if bound > 0 else np.cumsum(ok) / n
    # Only positions where the confidence changes (or the last one) are real thresholds: ties
    # are dispatched together.
    last_of_tie = np.r_[conf[1:] != conf[:-1], True]
    good = np.flatnonzero(last_of_tie & (precision >= target))
    if good.size == 0:
        return None
    return float(conf[good[-1]])


def coverage_precision(confidence: Sequence[float], correct: Sequence[bool],
                       threshold: float | None) -> tuple[float, float | None]:
    """Share of rows at or above the threshold, and the precision among them (None when no row
    qualifies)."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=bool)
    if conf.size == 0 or threshold is None:
        return 0.0, None
    sel = conf >= threshold
    if not sel.any():
        return 0.0, None
    return float(sel.mean()), float(ok[sel].mean())


def report(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str],
           thresholds: Sequence[float | None] | float | None) -> dict[str, float | int | None]:
    """The figures `hotline dispatch evaluate --json` prints. `thresholds` is one threshold or
    one per row (a model keeps one per view: title, content, both)."""
    classes = list(classes)
    n = len(y_true)
    if n == 0:
        return {"n": 0, "accuracy": 0.0, "macro_f1": 0.0, "top3_accuracy": 0.0,
                "coverage_at_threshold": 0.0, "precision_at_threshold": None}
    best = np.argmax(proba, axis=1)
    pred = [classes[i] for i in best]
    conf = proba[np.arange(n), best]
    correct = np.asarray(y_true) == np.asarray(pred)
    if thresholds is None or isinstance(thresholds, (int, float)):
        th = np.full(n, np.inf if thresholds is None else float(thresholds))
    else:
        th = np.array([np.inf if t is None else t for t in thresholds], dtype=float)
    sel = conf >= th
    coverage = float(sel.mean())
    precision = float(correct[sel].mean()) if sel.any() else None
    return {
        "n": n,
        "accuracy": round(accuracy(y_true, pred), 4),
        "macro_f1": round(macro_f1(y_true, pred), 4),
        "top3_accuracy": round(top_k_accuracy(y_true, proba, classes, 3), 4),
        "coverage_at_threshold": round(coverage, 4),
        "precision_at_threshold": None if precision is None else round(precision, 4),
    }
