"""Time of one query against the index of meanings (knowledge/dense.py) at its largest size,
and of the rebuild that follows a change to the articles.

dense.EXACT_LIMIT (30,000) random unit vectors of e5's 384 dimensions (the time does not depend on their values) over
10,000 articles; prints p50 / p95 of `DenseIndex.nearest` (exhaustive), the matrix's size, and
the time of `DenseIndex.sync` after one article changes when every vector is in the process's
memory: the matrix rebuilt, and the change taken in as a delta (as `MemoryIndex` allows). Above
30,000 questions the rebuild runs on a thread and is timed until it is in.

    .venv/bin/python bench/kb_dense_perf.py [--questions 30000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def in_memory(docs: dict[int, tuple[str, ...]], vectors: dict[str, np.ndarray], dim: int):  # type: ignore[no-untyped-def]
    """(store, backend) for `DenseIndex.sync` with nothing read from a database or encoded: a
    vector store holding every question's vector, and a backend listing the articles' questions
    (`docs`, read at each sync: change it and bump `backend.generation`)."""
    from hotline.knowledge import semantic

    class NoEncoder:  # every vector is known: nothing is encoded
        name = "bench"

        def encode(self, texts: list[str]) -> np.ndarray:
            return np.zeros((len(texts), dim), dtype=np.float32)

    store = semantic.VectorStore(NoEncoder(), capacity=len(vectors) + 100)  # type: ignore[arg-type]
    for text, v in vectors.items():
        store._memory[semantic.digest(text)] = v

    class Backend:
        generation = 0
        log: list[tuple[int, set[int]]] | None = None  # set it to say which articles changed (the delta)

        def documents(self, ids: list[int] | None = None) -> dict[int, tuple[str, ...]]:
            return docs if ids is None else {aid: docs[aid] for aid in ids if aid in docs}

        def changed(self, ids: set[int]) -> None:
            self.generation += 1
            if self.log is not None:
                self.log.append((self.generation, ids))

        def changed_since(self, generation: int) -> set[int] | None:
            return None if self.log is None else {a for g, ids in self.log if g > generation for a in ids}

        def __len__(self) -> int:
            return len(docs)

    return store, Backend()


def main() -> int:
    from hotline.knowledge import dense, semantic

    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=dense.EXACT_LIMIT)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((args.questions, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    owners = np.arange(args.questions, dtype=np.int64) // 3
    index = dense.DenseIndex(store=None)  # type: ignore[arg-type]  # filled directly: no encoder needed
    index._snapshot = dense.Snapshot(matrix, owners, {})
    times = []
    for i in range(300):
        q = matrix[i] * 0.9 + rng.standard_normal(384).astype(np.float32) * 0.02
        q /= np.linalg.norm(q)
        t0 = time.perf_counter()
        index.nearest(q)
        times.append((time.perf_counter() - t0) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    print(f"{args.questions} questions ({matrix.nbytes / 2**20:.0f} MiB): nearest p50 {p50:.2f} ms, p95 {p95:.2f} ms")

    # After a change, every vector in memory: the matrix rebuilt (a backend that cannot say what
    # changed), and the change taken in as a delta (MemoryIndex says which articles changed).
    docs: dict[int, tuple[str, ...]] = {}
    vectors: dict[str, np.ndarray] = {}
    for row, aid in enumerate(owners.tolist()):
        text = f"问题{aid}-{row}"
        docs[aid] = (*docs.get(aid, ()), text)
        vectors[text] = matrix[row]
    store, backend = in_memory(docs, vectors, 384)
    for label, log in (("rebuild", None), ("delta", [])):
        backend.log = log
        meanings, syncs = dense.DenseIndex(store), []
        for step in range(12):
            if step:  # one article's first question reworded (its vector: another row's)
                aid = step * 7
                text = f"修订{step}-{aid}"
                store._memory[semantic.digest(text)] = matrix[step]
                docs[aid] = (text, *docs[aid][1:])
            backend.changed({step * 7})
            t0 = time.perf_counter()
            meanings.sync(None, backend)  # type: ignore[arg-type]  # nothing is read from a database
            meanings.wait()  # above the exact limit a rebuild runs beside the searches: until it is in
            syncs.append((time.perf_counter() - t0) * 1000)
        print(f"after a change, {label} ({len(meanings)} vectors in memory): median {np.median(syncs[1:]):.1f} ms, "
              f"max {max(syncs[1:]):.1f} ms (first build {syncs[0]:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
