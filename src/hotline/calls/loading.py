"""Feeding a generated stream into the database without HTTP (the demo, `simulate --direct`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hotline.calls import ingest
from hotline.calls.simulate import Options, generate
from hotline.clock import to_local
from hotline.security.actor import Actor
from hotline.security.roles import DataScope, Role

BATCH = 500


def adapter_actor() -> Actor:
    """The platform feeding events itself (demo, direct loading): acts as the telephony role."""
    return Actor(role=Role.TELEPHONY, name="模拟话务平台", data_scope=DataScope.OWN_UNIT)


def load(db: Session, events: list[dict[str, Any]], *, now: datetime, batch: int = BATCH,
         progress: Callable[[int], None] | None = None) -> ingest.Outcomes:
    total = ingest.Outcomes()
    actor = adapter_actor()
    for i in range(0, len(events), batch):
        part = events[i:i + batch]
        out = ingest.ingest(db, actor=actor, items=part, now=now)
        total.accepted += out.accepted
        total.duplicates += out.duplicates
        total.rejected += out.rejected
        total.conflicts += out.conflicts
        total.errors += out.errors[:20]
        if progress:
            progress(len(part))
    return total


def load_demo(db: Session, *, end: datetime, operators: tuple[str, ...], days: int = 3, calls_per_day: int = 1200,
              seed: int = 12345) -> int:
    """The last `days` days and today up to `end`: the hall wall and the callback list have content.
    Returns the number of calls loaded."""
    first = to_local(end).date() - timedelta(days=days)
    events = generate(Options(days=days + 1, calls_per_day=calls_per_day, seed=seed, start=first,
                              operators=operators, prefix="demo"))
    events = [e for e in events if datetime.fromisoformat(e["at"]) <= end]  # today's calls so far; some live
    load(db, events, now=end)
    return len({e["call_id"] for e in events})
