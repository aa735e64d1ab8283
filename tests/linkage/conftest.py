"""联动转办 fixtures: the linked platforms as registry lines — the city's 110 and water company, Shanghai's 12345 —
and a department line merged into 12345 and a cancelled utility line, which are not platforms. Removed after
each test (the passings first: they point at the lines)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from hotline.hotlines.models import HotlineLine
from hotline.linkage.models import TicketLinkage

NOW = datetime(2026, 11, 1, tzinfo=UTC)
LINES = {
    "police": dict(city="南京市", number="110", name="南京市公安局110报警服务台", kind="emergency", merge_mode="none",
                   status="active", seat_arrangement="none"),
    "water": dict(city="南京市", number="96889", name="南京水务集团供水服务热线", kind="utility", merge_mode="none",
                  status="active", seat_arrangement="none", service="water"),
    "shanghai": dict(city="上海市", number="12345", name="上海市12345市民服务热线", kind="main", merge_mode="none",
                     status="active", seat_arrangement="none"),
    "own": dict(city="南京市", number="12345", name="南京市12345政务服务便民热线", kind="main", merge_mode="none",
                status="active", seat_arrangement="none"),
    "merged": dict(city="南京市", number="12333", name="南京市人社服务热线", kind="department",
                   merge_mode="full_merge", status="active", seat_arrangement="none"),
    "gone": dict(city="南京市", number="96777", name="南京港华燃气（旧号）", kind="utility", merge_mode="none",
                 status="cancelled", seat_arrangement="none", service="gas"),
}


def add_lines(engine: Engine, *keys: str) -> dict[str, int]:
    """Registry rows for these platforms (all when none are named): their ids by key."""
    ids = {}
    with engine.begin() as conn:
        for key in keys or LINES:
            row = conn.execute(HotlineLine.__table__.insert().values(**LINES[key], created_at=NOW, updated_at=NOW)
                               .returning(HotlineLine.id)).one()
            ids[key] = row[0]
    return ids


def remove_lines(engine: Engine, ids: dict[str, int]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(TicketLinkage))
        conn.execute(delete(HotlineLine).where(HotlineLine.id.in_(list(ids.values()))))


@pytest.fixture()
def lines(engine: Engine) -> Iterator[dict[str, int]]:
    ids = add_lines(engine)
    yield ids
    remove_lines(engine, ids)
