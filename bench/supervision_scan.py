"""Benchmark: one supervision scheduler pass over many open tickets on PostgreSQL.

    .venv/bin/python bench/supervision_scan.py [--tickets 100000] [--about-to-expire 0.1] [--overdue 0.1]

1. Database `hotline_bench_supervision` (never `test`): dropped, recreated, migrated; a small org
   (one city, 40 units) through hotline.org.service.
2. Bulk load (SQLAlchemy Core, executemany): --tickets running tickets dispatched to the units with
   the real time-limit policy (15 working days for complaints, 2 for consultations …) and their
   warn_at, so that at the measured instant ("now", a fixed clock: Mon 16 Nov 2026 10:00 Nanjing time)
   the chosen fractions are about to expire or overdue and the rest on time; one lead assignment per
   ticket, one assisting unit on every fifth ticket; register and dispatch events for every ticket,
   and a refused return on 1 % of them (for the detection job). Then VACUUM ANALYZE.
3. Measures run_pass (all five jobs) three times: the cold pass (creates the reminders, orders and
   findings), the steady pass a minute later (nothing new: the cost of a scheduler tick), and a pass
   three working days later (every order escalates, new reminders and orders).
Prints wall time per pass, per job counts and rows per second.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, make_bench_engine, print_machine, recreate_database  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from hotline.clock import CHINA_TZ, FixedClock, end_of_local_day  # noqa: E402
from hotline.config import Settings  # noqa: E402
from hotline.db import make_session_factory  # noqa: E402
from hotline.migrate import upgrade  # noqa: E402
from hotline.org import service as org_service  # noqa: E402
from hotline.org.models import JurisdictionLevel, UnitKind  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.supervision.jobs import run_pass  # noqa: E402
from hotline.tickets.deadlines import Limit, warn_at  # noqa: E402
from hotline.tickets.models import Ticket, TicketAssignment, TicketEvent  # noqa: E402

DB = "hotline_bench_supervision"
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=CHINA_TZ)
CHUNK = 5000


def build_org(sf) -> list[int]:  # type: ignore[no-untyped-def]
    with sf() as db:
        province = org_service.add_jurisdiction(db, code="320000", name="江苏省", level=JurisdictionLevel.PROVINCE,
                                                parent=None)
        city = org_service.add_jurisdiction(db, code="320100", name="南京市", level=JurisdictionLevel.CITY,
                                            parent=province)
        units = [org_service.add_unit(db, code=f"u{i:02d}", name=f"测试单位{i:02d}", short_name=f"单位{i:02d}",
                                      kind=UnitKind.DEPARTMENT, jurisdiction=city) for i in range(40)]
        db.commit()
        return [u.id for u in units]


def load(engine, unit_ids: list[int], n: int, p_warn: float, p_overdue: float, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    limits = [("complaint", Limit(value=15, unit="working_days")),
              ("consultation", Limit(value=2, unit="working_days")), ("help", Limit(value=10, unit="working_days"))]
    today = NOW.date()
    tickets, assignments, events = [], [], []
    aid = eid = 0
    for tid in range(1, n + 1):
        kind, limit = rng.choice(limits)
        r = rng.random()
        # Deadlines end a local day, as the policy's do: overdue (ended 1-5 days ago), about to expire
        # (ends tonight: its 24-hour warning has begun), or on time (ends in 2-25 days).
        offset = (-rng.randint(1, 5) if r < p_overdue else 0 if r < p_overdue + p_warn else rng.randint(2, 25))
        due = end_of_local_day(today + timedelta(days=offset))
        dispatched = due - timedelta(days=limit.value * 1.4, hours=rng.uniform(1, 12))
        unit = rng.choice(unit_ids)
        state = "handling" if rng.random() < 0.7 else "dispatched"
        tickets.append(dict(
            id=tid, number=f"BJ{tid:09d}", state=state, channel="phone", kind=kind, urgency="normal",
            is_enterprise=False, is_complex=False, confidential=False, requester_anonymous=False,
            title="小区噪音扰民", content="夜间施工噪音扰民，请处理。", created_at=dispatched, updated_at=dispatched,
            lead_unit_id=unit, dispatched_at=dispatched, due_at=due,
            warn_at=warn_at(started_at=dispatched, due_at=due, warn_before_hours=24), time_limit_label=limit.label,
            extension_pending=False, extension_days_used=0, remind_count=0, supervise_count=0, reopen_count=0,
            return_count=0))
        status = "acknowledged" if state == "handling" else "pending"
        aid += 1
        assignments.append(dict(id=aid, ticket_id=tid, unit_id=unit, role="lead", status=status, is_open=True,
                                round=1, dispatched_at=dispatched, due_at=due))
        if tid % 5 == 0:
            aid += 1
            assignments.append(dict(id=aid, ticket_id=tid, unit_id=rng.choice(unit_ids), role="assisting",
                                    status="pending", is_open=True, round=1, dispatched_at=dispatched, due_at=due))
        actions = [("register", None, "registered", None), ("dispatch", "registered", "dispatched", unit)]
        if tid % 100 == 0:
            actions += [("return", "handling", "return_review", unit),
                        ("refuse_return", "return_review", "handling", unit)]
        for action, before, after, u in actions:
            eid += 1
            events.append(dict(id=eid, ticket_id=tid, at=dispatched, action=action, from_state=before, to_state=after,
                               actor_role="dispatcher", actor_name="派单员", unit_id=u, note=None, data={}))
    with engine.begin() as conn:
        for table, rows in ((Ticket.__table__, tickets), (TicketAssignment.__table__, assignments),
                            (TicketEvent.__table__, events)):
            for i in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[i:i + CHUNK])
        for table in ("tickets", "ticket_assignments", "ticket_events"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def fresh_database(name: str, tickets: int, p_warn: float, p_overdue: float):  # type: ignore[no-untyped-def]
    """Print the machine, recreate database `name`, migrate it and load the org and `tickets` tickets;
    (engine, session factory, unit ids, seconds the load took)."""
    print("machine:")
    print_machine(machine())
    recreate_database(name)
    engine = make_bench_engine(name)
    upgrade(engine)
    sf = make_session_factory(engine)
    units = build_org(sf)
    t0 = time.perf_counter()
    load(engine, units, tickets, p_warn, p_overdue)
    return engine, sf, units, time.perf_counter() - t0


def measure(label: str, sf, rt) -> None:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    report = run_pass(sf, rt, mode="bench")
    wall = time.perf_counter() - t0
    created = sum(report.counts.values())
    print(f"  {label:<30} {wall:7.2f} s   created {created:>6}   {report.counts}   ms per job {report.job_ms}"
          + (f"   truncated {report.truncated}" if report.truncated else "")
          + (f"   ERRORS {report.errors}" if report.errors else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--about-to-expire", type=float, default=0.1)
    ap.add_argument("--overdue", type=float, default=0.1)
    args = ap.parse_args()
    engine, sf, units, seconds = fresh_database(DB, args.tickets, args.about_to_expire, args.overdue)
    print(f"data: {args.tickets} running tickets ({args.about_to_expire:.0%} about to expire, {args.overdue:.0%} "
          f"overdue), {len(units)} units; loaded in {seconds:.1f} s")
    clock = FixedClock(NOW)
    rt = Runtime.from_settings(Settings(environment="production", secret_key="x" * 40,
                                        database_url=str(engine.url)), clock)
    print("scheduler passes (all five jobs, default policy: batches of 500, at most 200 per job):")
    measure("cold pass (creates everything)", sf, rt)
    clock.advance(timedelta(minutes=1))
    measure("steady pass, 1 minute later", sf, rt)
    clock.advance(timedelta(minutes=1))
    measure("steady pass, again", sf, rt)
    clock.set(NOW + timedelta(days=3))  # Thu 19 Nov: past every level-1 order deadline (2 working days)
    measure("3 days later (escalations)", sf, rt)
    engine.dispose()


if __name__ == "__main__":
    main()
