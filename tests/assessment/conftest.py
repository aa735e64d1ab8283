"""Assessment fixtures: the assessment tables emptied and the high-water mark reset around each test;
a Flow that drives tickets through the real workflow service, as the people in each role would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.assessment.models import AssessmentFact, AssessmentState, Exemption
from hotline.clock import FixedClock
from hotline.runtime import Runtime
from hotline.tickets import service as tickets
from hotline.tickets.enums import Action
from hotline.tickets.schemas import ActionIn, TicketCreate
from tests.factories import Org, intake


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(Exemption))
        conn.execute(delete(AssessmentFact))
        conn.execute(update(AssessmentState).values(last_event_id=0, refreshed_at=None))


@pytest.fixture(autouse=True)
def _clean_assessment(request: pytest.FixtureRequest) -> Iterator[None]:
    if "engine" in request.fixturenames:
        _reset(request.getfixturevalue("engine"))
    yield
    if "engine" in request.fixturenames:
        _reset(request.getfixturevalue("engine"))


class Flow:
    def __init__(self, db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
        self.db, self.rt, self.org, self.clock = db, rt, org, clock

    def unit(self, key: str) -> int:
        return self.org.units[key].id

    def new(self, unit: str | None = "housing", **overrides: Any) -> int:
        dispatch = {"lead_unit_id": self.unit(unit)} if unit else None
        ticket, _ = tickets.register(self.db, self.rt, actor=self.org.actor("operator"),
                                     data=TicketCreate(**intake(dispatch=dispatch, **overrides)))
        return ticket.id

    def act(self, who: str, tid: int, action: str, **params: Any) -> None:
        tickets.act(self.db, self.rt, actor=self.org.actor(who), ticket_id=tid, action=Action(action),
                    params=ActionIn(**params))

    def later(self, **kw: float) -> None:
        self.clock.advance(timedelta(**kw))

    def handle(self, tid: int, unit: str = "housing", *, ack_after_h: float = 1, reply_after_h: float = 2) -> None:
        self.later(hours=ack_after_h)
        self.act(f"{unit}_handler", tid, "acknowledge")
        self.later(hours=reply_after_h)
        self.act(f"{unit}_handler", tid, "reply", content="已到现场核实处理，问题已经解决，特此答复。")
        self.act("dispatcher", tid, "close")

    def callback(self, tid: int, *, solved: bool = True, satisfaction: str = "satisfied") -> None:
        ok = solved and satisfaction in ("satisfied", "very_satisfied", "basically_satisfied")
        if ok:
            self.act("callback", tid, "callback", solved=solved, satisfaction=satisfaction)
        else:
            self.act("callback", tid, "reopen", solved=solved, satisfaction=satisfaction, note="回访不满意")


@pytest.fixture()
def flow(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> Flow:
    return Flow(db, rt, org, clock)
