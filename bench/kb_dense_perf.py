"""Time of one query against the index of meanings (knowledge/dense.py) at its largest size,
and of the rebuild that follows a change to the articles.

dense.EXACT_LIMIT (30,000) random unit vectors of e5's 384 dimensions (the time does not depend on their values) over
10,000 articles; prints p50 / p95 of `DenseIndex.nearest`, the matrix's size, and the time of
`DenseIndex.sync` after a change when every vector is in the process's memory.

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

        def documents(self) -> dict[int, tuple[str, ...]]:
            return docs

        def __len__(self) -> int:
            return len(docs)

    return store, Backend()


def main() -> int:
    from hotline.knowledge import dense

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

    # The rebuild after a change: every question's vector looked up in memory and stacked again.
    docs: dict[int, tuple[str, ...]] = {}
    vectors: dict[str, np.ndarray] = {}
    for row, aid in enumerate(owners.tolist()):
        text = f"问题{aid}-{row}"
        docs[aid] = (*docs.get(aid, ()), text)
        vectors[text] = matrix[row]
    store, backend = in_memory(docs, vectors, 384)
    meanings, syncs = dense.DenseIndex(store), []
    for generation in range(1, 12):
        backend.generation = generation
        t0 = time.perf_counter()
        meanings.sync(None, backend)  # type: ignore[arg-type]  # nothing is read from a database
        syncs.append((time.perf_counter() - t0) * 1000)
    print(f"rebuild after a change ({len(meanings)} vectors in memory): median {np.median(syncs[1:]):.0f} ms, "
          f"max {max(syncs[1:]):.0f} ms (first {syncs[0]:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
