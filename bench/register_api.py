"""Benchmark (a): ticket registration through the HTTP API on PostgreSQL, beside the raw insert rate.

    .venv/bin/python bench/register_api.py [--requests 3000] [--concurrency 16] [--workers 2] [--repeat 1]
        [--baseline-src DIR] [--raw both|autocommit|transaction]

1. Drops and recreates the database `hotline_bench` (never `test`), migrates it with
   hotline.migrate.upgrade and builds a small org (province, city, district, street; the 12345 centre
   and one department; an operator) through hotline.org.service, with an API token for the operator.
2. Starts `uvicorn hotline.asgi:app --workers W --loop uvloop --http httptools --no-access-log`
   (production settings) in a subprocess, warms it up,
   then sends N POST /api/v1/tickets (a complete complaint, as tests/factories.intake()) from C
   concurrent keep-alive connections (one asyncio loop in this process: the load generator shares
   the machine's cores with the server and PostgreSQL). --client raw (default) is a minimal HTTP/1.1
   client on asyncio streams (~0.2 ms CPU per request); --client httpx uses httpx.AsyncClient
   (~1.8 ms CPU per request, taken from the cores the server needs).
3. Stops the server, then inserts the same rows straight through psycopg with the same concurrency
   (C async connections), in two variants: "autocommit" takes the day's number as the service now does
   on PostgreSQL (one autocommitted upsert of the counter on a second connection), then one
   transaction with the ticket row and its `register` event; "transaction" takes it as the service
   did before, with the counter UPDATE inside that transaction (its row locked until COMMIT). The
   target's ratio is taken against the "autocommit" variant.
4. Prints tickets/s, p50/p95/p99 latency and the ratio API / raw; for each phase the CPU per ticket
   of the server, PostgreSQL (the bench database's backends) and the load generator, the share of
   the machine used by other processes, and how many PostgreSQL sessions waited for a row lock.

--workers and --concurrency take comma-separated lists (e.g. --workers 1,2,3) to sweep; the raw
insert runs once per concurrency level, right after that level's API runs. --repeat N repeats every
run N times, interleaved, and prints medians. --baseline-src DIR also serves another source tree (a
directory holding an older `hotline` package, e.g. `git archive HEAD src | tar -x -C /tmp/base`, then
DIR=/tmp/base/src) against the same database, alternating with this one: old and new code side by
side in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from _common import (  # noqa: E402
    CLIENTS,
    CpuMeter,
    Result,
    Server,
    WaitSampler,
    checkpoint,
    drive,
    fmt_row,
    libpq_url,
    machine,
    make_bench_engine,
    print_machine,
    recreate_database,
)

TARGET_RATE = 300.0
TARGET_P95_MS = 100.0
TARGET_RATIO = 1 / 3


# ---- setup ----------------------------------------------------------------------------------


def setup(db_name: str) -> dict[str, object]:
    from sqlalchemy.orm import Session

    from hotline.migrate import upgrade
    from hotline.org import service as org
    from hotline.org.models import JurisdictionLevel, UnitKind
    from hotline.security.roles import Role

    recreate_database(db_name)
    engine = make_bench_engine(db_name)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as db:
        province = org.add_jurisdiction(db, code="320000", name="江苏省", level=JurisdictionLevel.PROVINCE,
                                        parent=None)
        city = org.add_jurisdiction(db, code="320100", name="南京市", level=JurisdictionLevel.CITY, parent=province)
        xuanwu = org.add_jurisdiction(db, code="320102", name="玄武区", level=JurisdictionLevel.DISTRICT,
                                      parent=city)
        street = org.add_jurisdiction(db, code="320102001", name="孝陵卫街道", level=JurisdictionLevel.STREET,
                                      parent=xuanwu)
        centre = org.add_unit(db, code="center", name="南京市12345热线中心", short_name="12345中心",
                              kind=UnitKind.HOTLINE_CENTER, jurisdiction=city)
        org.add_unit(db, code="fcj", name="南京市住房保障和房产局", short_name="市房产局",
                     kind=UnitKind.DEPARTMENT, jurisdiction=city)
        operator = org.add_user(db, username="operator", password="bench-pass-123", display_name="话务员小王",
                                role=Role.OPERATOR, unit=centre)
        db.commit()
        token = org.issue_token(db, user=operator, now=datetime.now(UTC), name="bench")
        info = {
            "token": token,
            "user_id": operator.id,
            "actor_name": org.actor_for(operator).name,
            "unit_id": centre.id,
            "jurisdiction_id": street.id,
            "jurisdiction_path": street.path,
        }
    engine.dispose()
    return info


def intake(i: int) -> dict[str, object]:
    """tests/factories.intake(), with a different phone and title per request."""
    return {
        "channel": "phone",
        "kind": "complaint",
        "category_code": None,
        "urgency": "normal",
        "requester_name": "张三",
        "requester_phone": f"139{i % 100_000_000:08d}",
        "occurred_desc": "近一周每晚十点后",
        "address": "玄武区孝陵卫街道钟灵街50号",
        "jurisdiction_code": "320102001",
        "title": f"小区楼下餐馆夜间噪音扰民（{i}）",
        "content": "小区楼下餐馆每晚营业到凌晨，排风扇噪音很大，影响休息，请求处理。",
        "circumstances": "多次与店家沟通无果。",
    }


# ---- the API run -------------------------------------------------------------------------------


def run_api(db_name: str, info: dict[str, object], *, workers: int, concurrency: int, requests: int,
            warmup: int, offset: int, client: str, src: str | None = None) -> tuple[Result, CpuMeter, WaitSampler]:
    headers = {"Authorization": f"Bearer {info['token']}", "Content-Type": "application/json"}
    bodies = [json.dumps(intake(offset + i), ensure_ascii=False).encode() for i in range(warmup + requests)]
    with Server(db_name, workers, pythonpath=src) as server:
        warm = drive(server.base_url, headers, lambda i: ("POST", "/api/v1/tickets", bodies[i]), warmup,
                     concurrency, expect=(201,), label="warm-up", client=client)
        if warm.errors:
            raise SystemExit(f"warm-up failed: {warm.first_error}")
        checkpoint(db_name)
        time.sleep(0.5)
        assert server.proc is not None
        with CpuMeter(db_name, server.proc.pid) as meter, WaitSampler(db_name) as waits:
            result = drive(server.base_url, headers, lambda i: ("POST", "/api/v1/tickets", bodies[warmup + i]),
                           requests, concurrency, expect=(201,), label=f"API POST /api/v1/tickets (w={workers})",
                           client=client)
    return result, meter, waits


# ---- the raw psycopg run ---------------------------------------------------------------------

TICKET_SQL = """
INSERT INTO tickets (number, state, channel, kind, category_code, urgency, is_enterprise, is_complex,
    confidential, requester_name, requester_phone, requester_anonymous, requester_org, occurred_at,
    occurred_desc, address, jurisdiction_id, jurisdiction_path, title, content, circumstances, created_at,
    updated_at, registered_by_id, extension_pending, extension_days_used, remind_count, supervise_count,
    reopen_count, return_count)
