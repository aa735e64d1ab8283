"""The index of meanings: every published question's vector, searched by cosine.

The lexical index finds articles that share words with the query; a caller who says 钱没回到卡上
for 退款未到账 shares almost none. This index proposes the articles whose questions are nearest in
meaning, whatever their words; the search then scores them beside the lexical top ones (with the
same filters) and the ranker in semantic.py orders the union. On our fresh validation queries the
union lifts recall@5 by about three points (docs/knowledge.md).

It is one float32 matrix, searched exhaustively up to `EXACT_LIMIT` questions (one matrix-vector
product: p50 0.3 ms for 10,000 questions, 4.2 ms for 30,000 on our 2-core machine,
bench/kb_dense_perf.py) and through an inverted file above it (ivf.py: the nearest clusters only).
A change is taken in as the lexical index takes it (search.py's segments): the changed articles'
rows are marked dead and their questions now go to a small delta searched beside the matrix; the
matrix is rebuilt from the last one (only the new questions' vectors looked up) when the delta
outgrows `DELTA_LIMIT`, or when the backend cannot say what changed. Above `MAX_VECTORS`
questions it stands aside and search keeps to the lexical candidates: a knowledge base that large
belongs on a search engine server with its own vector search (docs/knowledge.md).
"""

from __future__ import annotations

import logging
import random
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from sqlalchemy.engine import Engine

from hotline.knowledge import ivf
from hotline.knowledge.semantic import VectorStore, shutting_down

log = logging.getLogger(__name__)

EXACT_LIMIT = 30_000  # above it, the inverted file (ivf.py)
MAX_VECTORS = 200_000  # 293 MiB of float32 per worker: beyond it, a search server (docs/knowledge.md)
# Texts without a saved vector (articles imported through the web page, say) are encoded in the
# search that finds them up to this many (a new article's few questions: found by meaning at
# once); more are encoded by a background thread, and the index takes them in when it is done.
ENCODE_IN_SEARCH = 32
# Changed articles' questions searched beside the matrix (exhaustively: 0.3 ms at this size)
# before the matrix is rebuilt with them.
DELTA_LIMIT = 5_000
NEAREST = 20  # articles proposed per query
# Below this cosine a question is not related (semantic.Blend.floor): a query about nothing in
# the knowledge base gets no proposals, and search stays empty as it was.
MIN_SIMILARITY = 0.85


@dataclass(frozen=True)
class Delta:
    """The questions of the articles changed since the matrix was built, searched exhaustively
    beside it (a few thousand rows at most: `DELTA_LIMIT`)."""

    pairs: tuple[tuple[int, str], ...]  # (article, question)
    matrix: np.ndarray
    owners: np.ndarray

    @classmethod
    def of(cls, pairs: list[tuple[int, str]], vectors: Mapping[str, np.ndarray], dim: int) -> Delta:
        matrix = np.stack([vectors[q] for _, q in pairs]).astype(np.float32, copy=False) if pairs \
            else np.zeros((0, dim), dtype=np.float32)
        return cls(tuple(pairs), matrix, np.fromiter((aid for aid, _ in pairs), dtype=np.int64, count=len(pairs)))

    def vectors(self) -> dict[str, np.ndarray]:
        return {q: self.matrix[i] for i, (_, q) in enumerate(self.pairs)}


