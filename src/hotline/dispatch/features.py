"""A ticket's text as a vector: hashed counts of character and jieba word n-grams (no vocabulary
to store, so a model's size does not grow with its training data), then sublinear TF-IDF with
L2 norm. A ticket's counts are its title's plus its content's, so the same function serves a
title alone, content alone, or both."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from hotline.dispatch.text import Analyzer

# The three views of a ticket a classifier can be asked about.
TITLE, CONTENT, BOTH = "title", "content", "both"
VIEWS = (TITLE, CONTENT, BOTH)


def present(text: object) -> bool:
    return text is not None and bool(str(text).strip())


def view_of(title: object, content: object) -> str | None:
    t, c = present(title), present(content)
    if t and c:
        return BOTH
    if t:
        return TITLE
    if c:
        return CONTENT
    return None


class Featurizer:
    """Hashed n-gram counts → TF-IDF. `fit_idf` learns document frequencies from training rows;
    everything else is stateless."""

    def __init__(self, *, analyzer: Analyzer, n_features: int = 2**20) -> None:
        self.analyzer = analyzer
        self.n_features = n_features
        self.idf: np.ndarray | None = None
        self._hasher = self._make_hasher()

    def _make_hasher(self) -> HashingVectorizer:
        return HashingVectorizer(analyzer=self.analyzer, n_features=self.n_features, alternate_sign=False,
                                 norm=None, dtype=np.float32)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_hasher", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._hasher = self._make_hasher()

    def counts(self, texts: Sequence[str], *, n_jobs: int = 1, on_chunk: Callable[[int], None] | None = None,
               chunk: int = 500) -> sp.csr_matrix:
        """Raw n-gram counts of each text (an empty text gives an empty row). With n_jobs > 1 the
        tokenisation (jieba is pure Python) runs in worker processes, `chunk` texts at a time."""
        texts = ["" if t is None else str(t) for t in texts]
        if not texts:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        chunks = [texts[i : i + chunk] for i in range(0, len(texts), chunk)]
        parts: list[sp.csr_matrix] = []
        if n_jobs > 1 and len(chunks) > 1:
            from joblib import Parallel, delayed

            runner = Parallel(n_jobs=n_jobs, return_as="generator")
            for part, size in zip(runner(delayed(self._hasher.transform)(c) for c in chunks),
                                  (len(c) for c in chunks), strict=True):
                parts.append(part)
                if on_chunk:
                    on_chunk(size)
        else:
            for c in chunks:
                parts.append(self._hasher.transform(c))
                if on_chunk:
                    on_chunk(len(c))
        return sp.vstack(parts).tocsr()

    def row_counts(self, text: object) -> dict[int, float]:
        """One text's hashed counts as {column: count}: the same columns as `counts`, without
        scikit-learn's per-call overhead (the single-ticket path of prediction)."""
        from sklearn.utils import murmurhash3_32

        out: dict[int, float] = {}
        if not present(text):
            return out
        nf = self.n_features
        for tok in self.analyzer(str(text)):
            h = murmurhash3_32(tok, seed=0)
            j = (2147483647 - (nf - 1)) % nf if h == -2147483648 else abs(h) % nf
            out[j] = out.get(j, 0.0) + 1.0
        return out

    def tfidf_row(self, counts: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of one row's TF-IDF, as `tfidf` computes it."""
        if self.idf is None:
            raise RuntimeError("Featurizer.fit_idf must run before tfidf")
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        val = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        val = (np.log(val) + 1) * self.idf[idx]
        norm = float(np.sqrt(np.dot(val, val)))
        return idx, (val / norm if norm else val)

    def fit_idf(self, counts: sp.csr_matrix) -> Featurizer:
        """Smoothed inverse document frequency, as scikit-learn's TfidfTransformer computes it."""
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=self.n_features)
        self.idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
        return self

    def tfidf(self, counts: sp.csr_matrix, idf: np.ndarray | None = None) -> sp.csr_matrix:
        """1 + log(tf), times idf, L2-normalised per row."""
        idf = self.idf if idf is None else idf
        if idf is None:
            raise RuntimeError("Featurizer.fit_idf must run before tfidf")
        x = counts.astype(np.float32, copy=True).tocsr()
        np.log(x.data, out=x.data)
        x.data += 1
        x.data *= idf[x.indices]
        sq = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        sq[sq == 0] = 1
        x = sp.diags(1 / sq).astype(np.float32) @ x
        return x.tocsr()

    def config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, **self.analyzer.config()}
