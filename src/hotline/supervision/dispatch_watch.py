"""派单超时: the centre's own time limit, watched as the units' are.

A registered ticket may wait in the 待派单 queue for the policy's 派单时限 (tickets.dispatch_due_at, set at
registration). Past it, the scheduler tells the centre's inbox once per ticket — the dispatchers on duty
and the supervisors read it — so that a ticket nobody picked up in a busy hour is not found the next
morning. tickets.dispatch_alerted_at is the guard: the UPDATE that sets it decides who writes the message,
so two workers, or a re-run, tell once.

Tickets that were waiting when the limit was introduced (migration 0030) have no limit yet: the first pass
gives them the policy's, counted from their registration.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.runtime import Runtime
from hotline.supervision.enums import Audience, NotificationKind
from hotline.supervision.jobs import JobResult, _in_batches, short_time
from hotline.supervision.policy import SupervisionPolicy
from hotline.supervision.timeline import add_rows, notification_row
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket
from hotline.tickets.service import dispatch_deadline

WAITING = str(State.REGISTERED)
FACTS = ("kind", "urgency", "is_complex", "is_enterprise", "channel")


def watch_dispatch(sf: sessionmaker[Session], rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    now = rt.clock.now()
    cap = policy.batch_size * policy.max_batches
    with sf() as db:
        _give_limits(db, rt, cap)
        db.commit()
        rows: Sequence[Any] = db.execute(
            select(Ticket.id, Ticket.number, Ticket.title, Ticket.dispatch_due_at)
            .where(Ticket.state == WAITING, Ticket.dispatch_due_at < now, Ticket.dispatch_alerted_at.is_(None))
            .order_by(Ticket.dispatch_due_at, Ticket.id).limit(cap)
        ).all()
        db.rollback()

    def tell(db: Session, chunk: list[Any]) -> int:
        notes = []
        for ticket_id, number, title, due in chunk:
            claimed = db.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.state == WAITING,
                                                      Ticket.dispatch_alerted_at.is_(None))
                                 .values(dispatch_alerted_at=now).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:  # dispatched meanwhile, or told by another worker
                continue
            notes.append(notification_row(
                unit_id=None, audience=Audience.CENTRE, kind=NotificationKind.DISPATCH_LATE, at=now,
                ticket_id=ticket_id,
                title=f"【派单超时】工单 {number} 已超过派单时限（{short_time(due)}）仍未派单",
                body=f"{title}。请尽快派单或直接答复。"))
        add_rows(db, [], notes)
        return len(notes)

    result = _in_batches(sf, policy, rows, tell)
    result.truncated = len(rows) == cap
    return result


def _give_limits(db: Session, rt: Runtime, cap: int) -> None:
    """The policy's 派单时限 for waiting tickets that have none (registered before it existed)."""
    columns = [getattr(Ticket, name) for name in FACTS]
    for row in db.execute(select(Ticket.id, Ticket.created_at, *columns)
                          .where(Ticket.state == WAITING, Ticket.dispatch_due_at.is_(None)).limit(cap)):
        due, warn = dispatch_deadline(rt, dict(zip(FACTS, row[2:], strict=True)), row.created_at)
        db.execute(update(Ticket).where(Ticket.id == row.id, Ticket.dispatch_due_at.is_(None))
                   .values(dispatch_due_at=due, dispatch_warn_at=warn).execution_options(synchronize_session=False))
