"""The demo builder: a small Nanjing on its own SQLite file, built through the real services.

The shared test database already holds the factories' organisation, so the demo gets a fresh file.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from hotline.config import Settings
from hotline.db import make_engine, make_session_factory
from hotline.demo.builder import DEMO_PASSWORD, DemoRefused, build_demo
from hotline.migrate import upgrade
from hotline.org import service as org_service
from hotline.org.models import Jurisdiction, JurisdictionLevel, Unit, User
from hotline.security.roles import LOGIN_ROLES
from hotline.tickets.enums import Action, State
from hotline.tickets.models import Ticket, TicketEvent

TICKETS = 150


def _quiet() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, list[tuple[str, str]], Engine]]:
    # Named `demo`, not `engine`: the shared fixtures clean their own database after each test.
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    settings = Settings(database_url=f"sqlite:///{path}", environment="test")
    logins = build_demo(settings, tickets=TICKETS, seed=7, console=_quiet())
    demo_engine = make_engine(settings)
    yield settings, logins, demo_engine
    demo_engine.dispose()


def test_every_state_is_present(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        counts = dict(db.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all())
    assert sum(counts.values()) == TICKETS
    assert {State(s) for s in counts} == set(State), counts
    # Old tickets are mostly finished.
    assert counts[State.FINISHED] > TICKETS / 2


def test_every_step_of_the_loop_is_shown(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        actions = set(db.execute(select(TicketEvent.action).distinct()).scalars())
        sources = db.execute(select(Ticket.answer_source).where(Ticket.answer_source.is_not(None))).scalars().all()
        phones = db.execute(select(func.count()).select_from(
            select(Ticket.requester_phone).where(Ticket.requester_phone.is_not(None))
            .group_by(Ticket.requester_phone).having(func.count() > 1).subquery())).scalar_one()
    assert {Action(a) for a in actions} == set(Action)
    assert sources and all(s.strip() for s in sources)
    assert phones > 0  # repeat callers: the intake screen's "earlier tickets" has content


def test_every_role_has_a_login_that_works(demo) -> None:  # type: ignore[no-untyped-def]
    _, logins, demo_engine = demo
    now = datetime.now(UTC)
    roles = set()
    with make_session_factory(demo_engine)() as db:
        for username, label in logins:
            assert label
            user = org_service.authenticate(db, username=username, password=DEMO_PASSWORD, now=now)
            roles.add(user.role)
        fcj = db.execute(select(User).where(User.username == "fcj_handler")).unique().scalar_one()
        assert fcj.unit is not None and fcj.unit.code == "fcj"
    assert roles == set(LOGIN_ROLES)


def test_history_is_consistent(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        states = dict(db.execute(select(Ticket.id, Ticket.state)).all())
        events: dict[int, list[TicketEvent]] = {}
        for event in db.execute(select(TicketEvent).order_by(TicketEvent.id)).unique().scalars():
            events.setdefault(event.ticket_id, []).append(event)
    assert set(events) == set(states)
    for ticket_id, history in events.items():
        assert history[0].action == Action.REGISTER
        assert history[-1].to_state == states[ticket_id]
        assert all(a.at <= b.at for a, b in zip(history, history[1:], strict=False))
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_state == before.to_state


def test_rerun_without_reset_keeps_the_demo(demo) -> None:  # type: ignore[no-untyped-def]
    settings, logins, demo_engine = demo
    with make_session_factory(demo_engine)() as db:
        before = (db.execute(select(func.count(Ticket.id))).scalar_one(),
                  db.execute(select(func.count(User.id))).scalar_one(),
                  db.execute(select(func.count(Unit.id))).scalar_one())
    started = time.perf_counter()
    again = build_demo(settings, tickets=TICKETS, seed=7, console=_quiet())
    assert time.perf_counter() - started < 5
    assert again == logins
    with make_session_factory(demo_engine)() as db:
        after = (db.execute(select(func.count(Ticket.id))).scalar_one(),
                 db.execute(select(func.count(User.id))).scalar_one(),
                 db.execute(select(func.count(Unit.id))).scalar_one())
    assert after == before


def test_refuses_a_database_that_is_not_the_demo(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/other.db", environment="test")
    other = make_engine(settings)
    upgrade(other)
    with make_session_factory(other)() as db:
        org_service.add_jurisdiction(db, code="110000", name="北京市", level=JurisdictionLevel.PROVINCE, parent=None)
        db.commit()
    with pytest.raises(DemoRefused):
        build_demo(settings, tickets=10, console=_quiet())
    with make_session_factory(other)() as db:
        assert db.execute(select(func.count(Jurisdiction.id))).scalar_one() == 1
    other.dispose()
