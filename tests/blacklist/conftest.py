"""Blacklist fixtures: the blacklist tables are emptied after each test (before the root conftest
empties the tickets they point at); helpers that bring a ticket to the point where a verdict fits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.blacklist.models import (
    AbuseReport,
    BlacklistAppeal,
    BlacklistEntry,
    BlacklistEvent,
    BlacklistEvidence,
    PoliceReferral,
    TicketVerdict,
)
from hotline.runtime import Runtime
from hotline.tickets import service as tickets
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketCreate
from tests.factories import Org, intake

BLACKLIST_TABLES = (PoliceReferral, BlacklistEvidence, AbuseReport, BlacklistAppeal, BlacklistEvent, TicketVerdict,
                    BlacklistEntry)


@pytest.fixture(autouse=True)
def _clean_blacklist(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        for table in BLACKLIST_TABLES:
            conn.execute(delete(table))


@pytest.fixture()
def answered(db: Session, rt: Runtime, org: Org) -> Callable[..., Ticket]:
    """A phone request the operator answered directly (closed at once)."""

    def make(phone: str = "13912345678", **overrides: Any) -> Ticket:
        data = TicketCreate(**intake(
            kind="consultation", requester_phone=phone,
            direct_answer={"answer": "已按政策口径答复来电人。", "answer_source": "知识库"}, **overrides))
        ticket, _ = tickets.register(db, rt, actor=org.actor("operator"), data=data)
        return ticket

    return make
