"""Shared fixtures: one database per run (SQLite, or PostgreSQL via HOTLINE_TEST_DATABASE_URL),
migrated with Alembic; an organisation of named personas built once; ticket tables emptied after
each test; a FixedClock so that tests can travel through holidays."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.app import create_app
from hotline.clock import CHINA_TZ, FixedClock
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory
from hotline.linkage.models import TicketLinkage
from hotline.migrate import upgrade
from hotline.ratings.models import RatingFollowup
from hotline.runtime import Runtime
from hotline.security.models import AuditEntry, RateLimit
from hotline.supervision.models import Notification, OrderEscalation, SupervisionOrder
from hotline.tickets.models import (
    IdempotencyKey,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
    TicketReview,
)
from tests.factories import Org, build_org

# The ranker's passage vectors are encoded by a background thread, so a search's order would depend
# on how far it had got: off, except in the tests of that feature (tests/knowledge/test_passages.py).
os.environ["HOTLINE_KB_PASSAGES"] = "off"

# Monday 2 November 2026, 10:00 in Nanjing: an ordinary working day.
START = datetime(2026, 11, 2, 10, 0, tzinfo=CHINA_TZ)


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("HOTLINE_TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.db'}"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(environment="test", database_url=_database_url(tmp_path_factory.mktemp("db")),
                    secret_key="test-secret")


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def org(engine: Engine) -> Org:
    db = make_session_factory(engine)()
    try:
        return build_org(db)
    finally:
        db.close()


@pytest.fixture()
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture()
def rt(settings: Settings, clock: FixedClock) -> Runtime:
    return Runtime.from_settings(settings, clock)


@pytest.fixture()
def db(engine: Engine, org: Org) -> Iterator[Session]:
    session = make_session_factory(engine)()
    yield session
    session.close()


TICKET_TABLES = (TicketLinkage, TicketReview, IdempotencyKey, TicketEvent, TicketAttachment, TicketAssignment,
                 AuditEntry, TicketCounter, RateLimit)


@pytest.fixture(autouse=True)
def _clean_tickets(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        # a centre's decision on a unit's ticket notifies the unit (tickets.service.UNIT_NOTICES)
        conn.execute(delete(Notification).where(Notification.ticket_id.is_not(None)))
        # and 督办 from a ticket is issued as a supervision order (supervision.service.supervise_ticket)
        conn.execute(delete(OrderEscalation))
        conn.execute(delete(SupervisionOrder))
        conn.execute(delete(RatingFollowup))  # 差评核实 (ratings/)
        for table in TICKET_TABLES:
            conn.execute(delete(table))
        conn.execute(Ticket.__table__.update().values(parent_id=None))
        conn.execute(delete(Ticket))


@pytest.fixture()
def app(settings: Settings, engine: Engine, clock: FixedClock, org: Org):  # type: ignore[no-untyped-def]
    return create_app(settings, engine=engine, clock=clock)


@pytest.fixture()
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def tokens(engine: Engine, org: Org) -> dict[str, str]:
    """A bearer token per persona, issued once (password hashing is slow by design)."""
    from hotline.org import service as org_service

    db = make_session_factory(engine)()
    try:
        # Issued "late" so that tests travelling to any date the calendar knows keep valid tokens.
        issued = datetime(2026, 12, 31, tzinfo=CHINA_TZ)
        return {name: org_service.issue_token(db, user=db.merge(user), now=issued) for name, user in org.users.items()}
    finally:
        db.close()


@pytest.fixture()
def as_user(tokens: dict[str, str]):  # type: ignore[no-untyped-def]
    def headers(name: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}", **extra}

    return headers
