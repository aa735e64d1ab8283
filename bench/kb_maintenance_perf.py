"""How long the knowledge maintenance report takes on a large knowledge base.

Generated data written straight into the tables (not through the services: only the report's
queries are measured): N articles spread over U owning units, two versions each (the second
approved within the period for a third of them), a tenth flagged, error reports, and direct
answers (ticket events citing an article in the server's citation form) spread over 120 days.
Then the report for the default 30 days and for 90 days, and one unit's drill-down (first page,
each sort), each timed over a few runs; the figures are checked against a count made in Python
from the generated data.

    .venv/bin/python bench/kb_maintenance_perf.py [--articles 100000] [--units 100] [--answers 200000] [--pg]

SQLite in a temporary file by default; --pg uses a fresh PostgreSQL database hotline_perf_kbmaint.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from hotline.config import Settings  # noqa: E402
from hotline.db import make_engine, make_session_factory  # noqa: E402
from hotline.knowledge import maintenance, rules  # noqa: E402
from hotline.knowledge.models import Article, ArticleReport, ArticleVersion  # noqa: E402
from hotline.migrate import upgrade  # noqa: E402
from hotline.org.models import Jurisdiction, Unit, UnitKind  # noqa: E402
from hotline.security.actor import Actor  # noqa: E402
from hotline.security.roles import Role  # noqa: E402
from hotline.tickets.models import Ticket, TicketEvent  # noqa: E402

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in China


def build(db, n: int, units: int, answers: int, seed: int = 5) -> dict[int, dict[str, int]]:  # type: ignore[no-untyped-def]
    rnd = random.Random(seed)
    db.execute(insert(Jurisdiction), [{"id": 1, "code": "320100", "name": "南京市", "level": "city", "path": "320100"}])
    db.execute(insert(Unit), [{"id": 1, "code": "center", "name": "12345热线中心", "short_name": "12345中心",
                               "kind": str(UnitKind.HOTLINE_CENTER), "jurisdiction_id": 1, "created_at": NOW}]
               + [{"id": i, "code": f"u{i}", "name": f"单位{i}", "short_name": f"单位{i}", "kind": "department",
                   "jurisdiction_id": 1, "created_at": NOW} for i in range(2, units + 2)])
    period_start = NOW - timedelta(days=29, hours=10)
    expect: dict[int, dict[str, int]] = {}
    articles, versions, reports = [], [], []
    for i in range(1, n + 1):
        owner = 2 + rnd.randrange(units)
        e = expect.setdefault(owner, {"total": 0, "updated": 0, "answers": 0, "open": 0})
        e["total"] += 1
        revised = rnd.random() < 1 / 3
        flagged = rnd.random() < 0.1
        second = NOW - timedelta(days=rnd.uniform(0, 29)) if revised else NOW - timedelta(days=rnd.uniform(40, 300))
        if revised:
            e["updated"] += 1
        articles.append({"id": i, "key": f"K{i:07d}", "status": "expired" if flagged else "approved",
                         "owner_unit_id": owner, "title": f"问题{i}", "audience": "public", "tags": [],
                         "flags": ["expired"] if flagged else [],
                         "expires_at": NOW + timedelta(days=rnd.randrange(-20, 400)),
                         "current_version_id": 2 * i, "published_version_id": None if flagged else 2 * i,
                         "version_count": 2, "open_reports": 0, "use_count": rnd.randrange(50), "change_seq": 1,
                         "created_at": NOW - timedelta(days=400), "updated_at": second})
        for number, at in ((1, NOW - timedelta(days=400)), (2, second)):
            versions.append({"id": 2 * i - 2 + number, "article_id": i, "number": number, "title": f"问题{i}",
                             "questions": [f"问题{i}"], "phrasings": [], "answer": "答复", "audience": "public",
                             "tags": [], "attachments": [], "author_name": "编辑", "created_at": at,
                             "review_outcome": "approved", "reviewed_at": at})
        if rnd.random() < 0.05:
            is_open = rnd.random() < 0.5
            e["open"] += is_open
            created = NOW - timedelta(days=rnd.uniform(0, 60))
            reports.append({"article_id": i, "reporter_name": "市民", "text": "有误", "created_at": created,
                            "status": "open" if is_open else "answered",
                            "answered_at": None if is_open else created + timedelta(days=1)})
    for table, rows in ((Article, articles), (ArticleVersion, versions), (ArticleReport, reports)):
        for s in range(0, len(rows), 5000):
            db.execute(insert(table), rows[s : s + 5000])
    db.execute(insert(Ticket), [{"id": 1, "number": "NJ-1", "state": "closed", "channel": "phone",
                                 "kind": "consultation", "urgency": "normal", "title": "咨询", "content": "咨询",
                                 "created_at": NOW, "updated_at": NOW}])
    events = []
    for _ in range(answers):
        i = rnd.randrange(1, n + 1)
        at = NOW - timedelta(days=rnd.uniform(0, 120))
        if at >= period_start:
            expect[articles[i - 1]["owner_unit_id"]]["answers"] += 1
        events.append({"ticket_id": 1, "at": at, "action": "answer_directly", "from_state": "registered",
                       "to_state": "closed", "actor_role": "operator", "actor_name": "话务员",
                       "data": {"answer_source": f"知识库 K{i:07d} 第2版《问题{i}》"}})
    for s in range(0, len(events), 5000):
        db.execute(insert(TicketEvent), events[s : s + 5000])
    db.commit()
    return expect


def timed(label: str, fn, runs: int = 3):  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    print(f"{label}: best of {runs} {best * 1000:.0f} ms")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--units", type=int, default=100)
    ap.add_argument("--answers", type=int, default=200_000)
    ap.add_argument("--pg", action="store_true")
    args = ap.parse_args()
    if args.pg:
        from _common import recreate_database, sqlalchemy_url

        recreate_database("hotline_perf_kbmaint")
        url = sqlalchemy_url("hotline_perf_kbmaint")
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='kbmaint-')}/bench.db"
    engine = make_engine(Settings(environment="test", database_url=url, secret_key="bench-secret"))
    upgrade(engine)
    db = make_session_factory(engine)()
    print(f"database {engine.dialect.name}; load average {os.getloadavg()[0]:.2f}")
    t = time.perf_counter()
    expect = build(db, args.articles, args.units, args.answers)
    print(f"data: {args.articles} articles, {args.units} units, {args.answers} direct answers "
          f"(written in {time.perf_counter() - t:.1f} s)")
    if engine.dialect.name == "postgresql":
        db.execute(__import__("sqlalchemy").text("ANALYZE"))
        db.commit()
    who = rules.Who(actor=Actor(user_id=None, name="督办员", role=Role.SUPERVISOR, unit_id=1), in_centre=True)
    p30 = maintenance.make_period(now=NOW)
    p90 = maintenance.make_period(now=NOW, start=p30.end - timedelta(days=89))
    report = timed("report, 30 days", lambda: maintenance.unit_report(db, who=who, period=p30, now=NOW))
    timed("report, 90 days", lambda: maintenance.unit_report(db, who=who, period=p90, now=NOW))
    got = {u.unit_id: {"total": u.total, "updated": u.updated, "answers": u.answers, "open": u.reports_open}
           for u in report.units}
    print("figures match the generated data:", got == expect)
    unit = max(expect, key=lambda k: expect[k]["total"])
    own = rules.Who(actor=Actor(user_id=None, name="承办人", role=Role.UNIT_HANDLER, unit_id=unit), in_centre=False)
    mine = timed(f"report of one unit ({expect[unit]['total']} articles) for its own staff, 30 days",
                 lambda: maintenance.unit_report(db, who=own, period=p30, now=NOW))
    print("its figures match:", [(u.total, u.answers) for u in mine.units]
          == [(expect[unit]["total"], expect[unit]["answers"])])
    for sort in maintenance.SORTS:
        timed(f"drill-down of a unit with {expect[unit]['total']} articles, first 50, sort {sort}",
              lambda sort=sort: maintenance.unit_articles(db, who=who, unit_id=unit, period=p30, sort=sort))
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
