"""The index of meanings: every published question's vector, searched by cosine.

The lexical index finds articles that share words with the query; a caller who says 钱没回到卡上
for 退款未到账 shares almost none. This index proposes the articles whose questions are nearest in
meaning, whatever their words; the search then scores them beside the lexical top ones (with the
same filters) and the ranker in semantic.py orders the union. On our fresh validation queries the
union lifts recall@5 by about three points (docs/knowledge.md).

It is one float32 matrix searched exhaustively (one matrix-vector product: p50 0.3 ms for 10,000
questions, 4.2 ms for 30,000 on our 2-core machine, bench/kb_dense_perf.py), rebuilt from the
vectors in memory after each change (about 40 ms for 10,000 questions, 180 ms for 30,000). Above
`MAX_VECTORS` questions it stands aside and search keeps to the lexical candidates: a knowledge
base that large belongs on a search engine server with its own vector search (docs/knowledge.md).
"""

from __future__ import annotations

import logging
import random
import threading
import weakref

import numpy as np
from sqlalchemy.engine import Engine

from hotline.knowledge.semantic import VectorStore

log = logging.getLogger(__name__)

MAX_VECTORS = 30_000
# Texts without a saved vector (articles imported through the web page, say) are encoded in the
# search that finds them up to this many (a new article's few questions: found by meaning at
# once); more are encoded by a background thread, and the index takes them in when it is done.
ENCODE_IN_SEARCH = 32
NEAREST = 20  # articles proposed per query
# Below this cosine a question is not related (semantic.Blend.floor): a query about nothing in
# the knowledge base gets no proposals, and search stays empty as it was.
MIN_SIMILARITY = 0.85


class DenseIndex:
    """The questions' vectors of one lexical backend, kept in step with its `generation`."""

    def __init__(self, store: VectorStore, *, max_vectors: int = MAX_VECTORS,
                 encode_in_search: int = ENCODE_IN_SEARCH) -> None:
        self.store = store
        self.max_vectors = max_vectors
        self.encode_in_search = encode_in_search
        self.too_large = False
        self._generation = -1
        self._complete = True
        self._encoding: threading.Thread | None = None  # the background encoder, while it runs
        self._failed = -1  # the generation whose background encoding failed: not retried until a change
        self._snapshot: tuple[np.ndarray, np.ndarray] | None = None  # (vectors, owning article ids)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return 0 if self._snapshot is None else len(self._snapshot[1])

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
        with self._lock:
            if self._current(generation):
                return
            # Every article has a question: more articles than vectors allowed is too large already
            # (and then a 100,000-article index is not copied into a dict on every change).
            articles = len(backend)  # type: ignore[arg-type]
            pairs = [] if articles > self.max_vectors else [
                (aid, q) for aid, questions in documents().items() for q in dict.fromkeys(questions) if q]
            if articles > self.max_vectors or len(pairs) > self.max_vectors:
                if not self.too_large:
                    log.info("knowledge base larger than %d questions: no search by meaning beyond the "
                             "lexical candidates", self.max_vectors)
                self.too_large, self._snapshot, self._complete = True, None, True
                self._generation = generation
                return
            self.too_large = False
            texts = list(dict.fromkeys(q for _, q in pairs))
            vectors = self.store.get(engine, texts, encode=False)
            missing = [t for t in texts if t not in vectors]
            if 0 < len(missing) <= self.encode_in_search:
                vectors.update(self.store.get(engine, missing))
            elif missing and self._encoding is None:
                # In a random order: several worker processes then share the work (each batch
                # first reads what the others have saved) instead of all encoding the same texts.
                random.shuffle(missing)
                self._encoding = threading.Thread(target=self._encode, args=(engine, missing, generation),
                                                  name="kb-dense-encode", daemon=True)
                self._encoding.start()
            kept = [(aid, q) for aid, q in pairs if q in vectors]
            self._complete = len(kept) == len(pairs)
            dim = self.store.encoder.encode([]).shape[1]
            matrix = np.stack([vectors[q] for _, q in kept]).astype(np.float32) if kept \
                else np.zeros((0, dim), dtype=np.float32)
            owners = np.fromiter((aid for aid, _ in kept), dtype=np.int64, count=len(kept))
            self._snapshot = (matrix, owners)
            self._generation = generation

    def _encode(self, engine: Engine, texts: list[str], generation: int) -> None:
        """Encode and save the missing vectors a batch at a time; the next search takes them in."""
        try:
            for i in range(0, len(texts), 32):
                self.store.get(engine, texts[i:i + 32])
        except Exception:  # noqa: BLE001  (retried after the next change to the articles, not at every search)
            log.exception("encoding the knowledge base's questions failed")
            self._failed = generation
        finally:
            self._encoding = None

    def wait(self, timeout: float | None = None) -> None:
        """Until the background encoder is done (tests, benchmarks)."""
        thread = self._encoding
        if thread is not None:
            thread.join(timeout)

    def nearest(self, query_vector: np.ndarray, k: int = NEAREST, *,
                min_similarity: float = MIN_SIMILARITY) -> list[int]:
        """The k articles whose closest question is nearest to the query (and at least
        `min_similarity`), nearest first."""
        snapshot = self._snapshot
        if snapshot is None or not len(snapshot[1]):
            return []
        matrix, owners = snapshot
        sims = matrix @ query_vector
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
