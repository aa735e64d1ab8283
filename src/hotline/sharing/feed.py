"""The ticket feed: every ticket event (受理, 派单, 签收, 答复, 办结, 回访 …) in the reader's data scope,
in the order the events were written, after a cursor the reader keeps (the last event id it took).

Events are numbered by the database as they are written, and a transaction may commit after a later
one: a reader that moved its cursor past a number still being written would never see that event.
The feed therefore serves only events written at least FEED_LAG ago, and stops before the first
newer one — whether or not it is in the reader's scope — so that the cursor never passes an event
that may still be arriving. Transactions here last milliseconds; the lag is the feed's delay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from hotline.errors import DomainError
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import ensure_role, visible_condition
from hotline.security.roles import Role
from hotline.tickets import present
from hotline.tickets.models import Ticket, TicketEvent
from hotline.tickets.schemas import EventOut, TicketOut

FEED_LAG = timedelta(seconds=5)
DEFAULT_LIMIT, MAX_LIMIT = 100, 500


@dataclass(frozen=True)
class FeedEvent:
    id: int
    ticket_number: str
    event: EventOut


@dataclass(frozen=True)
class FeedPage:
    events: list[FeedEvent]
    tickets: dict[str, TicketOut]  # the current state of each ticket the events are about
    next_after: int  # the cursor to send next time
    has_more: bool  # more events are ready now: ask again at once
    complete_until: datetime  # every event written before this time is at or before next_after


def ready_until(db: Session, *, now: datetime, after: int = 0, id_col: Any = TicketEvent.id,
                at_col: Any = TicketEvent.at) -> int:
    """The last event number that may be served now: nothing at or beyond the first event, in any
    scope, written within the lag. Two index lookups rather than a scan of the history: the newest
    event number (primary key) and the first event after `after` written within the lag (the index on `at`).
    Another numbered table read by a cursor the same way names its id and time columns (the units'
    消息提醒: supervision.service.notification_feed)."""
    top = db.execute(select(func.max(id_col))).scalar_one_or_none()
    barrier = db.execute(select(func.min(id_col)).where(at_col > now - FEED_LAG, id_col > after)).scalar_one_or_none()
    return (barrier - 1) if barrier is not None else (top or 0)


def read(db: Session, rt: Runtime, *, actor: Actor, after: int = 0, limit: int = DEFAULT_LIMIT,
         audited: bool = True) -> FeedPage:
    """Up to `limit` events after event id `after`, oldest first, with the tickets they are about.
    Personal data is masked (the requester's name and phone, also where the events' notes and data and the
    ticket's texts write them: present.shared); the units read them on the ticket itself.

    A pull read that returns events is audited here (and committed); push (push.py) passes
    `audited=False` and audits the page once it is delivered, not at each attempt."""
    ensure_role(actor, Role.DATA_SHARING)
    if after < 0:
        raise DomainError("cursor_invalid", "after 须为不小于 0 的事件编号（首次读取用 0）", status_code=422)
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError("limit_invalid", f"limit 须在 1 到 {MAX_LIMIT} 之间", status_code=422)
    now = rt.clock.now()
    cutoff = now - FEED_LAG
    upper = ready_until(db, now=now, after=after)
    rows = list(db.execute(select(TicketEvent, Ticket).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                           .where(TicketEvent.id > after, TicketEvent.id <= upper, visible_condition(actor))
                           .order_by(TicketEvent.id).limit(limit + 1)).unique().all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    # The requester masked wherever a note or the event data write them ("张三您好", a number to call back),
    # as in the ticket below: the feed leaves the platform.
    events = [FeedEvent(id=e.id, ticket_number=t.number, event=present.event_out(e, mask_for=t)) for e, t in rows]
    # The page's tickets with what their full view reads, in one query per collection (not two per ticket).
    ids = list(dict.fromkeys(t.id for _, t in rows))
    loaded = {t.id: t for t in db.execute(
        select(Ticket).where(Ticket.id.in_(ids)).options(
            selectinload(Ticket.assignments), selectinload(Ticket.attachments), selectinload(Ticket.merged),
            selectinload(Ticket.parent))).unique().scalars()} if ids else {}
    tickets = {loaded[i].number: present.shared(loaded[i], rt, actor, now=now) for i in ids}
    # Without more to read, the cursor moves up to the bound: past the events of other scopes too.
    next_after = events[-1].id if has_more else max(upper, after)
    page = FeedPage(events=events, tickets=tickets, next_after=next_after, has_more=has_more,
                    complete_until=cutoff)
    if events and audited:
        record_read(db, actor=actor, at=now, page=page, action="share_read")
        db.commit()
    return page


def record_read(db: Session, *, actor: Actor, at: datetime, page: FeedPage, action: str) -> None:
    """The audit entry of a page taken by a reader (share_read) or delivered to it (share_push)."""
    audit.record(db, actor=actor, at=at, action=action, object_type="data_feed",
                 object_id=actor.username or str(actor.user_id),
                 detail=f"事件 #{page.events[0].id}–#{page.events[-1].id}（{len(page.events)} 条），"
                        f"工单 {len(page.tickets)} 件")

