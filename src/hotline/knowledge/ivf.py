"""An inverted file over the questions' vectors: search by meaning for a large knowledge base.

The exhaustive scan in dense.py is one matrix-vector product over every question: 4 ms at 30,000
questions on our 2 cores, about 14 ms at 100,000, beside the 10 ms the query's own embedding takes
(docs/knowledge.md, "Search by meaning above 30,000 questions"). Above `dense.EXACT_LIMIT` the vectors are grouped
into clusters by spherical k-means (about 2·√n of them) and a query scans only the `probes`
clusters whose centres are nearest to it: a few per cent of the rows, for nearly the same
neighbours (bench/kb_ivf_eval.py measures how many of the exhaustive scan's).

The rows are kept sorted by cluster, so that each cluster is one slice of the matrix. The centres
are kept while the base stays within half to twice the size they were learned on (`Clusters.fits`):
a change assigns only its new rows, and the clustering is learned again when the base has moved
further.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse

ITERATIONS = 8
SAMPLE_PER_CLUSTER = 40  # k-means learns from a sample of this many rows per cluster
SEED_PER_CLUSTER = 8
CHUNK = 8192  # rows compared with the centres at a time (bounded memory)
PROBES = 32


def cluster_count(rows: int) -> int:
    return max(1, int(2 * math.sqrt(rows)))


def centred(vectors: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Unit rows after taking away the base's mean: e5's vectors all lie in a narrow cone (of
    20,000 random pairs of citizens' sentences none had a cosine below 0.76; the median was
    0.86), and clusters of the raw vectors were few and uneven."""
    x = np.atleast_2d(vectors) - mean
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def assign(vectors: np.ndarray, centres: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
    """Each row's nearest centre (by cosine, after taking away `mean` when given)."""
    labels = np.empty(len(vectors), dtype=np.int32)
    for i in range(0, len(vectors), CHUNK):
        chunk = vectors[i:i + CHUNK] if mean is None else centred(vectors[i:i + CHUNK], mean)
        labels[i:i + CHUNK] = np.argmax(chunk @ centres.T, axis=1)
    return labels


def seeds(sample: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ starting centres: each next one drawn with probability growing with its squared
    distance to the nearest centre so far, so that no group of rows starts without one (random
    starts left two of eight clear groups sharing a centre in our test). Drawn from at most
    SEED_PER_CLUSTER rows per cluster, to keep the k passes cheap."""
    pool = sample if len(sample) <= k * SEED_PER_CLUSTER else sample[rng.choice(len(sample), k * SEED_PER_CLUSTER,
                                                                               replace=False)]
    chosen = [int(rng.integers(len(pool)))]
    nearest = pool @ pool[chosen[0]]  # cosine to the nearest centre so far
    for _ in range(1, k):
        weight = np.maximum(2.0 - 2.0 * nearest, 0.0)  # squared distance between unit vectors
        total = float(weight.sum())
        pick = int(rng.choice(len(pool), p=weight / total)) if total > 0 else int(rng.integers(len(pool)))
        chosen.append(pick)
        np.maximum(nearest, pool @ pool[pick], out=nearest)
    return pool[chosen].copy()


def learn(vectors: np.ndarray, k: int, *, seed: int = 0) -> np.ndarray:
    """k unit centres by spherical k-means on a sample of the rows (deterministic for a seed)."""
    if not len(vectors):
        raise ValueError("no vectors to cluster")
    rng = np.random.default_rng(seed)
    k = min(k, len(vectors))
    sample_size = min(len(vectors), k * SAMPLE_PER_CLUSTER)
    sample = vectors if sample_size == len(vectors) else vectors[np.sort(rng.choice(len(vectors), sample_size,
                                                                                    replace=False))]
    centres = seeds(sample, k, rng)
    for _ in range(ITERATIONS):
        labels = assign(sample, centres)
        members = sparse.csr_matrix((np.ones(len(sample), dtype=np.float32), (labels, np.arange(len(sample)))),
                                    shape=(k, len(sample)))
        sums = np.asarray(members @ sample)
        norms = np.linalg.norm(sums, axis=1)
        empty = norms == 0
        if empty.any():  # a centre that drew no row starts again from a random row
            sums[empty] = sample[rng.choice(len(sample), int(empty.sum()), replace=False)]
            norms[empty] = 1.0
        centres = (sums / norms[:, None]).astype(np.float32)
    return centres


@dataclass(frozen=True)
class Clusters:
    """The centres (of the centred vectors), the mean taken away, and the base's size then."""

    centres: np.ndarray
    learned_on: int
    mean: np.ndarray | None = None

    def fits(self, rows: int) -> bool:
        """Still good for a base of `rows`: within half to twice the size it was learned on."""
        return self.learned_on / 2 <= rows <= self.learned_on * 2

    def labels(self, vectors: np.ndarray) -> np.ndarray:
        return assign(vectors, self.centres, self.mean)

    def affinity(self, query: np.ndarray) -> np.ndarray:
        """The query's cosine to each centre."""
        return self.centres @ (query if self.mean is None else centred(query, self.mean)[0])

    @classmethod
    def of(cls, vectors: np.ndarray, *, seed: int = 0) -> Clusters:
        """Learned on a sample of the rows (never a centred copy of them all: bounded memory)."""
        if not len(vectors):
            raise ValueError("no vectors to cluster")
        k = cluster_count(len(vectors))
        rng = np.random.default_rng(seed)
        take = min(len(vectors), k * SAMPLE_PER_CLUSTER)
        sample = vectors if take == len(vectors) else vectors[np.sort(rng.choice(len(vectors), take, replace=False))]
        mean = sample.mean(axis=0).astype(np.float32)
        return cls(learn(centred(sample, mean), k, seed=seed), len(vectors), mean)


@dataclass(frozen=True)
class InvertedFile:
    """Row ranges per cluster of a matrix whose rows are sorted by cluster."""

    clusters: Clusters
    starts: np.ndarray  # (k + 1,): cluster c holds rows starts[c]:starts[c + 1]

    @classmethod
    def sorted_order(cls, labels: np.ndarray) -> np.ndarray:
        """The permutation that sorts rows by cluster (stable: the rows' order within a cluster kept)."""
        return np.argsort(labels, kind="stable")

    @classmethod
    def of(cls, clusters: Clusters, sorted_labels: np.ndarray) -> InvertedFile:
        k = len(clusters.centres)
        return cls(clusters, np.searchsorted(sorted_labels, np.arange(k + 1)).astype(np.int64))

    def scan(self, matrix: np.ndarray, query: np.ndarray, probes: int = PROBES) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cosines) of the rows in the `probes` clusters nearest to the query."""
        centres = self.clusters.centres
        probes = min(probes, len(centres))
        near = np.argpartition(-self.clusters.affinity(query), probes - 1)[:probes]
        rows, sims = [], []
        for c in near:
            start, end = int(self.starts[c]), int(self.starts[c + 1])
            if end > start:
                rows.append(np.arange(start, end))
                sims.append(matrix[start:end] @ query)
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return np.concatenate(rows), np.concatenate(sims)
