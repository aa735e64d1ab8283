"""The inverted file (knowledge/ivf.py): clusters learned from the vectors, a query scanning only
the nearest clusters, and the centres kept while the base stays within half to twice its size."""

from __future__ import annotations

import numpy as np
import pytest

from hotline.knowledge import ivf


def clustered(n: int, centres: int, dim: int = 16, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """n unit vectors around `centres` random directions: (vectors, the direction of each)."""
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((centres, dim))
    truth = rng.integers(0, centres, n)
    x = directions[truth] + 0.15 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), truth


def test_the_clusters_follow_the_groups_in_the_data() -> None:
    x, truth = clustered(2000, 8)
    centres = ivf.learn(x, 8)
    assert centres.shape == (8, 16)
    assert np.allclose(np.linalg.norm(centres, axis=1), 1.0, atol=1e-5)
    labels = ivf.assign(x, centres)
    # Each true group lies (nearly) in one cluster: the clusters are the groups, relabelled.
    purity = sum(np.bincount(labels[truth == g]).max() for g in range(8)) / len(x)
    assert purity > 0.98
    assert np.array_equal(ivf.learn(x, 8), centres)  # deterministic


def test_a_query_scans_its_nearest_clusters_only() -> None:
    x, _ = clustered(3000, 12)
    clusters = ivf.Clusters.of(x)
    assert len(clusters.centres) == ivf.cluster_count(3000) == 109 and clusters.learned_on == 3000
    labels = ivf.assign(x, clusters.centres)
    order = ivf.InvertedFile.sorted_order(labels)
    matrix, labels = x[order], labels[order]
    inverted = ivf.InvertedFile.of(clusters, labels)
    assert inverted.starts[0] == 0 and inverted.starts[-1] == len(x)
    q = matrix[17]
    rows, sims = inverted.scan(matrix, q, probes=4)
    assert 17 in rows.tolist() and len(rows) < len(x) / 4  # the row itself, from a few clusters
    assert np.allclose(sims, matrix[rows] @ q)
    everything, _ = inverted.scan(matrix, q, probes=1000)  # more probes than clusters: all of them
    assert sorted(everything.tolist()) == list(range(len(x)))
    # The exhaustive nearest 10 are nearly all among 8 probed clusters' rows.
    exact = set(np.argsort(-(matrix @ q))[:10].tolist())
    rows, _ = inverted.scan(matrix, q, probes=8)
    assert len(exact & set(rows.tolist())) >= 9


def test_the_centres_are_kept_within_half_to_twice_the_size() -> None:
    clusters = ivf.Clusters(np.eye(2, dtype=np.float32), learned_on=1000)
    assert clusters.fits(500) and clusters.fits(2000) and clusters.fits(1001)
    assert not clusters.fits(499) and not clusters.fits(2001)


def test_fewer_rows_than_clusters_and_an_empty_cluster() -> None:
    x, _ = clustered(5, 2)
    assert len(ivf.learn(x, 50)) == 5  # never more centres than rows
    inverted = ivf.InvertedFile.of(ivf.Clusters(np.eye(16, dtype=np.float32)[:3], 5), np.array([0, 0, 2, 2, 2]))
    assert inverted.starts.tolist() == [0, 2, 2, 5]  # cluster 1 holds nothing
    rows, sims = inverted.scan(x, np.eye(16, dtype=np.float32)[1], probes=1)
    assert len(rows) == len(sims) == 0  # its nearest centre is the empty cluster 1
    rows, _ = inverted.scan(x, np.eye(16, dtype=np.float32)[2], probes=1)
    assert rows.tolist() == [2, 3, 4]


def test_nothing_to_cluster_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no vectors"):
        ivf.Clusters.of(np.zeros((0, 4), dtype=np.float32))
