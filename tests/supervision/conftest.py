"""Supervision fixtures: its tables emptied after each test (before the root conftest empties the
ticket tables they point at); helpers to open tickets through the real ticket service and to run
scheduler passes on the test clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import make_session_factory
from hotline.runtime import Runtime
from hotline.supervision.jobs import PassReport, run_pass
from hotline.supervision.models import (
    DailyJob,
    Finding,
    Meeting,
    MeetingTicket,
    MeetingUnit,
    Notification,
    OrderEscalation,
    Reminder,
    SchedulerRun,
    SchedulerState,
    SupervisionOrder,
)
from hotline.tickets import service as tickets
from hotline.tickets.enums import Action
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import ActionIn, TicketCreate
from tests.factories import Org, intake

SUPERVISION_TABLES = (Notification, OrderEscalation, SupervisionOrder, Reminder, Finding, MeetingTicket, MeetingUnit,
                      Meeting, SchedulerRun, SchedulerState, DailyJob)


@pytest.fixture(autouse=True)
def _clean_supervision(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        for table in SUPERVISION_TABLES:
            conn.execute(delete(table))


@pytest.fixture()
def sf(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture()
def run(sf: sessionmaker[Session], rt: Runtime, db: Session) -> Callable[[], PassReport]:
    def once() -> PassReport:
        db.rollback()  # SQLite: the test's own session must not hold the write lock
        report = run_pass(sf, rt, mode="test")
        assert report.ok, report.errors
        return report

    return once


@pytest.fixture()
def two_at_once(sf: sessionmaker[Session], rt: Runtime) -> Callable[[], list[PassReport]]:
    """Two scheduler workers starting a pass at the same moment; both must succeed."""
    def both() -> list[PassReport]:
        reports: list[PassReport] = []
        barrier = threading.Barrier(2)

        def worker() -> None:
            barrier.wait()
            reports.append(run_pass(sf, rt, mode="test"))

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert all(r.ok for r in reports), [r.errors for r in reports]
        return reports

    return both


@pytest.fixture()
def open_ticket(db: Session, rt: Runtime, org: Org) -> Callable[..., Ticket]:
    """Register and dispatch a ticket now (the test clock) to a unit; returns it committed."""

    def make(unit: str = "housing", assisting: tuple[str, ...] = (), **overrides: Any) -> Ticket:
        data = intake(**overrides)
        data["dispatch"] = {"lead_unit_id": org.units[unit].id,
                            "assisting_unit_ids": [org.units[u].id for u in assisting]}
        ticket, _ = tickets.register(db, rt, actor=org.actor("operator"), data=TicketCreate(**data))
        return ticket

    return make


@pytest.fixture()
def act(db: Session, rt: Runtime, org: Org) -> Callable[..., Ticket]:
    def do(ticket: Ticket, who: str, action: str, **params: Any) -> Ticket:
        return tickets.act(db, rt, actor=org.actor(who), ticket_id=ticket.id, action=Action(action),
                           params=ActionIn(**params))

    return do


@pytest.fixture()
def answered_tickets(open_ticket: Callable[..., Ticket], act: Callable[..., Ticket]) -> list[Ticket]:
    """Three dispatched tickets no longer waiting for 签收: one acknowledged (housing), one returned by
    its unit (market), one withdrawn by the requester."""
    taken = open_ticket()
    act(taken, "housing_handler", "acknowledge")
    returned = open_ticket(unit="market")
    act(returned, "market_manager", "return", reason="不属于本单位职责，应由街道处理")
    withdrawn = open_ticket()
    act(withdrawn, "operator", "withdraw", reason="诉求人来电撤回")
    return [taken, returned, withdrawn]
