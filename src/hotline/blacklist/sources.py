"""Where the candidate rules read their facts. The call records belong to `hotline.calls` (built
beside this package); `long_calls` is the one integration point with them, so the occupation rule
works unchanged whether call records exist yet or not (no records → no occupation candidates)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class CallFact:
    call_id: int
    phone: str
    answered_at: datetime
    talk_seconds: int


# (db, since=, until=, min_seconds=) -> long calls: the shape of `long_calls`.
CallSource = Callable[..., list[CallFact]]


def _call_model() -> Any | None:
    try:
        from hotline.calls.models import Call  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return Call


def _column(model: Any, *names: str) -> Any | None:
    for name in names:
        col = getattr(model, name, None)
        if col is not None:
            return col
    return None


def calls_on_tickets(db: Session, ticket_ids: Any) -> Any | None:
    """A select of the ids of the calls registered as one of `ticket_ids` (a select of ticket ids), or
    None without call records: a call's place is its ticket's (the line says nothing of the district)."""
    call = _call_model()
    if call is None or getattr(call, "ticket_id", None) is None or not inspect(db.connection()).has_table(
            call.__tablename__):
        return None
    return select(call.id).where(call.ticket_id.in_(ticket_ids))


def long_calls(db: Session, *, since: datetime, until: datetime, min_seconds: int) -> list[CallFact]:
    """Answered calls in [since, until) whose talk lasted at least `min_seconds`."""
    from hotline.blacklist.service import normalize_phone

    call = _call_model()
    # The model may be there before this database has the calls migration: then no records yet.
    if call is None or not inspect(db.connection()).has_table(call.__tablename__):
        return []
    caller = _column(call, "caller", "caller_number", "phone")
    answered = _column(call, "answered_at")
    ended = _column(call, "ended_at")
    talk = _column(call, "talk_seconds")
    if caller is None or answered is None or (talk is None and ended is None):
        return []
    conds = [answered.is_not(None), answered >= since, answered < until]
    if talk is not None:
        rows = db.execute(select(call.id, caller, answered, talk).where(*conds, talk >= min_seconds)).all()
        pairs = [(r[0], r[1], r[2], int(r[3])) for r in rows]
    elif ended is not None:
        # Duration arithmetic differs between databases: compute it here.
        rows = db.execute(select(call.id, caller, answered, ended).where(*conds, ended.is_not(None))).all()
        pairs = [(r[0], r[1], r[2], int((r[3] - r[2]).total_seconds())) for r in rows]
    else:
        return []
    return [
        CallFact(call_id=int(cid), phone=normalize_phone(ph), answered_at=at, talk_seconds=secs)
        for cid, ph, at, secs in pairs
        if secs >= min_seconds and normalize_phone(ph)
    ]
