"""联动转办 watched as the other time limits are: a platform's answer past the policy's linkage_answer (from
the passing), and a request passed in whose result 12345 has and has not reported back past linkage_report
(from the ticket's closing). The scheduler tells the centre's inbox once per passing; ticket_linkages.alerted_at
is the guard (the UPDATE that sets it decides who writes the message, so two workers, or a re-run, tell once).

Passings waiting are few (tens to hundreds), so the limits are applied here, on the calendar, rather than kept
as due dates in the table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.linkage.models import TicketLinkage
from hotline.linkage.schemas import LinkageItem, item
from hotline.linkage.service import ANSWER_READY, Direction, Status, answer_closed_at, answer_of, answer_state
from hotline.runtime import Runtime
from hotline.supervision.enums import Audience, NotificationKind
from hotline.supervision.jobs import JobResult, _in_batches, short_time
from hotline.supervision.policy import SupervisionPolicy
from hotline.supervision.timeline import add_rows, notification_row
from hotline.tickets.deadlines import Policy
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket


def due_at(linkage: Any, ticket: Any, policy: Policy) -> datetime | None:
    """When the passing is late: the platform's answer (out, waiting), or the report back (in, answer ready)."""
    if linkage.direction == Direction.OUT and linkage.status == Status.WAITING:
        return policy.linkage_answer.apply(linkage.sent_at)
    state, closed_at = answer_of(ticket)  # a merged request's answer is its parent's
    if linkage.direction == Direction.IN and linkage.status == Status.OPEN and state in ANSWER_READY and closed_at:
        return policy.linkage_report.apply(closed_at)
    return None


def items(rows: list[tuple[Any, Any]], policy: Policy, now: datetime) -> list[LinkageItem]:
    """The list's rows (passing, ticket) with when each is late and whether it is now."""
    return [item(x, t, due_at=due_at(x, t, policy), now=now) for x, t in rows]


def watch_linkage(sf: sessionmaker[Session], rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    now = rt.clock.now()
    cap = policy.batch_size * policy.max_batches
    with sf() as db:
        candidates = db.execute(
            select(TicketLinkage.id, TicketLinkage.direction, TicketLinkage.status, TicketLinkage.sent_at,
                   TicketLinkage.line_name, Ticket.id.label("ticket_id"), Ticket.number, Ticket.title,
                   answer_state().label("state"), answer_closed_at().label("closed_at"))
            .join(Ticket, Ticket.id == TicketLinkage.ticket_id)
            .where(TicketLinkage.alerted_at.is_(None),
                   ((TicketLinkage.direction == str(Direction.OUT)) & (TicketLinkage.status == str(Status.WAITING)))
                   | ((TicketLinkage.direction == str(Direction.IN)) & (TicketLinkage.status == str(Status.OPEN))
                      & answer_state().in_(ANSWER_READY)))
            .order_by(TicketLinkage.sent_at, TicketLinkage.id).limit(cap)
        ).all()
        db.rollback()
    late = []
    for row in candidates:
        due = due_at(row, row, rt.policy)
        if due is not None and due < now:
            late.append((row, due))

    def tell(db: Session, chunk: list[Any]) -> int:
        notes = []
        for row, due in chunk:
            claimed = db.execute(update(TicketLinkage).where(TicketLinkage.id == row.id,
                                                             TicketLinkage.status == row.status,
                                                             TicketLinkage.alerted_at.is_(None))
                                 .values(alerted_at=now).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:  # answered meanwhile, or told by another worker
                continue
            if row.direction == Direction.OUT:
                title = f"【联动超时】工单 {row.number} 转至{row.line_name}，超过反馈时限（{short_time(due)}）仍未反馈"
                body = f"{row.title}。请联系对方平台催询办理结果，收到后在工单页记录「联动反馈」。"
            else:
                done = "已撤回" if row.state == State.WITHDRAWN else "已办结"
                title = (f"【待反馈转入方】工单 {row.number} {done}，超过时限（{short_time(due)}）"
                         f"尚未向{row.line_name}反馈")
                body = f"{row.title}。请将办理结果反馈转入方，并在工单页记录「反馈转入方」。"
            notes.append(notification_row(unit_id=None, audience=Audience.CENTRE, kind=NotificationKind.LINKAGE_LATE,
                                          at=now, ticket_id=row.ticket_id, title=title, body=body))
        add_rows(db, [], notes)
        return len(notes)

    result = _in_batches(sf, policy, late, tell)
    result.truncated = len(candidates) == cap
    return result
