"""Benchmark: the access review (hotline.security.access_review) over a large audit log, SQLite and PostgreSQL.

    .venv/bin/python bench/access_review.py [--entries 1000000] [--users 2000] [--days 30]

Writes --entries audit entries spread over --days days before 2026-11-02 (1,600 unit handlers, 300
operators, 100 supervisors and analysts; 92 % ticket reads in office hours on working days, 3 % at
night on any day, 2 % attachment downloads, 1 % exports, 2 % other acts the review does not count),
in time order as a live log is written, into a fresh SQLite file and the
PostgreSQL database `hotline_bench_access` (never `test`), then times, side by side on each, the review
of the last 7 days, of the last 30 days and of 92 days (the longest period), three runs each (best and
median printed) beside a plain grouped count of the same rows (the floor of any per-account summary;
the ratio is what the review's figures and flags cost on top), and checks that both databases give the
same rows.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, print_machine, recreate_database, sqlalchemy_url  # noqa: E402
from sqlalchemy import create_engine, func, insert, select  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from hotline.clock import CHINA_TZ, is_workday  # noqa: E402
from hotline.migrate import upgrade  # noqa: E402
from hotline.org.models import User  # noqa: E402
from hotline.security import access_review  # noqa: E402
from hotline.security.actor import Actor  # noqa: E402
from hotline.security.models import AuditEntry  # noqa: E402
from hotline.security.roles import DataScope, Role  # noqa: E402

PG_DB = "hotline_bench_access"
END = date(2026, 11, 2)
ADMIN = Actor(role=Role.ADMIN, name="bench", data_scope=DataScope.ALL)


def people(n: int) -> list[tuple[str, str]]:
    handlers, operators = int(n * 0.8), int(n * 0.15)
    return ([(f"h{i:05d}", Role.UNIT_HANDLER.value) for i in range(handlers)]
            + [(f"o{i:05d}", Role.OPERATOR.value) for i in range(operators)]
            + [(f"s{i:05d}", Role.SUPERVISOR.value if i % 2 else Role.ANALYST.value)
               for i in range(n - handlers - operators)])


def load(engine, n_entries: int, n_users: int, days: int, seed: int = 11) -> float:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    t0 = time.perf_counter()
    users = people(n_users)
    with engine.begin() as conn:
        conn.execute(insert(User), [dict(id=i + 1, username=name, display_name=name, password_hash="x", role=role,
                                         data_scope=DataScope.ALL.value, active=True, session_epoch=0)
                                    for i, (name, role) in enumerate(users)])
    rows: list[dict] = []
    for k in range(n_entries):
        uid = rng.randrange(len(users))
        name, role = users[uid]
        p = rng.random()
        day = END - timedelta(days=rng.randrange(days))
        while p < 0.92 and not is_workday(day):  # office reads on working days; night ones on any day
            day = END - timedelta(days=rng.randrange(days))
        hour = rng.choice((0, 1, 2, 5, 22, 23)) if 0.92 <= p < 0.95 else rng.randrange(8, 18)
        if p < 0.95:
            action, obj = "view_personal_data", f"NJ{rng.randrange(300_000):08d}"
        elif p < 0.97:
            action, obj = "download_attachment", str(rng.randrange(50_000))
        elif p < 0.98:
            action, obj = "export_tickets", str(k)
        else:
            action, obj = "create_user", str(k)
        at = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=CHINA_TZ)
        rows.append(dict(at=at, user_id=uid + 1, username=name, role=role, action=action,
                         object_type="ticket", object_id=obj, client=f"10.0.{uid % 250}.{uid % 7}"))
    rows.sort(key=lambda r: r["at"])  # an audit log is written as things happen: ids follow time
    for i in range(0, len(rows), 20_000):
        with engine.begin() as conn:
            conn.execute(insert(AuditEntry), rows[i:i + 20_000])
    return time.perf_counter() - t0


def floor_query(period: access_review.Period):  # type: ignore[no-untyped-def]
    """The cheapest per-account summary of the same rows (a grouped count): what any review pays."""
    return (select(AuditEntry.user_id, AuditEntry.role, func.count())
            .where(AuditEntry.at >= period.since, AuditEntry.at < period.until,
                   AuditEntry.action.in_(access_review.READ_ACTIONS + access_review.EXPORT_ACTIONS))
            .group_by(AuditEntry.user_id, AuditEntry.role))


def timed_floor(sf, period: access_review.Period, runs: int = 3) -> list[float]:  # type: ignore[no-untyped-def]
    seconds = []
    for _ in range(runs):
        with sf() as db:
            t0 = time.perf_counter()
            db.execute(floor_query(period)).all()
            seconds.append(time.perf_counter() - t0)
    return seconds


def timed(sf, period: access_review.Period, runs: int = 3):  # type: ignore[no-untyped-def]
    seconds, result = [], None
    for _ in range(runs):
        with sf() as db:
            t0 = time.perf_counter()
            result = access_review.review(db, actor=ADMIN, period=period)
            seconds.append(time.perf_counter() - t0)
    return seconds, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=2_000)
    ap.add_argument("--days", type=int, default=30)
    args = ap.parse_args()
    print("machine:")
    print_machine(machine())
    with tempfile.TemporaryDirectory() as tmp:
        recreate_database(PG_DB)
        engines = {"sqlite": create_engine(f"sqlite:///{tmp}/access.db"),
                   "postgresql": create_engine(sqlalchemy_url(PG_DB))}
        for name, engine in engines.items():
            upgrade(engine)
            print(f"{name}: loaded {args.entries:,} audit entries, {args.users:,} users over {args.days} days "
                  f"in {load(engine, args.entries, args.users, args.days):.1f} s")
        results = {}
        for span in (7, 30, 92):
            period = access_review.make_period(now=datetime(2026, 11, 2, 20, tzinfo=CHINA_TZ),
                                               start=END - timedelta(days=span - 1), end=END)
            for name, engine in engines.items():
                floor = timed_floor(sessionmaker(engine), period)
                seconds, result = timed(sessionmaker(engine), period)
                results[(span, name)] = [(a.username, a.reads, a.objects, a.off_hours, a.exports, tuple(a.flags))
                                         for a in result.accounts]
                print(f"  {span:>2} days  {name:<10}  best {min(seconds) * 1000:8.0f} ms   median "
                      f"{statistics.median(seconds) * 1000:8.0f} ms   {len(result.accounts):>5} accounts, "
                      f"{result.flagged} flagged, {sum(a.reads for a in result.accounts):,} reads;  grouped count "
                      f"alone {statistics.median(floor) * 1000:.0f} ms (review / count "
                      f"{statistics.median(seconds) / statistics.median(floor):.2f})")
            same = results[(span, "sqlite")] == results[(span, "postgresql")]
            print(f"  {span:>2} days  same rows on both databases: {same}")
            if not same:
                raise SystemExit("the two databases disagree")
        for engine in engines.values():
            engine.dispose()


if __name__ == "__main__":
    main()