@dataclass(frozen=True)
class Snapshot:
    """The matrix searched, each row's article, and where each question's row is; since the
    matrix was built, the rows of changed articles are `dead` and their questions now are in the
    `delta`."""

    matrix: np.ndarray  # (rows, dim) float32, unit rows; sorted by cluster when `inverted`
    owners: np.ndarray  # (rows,) the article of each row
    rows: dict[str, int]  # question text -> a row holding its vector
    labels: np.ndarray | None = None  # each row's cluster, with `inverted`
    inverted: ivf.InvertedFile | None = None
    generation: int = -1  # the backend's generation whose articles these are
    dead: np.ndarray | None = None  # (rows,) bool: the row's article changed or left since
    dead_rows: int = 0
    delta: Delta | None = None

    def __len__(self) -> int:
        """The rows searched."""
        return len(self.owners) - self.dead_rows + (0 if self.delta is None else len(self.delta.pairs))

    @classmethod
    def of(cls, pairs: list[tuple[int, str]], vectors: dict[str, np.ndarray], previous: Snapshot | None, *,
           dim: int, exact_limit: int, generation: int = -1) -> Snapshot:
        """The (article, question) pairs' rows: a question the previous snapshot's matrix held is
        copied from it (with its cluster), the others come from `vectors`."""
        n = len(pairs)
        known = {} if previous is None else previous.rows
        source = np.fromiter((known.get(q, -1) for _, q in pairs), dtype=np.int64, count=n)  # row in `previous`
        new = np.flatnonzero(source < 0)
        fresh = np.stack([vectors[pairs[i][1]] for i in new.tolist()]).astype(np.float32) if len(new) \
            else np.zeros((0, dim), dtype=np.float32)
        owners = np.fromiter((aid for aid, _ in pairs), dtype=np.int64, count=n)
        clusters, labels, order = None, None, None
        if n > exact_limit and previous is not None and previous.inverted is not None \
                and previous.labels is not None and previous.inverted.clusters.fits(n):
            clusters = previous.inverted.clusters
            labels = np.empty(n, dtype=np.int32)
            old = source >= 0
            labels[old] = previous.labels[source[old]]
            labels[new] = clusters.labels(fresh)
            order = ivf.InvertedFile.sorted_order(labels)
        matrix = _gather(None if previous is None else previous.matrix, source, fresh, new, order, dim)
        if n > exact_limit and clusters is None:  # the first time above the limit, or halved or doubled since
            clusters = ivf.Clusters.of(matrix)
            labels = clusters.labels(matrix)
            order = ivf.InvertedFile.sorted_order(labels)
            matrix = matrix[order]
        texts = [q for _, q in pairs]
        if order is None or labels is None or clusters is None:
            return cls(matrix, owners, dict(zip(texts, range(n), strict=True)), generation=generation)
        labels = labels[order]
        rows = dict(zip(map(texts.__getitem__, order.tolist()), range(n), strict=True))
        return cls(matrix, owners[order], rows, labels, ivf.InvertedFile.of(clusters, labels), generation=generation)

    def dead_with(self, ids: set[int]) -> np.ndarray | None:
        """The matrix's dead rows once the articles `ids` have changed (None: none dead)."""
        hit = np.isin(self.owners, np.fromiter(ids, dtype=np.int64, count=len(ids)))
        if not hit.any():
            return self.dead
        return hit if self.dead is None else self.dead | hit

    def changed(self, ids: set[int], pairs: list[tuple[int, str]], vectors: Mapping[str, np.ndarray],
                generation: int, dead: np.ndarray | None = None) -> Snapshot:
        """This snapshot with the articles `ids` changed: their rows in the matrix dead (`dead`,
        from `dead_with`, if known), their questions now (`pairs`, each with its vector in
        `vectors`) in the delta. The matrix is shared, not copied."""
        if dead is None:
            dead = self.dead_with(ids)
        kept, held = ([], {}) if self.delta is None else \
            ([p for p in self.delta.pairs if p[0] not in ids], self.delta.vectors())
        delta = Delta.of(kept + pairs, {**held, **vectors}, self.matrix.shape[1])
        return replace(self, generation=generation, dead=dead, delta=delta,
                       dead_rows=self.dead_rows if dead is self.dead else int(dead.sum()))

    def scan(self, query_vector: np.ndarray, probes: int) -> tuple[np.ndarray, np.ndarray]:
        """(articles, cosines) of the rows searched: the live rows of the matrix (every one, or
        those of the nearest clusters) and the delta's."""
        if self.inverted is None:
            rows, sims = None, self.matrix @ query_vector
            owners = self.owners
        else:
            rows, sims = self.inverted.scan(self.matrix, query_vector, probes)
            owners = self.owners[rows]
        if self.dead is not None:
            live = ~(self.dead if rows is None else self.dead[rows])
            owners, sims = owners[live], sims[live]
        if self.delta is not None and len(self.delta.pairs):
            owners = np.concatenate([owners, self.delta.owners])
            sims = np.concatenate([sims, self.delta.matrix @ query_vector])
        return owners, sims


def _gather(previous: np.ndarray | None, source: np.ndarray, fresh: np.ndarray, new: np.ndarray,
            order: np.ndarray | None, dim: int) -> np.ndarray:
    """The new matrix in one copy: row k holds pair `order[k]` (pair k without an order), taken
    from the previous matrix (`source`) or from the fresh vectors of the `new` pairs."""
    n = len(source)
    pair_at = np.arange(n) if order is None else order
    src = source[pair_at]
    if previous is None or not len(previous):
        matrix = np.empty((n, dim), dtype=np.float32)
    else:
        matrix = previous.take(np.where(src >= 0, src, 0), axis=0)
    if len(new):
        fresh_of = np.full(n, -1, dtype=np.int64)
        fresh_of[new] = np.arange(len(new))
        at = np.flatnonzero(src < 0)
        matrix[at] = fresh[fresh_of[pair_at[at]]]
    return matrix


