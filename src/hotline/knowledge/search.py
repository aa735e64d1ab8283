"""Search over the published knowledge base, behind a small `SearchBackend` protocol.

The embedded default, `MemoryIndex`, runs in the application process: BM25 over four kinds of
terms — the words and the character bigrams of an article's questions and phrasings, and the
words and the bigrams of its answer — each with its own weight. Words come from jieba with the
shipped synonym table folded in (退钱 = 退款); bigrams make the search tolerant of typos and of
words jieba cuts differently. Filters (audience, jurisdiction, category, validity window) are
boolean masks over the documents, applied before ranking.

Freshness: the index is two segments, like Lucene's — a large `main` segment built once, and a
small `delta` segment rebuilt on every change from the few documents changed since. A changed
or removed document is masked out of `main` (tombstone). When the delta grows past a threshold,
both are merged from their term-frequency matrices (no re-tokenising). `KnowledgeIndex` keeps an
index in step with the database: it reads the articles whose `change_seq` is past the last one
it saw (every search checks, at most every `poll_seconds`, and at once after a change made in
this process), so several worker processes each stay current within a fraction of a second.

A deployment that outgrows one machine implements `SearchBackend` on OpenSearch/Elasticsearch
(docs/knowledge.md says how); the service and the assistant only see the protocol.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import numpy as np
from scipy import sparse
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.knowledge.batch import BatchAnalyzer
from hotline.knowledge.text import Analyzer, default_analyzer, highlight_terms, searchable, snippet, unigrams

# ---- what goes in and comes out ----------------------------------------------------------------


@dataclass(frozen=True)
class IndexDoc:
    """One published article as the index sees it (its published version's content)."""

    article_id: int
    key: str
    title: str
    questions: tuple[str, ...]  # the standard question(s) first, then the callers' phrasings
    answer: str
    audience: str
    jurisdiction_path: str | None = None  # None: applies everywhere
    category_code: str | None = None
    valid_from: datetime | None = None
    expires_at: datetime | None = None
    version_number: int = 1
    policy_source: str | None = None


@dataclass(frozen=True)
class SearchFilters:
    audiences: frozenset[str] | None = None  # None: every audience
    # The caller's place: articles of this jurisdiction, of its ancestors, and city-wide ones.
    jurisdiction_path: str | None = None
    category_code: str | None = None  # a category and its sub-categories (prefix)
    at: datetime | None = None  # only articles valid at this instant


@dataclass
class Hit:
    article_id: int
    key: str
    title: str
    score: float
    question: str  # the question or phrasing that matches best
    snippet: str  # part of the answer, HTML-escaped, matches in <mark>
    answer: str
    category_code: str | None
    audience: str
    version_number: int
    policy_source: str | None = None
    # For the assistant's confidence rule: the share of the query's content (idf-weighted) that
    # the article's questions contain, and the share of it the whole index knows at all.
    coverage: float = 0.0
    known: float = 0.0
    # The share of the query's content found anywhere in the article, its answer included.
    support: float = 0.0
    # The share of the query's content that some article's questions or phrasings use: callers'
    # subjects the knowledge base only mentions in passing inside answers (地铁, 驾驶证 in a railway
    # knowledge base) count as unknown here.
    known_questions: float = 0.0
    # The article's questions and phrasings, and the cosine of the closest to the query once
    # semantic re-ranking has run (knowledge/semantic.py; None without it).
    questions: tuple[str, ...] = ()
    similarity: float | None = None
    # The cosine of its passage (title and start of answer, semantic.passage_text) once the ranker
    # used the passages (None otherwise).
    passage_similarity: float | None = None
    # True once the ranker of search by meaning ordered the hits (score: its probability).
    ranked: bool = False
    jurisdiction_path: str | None = None  # the place the answer is for (None: the whole city)


class SearchBackend(Protocol):
    """What the service and the assistant need from a search engine."""

    def rebuild(self, docs: Iterable[IndexDoc]) -> None: ...

    def upsert(self, docs: Sequence[IndexDoc]) -> None: ...

    def remove(self, article_ids: Iterable[int]) -> None: ...

    def search(self, query: str, *, filters: SearchFilters | None = None, limit: int = 10,
               include: Collection[int] = ()) -> list[Hit]: ...
    # `include`: articles to score and return beside the top ones when they pass the filters
    # (the nearest in meaning, knowledge/dense.py), however few words they share with the query.

    def __len__(self) -> int: ...


# ---- ranking parameters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    name: str  # field + kind: q(uestions) or a(nswer); w(ords), b(igrams) or u(nigrams)
    weight: float
    k1: float
    b: float


@dataclass(frozen=True)
class Ranking:
    """Weights chosen on the validation half of bench/data/kb_12306_paraphrases.tsv."""

    channels: tuple[Channel, ...] = (
        Channel("qw", 1.0, 1.2, 0.6),  # question + phrasings: words
        Channel("qb", 0.25, 1.2, 0.6),  # question + phrasings: character bigrams (typos, odd cuts)
        Channel("qu", 0.15, 1.2, 0.6),  # question + phrasings: single characters (退, 改, 换)
        Channel("ad", 0.6, 1.2, 0.75),  # answer: dictionary words inside it (fast, see batch.py)
        Channel("ab", 0.12, 1.2, 0.75),  # answer: character bigrams
    )
    candidates: int = 50  # reranked per query
    query_coverage: float = 0.0  # rerank: share of the query found in the question
    question_coverage: float = 0.3  # rerank: share of the question found in the query
    bigram_dice: float = 0.0  # rerank: character-bigram overlap (Dice) of query and question
    article_coverage: float = 0.4  # rerank: share of the query found anywhere in the article (answer too)
    partial_credit: float = 0.8  # rerank: a query word inside a question word (or holding one) counts this much
    merge_threshold: int = 2000  # merge the delta into main when it holds more documents


# ---- segments ----------------------------------------------------------------------------------

_NEVER = math.inf
_ALWAYS = -math.inf


@dataclass
class _Segment:
    """Documents with their raw term frequencies (kept for merges) and their BM25 weights.

    The large main segment keeps its term frequencies as 16-bit counts in the order of the
    weights' postings (`counts`, sharing the weights' row indices) instead of a second matrix:
    10 bytes a posting instead of 16; merges rebuild the matrix from them."""

    docs: list[IndexDoc]
    tf: sparse.csr_matrix | None  # documents x terms (None: kept as `counts`)
    lengths: np.ndarray  # documents x channels
    alive: np.ndarray  # bool per document (False: replaced or removed)
    weights: sparse.csc_matrix | None = None
    counts: np.ndarray | None = None  # uint16 term counts, in the order of weights.data
    audience: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    jurisdiction: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    category: list[str] = field(default_factory=list)
    valid_from: np.ndarray = field(default_factory=lambda: np.zeros(0))
    expires_at: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.docs)