VALUES (%s, 'registered', %s, %s, %s, %s, false, false, false, %s, %s, false, NULL, NULL, %s, %s, %s, %s,
    %s, %s, %s, %s, %s, %s, false, 0, 0, 0, 0, 0)
RETURNING id
"""
EVENT_SQL = """
INSERT INTO ticket_events (ticket_id, at, action, from_state, to_state, actor_user_id, actor_role, actor_name,
    unit_id, note, data)
VALUES (%s, %s, 'register', NULL, 'registered', %s, 'operator', %s, %s, %s, '{}')
RETURNING id
"""
COUNTER_SQL = "UPDATE ticket_counters SET value = value + 1 WHERE day = %s RETURNING value"
COUNTER_INSERT_SQL = """
INSERT INTO ticket_counters (day, value) VALUES (%s, 1)
ON CONFLICT (day) DO UPDATE SET value = ticket_counters.value + 1 RETURNING value
"""
# How the raw run takes the day's number, as the service does on PostgreSQL ("autocommit": one
# autocommitted upsert on a second connection, then the ticket's transaction) or as it did before
# ("transaction": the counter UPDATE inside the ticket's transaction, its row locked until COMMIT).
NUMBERING = ("autocommit", "transaction")
RAW_LABELS = {"autocommit": "raw psycopg (number autocommit)", "transaction": "raw psycopg (number in tx)"}


async def _raw(db_name: str, info: dict[str, object], n: int, concurrency: int, offset: int, numbering: str,
               meter: CpuMeter | None = None, waits: WaitSampler | None = None) -> Result:
    from hotline.clock import to_local

    conns = [await psycopg.AsyncConnection.connect(libpq_url(db_name)) for _ in range(concurrency)]
    counters = ({c: await psycopg.AsyncConnection.connect(libpq_url(db_name), autocommit=True) for c in conns}
                if numbering == "autocommit" else {})
    latencies: list[float] = []
    next_i = 0

    async def worker(conn: psycopg.AsyncConnection) -> None:
        nonlocal next_i
        while next_i < n:
            i = next_i
            next_i += 1
            d = intake(offset + i)
            t0 = time.perf_counter()
            now = datetime.now(UTC)
            day = to_local(now).strftime("%Y%m%d")
            if numbering == "autocommit":
                cur = await counters[conn].execute(COUNTER_INSERT_SQL, (day,))
                row = await cur.fetchone()
            async with conn.transaction():
                if numbering == "transaction":
                    cur = await conn.execute(COUNTER_SQL, (day,))
                    row = await cur.fetchone()
                    if row is None:
                        cur = await conn.execute(COUNTER_INSERT_SQL, (day,))
                        row = await cur.fetchone()
                number = f"NJ{day}-{row[0]:06d}"  # type: ignore[index]
                cur = await conn.execute(TICKET_SQL, (
                    number, d["channel"], d["kind"], d["category_code"], d["urgency"], d["requester_name"],
                    d["requester_phone"], d["occurred_desc"], d["address"], info["jurisdiction_id"],
                    info["jurisdiction_path"], d["title"], d["content"], d["circumstances"], now, now,
                    info["user_id"]))
                (ticket_id,) = await cur.fetchone()  # type: ignore[misc]
                await conn.execute(EVENT_SQL, (ticket_id, now, info["user_id"], info["actor_name"], info["unit_id"],
                                               d["title"]))
            latencies.append(time.perf_counter() - t0)

    try:
        if meter is not None and waits is not None:
            meter.__enter__()
            waits.__enter__()
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in conns))
        wall = time.perf_counter() - t0
        if meter is not None and waits is not None:
            waits.__exit__(None, None, None)
            meter.__exit__(None, None, None)
    finally:
        for c in [*conns, *counters.values()]:
            await c.close()
    return Result(RAW_LABELS[numbering], latencies, wall)


def run_raw(db_name: str, info: dict[str, object], *, concurrency: int, requests: int, warmup: int,
            offset: int, numbering: str) -> tuple[Result, CpuMeter, WaitSampler]:
    asyncio.run(_raw(db_name, info, warmup, concurrency, offset, numbering))
    checkpoint(db_name)
    time.sleep(0.5)
    meter, waits = CpuMeter(db_name, None), WaitSampler(db_name)
    result = asyncio.run(_raw(db_name, info, requests, concurrency, offset + warmup, numbering, meter, waits))
    return result, meter, waits


def ceiling(meter: CpuMeter, n: int) -> str:
    """Not a measurement: the rate at which the measured CPU per ticket would fill every core."""
    import os

    per = meter.per_request_ms(n)
    total = per["server"] + per["postgres"] + per["client"]
    return (f"CPU per ticket, all parts: {total:.2f} ms -> at most {1000 * (os.cpu_count() or 1) / total:.0f} "
            f"tickets/s if this run had had all {os.cpu_count()} cores to itself (estimate)")


# ---- main ---------------------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per run (default 3000)")
    parser.add_argument("--concurrency", type=_ints, default=[16], help="concurrent clients, e.g. 16 or 8,16,32")
    parser.add_argument("--workers", type=_ints, default=[2], help="uvicorn workers, e.g. 2 or 1,2,3")
    parser.add_argument("--warmup", type=int, default=300, help="unmeasured requests first (default 300)")
    parser.add_argument("--client", choices=CLIENTS, default="raw",
                        help="load generator: a minimal asyncio HTTP/1.1 client (raw, default) or httpx")
    parser.add_argument("--db", default="hotline_bench", help="bench database, dropped and recreated")
    parser.add_argument("--repeat", type=int, default=1,
                        help="repeat every API and raw run this many times, interleaved; medians are printed")
    parser.add_argument("--baseline-src", metavar="DIR",
                        help="also serve another source tree (a directory holding an older `hotline` package, "
                             "e.g. from `git archive`) against the same database, interleaved with this one")
    parser.add_argument("--raw", choices=("both", *NUMBERING), default="both",
                        help="raw insert variants to run (default both; the ratio uses 'autocommit', as the "
                             "service numbers tickets on PostgreSQL)")
    args = parser.parse_args()

    info_m = machine()
    print("machine:")
    print_machine(info_m)
    t0 = time.perf_counter()
    info = setup(args.db)
    print(f"setup: database {args.db} migrated, org and operator token built in {time.perf_counter() - t0:.1f} s")
    print(f"load generator: {args.client} client in this process (sharing the cores with the server and "
          f"PostgreSQL), {args.requests} requests per run, {args.warmup} warm-up requests first\n")

    variants: list[tuple[str, str | None]] = [("API POST /api/v1/tickets", None)]
    if args.baseline_src:
        variants.insert(0, ("API (baseline source)", args.baseline_src))
    numberings = list(NUMBERING) if args.raw == "both" else [args.raw]
    ratio_base = "autocommit" if "autocommit" in numberings else numberings[0]

    widths = [-40, 7, 4, 3, 8, 10, 7, 7, 7, 6, 8, 8, 8]
    header = ["run", "workers", "conc", "rep", "requests", "tickets/s", "p50 ms", "p95 ms", "p99 ms", "errors",
              "/raw-ac", "/raw-tx", "cpu ms"]
    rows: list[list[object]] = []
    offset = 0
    # (label, workers, conc) -> results of every repetition; raw keyed by (numbering, conc)
    api: dict[tuple[str, int, int], list[Result]] = {}
    raws: dict[tuple[str, int], list[Result]] = {}
    # CPU per request of the server processes (API) or of PostgreSQL (raw): less load-dependent than rates.
    cpu: dict[int, float] = {}
    for conc in args.concurrency:
        for rep in range(args.repeat):
            # Alternate the order of the source trees between repetitions: neither always runs first.
            order = variants if rep % 2 == 0 else variants[::-1]
            for w in args.workers:
                for label, src in order:
                    r, meter, waits = run_api(args.db, info, workers=w, concurrency=conc, requests=args.requests,
                                              warmup=args.warmup, offset=offset, client=args.client, src=src)
                    offset += args.warmup + args.requests
                    api.setdefault((label, w, conc), []).append(r)
                    cpu[id(r)] = meter.per_request_ms(r.count)["server"]
                    print(f"  {label} w={w} c={conc} rep {rep + 1}: {r.rate:.0f} tickets/s, p50 {r.pct(50):.1f} ms, "
                          f"p95 {r.pct(95):.1f} ms, errors {r.errors} {r.first_error}\n       "
                          f"{meter.summary(r.count)}\n       {waits.summary()}\n       {ceiling(meter, r.count)}",
                          flush=True)
            for numbering in numberings:
                raw, meter, waits = run_raw(args.db, info, concurrency=conc, requests=args.requests,
                                            warmup=args.warmup, offset=offset, numbering=numbering)
                offset += args.warmup + args.requests
                raws.setdefault((numbering, conc), []).append(raw)
                cpu[id(raw)] = meter.per_request_ms(raw.count)["postgres"]
                print(f"  {raw.label} c={conc} rep {rep + 1}: {raw.rate:.0f} tickets/s, p50 {raw.pct(50):.1f} ms, "
                      f"p95 {raw.pct(95):.1f} ms\n       {meter.summary(raw.count)}\n       {waits.summary()}",
                      flush=True)

    def ratio(r: Result, numbering: str, conc: int, rep: int) -> str:
        found = raws.get((numbering, conc))
        return f"{r.rate / found[rep].rate:.2f}" if found else "-"

    def med(values: list[float]) -> float:
        return statistics.median(values)

    verdicts: list[str] = []
    for conc in args.concurrency:
        for rep in range(args.repeat):
            for w in args.workers:
                for label, _src in variants:
                    r = api[(label, w, conc)][rep]
                    rows.append([label, w, conc, rep + 1, r.count, r.rate, r.pct(50), r.pct(95), r.pct(99), r.errors,
                                 ratio(r, "autocommit", conc, rep), ratio(r, "transaction", conc, rep), cpu[id(r)]])
            for numbering in numberings:
                raw = raws[(numbering, conc)][rep]
                rows.append([raw.label, "-", conc, rep + 1, raw.count, raw.rate, raw.pct(50), raw.pct(95),
                             raw.pct(99), 0, "", "", cpu[id(raw)]])
        if args.repeat > 1:
            for w in args.workers:
                for label, _src in variants:
                    rs = api[(label, w, conc)]
                    rows.append([f"median: {label}", w, conc, "-", sum(r.count for r in rs), med([r.rate for r in rs]),
                                 med([r.pct(50) for r in rs]), med([r.pct(95) for r in rs]),
                                 med([r.pct(99) for r in rs]), sum(r.errors for r in rs),
                                 *(f"{med([r.rate / x.rate for r, x in zip(rs, raws[(n, conc)], strict=True)]):.2f}"
                                   if (n, conc) in raws else "-" for n in NUMBERING),
                                 med([cpu[id(r)] for r in rs])])
            for numbering in numberings:
                xs = raws[(numbering, conc)]
                rows.append([f"median: {RAW_LABELS[numbering]}", "-", conc, "-", sum(x.count for x in xs),
                             med([x.rate for x in xs]), med([x.pct(50) for x in xs]), med([x.pct(95) for x in xs]),
                             med([x.pct(99) for x in xs]), 0, "", "", med([cpu[id(x)] for x in xs])])
        for w in args.workers:
            rs = api[(variants[-1][0], w, conc)]
            rate, p95 = med([r.rate for r in rs]), med([r.pct(95) for r in rs])
            rat = med([r.rate / x.rate for r, x in zip(rs, raws[(ratio_base, conc)], strict=True)])
            errors = sum(r.errors for r in rs)
            ok = rate >= TARGET_RATE and p95 < TARGET_P95_MS and rat >= TARGET_RATIO and not errors
            verdicts.append(
                f"workers={w} concurrency={conc} (median of {len(rs)}): {rate:.0f}/s (>= {TARGET_RATE:.0f}: "
                f"{'yes' if rate >= TARGET_RATE else 'NO'}), p95 {p95:.1f} ms (< {TARGET_P95_MS:.0f}: "
                f"{'yes' if p95 < TARGET_P95_MS else 'NO'}), API/raw ({ratio_base}) {rat:.3f} (>= 0.333: "
                f"{'yes' if rat >= TARGET_RATIO else 'NO'}) -> {'MET' if ok else 'NOT MET'}")

    with psycopg.connect(libpq_url(args.db)) as conn:
        total = conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM ticket_events").fetchone()[0]
    print()
    print(fmt_row(header, widths))
    for row in rows:
        print(fmt_row(row, widths))
    print(f"\n(tickets in {args.db} afterwards: {total}, events: {events}; /raw-ac and /raw-tx = API tickets/s / "
          "raw tickets/s of the same repetition and concurrency, number autocommitted / in the transaction; "
          "cpu ms = CPU per request of the server processes (API rows) or of PostgreSQL (raw rows))")
    print("targets (>= 300 tickets/s, p95 < 100 ms, API >= 1/3 of raw):")
    for v in verdicts:
        print("  " + v)


if __name__ == "__main__":
    main()
