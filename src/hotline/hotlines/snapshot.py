"""The registry held in memory for routing: loaded once per engine, dropped when this process
changes a line, and re-checked every few seconds against the history table's newest id (one cheap
query) so that changes made by another process are seen too. A line carries its active rota (专家座席值班):
a roster change is recorded in the history table, so it refreshes the snapshot like any other change."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.hotlines import duty
from hotline.hotlines.models import HotlineChange, HotlineExpert, HotlineLine
from hotline.hotlines.routing import Expert, LineView, Snapshot

RECHECK_SECONDS = 5.0


@dataclass
class _Entry:
    snapshot: Snapshot
    checked: float


_cache: dict[int, _Entry] = {}
_lock = threading.Lock()


def _stamp(db: Session) -> tuple[Any, ...]:
    newest = db.execute(select(func.max(HotlineChange.id))).scalar_one()
    count = db.execute(select(func.count(HotlineLine.id))).scalar_one()
    return (newest, count)


def expert_of(row: HotlineExpert) -> Expert:
    return Expert(id=row.id, name=row.name, department=row.department, phone=row.phone,
                  slots=duty.from_json(row.duty))


def view_of(line: HotlineLine, experts: tuple[Expert, ...] = ()) -> LineView:
    return LineView(id=line.id, city=line.city, number=line.number, name=line.name, kind=line.kind,
                    mode=line.merge_mode, status=line.status, seats=line.seat_arrangement,
                    prompt=line.transition_prompt, start=line.transition_start, end=line.transition_end,
                    owner_unit_id=line.owner_unit_id, owner_name=line.owner_name, experts=experts)


def load(db: Session, *, default_city: str) -> Snapshot:
    stamp = _stamp(db)
    rota: dict[int, list[Expert]] = {}
    for row in db.execute(select(HotlineExpert).where(HotlineExpert.active.is_(True))
                          .order_by(HotlineExpert.id)).scalars():
        rota.setdefault(row.line_id, []).append(expert_of(row))
    lines = db.execute(select(HotlineLine)).unique().scalars()
    return Snapshot.build((view_of(x, tuple(rota.get(x.id, ()))) for x in lines), default_city=default_city,
                          stamp=stamp)


def current(db: Session, *, default_city: str, recheck: float = RECHECK_SECONDS) -> Snapshot:
    """The snapshot for db's engine: from memory, re-validated at most every `recheck` seconds."""
    key = id(db.get_bind())
    now = time.monotonic()
    entry = _cache.get(key)
    if entry is not None and entry.snapshot.default_city == default_city:
        if now - entry.checked < recheck:
            return entry.snapshot
        if _stamp(db) == entry.snapshot.stamp:
            entry.checked = now
            return entry.snapshot
    snapshot = load(db, default_city=default_city)
    with _lock:
        _cache[key] = _Entry(snapshot, now)
    return snapshot


def changed(engine: Engine | Any) -> None:
    """A line changed in this process: the next decision reloads."""
    with _lock:
        _cache.pop(id(engine), None)


def reset() -> None:
    with _lock:
        _cache.clear()