# (vocabulary of "channel\x1fterm", rows, columns into that vocabulary, counts, lengths per channel)
_Counts = tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]
BATCH_FROM = 500  # documents; fewer are analysed one by one (the same terms either way)
BATCH_CHUNK = 8192  # documents analysed together in a large build (bounds the temporary arrays)
WEIGHT_POSTINGS = 1 << 20  # postings weighted together
# Candidates' searchable texts remembered (2 bytes a character: 20,000 articles of 400 characters
# hold about 16 MB), and words' idfs (queries bring words of their own).
TEXTS_KEPT = 20_000
IDFS_KEPT = 200_000
CHANGE_LOG = 1024  # changes remembered for `MemoryIndex.changed_since`


def _count(analyzed: list[list[list[str]]], n_channels: int) -> _Counts:
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[int] = []
    lengths = np.zeros((len(analyzed), n_channels))
    for r, channels in enumerate(analyzed):
        for c, words in enumerate(channels):
            lengths[r, c] = len(words)
            prefix = f"{c}\x1f"
            for term, count in Counter(words).items():
                key = prefix + term
                tid = vocab.get(key)
                if tid is None:
                    tid = vocab[key] = len(vocab)
                rows.append(r)
                cols.append(tid)
                vals.append(count)
    return (list(vocab), np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
            np.asarray(vals, dtype=np.float32), lengths)


