"""Time of one query against the index of meanings (knowledge/dense.py) at its largest size.

30,000 random unit vectors of e5's 384 dimensions (the time does not depend on their values) over
10,000 articles; prints p50 / p95 of `DenseIndex.nearest` and the matrix's size.

    .venv/bin/python bench/kb_dense_perf.py [--questions 30000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> int:
    from hotline.knowledge import dense

    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=dense.MAX_VECTORS)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((args.questions, 384)).astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    owners = np.arange(args.questions, dtype=np.int64) // 3
    index = dense.DenseIndex(store=None)  # type: ignore[arg-type]  # filled directly: no encoder needed
    index._snapshot = (matrix, owners)
    times = []
    for i in range(300):
        q = matrix[i] * 0.9 + rng.standard_normal(384).astype(np.float32) * 0.02
        q /= np.linalg.norm(q)
        t0 = time.perf_counter()
        index.nearest(q)
        times.append((time.perf_counter() - t0) * 1000)
    p50, p95 = np.percentile(times, [50, 95])
    print(f"{args.questions} questions ({matrix.nbytes / 2**20:.0f} MiB): nearest p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
