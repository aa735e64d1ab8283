"""The scheduler runs the blacklist's candidate rules at most once per local day: a second pass the
same day, or a second worker at the same moment, proposes nothing; a failed run is retried by the next
pass; the next day runs again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.blacklist import service as blacklist
from hotline.blacklist.enums import Verdict
from hotline.blacklist.models import BlacklistEntry
from hotline.clock import FixedClock
from hotline.runtime import Runtime
from hotline.security.models import AuditEntry
from hotline.supervision import jobs
from hotline.supervision.jobs import PassReport, run_pass
from hotline.supervision.models import DailyJob
from hotline.supervision.policy import load_supervision_policy
from hotline.tickets import service as tickets
from hotline.tickets.schemas import TicketCreate
from tests.blacklist.conftest import BLACKLIST_TABLES
from tests.factories import Org, intake


@pytest.fixture(autouse=True)
def _clean_blacklist(engine: Engine) -> Iterator[None]:
    yield
    with engine.begin() as conn:
        for table in BLACKLIST_TABLES:
            conn.execute(delete(table))


def _false_reports(db: Session, rt: Runtime, org: Org, phone: str, n: int = 3) -> None:
    """n requests from `phone`, answered directly, each found unfounded: enough for a candidate."""
    for _ in range(n):
        data = TicketCreate(**intake(kind="consultation", requester_phone=phone,
                                     direct_answer={"answer": "已按政策口径答复来电人。", "answer_source": "知识库"}))
        ticket, _ = tickets.register(db, rt, actor=org.actor("operator"), data=data)
        blacklist.record_verdict(db, rt, actor=org.actor("supervisor"), ticket_id=ticket.id,
                                 verdict=Verdict.UNFOUNDED, note="经承办单位现场核实，反映情况不存在")
    db.rollback()


def _count(db: Session, query) -> int:  # type: ignore[no-untyped-def]
    value = db.execute(query).scalar_one()
    db.rollback()  # SQLite: do not keep the write lock from the scheduler's sessions
    return int(value)


def _days(db: Session) -> list[tuple[date, dict]]:  # type: ignore[type-arg]
    rows = db.execute(select(DailyJob.day, DailyJob.result).where(DailyJob.job == "blacklist")
                      .order_by(DailyJob.day)).all()
    db.rollback()
    return [(d, r) for d, r in rows]


def test_blacklist_proposal_runs_once_per_local_day(run: Callable[[], PassReport], db: Session, rt: Runtime,
                                                    org: Org, clock: FixedClock) -> None:
    _false_reports(db, rt, org, "13912345678")
    report = run()
    assert report.counts["blacklist"] == 1
    assert _count(db, select(func.count(BlacklistEntry.id))) == 1
    assert _days(db) == [(date(2026, 11, 2), {"created": 1, "extended": 0})]
    # Later the same day: new facts wait for tomorrow; the rules are not even run (no audit entry).
    _false_reports(db, rt, org, "13800001111")
    clock.advance(timedelta(hours=6))
    assert run().counts["blacklist"] == 0
    assert _count(db, select(func.count(BlacklistEntry.id))) == 1
    assert _count(db, select(func.count(AuditEntry.id)).where(AuditEntry.action == "blacklist_propose_run")) == 1
    # After local midnight (16:00 UTC), the next pass runs the rules again.
    clock.advance(timedelta(hours=8, minutes=1))  # 2026-11-03 00:01 Asia/Shanghai
    assert run().counts["blacklist"] == 1
    assert _count(db, select(func.count(BlacklistEntry.id))) == 2
    assert [d for d, _ in _days(db)] == [date(2026, 11, 2), date(2026, 11, 3)]
    assert run().counts["blacklist"] == 0


def test_a_failed_run_is_retried_by_the_next_pass(sf: sessionmaker[Session], run: Callable[[], PassReport],
                                                  db: Session, rt: Runtime, org: Org,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _false_reports(db, rt, org, "13912345678")

    def broken(*_args, **_kw):  # type: ignore[no-untyped-def]
        raise RuntimeError("数据库暂时不可用")

    monkeypatch.setattr(blacklist, "propose", broken)
    report = run_pass(sf, rt, mode="test")
    assert any("黑名单候选" in e for e in report.errors) and "blacklist" not in report.counts
    assert "assessment" in report.counts  # the other jobs still ran
    assert _days(db) == []  # the day's key was rolled back with the failed run
    monkeypatch.undo()
    assert run().counts["blacklist"] == 1
    assert _count(db, select(func.count(BlacklistEntry.id))) == 1


def test_two_workers_at_once_propose_once(sf: sessionmaker[Session], db: Session, rt: Runtime, org: Org) -> None:
    _false_reports(db, rt, org, "13912345678")
    policy = load_supervision_policy(rt.settings.supervision_policy)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(jobs.propose_blacklist(sf, rt, policy).created)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert _count(db, select(func.count(BlacklistEntry.id))) == 1
    assert len(_days(db)) == 1
