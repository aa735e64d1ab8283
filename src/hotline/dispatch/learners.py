"""The linear base learners of the text classifier. Each one turns TF-IDF rows and labels into a
weight matrix (classes × features) and intercepts, in a given class order, so that a ticket's
scores are `x @ coef.T + intercept` whichever learner made them. Several learners may be stacked:
their scores are concatenated and the calibration (model.py) learns how far to trust each.

- "sgd": linear SVM trained by SGD (hinge loss), one-vs-rest.
- "huber": the same with the modified Huber loss (smooth, quadratically penalised margins).
- "svc": LinearSVC (liblinear), one-vs-rest.
- "nbsvm": NB-SVM (Wang & Manning 2012): per class, the features are scaled by their log-count
  ratio (how much likelier in the class than outside it) before a binary hinge SGD; the scaling
  folds into the weights, so prediction costs the same as a plain linear model.
- "cnb": Complement Naive Bayes log-probabilities (no iterations: fast, and errs differently)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

LEARNERS = ("sgd", "huber", "svc", "nbsvm", "cnb")
ABSENT = -10.0  # intercept of a class the training rows never had: it always scores very low


def _sgd(cfg: Any, n_jobs: int, loss: str = "hinge") -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss=loss, alpha=cfg.alpha, max_iter=cfg.epochs, tol=cfg.tol, random_state=cfg.seed,
                         n_jobs=n_jobs, class_weight=cfg.class_weight, average=cfg.average)


def _in_order(est_classes: Sequence[str], coef: np.ndarray, intercept: np.ndarray,
              classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of `coef` rearranged into `classes` order; a class the estimator lacks gets zero
    weights and a very low intercept. Two-class estimators (one row) become two opposite rows."""
    coef = np.asarray(coef, dtype=np.float32)
    intercept = np.asarray(intercept, dtype=np.float32).ravel()
    if len(est_classes) == 2 and coef.shape[0] == 1:
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32)
    w = np.zeros((len(classes), coef.shape[1]), dtype=np.float32)
    b = np.full(len(classes), ABSENT, dtype=np.float32)
    for i, c in enumerate(est_classes):
        j = list(classes).index(c)
        w[j], b[j] = coef[i], intercept[i]
    return w, b


def _nbsvm(cfg: Any, x: sp.csr_matrix, y: np.ndarray, classes: Sequence[str],
           n_jobs: int) -> tuple[np.ndarray, np.ndarray]:
    from joblib import Parallel, delayed
    from sklearn.linear_model import SGDClassifier

    present = [c for c in classes if (y == c).any()]
    total = np.asarray(x.sum(axis=0)).ravel()

    def one(c: str) -> tuple[np.ndarray, float]:
        pos = y == c
        p = np.asarray(x[pos].sum(axis=0)).ravel() + cfg.nb_alpha
        q = total - p + 2 * cfg.nb_alpha
        r = (np.log(p / p.sum()) - np.log(q / q.sum())).astype(np.float32)
        est = SGDClassifier(loss="hinge", alpha=cfg.alpha, max_iter=cfg.epochs, tol=cfg.tol,
                            random_state=cfg.seed, class_weight=cfg.class_weight)
        est.fit(x @ sp.diags(r), pos.astype(int))
        return est.coef_[0].astype(np.float32) * r, float(est.intercept_[0])

    if len(present) == 2:  # one binary problem; the other class is its mirror image
        w1, b1 = one(present[1])
        return _in_order(present, w1[None, :], np.array([b1]), classes)
    fitted = Parallel(n_jobs=n_jobs, backend="threading")(delayed(one)(c) for c in present)
    return _in_order(present, np.vstack([w for w, _ in fitted]), np.array([b for _, b in fitted]), classes)


def fit(name: str, cfg: Any, x: sp.csr_matrix, y: np.ndarray, classes: Sequence[str],
        n_jobs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Fit learner `name` on TF-IDF rows `x`; (coef: classes × features, intercept: classes)."""
    if name == "sgd":
        est = _sgd(cfg, n_jobs).fit(x, y)
        return _in_order(list(est.classes_), est.coef_, est.intercept_, classes)
    if name == "huber":
        est = _sgd(cfg, n_jobs, loss="modified_huber").fit(x, y)
        return _in_order(list(est.classes_), est.coef_, est.intercept_, classes)
    if name == "svc":
        from sklearn.svm import LinearSVC

        est = LinearSVC(C=cfg.c, random_state=cfg.seed, class_weight=cfg.class_weight).fit(x, y)
        return _in_order(list(est.classes_), est.coef_, est.intercept_, classes)
    if name == "nbsvm":
        return _nbsvm(cfg, x, y, classes, n_jobs)
    if name == "cnb":
        from sklearn.naive_bayes import ComplementNB

        est = ComplementNB(alpha=cfg.nb_alpha).fit(x, y)
        coef = est.feature_log_prob_
        # sklearn's ComplementNB scores are x @ feature_log_prob_.T; centre them per row of
        # classes so the calibration sees comparable scales across folds.
        return _in_order(list(est.classes_), coef - coef.mean(axis=0, keepdims=True),
                         np.zeros(len(est.classes_)), classes)
    raise ValueError(f"unknown learner {name!r}; known: {', '.join(LEARNERS)}")
