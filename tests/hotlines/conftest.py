"""Hotline registry fixtures: the registry tables are emptied (and the routing snapshot forgotten)
after each test; the reference lists imported through the real service."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.hotlines import service, snapshot
from hotline.hotlines.models import HotlineChange, HotlineExpert, HotlineLine
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.models import AuditEntry


@pytest.fixture(autouse=True)
def _clean_hotlines(request: pytest.FixtureRequest) -> Iterator[None]:
    snapshot.reset()
    yield
    snapshot.reset()
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        conn.execute(delete(HotlineExpert))
        conn.execute(delete(HotlineChange))
        conn.execute(delete(HotlineLine))


@pytest.fixture()
def imported(db: Session, rt: Runtime) -> service.ImportSummary:
    summary = service.import_reference(db, rt, actor=Actor.system())
    db.rollback()
    return summary


@pytest.fixture()
def line_of(db: Session) -> Callable[[str, str], HotlineLine]:
    def find(number: str, city: str = "南京市") -> HotlineLine:
        db.rollback()
        line = db.execute(select(HotlineLine).where(HotlineLine.city == city, HotlineLine.number == number)
                          ).unique().scalar_one()
        db.expunge(line)  # detached: reading it later starts no transaction (SQLite's write lock)
        db.rollback()
        return line

    return find


def counts(db: Session) -> tuple[int, int, int]:
    """(lines, history rows, audit entries): what a refused change must leave as it was."""
    db.rollback()
    out = (db.execute(select(func.count(HotlineLine.id))).scalar_one(),
           db.execute(select(func.count(HotlineChange.id))).scalar_one(),
           db.execute(select(func.count(AuditEntry.id))).scalar_one())
    db.rollback()
    return out
