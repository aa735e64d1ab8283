"""Benchmark: reading the data-sharing feed (hotline.sharing.feed) over a large history, on PostgreSQL.

    .venv/bin/python bench/sharing_feed.py [--tickets 100000] [--limit 500]

Loads --tickets dispatched tickets with their register and dispatch events (and a return and its
refusal on 1 %: about 2.02 events a ticket) into the database `hotline_bench_sharing` (never `test`),
with bench/supervision_scan.py's loader (40 units; one ticket in five has an assisting unit). Then, in
one run:
1. a whole-city reader takes the whole history from cursor 0 in pages of --limit;
2. a one-unit reader (a department: about 1/40 of the tickets as lead, more as assisting unit) does the same;
3. both poll at the head (nothing new) 50 times: the cost of a reader that is up to date.
Prints events per second, pages and per-page latency (p50 / p95).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import percentile  # noqa: E402
from bench.supervision_scan import NOW, fresh_database  # noqa: E402

from hotline.clock import FixedClock  # noqa: E402
from hotline.config import Settings  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.security.actor import Actor  # noqa: E402
from hotline.security.roles import DataScope, Role  # noqa: E402
from hotline.sharing import feed  # noqa: E402

DB = "hotline_bench_sharing"


def read_all(sf, rt, actor: Actor, limit: int) -> tuple[int, int, list[float], float, int]:  # type: ignore[no-untyped-def]
    """Read from 0 to the head: (events, tickets sent, page seconds, total seconds, cursor at the end)."""
    after, events, tickets, pages = 0, 0, 0, []
    t_all = time.perf_counter()
    while True:
        with sf() as db:
            t0 = time.perf_counter()
            page = feed.read(db, rt, actor=actor, after=after, limit=limit)
            pages.append(time.perf_counter() - t0)
        events += len(page.events)
        tickets += len(page.tickets)
        after = page.next_after
        if not page.has_more:
            return events, tickets, pages, time.perf_counter() - t_all, after


def poll(sf, rt, actor: Actor, after: int, n: int = 50) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        with sf() as db:
            t0 = time.perf_counter()
            page = feed.read(db, rt, actor=actor, after=after, limit=100)
            out.append(time.perf_counter() - t0)
            assert not page.events
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--limit", type=int, default=500)
    args = ap.parse_args()
    engine, sf, units, seconds = fresh_database(DB, args.tickets, 0.1, 0.1)
    print(f"data: {args.tickets} tickets, {len(units)} units; loaded in {seconds:.1f} s")
    after_all = FixedClock(NOW + timedelta(days=60))  # the loader dates some dispatches weeks after NOW
    rt = Runtime.from_settings(Settings(environment="production", secret_key="x" * 40,
                                        database_url=str(engine.url)), after_all)
    readers = {
        "whole city": Actor(role=Role.DATA_SHARING, name="市大数据局", username="bench-city", data_scope=DataScope.ALL),
        "one unit": Actor(role=Role.DATA_SHARING, name="单位00", username="bench-unit", unit_id=units[0],
                          data_scope=DataScope.OWN_UNIT),
    }
    print(f"reading the whole history in pages of {args.limit}:")
    for label, actor in readers.items():
        events, tickets, pages, total, head = read_all(sf, rt, actor, args.limit)
        pages.sort()
        print(f"  {label:<10} {events:>7} events, {tickets:>7} ticket views, {len(pages):>4} pages in {total:6.1f} s"
              f" = {events / total:7.0f} events/s; per page p50 {percentile(pages, 50) * 1000:6.1f} ms,"
              f" p95 {percentile(pages, 95) * 1000:6.1f} ms")
        polls = poll(sf, rt, actor, head)
        print(f"  {'':<10} polling at the head (nothing new), 50 polls: p50 {percentile(polls, 50) * 1000:.1f} ms,"
              f" p95 {percentile(polls, 95) * 1000:.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