class MemoryIndex:
    """The in-process backend (see the module docstring)."""

    def __init__(self, analyzer: Analyzer | None = None, ranking: Ranking | None = None) -> None:
        self.analyzer = analyzer or default_analyzer()
        self.ranking = ranking or Ranking()
        self._word_channels = [i for i, c in enumerate(self.ranking.channels) if c.name[1] in ("w", "d")]
        self._question_channels = [i for i, c in enumerate(self.ranking.channels) if c.name == "qw"]
        self._lock = threading.RLock()
        self.generation = 0  # counts changes: a reader knows when to look again
        # The articles each recent change touched (generation, ids), complete from `_log_from` on:
        # the index of meanings (dense.py) takes in a change without reading every article again.
        self._log: list[tuple[int, frozenset[int]]] = []
        self._log_from = 0
        self._clear()

    def _clear(self) -> None:
        self._terms: dict[str, int] = {}  # "channel\x1fterm" -> column
        self._channel_of: list[int] = []  # column -> channel
        self._codes: dict[str, int] = {"": 0}  # audience and jurisdiction codes
        self._main = self._empty()
        self._delta = self._empty()
        self._where: dict[int, tuple[str, int]] = {}  # article id -> (segment, row)
        self._df = np.zeros(0)
        self._n = 1
        self._df_main = np.zeros(0)
        self._n_main = 0
        self._questions: dict[str, tuple[frozenset[str], float]] = {}
        self._idfs: dict[str, float] = {}
        self._texts: dict[int, tuple[IndexDoc, str]] = {}  # article id -> (doc, its searchable text)

    def _empty(self) -> _Segment:
        return _Segment(docs=[], tf=sparse.csr_matrix((0, len(getattr(self, "_terms", {}))), dtype=np.float32),
                        lengths=np.zeros((0, len(self.ranking.channels))), alive=np.zeros(0, dtype=bool))

    def _code(self, value: str | None) -> int:
        value = value or ""
        got = self._codes.get(value)
        if got is None:
            got = self._codes[value] = len(self._codes)
        return got

    def analyze(self, doc: IndexDoc) -> list[list[str]]:
        """The terms of each channel for one document (the slow part of indexing: jieba)."""
        qtext = "\n".join(doc.questions)
        return self._terms_of({"q": qtext, "a": doc.answer})

    def _terms_of(self, texts: dict[str, str]) -> list[list[str]]:
        a = self.analyzer
        kinds = {"w": a.words, "b": a.bigrams, "u": unigrams, "d": a.dict_words}
        done: dict[tuple[str, str], list[str]] = {}
        out = []
        for ch in self.ranking.channels:
            field_, kind = ch.name[0], ch.name[1]
            text = texts.get(field_, texts.get("*", ""))
            got = done.get((text, kind))
            if got is None:
                got = done[(text, kind)] = kinds[kind](text)
            out.append(got)
        return out

    # -- building --------------------------------------------------------------------------------

    def _segment(self, docs: list[IndexDoc], analyzed: list[list[list[str]]] | None = None) -> _Segment:
        """A segment of these documents: analysed one by one (a few), or a channel at a time over
        chunks of the batch with numpy (a large build: see batch.py)."""
        if analyzed is None and len(docs) >= BATCH_FROM:
            return self._assemble(docs, self._count_batch(docs))
        if analyzed is None:
            analyzed = [self.analyze(d) for d in docs]
        return self._assemble(docs, [_count(analyzed, len(self.ranking.channels))])

    def _count_batch(self, docs: list[IndexDoc]) -> Iterator[_Counts]:
        """The counts of a large batch, one chunk of documents at a time: the temporary arrays of
        the vectorised analysis (several per character of text) stay small whatever the batch."""
        batch = BatchAnalyzer(self.analyzer)
        for start in range(0, len(docs), BATCH_CHUNK):
            yield self._count_chunk(docs[start : start + BATCH_CHUNK], batch)

    def _count_chunk(self, docs: list[IndexDoc], batch: BatchAnalyzer) -> _Counts:
        texts = {"q": ["\n".join(d.questions) for d in docs], "a": [d.answer for d in docs]}
        vocab: list[str] = []
        rows, cols, vals = [], [], []
        lengths = np.zeros((len(docs), len(self.ranking.channels)), dtype=np.float32)
        done: dict[tuple[str, str], tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        for c, ch in enumerate(self.ranking.channels):
            field_, kind = ch.name[0], ch.name[1]
            got = done.get((field_, kind))
            if got is None:
                if kind == "w":
                    got = _count([[words] for words in self._words(docs, texts, field_)], 1)
                    got = (got[0], got[1], got[2], got[3], got[4][:, 0])
                else:
                    got = batch.count(texts[field_], kind)
                done[(field_, kind)] = got
            names, r, col, v, lens = got
            prefix = f"{c}\x1f"
            rows.append(r.astype(np.int32))
            cols.append((col + len(vocab)).astype(np.int32))
            vals.append(v.astype(np.float32))
            vocab.extend(prefix + n.split("\x1f", 1)[-1] for n in names)
            lengths[:, c] = lens
        return vocab, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), lengths

    def _words(self, docs: list[IndexDoc], texts: dict[str, list[str]], field_: str) -> Iterator[list[str]]:
        """The words of a field of each document in a large build. The questions are cut one by one
        (the same words as their joined text: runs never cross a line) and their words remembered:
        the re-ranking reads the words of every candidate's questions (`_best_question`), and
        cutting them at query time was half of a lexical search's time at 100,000 articles."""
        if field_ != "q":
            yield from (self.analyzer.words(t, remember=False) for t in texts[field_])
            return
        cached = self.analyzer.cached_words
        for d in docs:
            yield [w for q in d.questions for w in cached(q, remember_runs=False)]

    def _assemble(self, docs: list[IndexDoc], parts: Iterable[_Counts]) -> _Segment:
        """Map each part's own vocabulary onto the index's and stack the parts; each part becomes a
        compact CSR block (int32 indices) as soon as it is counted, so its coordinate arrays go."""
        terms, channel_of = self._terms, self._channel_of
        blocks, lengths = [], []
        for vocab, r, c, v, lens in parts:
            ids = np.empty(len(vocab), dtype=np.int32)
            for i, key in enumerate(vocab):
                tid = terms.get(key)
                if tid is None:
                    tid = terms[key] = len(channel_of)
                    channel_of.append(int(key.split("\x1f", 1)[0]))
                ids[i] = tid
            block = sparse.csr_matrix((v.astype(np.float32, copy=False), (r, ids[c] if len(c) else c)),
                                      shape=(len(lens), len(terms)), dtype=np.float32)
            block.sum_duplicates()
            blocks.append(block)
            lengths.append(np.asarray(lens, dtype=np.float32))
            del vocab, r, c, v
        n_ch = len(self.ranking.channels)
        if not blocks:
            tf = sparse.csr_matrix((0, len(terms)), dtype=np.float32)
        elif len(blocks) == 1:
            tf = self._widen(blocks[0])
        else:
            tf = sparse.vstack([self._widen(b) for b in blocks], format="csr", dtype=np.float32)
        blocks.clear()
        seg = _Segment(docs=docs, tf=tf,
                       lengths=np.vstack(lengths) if lengths else np.zeros((0, n_ch), dtype=np.float32),
                       alive=np.ones(len(docs), dtype=bool))
        self._attributes(seg)
        return seg

    def _attributes(self, seg: _Segment) -> None:
        seg.audience = np.array([self._code("a:" + d.audience) for d in seg.docs], dtype=np.int32)
        seg.jurisdiction = np.array([self._code(d.jurisdiction_path) for d in seg.docs], dtype=np.int32)
        seg.category = [d.category_code or "" for d in seg.docs]
        seg.valid_from = np.array([d.valid_from.timestamp() if d.valid_from else _ALWAYS for d in seg.docs])
        seg.expires_at = np.array([d.expires_at.timestamp() if d.expires_at else _NEVER for d in seg.docs])

    def _tf(self, seg: _Segment) -> sparse.csr_matrix:
        """The segment's term frequencies as a CSR matrix as wide as the vocabulary."""
        if seg.tf is not None:
            return self._widen(seg.tf)
        w = seg.weights
        assert w is not None and seg.counts is not None
        tf = sparse.csc_matrix((seg.counts.astype(np.float32), w.indices, w.indptr), shape=w.shape).tocsr()
        return self._widen(tf)

    def _widen(self, m: sparse.csr_matrix) -> sparse.csr_matrix:
        """The matrix with a column for every term known now (the vocabulary only grows)."""
        n_terms = len(self._terms)
        if m.shape[1] == n_terms:
            return m
        return sparse.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], n_terms))

    def _reweight(self, *, full: bool) -> None:
        """Document frequencies, then BM25 weights: of both segments after a build or a merge
        (`full`), of the small delta alone after a change — main keeps the statistics of its build
        (replaced and removed rows still count in its df until the next merge: a small, bounded
        drift that buys a change searchable in milliseconds)."""
        if full:
            self._df_main, self._n_main = self._frequencies(self._main)
            if self._main.tf is not None:  # weighed afresh from tf (a compact main keeps its structure)
                self._main.weights = None
        delta_df, delta_n = self._frequencies(self._delta)
        df = np.zeros(len(self._terms))
        df[: len(self._df_main)] += self._df_main
        df[: len(delta_df)] += delta_df
        self._df = df
        self._n = max(self._n_main + delta_n, 1)
        self._questions = {}
        self._idfs = {}
        if full and len(self._main):
            self._main.weights, self._main.counts = self._weights(self._main, compact=True)
        self._delta.weights = self._weights(self._delta)[0] if len(self._delta) else None

    def _frequencies(self, seg: _Segment) -> tuple[np.ndarray, int]:
        if not len(seg) or not seg.alive.any():
            return np.zeros(0), 0
        tf = self._tf(seg)
        if not seg.alive.all():
            tf = tf[seg.alive]
        df = np.zeros(len(self._terms), dtype=np.float64)
        step = 1 << 22  # postings counted at a time (bincount widens its input to 64 bits)
        for start in range(0, tf.nnz, step):
            df += np.bincount(tf.indices[start : start + step], minlength=len(self._terms))
        return df, tf.shape[0]

    def _weights(self, seg: _Segment, *, compact: bool = False) -> tuple[sparse.csc_matrix, np.ndarray | None]:
        """BM25 weights, column-major (a query reads a few term columns). With `compact` the
        segment's CSR term frequencies are dropped as soon as they are no longer needed and the
        counts come back in the weights' posting order (they share its row indices)."""
        n_terms = len(self._terms)
        if seg.tf is not None:
            tf = self._widen(seg.tf)
            # Where each posting lands in column-major order (one conversion of a permutation).
            order = sparse.csr_matrix((np.arange(tf.nnz, dtype=np.int32), tf.indices, tf.indptr),
                                      shape=tf.shape).tocsc()
            rows, indptr, perm = order.indices, order.indptr, order.data
            del order
            counts = np.empty(tf.nnz, dtype=np.uint16)
            for lo in range(0, tf.nnz, WEIGHT_POSTINGS):
                counts[lo : lo + WEIGHT_POSTINGS] = np.minimum(tf.data[perm[lo : lo + WEIGHT_POSTINGS]], 65535)
            del perm
            if compact:
                seg.tf = None  # the counts replace it
            del tf
        else:  # already compact: reweigh from the kept counts
            assert seg.weights is not None and seg.counts is not None
            rows, indptr, counts = seg.weights.indices, seg.weights.indptr, seg.counts
            if len(indptr) - 1 < n_terms:  # terms added since: empty columns
                indptr = np.concatenate([indptr, np.full(n_terms + 1 - len(indptr), indptr[-1], dtype=indptr.dtype)])
        idf = np.log1p((self._n - self._df + 0.5) / (self._df + 0.5)).astype(np.float32)
        channel_of = np.asarray(self._channel_of, dtype=np.int8)
        chans = self.ranking.channels
        lengths = seg.lengths[seg.alive] if seg.alive.any() else seg.lengths
        avg = np.maximum(lengths.mean(axis=0), 1.0).astype(np.float32)
        k1 = np.array([c.k1 for c in chans], dtype=np.float32)
        b = np.array([c.b for c in chans], dtype=np.float32)
        w = np.array([c.weight for c in chans], dtype=np.float32)
        rel = (seg.lengths / avg).astype(np.float32)  # document length / average, per channel
        data = np.empty(len(counts), dtype=np.float32)
        # A slice of postings at a time: the temporaries stay a few MB whatever the index.
        for lo in range(0, len(counts), WEIGHT_POSTINGS):
            hi = min(lo + WEIGHT_POSTINGS, len(counts))
            col = np.searchsorted(indptr, np.arange(lo, hi), side="right") - 1
            ch = channel_of[col]
            r = rows[lo:hi]
            t = counts[lo:hi].astype(np.float32)
            kc = k1[ch]
            data[lo:hi] = w[ch] * idf[col] * t * (kc + 1) / (t + kc * (1 - b[ch] + b[ch] * rel[r, ch]))
        weights = sparse.csc_matrix((data, rows, indptr), shape=(len(seg.docs), n_terms))
        return weights, (counts if compact else None)

    def rebuild(self, docs: Iterable[IndexDoc]) -> None:
        docs = list(docs)
        with self._lock:
            self.generation += 1
            self._log, self._log_from = [], self.generation  # everything changed
            self._clear()
            self._main = self._segment(docs)
            self._locate()
            self._reweight(full=True)

    def upsert(self, docs: Sequence[IndexDoc]) -> None:
        fresh = list({d.article_id: d for d in docs}.values())
        if not fresh:
            return
        analyzed = [self.analyze(d) for d in fresh]
        with self._lock:
            ids = {d.article_id for d in fresh}
            self._logged(ids)
            self._kill(ids)
            new = self._segment(fresh, analyzed)
            keep = self._delta.alive
            if int(keep.sum()) + len(fresh) > self.ranking.merge_threshold:
                self._main = self._concat([self._main, self._delta, new])
                self._delta = self._empty()
                self._locate()
                self._reweight(full=True)
            else:
                self._delta = self._concat([self._delta, new])
                for i, d in enumerate(self._delta.docs):
                    self._where[d.article_id] = ("delta", i)
                self._reweight(full=False)

    def remove(self, article_ids: Iterable[int]) -> None:
        with self._lock:
            ids = set(article_ids)
            self._logged(ids)
            if self._kill(ids):
                self._reweight(full=False)

    def _logged(self, ids: set[int]) -> None:
        """A new generation that changed these articles (under the lock)."""
        self.generation += 1
        self._log.append((self.generation, frozenset(ids)))
        if len(self._log) > CHANGE_LOG:
            self._log_from = self._log.pop(0)[0]  # before it, unknown

    def changed_since(self, generation: int) -> set[int] | None:
        """The articles upserted or removed after `generation`; None when that is not known (a
        rebuild since, or a generation older than the log)."""
        with self._lock:
            if generation < self._log_from or generation > self.generation:
                return None
            return {aid for g, ids in self._log if g > generation for aid in ids}

    def _kill(self, ids: set[int]) -> bool:
        """Mark the rows of these articles dead (copy-on-write: running searches keep theirs)."""
        hit = False
        for name, seg in (("main", self._main), ("delta", self._delta)):
            rows = [row for aid in ids if (w := self._where.get(aid)) is not None and w[0] == name for row in [w[1]]]
            if rows:
                alive = seg.alive.copy()
                alive[rows] = False
                seg.alive = alive
                hit = True
        for aid in ids:
            self._where.pop(aid, None)
        return hit

    def _concat(self, segments: list[_Segment]) -> _Segment:
        """One segment of the live rows of several (term frequencies are kept: no re-tokenising)."""
        parts = [s for s in segments if len(s) and s.alive.any()]
        if not parts:
            return self._empty()
        tf = sparse.vstack([self._tf(s)[s.alive] for s in parts], format="csr", dtype=np.float32)
        docs = [d for s in parts for d, a in zip(s.docs, s.alive, strict=True) if a]
        lengths = np.vstack([s.lengths[s.alive] for s in parts])
        seg = _Segment(docs=docs, tf=tf, lengths=lengths, alive=np.ones(len(docs), dtype=bool))
        self._attributes(seg)
        return seg

    def _locate(self) -> None:
        where: dict[int, tuple[str, int]] = {}
        for name, seg in (("main", self._main), ("delta", self._delta)):
            for i, d in enumerate(seg.docs):
                if seg.alive[i]:
                    where[d.article_id] = (name, i)
        self._where = where

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._where

    def documents(self, ids: Iterable[int] | None = None) -> dict[int, tuple[str, ...]]:
        """Every indexed article's questions and phrasings, or those of `ids` still indexed (for
        the index of meanings, dense.py)."""
        with self._lock:
            segs = {"main": self._main, "delta": self._delta}
            where = self._where.items() if ids is None else \
                [(aid, w) for aid in ids if (w := self._where.get(aid)) is not None]
            return {aid: segs[name].docs[row].questions or (segs[name].docs[row].title,)
                    for aid, (name, row) in where}

    def stats(self) -> dict[str, int]:
        return {"documents": len(self._where), "main": int(self._main.alive.sum()),
                "delta": int(self._delta.alive.sum()), "terms": len(self._terms)}

    # -- searching -------------------------------------------------------------------------------

    def _query(self, query: str) -> tuple[list[int], np.ndarray, set[str], float, float]:
        """Columns and weights of a query's terms, its content words, and the idf-weighted shares
        of those words that the index knows at all, and that some article's questions use."""
        words = self.analyzer.words(query)
        weights: dict[int, float] = {}
        for c, terms in enumerate(self._terms_of({"*": query})):
            prefix = f"{c}\x1f"
            for term, count in Counter(terms).items():
                tid = self._terms.get(prefix + term)
                if tid is not None:
                    weights[tid] = weights.get(tid, 0.0) + min(count, 2)
        content = set(words)
        mass = sum(self._idf(w) for w in content)
        known = sum(self._idf(w) for w in content if self._df_of(w) > 0)
        asked = sum(self._idf(w) for w in content if self._df_of(w, self._question_channels) > 0)
        return list(weights), np.asarray(list(weights.values()), dtype=np.float32), content, \
            (known / mass if mass else 0.0), (asked / mass if mass else 0.0)

    def _df_of(self, word: str, channels: list[int] | None = None) -> float:
        best = 0.0
        for c in self._word_channels if channels is None else channels:
            tid = self._terms.get(f"{c}\x1f{word}")
            if tid is not None and tid < len(self._df):
                best = max(best, float(self._df[tid]))
        return best

    def _idf(self, word: str) -> float:
        """Words the index has never seen count as the rarest words. Remembered until the
        statistics change (the dict is replaced after them: a value is never from older ones)."""
        memo = self._idfs
        got = memo.get(word)
        if got is None:
            df = self._df_of(word)
            if len(memo) >= IDFS_KEPT:
                memo.clear()
            got = memo[word] = math.log1p((self._n - df + 0.5) / (df + 0.5)) if df else \
                math.log1p((self._n + 0.5) / 0.5)
        return got

    def _mask(self, seg: _Segment, filters: SearchFilters) -> np.ndarray:
        mask = seg.alive
        if filters.audiences is not None:
            codes = [self._codes[f"a:{a}"] for a in filters.audiences if f"a:{a}" in self._codes]
            mask = mask & np.isin(seg.audience, codes)
        if filters.jurisdiction_path is not None:
            parts = [p for p in filters.jurisdiction_path.strip("/").split("/") if p]
            ancestors = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
            codes = [0] + [self._codes[p] for p in ancestors if p in self._codes]
            mask = mask & np.isin(seg.jurisdiction, codes)
        if filters.category_code:
            prefix = filters.category_code
            mask = mask & np.fromiter((c.startswith(prefix) for c in seg.category), dtype=bool, count=len(seg))
        if filters.at is not None:
            ts = filters.at.timestamp()
            mask = mask & (seg.valid_from <= ts) & (seg.expires_at > ts)
        return mask

    def _top(self, seg: _Segment, cols: list[int], qw: np.ndarray, filters: SearchFilters, k: int,
             extra_rows: Sequence[int] = ()) -> list[tuple[float, IndexDoc]]:
        """The k best-scoring rows of a segment, plus `extra_rows` of it that pass the filters."""
        weights = seg.weights
        if not len(seg) or weights is None:
            return []
        inside = [i for i, c in enumerate(cols) if c < weights.shape[1]]
        if not inside and not extra_rows:
            return []
        if inside:
            scores = np.asarray(weights[:, [cols[i] for i in inside]] @ qw[inside]).ravel()
        else:
            scores = np.zeros(len(seg), dtype=np.float32)
        mask = self._mask(seg, filters)
        scores[~mask] = 0.0
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        rows = [int(i) for i in top if scores[i] > 0]
        chosen = set(rows)
        rows += [r for r in dict.fromkeys(extra_rows) if r not in chosen and mask[r]]
        return [(float(scores[i]), seg.docs[i]) for i in rows]

    def search(self, query: str, *, filters: SearchFilters | None = None, limit: int = 10,
               include: Collection[int] = (), snippets: bool = True) -> list[Hit]:
        """The top `limit` hits and those of `include`; without `snippets`, their snippets are left
        empty for `fill_snippets` (a re-ranker keeps a third of the candidates: the rest need none)."""
        filters = filters or SearchFilters()
        with self._lock:  # a consistent view of the segments; scoring itself runs unlocked
            main, delta = self._main, self._delta
            cols, qw, content, known, asked = self._query(query)
            extra: dict[str, list[int]] = {"main": [], "delta": []}  # the rows of `include` in them
            for aid in include:
                where = self._where.get(aid)
                if where is not None:
                    extra[where[0]].append(where[1])
        want = max(limit, self.ranking.candidates)
        candidates = self._top(main, cols, qw, filters, want, extra["main"]) + \
            self._top(delta, cols, qw, filters, want, extra["delta"])
        if not candidates:
            return []
        best = max(score for score, _ in candidates) or 1.0
        r = self.ranking
        idf = {w: self._idf(w) for w in content}
        q_mass = sum(idf.values()) or 1.0
        q_grams = set(self.analyzer.bigrams(query)) if r.bigram_dice else set()
        ranked = []
        for score, doc in candidates:
            question, q_cov, d_cov = self._best_question(doc, idf, q_mass)
            a_cov = self._article_coverage(doc, idf, q_mass)
            final = score / best + r.query_coverage * q_cov + r.question_coverage * d_cov + r.article_coverage * a_cov
            if q_grams:
                grams = set(self.analyzer.bigrams(question))
                final += r.bigram_dice * 2 * len(q_grams & grams) / (len(q_grams) + len(grams) or 1)
            ranked.append((final, doc, question, q_cov, a_cov))
        ranked.sort(key=lambda c: (-c[0], c[1].article_id))
        terms = highlight_terms(query, self.analyzer) if snippets else []
        return [
            Hit(article_id=doc.article_id, key=doc.key, title=doc.title, score=round(final, 4), question=question,
                snippet=snippet(doc.answer, terms) if snippets else "", answer=doc.answer,
                category_code=doc.category_code,
                audience=doc.audience, version_number=doc.version_number, policy_source=doc.policy_source,
                coverage=round(q_cov, 4), known=round(known, 4), support=round(a_cov, 4),
                known_questions=round(asked, 4), questions=doc.questions or (doc.title,),
                jurisdiction_path=doc.jurisdiction_path)
            for final, doc, question, q_cov, a_cov in ranked[:limit] + [
                r for r in ranked[limit:] if r[1].article_id in include]
        ]

    def fill_snippets(self, query: str, hits: Sequence[Hit]) -> None:
        """The snippets `search(snippets=False)` left out, for the hits kept."""
        terms = highlight_terms(query, self.analyzer)
        for h in hits:
            if not h.snippet:
                h.snippet = snippet(h.answer, terms)

    def _article_coverage(self, doc: IndexDoc, idf: dict[str, float], q_mass: float) -> float:
        """The idf-weighted share of the query's content words written anywhere in the article
        (questions or answer, in any form of their synonym group): an answer that speaks of the
        query's subject supports it even when its question is worded differently."""
        text = self._text_of(doc)
        forms = self.analyzer.synonyms.forms
        shared = sum(v for w, v in idf.items() if any(f in text for f in forms(w)))
        return shared / q_mass

    def _text_of(self, doc: IndexDoc) -> str:
        """The article's questions and answer as `searchable` text, remembered while the article
        stays as it is (normalising every candidate's text again took a sixth of a search)."""
        got = self._texts.get(doc.article_id)
        if got is None or got[0] is not doc:
            got = (doc, searchable("\n".join((*doc.questions, doc.answer))))
            if len(self._texts) >= TEXTS_KEPT:
                self._texts.clear()
            self._texts[doc.article_id] = got
        return got[1]

    def _question_words(self, question: str) -> tuple[frozenset[str], float]:
        """A question's content words and their idf mass (remembered until the statistics change)."""
        got = self._questions.get(question)
        if got is None:
            words = frozenset(self.analyzer.cached_words(question))
            got = (words, sum(self._idf(w) for w in words))
            if len(self._questions) >= 200_000:
                self._questions.clear()
            self._questions[question] = got
        return got

    def _best_question(self, doc: IndexDoc, idf: dict[str, float], q_mass: float) -> tuple[str, float, float]:
        """The question or phrasing most like the query: the idf-weighted share of the query's
        content words it contains, and the share of its own content words the query contains."""
        best = (doc.questions[0] if doc.questions else doc.title, 0.0, 0.0)
        r_partial = self.ranking.partial_credit
        for q in doc.questions:
            words, mass = self._question_words(q)
            if not words:
                continue
            shared = 0.0
            for w, v in idf.items():
                if w in words:
                    shared += v
                elif r_partial and any(w in x or (len(x) > 1 and x in w) for x in words):
                    shared += r_partial * v  # 烟 in 香烟, 银行卡 holding 银行
            q_cov = shared / q_mass
            d_cov = shared / (mass or 1.0)
            if q_cov + d_cov > best[1] + best[2]:
                best = (q, q_cov, d_cov)
        return best


