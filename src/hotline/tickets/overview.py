"""Read-only views for the work pages: the callback list, overdue counts per lead unit and the
deadline badges of a unit's queue. Every query is limited to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.clock import CHINA_TZ, to_local
from hotline.org.models import Unit
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.permissions import visible_condition
from hotline.tickets.enums import DeadlineStatus, State
from hotline.tickets.models import Ticket, TicketAssignment
from hotline.tickets.present import RUNNING
from hotline.tickets.service import queue_ack_status, queue_ack_waiting, queue_deadline_status, unit_todo


def awaiting_callback(
    db: Session, rt: Runtime, *, actor: Actor, page: int = 1, page_size: int = 20
) -> tuple[list[Ticket], int]:
    """Closed tickets waiting for their callback: those not yet tried first, then those whose requester
    did not answer on an earlier day, then those already tried today (calling again within the hour
    rarely helps); within each, the oldest callback deadline first."""
    page = max(page, 1)
    page_size = max(1, min(page_size, rt.settings.page_size_max))
    # Imported historical messages (external_key) are closed but have no one to call back.
    conds = [visible_condition(actor), Ticket.state == str(State.CLOSED), Ticket.external_key.is_(None)]
    total = db.execute(select(func.count(Ticket.id)).where(*conds)).scalar_one()
    tried = case((Ticket.callback_attempted_at >= local_day_start(rt.clock.now()), 2),
                 (Ticket.callback_attempts > 0, 1), else_=0)
    rows = db.execute(
        select(Ticket).where(*conds)
        .order_by(tried, Ticket.callback_due_at.is_(None), Ticket.callback_due_at.asc(), Ticket.id.asc())
        .limit(page_size).offset((page - 1) * page_size)
    )
    return list(rows.unique().scalars()), total


def local_day_start(now: datetime) -> datetime:
    """Midnight of `now`'s local (China) day, as an aware datetime."""
    return datetime.combine(to_local(now).date(), time(0), tzinfo=CHINA_TZ)


@dataclass(frozen=True)
class UnitCount:
    unit_id: int | None
    unit_name: str
    count: int


def overdue_by_lead_unit(db: Session, rt: Runtime, *, actor: Actor) -> list[UnitCount]:
    """How many running tickets are past their deadline, per lead unit, the worst first."""
    now = rt.clock.now()
    count = func.count(Ticket.id)
    rows = db.execute(
        select(Ticket.lead_unit_id, count)
        .where(visible_condition(actor), Ticket.state.in_([str(s) for s in RUNNING]), Ticket.due_at < now)
        .group_by(Ticket.lead_unit_id)
        .order_by(count.desc(), Ticket.lead_unit_id)
    ).all()
    ids = [r[0] for r in rows if r[0] is not None]
    names = dict(db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(ids))).all()) if ids else {}
    return [UnitCount(unit_id=uid, unit_name=names.get(uid, "未指定") if uid else "未指定", count=n)
            for uid, n in rows]


def unit_deadline_counts(db: Session, rt: Runtime, *, actor: Actor) -> dict[DeadlineStatus, int]:
    """Deadline badges over the whole open queue of the actor's unit (not just one page), counted in SQL
    with the same rule as the badges (tickets.warn_at)."""
    counts: dict[DeadlineStatus, int] = {s: 0 for s in DeadlineStatus if s != DeadlineStatus.NONE}
    if actor.unit_id is None:
        return counts
    status = queue_deadline_status(rt.clock.now()).label("status")
    return _tally(db, counts, status, TicketAssignment.unit_id == actor.unit_id, *unit_todo())


def unit_ack_counts(db: Session, rt: Runtime, *, actor: Actor) -> dict[DeadlineStatus, int]:
    """签收 badges of the actor's unit: tickets it leads and has not acknowledged, about to be late
    (ack_warn_at passed) and late (ack_due_at passed) — the rule of present.ack_deadline, in SQL."""
    counts = {DeadlineStatus.OVERDUE: 0, DeadlineStatus.ABOUT_TO_EXPIRE: 0}
    if actor.unit_id is None:
        return counts
    status = queue_ack_status(rt.clock.now()).label("status")
    return _tally(db, counts, status, TicketAssignment.unit_id == actor.unit_id, TicketAssignment.is_open.is_(True),
                  *queue_ack_waiting())


def _tally(db: Session, counts: dict[DeadlineStatus, int], status: Any, *where: Any) -> dict[DeadlineStatus, int]:
    """Add a unit's assignments to the badge counts by the status expression (counts the caller asked for)."""
    rows = db.execute(
        select(status, func.count())
        .select_from(TicketAssignment)
        .join(Ticket, TicketAssignment.ticket_id == Ticket.id)
        .where(*where)
        .group_by(status)
    ).all()
    for value, n in rows:
        key = DeadlineStatus(value)
        if key in counts:
            counts[key] += n
    return counts
