"""What supervision writes into a ticket's history and counters, and into the units' inboxes.

Reminders and supervision orders are ticket events (催办 / 督办) like the ones people record, so they
show in the ticket's timeline and feed the assessment; the system acts as Actor.system()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from hotline.security.actor import Actor
from hotline.supervision.enums import Audience, NotificationKind
from hotline.supervision.models import Notification
from hotline.tickets.enums import Action
from hotline.tickets.models import Ticket, TicketEvent

SYSTEM_NAME = "系统（自动督办）"


def system_actor() -> Actor:
    base = Actor.system()
    return Actor(role=base.role, name=SYSTEM_NAME, data_scope=base.data_scope)


def event_row(*, ticket_id: int, state: str, action: Action, actor: Actor, at: datetime, unit_id: int | None,
              note: str, data: dict[str, Any]) -> dict[str, Any]:
    """The same event as ticket_event(), as a row for one multi-row INSERT per batch."""
    return dict(ticket_id=ticket_id, at=at, action=str(action), from_state=state, to_state=state,
                actor_user_id=actor.user_id, actor_role=str(actor.role), actor_name=actor.name, unit_id=unit_id,
                note=note, data=data)


def notification_row(*, unit_id: int | None, audience: Audience, kind: NotificationKind, at: datetime, title: str,
                     body: str | None = None, ticket_id: int | None = None,
                     order_id: int | None = None) -> dict[str, Any]:
    return dict(unit_id=unit_id, audience=str(audience), kind=str(kind), ticket_id=ticket_id, order_id=order_id,
                meeting_id=None, title=title[:200], body=body, created_at=at, read_at=None, read_by_name=None)


def add_rows(db: Session, events: list[dict[str, Any]], notifications: list[dict[str, Any]]) -> None:
    if events:
        db.execute(insert(TicketEvent), events)
    if notifications:
        db.execute(insert(Notification), notifications)


def bump_tickets(db: Session, *, column: str, increments: dict[int, int], running_states: tuple[str, ...],
                 deadlines: dict[int, datetime | None] | None = None, deadline_column: str = "due_at") -> set[int]:
    """Add each ticket's increment to remind_count / supervise_count, only for tickets still in
    `running_states` and, when `deadlines` names one for a ticket, still with that deadline (in
    `deadline_column`: the handling deadline, or the acknowledgement deadline); the ids that were
    updated. One UPDATE per (increment, deadline): deadlines end a local day, so a batch has few
    distinct ones."""
    col = getattr(Ticket, column)
    deadline = getattr(Ticket, deadline_column)
    groups: dict[tuple[int, datetime | None], list[int]] = {}
    for tid, n in increments.items():
        groups.setdefault((n, (deadlines or {}).get(tid)), []).append(tid)
    done: set[int] = set()
    for (n, due), tids in groups.items():
        conds: list[Any] = [Ticket.id.in_(tids), Ticket.state.in_(running_states)]
        if due is not None:
            conds.append(deadline == due)
        done.update(db.execute(update(Ticket).where(*conds).values({col: col + n}).returning(Ticket.id)
                               .execution_options(synchronize_session=False)).scalars())
    return done


def notify(
    db: Session, *, unit_id: int | None, audience: Audience, kind: NotificationKind, at: datetime, title: str,
    body: str | None = None, ticket_id: int | None = None, order_id: int | None = None,
    meeting_id: int | None = None,
) -> None:
    db.add(Notification(unit_id=unit_id, audience=str(audience), kind=str(kind), ticket_id=ticket_id,
                        order_id=order_id, meeting_id=meeting_id, title=title[:200], body=body, created_at=at))