class DenseIndex:
    """The questions' vectors of one lexical backend, kept in step with its `generation`."""

    def __init__(self, store: VectorStore, *, max_vectors: int = MAX_VECTORS, exact_limit: int | None = None,
                 probes: int = ivf.PROBES, encode_in_search: int = ENCODE_IN_SEARCH) -> None:
        self.store = store
        self.max_vectors = max_vectors
        self.exact_limit = EXACT_LIMIT if exact_limit is None else exact_limit
        self.probes = probes
        self.encode_in_search = encode_in_search
        self.too_large = False
        self._generation = -1
        self._complete = True
        self._encoding: threading.Thread | None = None  # the background encoder, while it runs
        self._rebuilding: threading.Thread | None = None  # a large base's rebuild, while it runs
        self._failed = -1  # the generation whose background encoding failed: not retried until a change
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return 0 if self._snapshot is None else len(self._snapshot)

    @property
    def available(self) -> bool:
        return self._snapshot is not None

    def _current(self, generation: int) -> bool:
        """Nothing to do: the same articles, and every vector in (or being encoded, or failed)."""
        return generation == self._generation and (self._complete or self._encoding is not None
                                                    or self._failed == generation)

    def sync(self, engine: Engine, backend: object) -> None:
        """Catch up with the backend's articles (no-op when nothing changed since the last look)."""
        generation = getattr(backend, "generation", None)
        documents = getattr(backend, "documents", None)
        if generation is None or documents is None:  # another backend: it does its own vector search
            return
        if self._current(generation):
            return
        if self._rebuilding is not None:  # a large base's rebuild is under way: the last snapshot serves
            return
        with self._lock:
            if self._current(generation) or self._rebuilding is not None:
                return
            if self._take_in_changes(engine, backend, generation):
                return
            large = len(backend) > self.exact_limit  # type: ignore[arg-type]  # articles: questions are more
            if large or (self._snapshot is not None and len(self._snapshot) > self.exact_limit):
                # A large base (its first build: seconds; a rebuild: about 0.3 s at 200,000
                # questions) is rebuilt beside the searches, which keep the last snapshot meanwhile
                # (the lexical index has the change already; before the first build, search goes
                # without the nearest in meaning).
                thread = threading.Thread(target=self._rebuild_beside, args=(engine, backend, generation),
                                          name="kb-dense-rebuild", daemon=True)
                self._rebuilding = thread
                try:
                    thread.start()
                    return
                except RuntimeError:  # no thread to be had: rebuilt here instead
                    self._rebuilding = None
            self._rebuild(engine, backend, generation)

    def _take_in_changes(self, engine: Engine, backend: object, generation: int) -> bool:
        """Take in the articles changed since the snapshot as a delta, in a few milliseconds
        whatever the base's size (a rebuild copies the whole matrix: 0.3 s of mostly Python at
        200,000 questions, during which the searches wait for the interpreter). False when it
        cannot: no snapshot or change log to start from, vectors still to encode in the
        background, or a delta past `DELTA_LIMIT` or half the matrix dead — then the matrix is
        rebuilt with the changes in it."""
        previous, changed_since = self._snapshot, getattr(backend, "changed_since", None)
        if previous is None or changed_since is None or not self._complete or self.too_large:
            return False
        ids = changed_since(previous.generation)
        if ids is None or len(ids) > DELTA_LIMIT:
            return False
        pairs = [(aid, q) for aid, questions in backend.documents(ids).items()  # type: ignore[attr-defined]
                 for q in dict.fromkeys(questions) if q]
        kept = 0 if previous.delta is None else sum(aid not in ids for aid, _ in previous.delta.pairs)
        dead = previous.dead_with(ids)
        if kept + len(pairs) > DELTA_LIMIT or (dead is not None and int(dead.sum()) > len(previous.owners) // 2):
            return False  # (mostly dead rows: a rebuild compacts them)
        held = {} if previous.delta is None else previous.delta.vectors()
        vectors: dict[str, np.ndarray] = {}
        for _, q in pairs:
            row = previous.rows.get(q)
            v = previous.matrix[row] if row is not None else held.get(q)
            if v is not None:
                vectors[q] = v
        texts = list(dict.fromkeys(q for _, q in pairs if q not in vectors))
        if texts:
            vectors.update(self.store.get(engine, texts, encode=False))
            missing = [t for t in texts if t not in vectors]
            if len(missing) > self.encode_in_search:  # the background encoder's work: a rebuild starts it
                return False
            if missing:
                vectors.update(self.store.get(engine, missing))
                if any(t not in vectors for t in missing):
                    return False
        snapshot = previous.changed(ids, pairs, vectors, generation, dead)
        if len(snapshot) > self.max_vectors:  # grown too large: the rebuild sets search by meaning aside
            return False
        self._snapshot, self._generation = snapshot, generation
        return True

    def _rebuild_beside(self, engine: Engine, backend: object, generation: int) -> None:
        try:
            with self._lock:
                self._rebuild(engine, backend, generation)
        except Exception:  # noqa: BLE001  (the last snapshot keeps serving; tried again after the next change)
            log.exception("rebuilding the index of meanings failed")
            self._generation = self._failed = generation
        finally:
            self._rebuilding = None

    def _rebuild(self, engine: Engine, backend: object, generation: int) -> None:
        """The snapshot of the backend's articles now (under the lock)."""
        # Every article has a question: more articles than vectors allowed is too large already
        # (and then a 100,000-article index is not copied into a dict on every change).
        articles = len(backend)  # type: ignore[arg-type]
        pairs = [] if articles > self.max_vectors else [
            (aid, q) for aid, questions in backend.documents().items()  # type: ignore[attr-defined]
            for q in (questions if len(questions) == 1 else dict.fromkeys(questions)) if q]
        if articles > self.max_vectors or len(pairs) > self.max_vectors:
            if not self.too_large:
                log.info("knowledge base larger than %d questions: no search by meaning beyond the "
                         "lexical candidates", self.max_vectors)
            self.too_large, self._snapshot, self._complete = True, None, True
            self._generation = generation
            return
        self.too_large = False
        previous = self._snapshot
        known = {} if previous is None else previous.rows
        held = {} if previous is None or previous.delta is None else previous.delta.vectors()
        texts = list(dict.fromkeys([q for _, q in pairs if q not in known and q not in held]))
        vectors = self.store.get(engine, texts, encode=False)  # only what the last snapshot lacks
        vectors.update(held)
        missing = [t for t in texts if t not in vectors]
        if 0 < len(missing) <= self.encode_in_search:
            vectors.update(self.store.get(engine, missing))
        elif missing and self._encoding is None:
            # In a random order: several worker processes then share the work (each batch
            # first reads what the others have saved) instead of all encoding the same texts.
            random.shuffle(missing)
            encoding = threading.Thread(target=self._encode, args=(engine, missing, generation),
                                        name="kb-dense-encode", daemon=True)
            self._encoding = encoding
            try:
                encoding.start()
            except RuntimeError:  # no thread to be had: the next change tries again
                self._encoding = None
        kept = [(aid, q) for aid, q in pairs if q in known or q in vectors] if missing else pairs
        self._complete = len(kept) == len(pairs)
        dim = self.store.encoder.encode([]).shape[1]
        self._snapshot = Snapshot.of(kept, vectors, previous, dim=dim, exact_limit=self.exact_limit,
                                     generation=generation)
        self._generation = generation

    def _encode(self, engine: Engine, texts: list[str], generation: int) -> None:
        """Encode and save the missing vectors a batch at a time; the next search takes them in."""
        try:
            for i in range(0, len(texts), 32):
                self.store.get(engine, texts[i:i + 32])
        except Exception as exc:  # noqa: BLE001  (retried after the next change to the articles, not at every search)
            if not shutting_down(exc):
                log.exception("encoding the knowledge base's questions failed")
            self._failed = generation
        finally:
            self._encoding = None

    def wait(self, timeout: float | None = None, *, encoder: bool = True) -> None:
        """Until the background rebuild and (with `encoder`) encoder are done (tests, benchmarks,
        the CLI, which waits for the rebuild only: encoding a large base's questions takes long)."""
        for name in ("_rebuilding", "_encoding", "_rebuilding") if encoder else ("_rebuilding",):
            thread = getattr(self, name)
            if thread is not None:
                thread.join(timeout)

    def nearest(self, query_vector: np.ndarray, k: int = NEAREST, *,
                min_similarity: float = MIN_SIMILARITY) -> list[int]:
        """The k articles whose closest question is nearest to the query (and at least
        `min_similarity`), nearest first."""
        snapshot = self._snapshot
        if snapshot is None or not len(snapshot):
            return []
        owners, sims = snapshot.scan(query_vector, self.probes)
        if not len(owners):
            return []
        take = min(len(sims), 4 * k)  # an article's phrasings may fill several of the top rows
        top = np.argpartition(-sims, take - 1)[:take] if take < len(sims) else np.arange(len(sims))
        out: list[int] = []
        for i in top[np.argsort(-sims[top], kind="stable")]:
            if sims[i] < min_similarity:
                break
            aid = int(owners[i])
            if aid not in out:
                out.append(aid)
                if len(out) == k:
                    break
        return out


_dense: weakref.WeakKeyDictionary[object, DenseIndex] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def dense_for(index: object, store: VectorStore) -> DenseIndex:
    """The index of meanings beside a knowledge index (one each, made on first use)."""
    with _registry_lock:
        dense = _dense.get(index)
        if dense is None or dense.store is not store:
            dense = _dense[index] = DenseIndex(store)
        return dense
