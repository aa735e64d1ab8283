"""Analysing many documents at once with numpy: character unigrams, bigrams and dictionary words
of a whole corpus without a Python loop per character (index builds of 100,000 articles).

Gives exactly the terms of `text.unigrams`, `text.char_ngrams(…, 2)` and `Analyzer.dict_words`
(tests/knowledge/test_search.py checks it), counted per document. Characters are packed 16 bits
each (every character a run may hold is below U+A000), so a term of up to four characters is one
64-bit key; the terms of different lengths fall in disjoint key ranges.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from hotline.knowledge.text import STOP_WORDS, Analyzer, normalize

# (vocabulary of terms, document index per term occurrence... counted): rows, columns, counts
Counted = tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Code points of all normalised texts joined by a separator, the document of each position,
    and whether the position is a run character ([0-9a-z], CJK)."""
    joined = "\x00".join(normalize(t) for t in texts) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    sep = cp == 0
    doc = np.cumsum(sep) - sep  # the separator belongs to the document it ends
    valid = ((cp >= 0x30) & (cp <= 0x39)) | ((cp >= 0x61) & (cp <= 0x7A)) | \
        ((cp >= 0x3400) & (cp <= 0x4DBF)) | ((cp >= 0x4E00) & (cp <= 0x9FFF))
    return cp, doc, valid


def _window(valid: np.ndarray, n: int) -> np.ndarray:
    """Positions where n run characters start."""
    ok = valid.copy()
    for k in range(1, n):
        ok[: len(ok) - k] &= valid[k:]
        ok[len(ok) - k :] = False
    return ok


def _key(cp: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    key = np.zeros(len(starts), dtype=np.uint64)
    shift = np.uint64(16)
    for k in range(n):
        key = (key << shift) | cp[starts + k].astype(np.uint64)
    return key


def _counted(doc_of: np.ndarray, term: np.ndarray, n_docs: int, n_terms: int) -> tuple[np.ndarray, ...]:
    """Counts per (document, term) for dense term ids, without a global sort: a CSR matrix sums
    the duplicates row by row. Returns the used term ids, rows, columns into them, counts, lengths."""
    lengths = np.bincount(doc_of, minlength=n_docs).astype(np.float64)
    if len(term) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty, np.zeros(0, np.float32), lengths
    m = sparse.csr_matrix((np.ones(len(term), dtype=np.float32), (doc_of, term)), shape=(n_docs, n_terms))
    m.sum_duplicates()
    used = np.unique(m.indices)
    rows = np.repeat(np.arange(n_docs), np.diff(m.indptr))
    cols = np.searchsorted(used, m.indices)
    return used, rows, cols, m.data, lengths


class BatchAnalyzer:
    """Vectorised twins of the analyzer's character and dictionary terms."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self._dict: tuple[np.ndarray, np.ndarray, list[str]] | None = None

    def _dictionary(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Sorted keys of the dictionary words, the term each becomes (-1: a stop word), the terms."""
        if self._dict is None:
            a = self.analyzer
            a.dict_words("")  # loads the vocabulary
            assert a._vocab is not None
            syn = a.synonyms
            names: list[str] = []
            index: dict[str, int] = {}
            keys, targets = [], []
            for w in a._vocab:
                codes = [ord(ch) for ch in w]
                if not all(0x30 <= c <= 0x39 or 0x61 <= c <= 0x7A or 0x3400 <= c <= 0x4DBF or 0x4E00 <= c <= 0x9FFF
                           for c in codes):
                    continue
                key = 0
                for c in codes:
                    key = (key << 16) | c
                canon = syn(w)
                if w in STOP_WORDS or canon in STOP_WORDS:
                    target = -1
                else:
                    target = index.get(canon, -1)
                    if target < 0:
                        target = index[canon] = len(names)
                        names.append(canon)
                keys.append(key)
                targets.append(target)
            packed = np.asarray(keys, dtype=np.uint64)
            order = np.argsort(packed)
            self._dict = (packed[order], np.asarray(targets, dtype=np.int64)[order], names)
        return self._dict

    def count(self, texts: Sequence[str], kind: str) -> Counted:
        """Term counts of every text for one kind: u(nigrams), b(igrams) or d(ictionary words)."""
        n_docs = len(texts)
        cp, doc, valid = _codes(texts)
        if kind in ("u", "b"):
            # Dense ids of the characters that occur, so that a bigram id is small and direct.
            chars = np.unique(cp[valid])
            cid = np.searchsorted(chars, cp)
            cid[~valid] = 0
            nc = len(chars)
            if kind == "u":
                pos = np.flatnonzero(valid & (cp >= 0x80))
                used, rows, cols, vals, lengths = _counted(doc[pos], cid[pos], n_docs, max(nc, 1))
                return [chr(int(chars[u])) for u in used], rows, cols, vals, lengths
            two = np.flatnonzero(_window(valid, 2))
            prev = np.concatenate([[False], valid[:-1]])
            nxt = np.concatenate([valid[1:], [False]])
            lone = np.flatnonzero(valid & ~prev & ~nxt)  # a one-character run is kept whole
            # ids: bigram a*nc+b for (a, b); a lone character c gets nc*nc + c
            ids = np.concatenate([cid[two] * nc + cid[two + 1], nc * nc + cid[lone]])
            docs = np.concatenate([doc[two], doc[lone]])
            used, rows, cols, vals, lengths = _counted(docs, ids, n_docs, nc * nc + nc)
            names = [chr(int(chars[u - nc * nc])) if u >= nc * nc
                     else chr(int(chars[u // nc])) + chr(int(chars[u % nc])) for u in used.tolist()]
            return names, rows, cols, vals, lengths
        if kind == "d":
            dict_keys, targets, names = self._dictionary()
            docs_parts, term_parts = [], []
            for n in (2, 3, 4):
                starts = np.flatnonzero(_window(valid, n))
                keys = _key(cp, starts, n)
                at = np.searchsorted(dict_keys, keys)
                at[at >= len(dict_keys)] = 0
                hit = (dict_keys[at] == keys) & (targets[at] >= 0)
                docs_parts.append(doc[starts[hit]])
                term_parts.append(targets[at[hit]])
            used, rows, cols, vals, lengths = _counted(np.concatenate(docs_parts), np.concatenate(term_parts), n_docs,
                                                       max(len(names), 1))
            return [names[u] for u in used.tolist()], rows, cols, vals, lengths
        raise ValueError(kind)
