"""Benchmark: call events ingested over HTTP on PostgreSQL, beside a raw insert of the same events.

    .venv/bin/python bench/call_events.py [--days 7] [--calls-per-day 3000] [--batch 500]
                                          [--concurrency 4] [--workers 2]

1. Drops and recreates the database `hotline_bench_calls` (never `test`), migrates it, creates the
   telephony adapter's machine account and its token.
2. Generates the event stream with hotline.calls.simulate (the same generator as `hotline calls
   simulate`): N days × M calls per day, about 4 events per call; batches are JSON-encoded up front.
3. Starts `uvicorn hotline.asgi:app --workers W`, warms it up with a separate small stream, then posts
   every batch to POST /api/calls/events from C concurrent connections and measures events/s
   (each batch: validation, call upsert and row locks, ON CONFLICT insert of the events, re-derivation
   of every touched call, one commit). Checks that every event was accepted once.
4. Stops the server, empties the tables, and inserts the same events straight into `call_events`
   with psycopg (one executemany and one commit per batch, same concurrency): the raw baseline.
Prints both rates and their ratio. Target: ≥ 2,000 events/s over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from _common import (  # noqa: E402
    CpuMeter,
    Server,
    checkpoint,
    libpq_url,
    machine,
    make_bench_engine,
    print_machine,
    recreate_database,
)

DB = "hotline_bench_calls"
TARGET = 2000.0


def setup() -> str:
    from hotline.db import make_session_factory
    from hotline.migrate import upgrade
    from hotline.org import service as org
    from hotline.security.roles import DataScope, Role

    recreate_database(DB)
    engine = make_bench_engine(DB)
    upgrade(engine)
    db = make_session_factory(engine)()
    try:
        user = org.add_user(db, username="pbx", password="bench-machine-pass", display_name="话务平台",
                            role=Role.TELEPHONY, data_scope=DataScope.OWN_UNIT)
        db.commit()
        return org.issue_token(db, user=user, now=datetime.now(UTC))
    finally:
        db.close()
        engine.dispose()


def stream(days: int, per_day: int, prefix: str, seed: int) -> list[dict]:  # type: ignore[type-arg]
    from hotline.calls.simulate import Options, generate

    start = datetime.now(UTC).date().toordinal() - days - 1
    from datetime import date

    return generate(Options(days=days, calls_per_day=per_day, seed=seed, start=date.fromordinal(start),
                            prefix=prefix))


async def post_all(base: str, token: str, bodies: list[bytes], concurrency: int) -> tuple[float, dict[str, int]]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0, "http_errors": 0}
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
            while not queue.empty():
                body = queue.get_nowait()
                r = await http.post("/api/calls/events", content=body)
                if r.status_code not in (200, 422):
                    totals["http_errors"] += 1
                    continue
                out = r.json()
                for k in ("accepted", "duplicates", "rejected"):
                    totals[k] += out[k]

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, totals


def raw_rows(events: list[dict]) -> list[tuple]:  # type: ignore[type-arg]
    now = datetime.now(UTC)
    return [(e["call_id"], e["event_id"], e["sequence"], e["type"], datetime.fromisoformat(e["at"]), now,
             e.get("caller"), e.get("dialled"), e.get("queue"), e.get("seat"), e.get("operator"),
             e.get("recording_ref"), e.get("target"), bool(e.get("three_way")), "applied", json.dumps(e))
            for e in events]


async def raw_insert(batches: list[list[tuple]], concurrency: int) -> float:  # type: ignore[type-arg]
    sql = ("INSERT INTO call_events (call_ref, event_id, sequence, type, at, received_at, caller, dialled, queue, "
           "seat, operator, recording_ref, target, three_way, status, payload) "
           "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING")
    queue: asyncio.Queue[list[tuple]] = asyncio.Queue()  # type: ignore[type-arg]
    for b in batches:
        queue.put_nowait(b)

    async def worker() -> None:
        async with await psycopg.AsyncConnection.connect(libpq_url(DB)) as conn:
            while not queue.empty():
                rows = queue.get_nowait()
                async with conn.cursor() as cur:
                    await cur.executemany(sql, rows)
                await conn.commit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--calls-per-day", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    info = machine()
    print("machine (2-core shared VM):")
    print_machine(info)
    token = setup()
    events = stream(args.days, args.calls_per_day, "bench", 7)
    warm = stream(1, 300, "warm", 8)
    chunks = [events[i:i + args.batch] for i in range(0, len(events), args.batch)]
    bodies = [json.dumps(c).encode() for c in chunks]
    calls = len({e["call_id"] for e in events})
    print(f"\nstream: {calls} calls, {len(events)} events, {len(bodies)} batches of ≤{args.batch}; "
          f"{args.workers} uvicorn workers, {args.concurrency} concurrent clients")

    with Server(db=DB, workers=args.workers) as server:
        asyncio.run(post_all(server.base_url, token, [json.dumps(warm[i:i + args.batch]).encode()
                                                      for i in range(0, len(warm), args.batch)], args.concurrency))
        checkpoint(DB)
        with CpuMeter(DB, server.proc.pid if server.proc else None) as api_cpu:
            wall, totals = asyncio.run(post_all(server.base_url, token, bodies, args.concurrency))
    api_rate = len(events) / wall
    ok = totals["accepted"] == len(events) and not totals["http_errors"] and not totals["rejected"]
    print(f"API    {len(events)} events in {wall:.1f} s = {api_rate:,.0f} events/s "
          f"(accepted {totals['accepted']}, duplicates {totals['duplicates']}, rejected {totals['rejected']}, "
          f"HTTP errors {totals['http_errors']}) {'OK' if ok else 'MISMATCH'}")

    with psycopg.connect(libpq_url(DB), autocommit=True) as conn:
        conn.execute("TRUNCATE call_transfers, call_events, calls")
    checkpoint(DB)
    rows = raw_rows(events)
    raw_wall = asyncio.run(raw_insert([rows[i:i + args.batch] for i in range(0, len(rows), args.batch)],
                                      args.concurrency))
    raw_rate = len(rows) / raw_wall
    print(f"raw    {len(rows)} events in {raw_wall:.1f} s = {raw_rate:,.0f} events/s "
          "(psycopg executemany into call_events, no calls, no projection)")
    print(f"ratio  API / raw = {api_rate / raw_rate:.2f}")
    # CPU per 1,000 events is what the machine's other load distorts least. Its inverse is a CPU-bound
    # ceiling for two dedicated cores (it leaves out waits for commits and row locks).
    per = {k: api_cpu.used[k] / len(events) * 1000 for k in ("server", "postgres", "client")}
    ncpu = os.cpu_count() or 1
    print(f"CPU    API: per 1,000 events server {per['server']:.2f} s, postgres {per['postgres']:.2f} s, "
          f"load generator {per['client']:.2f} s (CPU-bound ceiling on {ncpu} cores ≈ "
          f"{ncpu * 1000 / (per['server'] + per['postgres']):,.0f} events/s); machine busy "
          f"{api_cpu.used['busy'] / api_cpu.wall / ncpu:.0%}, of which other processes "
          f"{api_cpu.used['others'] / api_cpu.wall / ncpu:.0%}")
    print(f"target ≥ {TARGET:,.0f} events/s over HTTP: {'met' if api_rate >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