# ---- keeping an index in step with the database -------------------------------------------------


class KnowledgeIndex:
    """A backend plus the last change it has seen; refreshed from the articles table."""

    def __init__(self, backend: SearchBackend | None = None, *, poll_seconds: float = 0.25) -> None:
        self.backend: SearchBackend = backend or MemoryIndex()
        self.poll_seconds = poll_seconds
        self.last_seq = -1  # -1: never built
        self._checked_at = 0.0
        self._dirty = True
        self._lock = threading.Lock()

    def mark_dirty(self) -> None:
        self._dirty = True

    def refresh(self, db: Session, *, force: bool = False) -> int:
        """Bring the index up to date; returns the number of articles (re)indexed or removed."""
        now = time.monotonic()
        if not (force or self._dirty or now - self._checked_at >= self.poll_seconds):
            return 0
        with self._lock:
            from hotline.knowledge import service  # the service owns the queries on articles

            self._checked_at = time.monotonic()
            self._dirty = False
            if self.last_seq < 0:
                docs, seq = service.published_documents(db)
                self.backend.rebuild(docs)
                self.last_seq = seq
                return len(docs)
            latest = service.latest_change_seq(db)
            if latest <= self.last_seq:
                return 0
            upserts, removals, seq = service.changed_documents(db, since=self.last_seq)
            if removals:
                self.backend.remove(removals)
            if upserts:
                self.backend.upsert(upserts)
            self.last_seq = seq
            return len(upserts) + len(removals)

    def reset(self) -> None:
        with self._lock:
            self.last_seq = -1
            self._dirty = True


_indexes: weakref.WeakKeyDictionary[Engine, KnowledgeIndex] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def index_for(engine: Engine) -> KnowledgeIndex:
    """The process's index of the database behind `engine` (one per engine)."""
    with _registry_lock:
        index = _indexes.get(engine)
        if index is None:
            index = _indexes[engine] = KnowledgeIndex()
        return index


def changed(engine: Engine) -> None:
    """Tell this process's index that the articles changed (after a commit)."""
    index = _indexes.get(engine)
    if index is not None:
        index.mark_dirty()


def reset_all() -> None:
    """Forget every index (tests empty the tables between cases)."""
    with _registry_lock:
        for index in _indexes.values():
            index.reset()


def engine_of(db: Session) -> Engine:
    bind = db.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine
