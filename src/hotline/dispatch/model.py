"""The text classifier of tickets: hashed TF-IDF of character and jieba word n-grams, one or more
linear models (learners.py; by default an SGD hinge-loss SVM), and a softmax calibration of their
scores fitted on cross-validated (out-of-fold) scores, one per view (title only, content only,
both), so that a confidence of 0.9 means right about nine times in ten. The auto-dispatch threshold
of each view is chosen on the same out-of-fold predictions, with a margin (a lower confidence
bound of the precision must reach the target).

Training rows that have both a title and content are learnt in three views (title, content,
title+content), so the model answers whichever the caller has. A model is label-agnostic: the
same class serves the category (一级分类) and the kind (咨询/投诉/…)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from hotline.dispatch import learners, metrics
from hotline.dispatch.features import BOTH, CONTENT, TITLE, VIEWS, Featurizer, present, view_of
from hotline.dispatch.text import Analyzer

TOP_K = 3
MIN_VIEW_ROWS = 50  # below this, a view borrows the pooled calibration and threshold


class TrainingError(ValueError):
    """Training data the classifier cannot learn from (no text, a single class, …)."""


@dataclass(frozen=True)
class ClassifierConfig:
    """Hyper-parameters. The defaults were chosen by cross-validation inside the training part of
    the tipdm2020c data (see docs/dispatch.md), never on its test part."""

    n_features: int = 2**20
    char_range: tuple[int, int] = (1, 3)
    word_range: tuple[int, int] = (1, 1)
    fold_digits: bool = True
    hmm: bool = False  # jieba's HMM for unknown words
    max_chars: int = 600  # only the first max_chars characters of a text count (0: all)
    learners: tuple[str, ...] = ("sgd",)  # base linear models, stacked (see learners.py)
    alpha: float = 1e-5  # SGD regularisation
    c: float = 0.5  # LinearSVC regularisation
    nb_alpha: float = 1.0  # smoothing of the NB-SVM ratios and of Complement NB
    class_weight: str | None = None  # None or "balanced"
    average: bool = False  # SGD: averaged weights (ASGD)
    epochs: int = 30
    tol: float = 1e-4  # SGD stops when an epoch improves the loss by less than this
    stack_views: bool = True  # calibrate title+content on the both, title-only and content-only scores
    folds: int = 5
    seed: int = 12345
    target_precision: float = metrics.DEFAULT_TARGET_PRECISION
    # The threshold must make the one-sided lower confidence bound of the CV precision reach the
    # target (Wilson, at this confidence level), not only the point estimate: 0 turns it off.
    precision_confidence: float = 0.99
    n_jobs: int = 2
    name_copies: int = 5  # each category-tree name given to `fit` counts as this many training rows

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["char_range"], d["word_range"] = list(self.char_range), list(self.word_range)
        d["learners"] = list(self.learners)
        return d


class Progress(Protocol):
    def stage(self, name: str, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...


class _Silent:
    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    alternatives: list[tuple[str, float]]  # the top three (label, probability), best first
    view: str  # which text the prediction rests on: title, content or both
    threshold: float | None  # the auto-dispatch threshold of that view
    auto_dispatch: bool  # confidence ≥ threshold: dispatch without a human
    evidence: list[tuple[str, float]] = field(default_factory=list)  # n-grams that weighed most

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 4),
            "alternatives": [{"label": lab, "p": round(p, 4)} for lab, p in self.alternatives],
            "view": self.view,
            "threshold": None if self.threshold is None else round(self.threshold, 4),
            "auto_dispatch": self.auto_dispatch,
            "evidence": [{"ngram": g, "weight": round(w, 4)} for g, w in self.evidence],
        }


@dataclass
class _Calibration:
    """softmax(scores @ w.T + b): a multinomial logistic regression on the linear model's scores."""

    w: np.ndarray
    b: np.ndarray

    def proba(self, scores: np.ndarray) -> np.ndarray:
        z = scores @ self.w.T + self.b
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def _fit_calibration(scores: np.ndarray, y: np.ndarray, n_classes: int) -> _Calibration | None:
    from sklearn.linear_model import LogisticRegression

    present_classes = np.unique(y)
    if len(present_classes) < n_classes:
        return None
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit(scores, y)
    if n_classes == 2:  # sklearn keeps one column for two classes: rewrite as a two-way softmax
        w = np.vstack([np.zeros_like(lr.coef_[0]), lr.coef_[0]])
        b = np.array([0.0, lr.intercept_[0]])
    else:
        w, b = lr.coef_, lr.intercept_
    return _Calibration(w=w.astype(np.float64), b=b.astype(np.float64))


def _cross_fitted(scores: np.ndarray, y: np.ndarray, classes: list[str], fitted: _Calibration,
                  seed: int) -> np.ndarray:
    """Calibrated probabilities of out-of-fold scores, each row calibrated by a calibration that
    did not see it (5-fold), so that thresholds are chosen on honest confidences. Falls back to
    the calibration fitted on all rows when a class is too rare to split."""
    from sklearn.model_selection import StratifiedKFold

    counts = [int((y == c).sum()) for c in classes]
    if min(counts) < 5:
        return fitted.proba(scores)
    out = np.zeros((len(y), len(classes)))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(scores, y):
        cal = _fit_calibration(scores[train], y[train], len(classes))
        out[test] = (cal or fitted).proba(scores[test])
    return out


class TextClassifier:
    """fit(titles, contents, labels) → predict(title, content) → Prediction."""

    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.featurizer = Featurizer(
            analyzer=Analyzer(char_range=self.config.char_range, word_range=self.config.word_range,
                              fold_digits=self.config.fold_digits, hmm=self.config.hmm,
                              max_chars=self.config.max_chars),
            n_features=self.config.n_features,
        )
        self.classes_: list[str] = []
        self.weights_: np.ndarray | None = None  # features × (classes · learners), C-contiguous float32
        self.intercept_: np.ndarray | None = None
        self.calibrations: dict[str, _Calibration] = {}
        self.thresholds: dict[str, float | None] = {}
        self.cv: dict[str, Any] = {}
        self.stacked = False  # the "both" calibration reads both, title and content scores

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("oof_", None)
        return state

    # ---- training ------------------------------------------------------------------------------

    def fit(self, titles: Sequence[object], contents: Sequence[object], labels: Sequence[object],
            *, progress: Progress | None = None, names: Sequence[tuple[str, str]] = ()) -> TextClassifier:
        """Learn from rows of (title, content, label); either text may be empty, not both.
        Records cross-validated figures in `self.cv` and the per-view thresholds.

        `names`: (name, label) pairs from the city's category tree (公共汽车 → 城乡建设): each is a
        title-only training row in every fold and in the final model, NAME_COPIES times, but never
        scored — it is no ticket, so no calibration, threshold or figure rests on it. A name whose
        label is not among the labels trained on is left out."""
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return self._fit(titles, contents, labels, progress=progress, names=names)

    def _fit(self, titles: Sequence[object], contents: Sequence[object], labels: Sequence[object],
             *, progress: Progress | None, names: Sequence[tuple[str, str]] = ()) -> TextClassifier:
        from joblib import Parallel, delayed
        from sklearn.model_selection import StratifiedGroupKFold

        progress = progress or _Silent()
        cfg = self.config
        if not (len(titles) == len(contents) == len(labels)):
            raise TrainingError("标题、内容和标签的行数不一致")
        rows = [i for i in range(len(labels)) if present(labels[i]) and view_of(titles[i], contents[i])]
        if not rows:
            raise TrainingError("没有可用于训练的行：每行需要标签，以及标题或内容")
        y_rows = np.array([str(labels[i]).strip() for i in rows])
        self.classes_ = sorted(set(y_rows.tolist()))
        k = len(self.classes_)
        if k < 2:
            raise TrainingError("训练数据至少需要两个类别")
        single = [c for c in self.classes_ if int((y_rows == c).sum()) < 2]
        if single:  # cross-validation needs each class on both sides of a fold
            shown = "、".join(f"“{c}”" for c in single[:5]) + ("等" if len(single) > 5 else "")
            raise TrainingError(f"每个类别至少需要 2 条训练数据：{shown}只有 1 条（可合并到相近类别，或补充数据）")
        t_text = [str(titles[i]) if present(titles[i]) else "" for i in rows]
        c_text = [str(contents[i]) if present(contents[i]) else "" for i in rows]

        # Tokenise each text once; a "both" view is the sum of its title and content counts.
        total_texts = sum(1 for t in t_text if t) + sum(1 for c in c_text if c)
        progress.stage("分词与特征", total_texts)
        has_t = np.array([bool(t) for t in t_text])
        has_c = np.array([bool(c) for c in c_text])
        ct = self.featurizer.counts([t for t in t_text if t], n_jobs=cfg.n_jobs, on_chunk=progress.advance)
        cc = self.featurizer.counts([c for c in c_text if c], n_jobs=cfg.n_jobs, on_chunk=progress.advance)
        t_row = np.flatnonzero(has_t)
        c_row = np.flatnonzero(has_c)
        b_row = np.flatnonzero(has_t & has_c)
        t_pos = np.cumsum(has_t) - 1
        c_pos = np.cumsum(has_c) - 1
        cb = ct[t_pos[b_row]] + cc[c_pos[b_row]]
        counts = sp.vstack([ct, cc, cb]).tocsr()
        group = np.concatenate([t_row, c_row, b_row])
        view = np.array([TITLE] * len(t_row) + [CONTENT] * len(c_row) + [BOTH] * len(b_row))
        y = y_rows[group]
        known = set(self.classes_)
        named = [(str(n).strip(), str(c).strip()) for n, c in names if str(n).strip() and str(c).strip() in known]
        cn = self.featurizer.counts([n for n, _c in named] * cfg.name_copies)
        yn = np.array([c for _n, c in named] * cfg.name_copies, dtype=y.dtype)

        def with_names(part: sp.csr_matrix, labels_part: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
            if not named:
                return part, labels_part
            return sp.vstack([part, cn]).tocsr(), np.concatenate([labels_part, yn])

        # Out-of-fold scores: the views of one row always fall in the same fold.
        min_count = min(int((y_rows == c).sum()) for c in self.classes_)
        folds = max(2, min(cfg.folds, min_count)) if min_count >= 2 else 2
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
        with warnings.catch_warnings():  # a class rarer than the folds: the folds above allow for it
            warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
            splits = list(splitter.split(counts, y, groups=group))
        progress.stage("交叉验证", folds)
        m = len(cfg.learners)
        oof = np.zeros((len(y), k * m), dtype=np.float64)  # each learner's k scores, side by side

        def run_fold(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            fz = self.featurizer
            c_train, y_train = with_names(counts[train], y[train])
            idf = Featurizer(analyzer=fz.analyzer, n_features=fz.n_features).fit_idf(c_train).idf
            x_train, x_test = fz.tfidf(c_train, idf), fz.tfidf(counts[test], idf)
            parts = []
            for name in cfg.learners:
                w, b = learners.fit(name, cfg, x_train, y_train, self.classes_, n_jobs=1)
                parts.append(np.asarray(x_test @ w.T) + b)  # summed in float32, as models before learners.py were
            return test, np.hstack(parts)

        n_jobs = max(1, min(cfg.n_jobs, folds))
        runner = Parallel(n_jobs=n_jobs, backend="threading", return_as="generator")
        for test, s in runner(delayed(run_fold)(tr, te) for tr, te in splits):
            oof[test] = s
            progress.advance()

        # Calibration per view, pooled as the fallback; thresholds from the calibrated OOF. The
        # title+content view may also see its row's title-only and content-only scores.
        progress.stage("校准与阈值", 1)
        pooled = _fit_calibration(oof, y, k)
        if pooled is None:
            raise TrainingError("交叉验证中某个类别缺失，无法校准置信度")
        self.calibrations = {"pooled": pooled}
        self.stacked = False
        proba = np.zeros((len(y), k))
        for v in VIEWS:
            sel = np.flatnonzero(view == v)
            z = oof[sel]
            if v == BOTH and cfg.stack_views and len(sel):
                rows_b = group[sel]
                z = np.hstack([z, oof[np.searchsorted(t_row, rows_b)],
                               oof[len(t_row) + np.searchsorted(c_row, rows_b)]])
            cal = _fit_calibration(z, y[sel], k) if len(sel) >= MIN_VIEW_ROWS else None
            if cal is not None:
                self.calibrations[v] = cal
                self.stacked = self.stacked or (v == BOTH and z.shape[1] > k * m)
                proba[sel] = _cross_fitted(z, y[sel], self.classes_, cal, cfg.seed)
            elif len(sel):
                proba[sel] = pooled.proba(oof[sel])
        pred = np.array(self.classes_)[proba.argmax(axis=1)]
        conf = proba.max(axis=1)
        correct = pred == y
        self.oof_ = {"view": view, "y": y, "proba": proba, "scores": oof, "group": group}  # for benchmarks; not saved
        pooled_t = metrics.choose_threshold(conf, correct, cfg.target_precision, cfg.precision_confidence)
        self.thresholds = {"pooled": pooled_t}
        by_view: dict[str, Any] = {}
        for v in VIEWS:
            sel = view == v
            if sel.sum() >= MIN_VIEW_ROWS:
                self.thresholds[v] = metrics.choose_threshold(conf[sel], correct[sel], cfg.target_precision,
                                                              cfg.precision_confidence)
            if sel.any():
                by_view[v] = metrics.report(y[sel].tolist(), proba[sel], self.classes_, self.threshold_for(v))
        # Each row once, in its richest view: what a CSV like the training one would score.
        richest = np.zeros(len(rows), dtype=int)
        for pos, r in enumerate(group):  # views are stacked title, content, both: the last wins
            richest[r] = pos
        th_rich = [self.threshold_for(view[p]) for p in richest]
        self.cv = {
            "folds": folds,
            "rows": len(rows),
            "views": {v: int((view == v).sum()) for v in VIEWS},
            "richest_view": metrics.report(y[richest].tolist(), proba[richest], self.classes_, th_rich),
            "by_view": by_view,
            "note": "out-of-fold scores of a k-fold split grouped by row, calibrated by 5-fold cross-fitting",
        }
        progress.advance()

        # The final model on every row.
        progress.stage("训练最终模型", 1)
        c_all, y_all = with_names(counts, y)
        self.featurizer.fit_idf(c_all)
        x = self.featurizer.tfidf(c_all)
        fitted = [learners.fit(name, cfg, x, y_all, self.classes_, n_jobs=cfg.n_jobs) for name in cfg.learners]
        self.cv["category_names"] = len(named)
        # features × (k · learners): one gather per ticket serves every learner at prediction
        self.weights_ = np.ascontiguousarray(np.vstack([w for w, _b in fitted]).T)
        self.intercept_ = np.concatenate([b for _w, b in fitted])
        progress.advance()
        return self

    # ---- prediction ----------------------------------------------------------------------------

    def threshold_for(self, view: str) -> float | None:
        """The view's own threshold; a view with few training rows borrows the pooled one, but a
        view the model never saw (trained on content alone, asked with a title) dispatches nothing
        by itself: its confidence was never checked against anything."""
        if view in self.thresholds:
            return self.thresholds[view]
        seen = (getattr(self, "cv", None) or {}).get("views", {})
        if seen and not seen.get(view):
            return None
        return self.thresholds.get("pooled")

    def _scores(self, counts: sp.csr_matrix) -> np.ndarray:
        if self.weights_ is None or self.intercept_ is None:
            raise RuntimeError("the classifier is not trained")
        x = self.featurizer.tfidf(counts)
        return np.asarray(x @ self.weights_, dtype=np.float64) + self.intercept_

    def _row_scores(self, counts: dict[int, float]) -> np.ndarray:
        assert self.weights_ is not None and self.intercept_ is not None
        if not counts:
            return np.asarray(self.intercept_, dtype=np.float64)[None, :]
        idx, val = self.featurizer.tfidf_row(counts)
        return (val.astype(np.float64) @ self.weights_[idx] + self.intercept_)[None, :]

    def _proba_one(self, title: object, content: object, view: str) -> np.ndarray:
        """One ticket's calibrated probabilities without sparse-matrix overhead (a few ms)."""
        ct, cc = self.featurizer.row_counts(title), self.featurizer.row_counts(content)
        both = dict(ct)
        for j, n in cc.items():
            both[j] = both.get(j, 0.0) + n
        z = self._row_scores(both)
        if view == BOTH and self.stacked and BOTH in self.calibrations:
            z = np.hstack([z, self._row_scores(ct), self._row_scores(cc)])
        return self.calibrations.get(view, self.calibrations["pooled"]).proba(z)[0]

    def predict_proba(self, titles: Sequence[object], contents: Sequence[object],
                      *, n_jobs: int = 1) -> tuple[np.ndarray, list[str | None]]:
        """Calibrated probabilities (rows × classes_) and each row's view; a row with neither
        title nor content gets a uniform row and view None."""
        views = [view_of(t, c) for t, c in zip(titles, contents, strict=True)]
        t_text = [str(t) if present(t) else "" for t in titles]
        c_text = [str(c) if present(c) else "" for c in contents]
        ct = self.featurizer.counts(t_text, n_jobs=n_jobs)
        cc = self.featurizer.counts(c_text, n_jobs=n_jobs)
        scores = self._scores((ct + cc).tocsr())
        k = len(self.classes_)
        proba = np.full((len(views), k), 1.0 / k)
        for v in VIEWS:
            sel = np.flatnonzero(np.array([x == v for x in views], dtype=bool))
            if not len(sel):
                continue
            z = scores[sel]
            if v == BOTH and self.stacked and v in self.calibrations:
                z = np.hstack([z, self._scores(ct[sel]), self._scores(cc[sel])])
            proba[sel] = self.calibrations.get(v, self.calibrations["pooled"]).proba(z)
        return proba, views

    def predict(self, title: object = None, content: object = None, *, explain: int = 0) -> Prediction:
        """The label, its calibrated confidence, the top three alternatives and whether it may be
        dispatched without a human. `explain` > 0 adds that many weightiest n-grams."""
        v = view_of(title, content)
        if v is None:
            raise ValueError("标题和内容不能都为空")
        if self.weights_ is None:
            raise RuntimeError("the classifier is not trained")
        p = self._proba_one(title, content, v)
        order = np.argsort(-p, kind="stable")
        best = int(order[0])
        th = self.threshold_for(v)
        conf = float(p[best])
        return Prediction(
            label=self.classes_[best],
            confidence=conf,
            alternatives=[(self.classes_[i], float(p[i])) for i in order[:TOP_K]],
            view=v,
            threshold=th,
            auto_dispatch=th is not None and conf >= th,
            evidence=self.explain(title, content, self.classes_[best], top=explain) if explain else [],
        )

    def explain(self, title: object, content: object, label: str, *, top: int = 8) -> list[tuple[str, float]]:
        """The n-grams of the text that pushed hardest towards `label`: tf-idf weight × the linear
        model's coefficient, the other classes' mean subtracted."""
        from sklearn.utils import murmurhash3_32

        if self.weights_ is None:
            raise RuntimeError("the classifier is not trained")
        tokens: list[str] = []
        for text in (title, content):
            if present(text):
                tokens.extend(self.featurizer.analyzer(str(text)))
        if not tokens:
            return []
        counts = self.featurizer.row_counts(title)
        for j, n in self.featurizer.row_counts(content).items():
            counts[j] = counts.get(j, 0.0) + n
        idx, val = self.featurizer.tfidf_row(counts)
        xi = dict(zip(idx.tolist(), val.tolist(), strict=True))
        c = self.classes_.index(label)
        w = self.weights_[:, : len(self.classes_)]  # the first learner's weights speak for the model
        others = max(1, len(self.classes_) - 1)
        seen: dict[str, float] = {}
        for tok in tokens:
            if tok in seen:
                continue
            j = abs(murmurhash3_32(tok, seed=0, positive=False)) % self.featurizer.n_features
            margin = float(w[j, c]) - (float(w[j].sum()) - float(w[j, c])) / others
            seen[tok] = xi.get(j, 0.0) * margin
        shown: dict[str, float] = {}  # "c:电梯" and "w:电梯" are one n-gram to a reader
        for tok, weight in seen.items():
            text = tok.split(":", 1)[1]
            shown[text] = shown.get(text, 0.0) + weight
        best = sorted(shown.items(), key=lambda kv: -kv[1])[:top]
        return [(g, w) for g, w in best if w > 0]
