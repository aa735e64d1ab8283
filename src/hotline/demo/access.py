"""The demo's audit trail of personal-data reads, so that 个人信息访问审查 has a week to review.

Each read is derived from the simulated work itself: a member of staff who acted on a ticket (an
operator registering it, a handler acknowledging or replying, a callback agent calling back) opened it
a few minutes before, unmasked. One handler stands out on purpose — the handler of the unit with the
most tickets opened up to 120 of them late one night — so the review's flags have something to show.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.org import service as org_service
from hotline.org.models import User
from hotline.security import audit
from hotline.security.roles import PERSONAL_DATA_ROLES, Role
from hotline.tickets.models import Ticket, TicketAssignment, TicketEvent

DAYS = 7


def build(db: Session, *, end: datetime, seed: int = 20261127) -> int:
    """Record the reads of the last DAYS days before `end`; the number of entries written."""
    rng = random.Random(seed)
    start = end - timedelta(days=DAYS)
    roles = [str(r) for r in PERSONAL_DATA_ROLES]
    acts = db.execute(
        select(TicketEvent.actor_user_id, TicketEvent.at, Ticket.number)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.at >= start, TicketEvent.at < end, TicketEvent.actor_user_id.is_not(None),
               TicketEvent.actor_role.in_(roles), Ticket.confidential.is_(False))
        .order_by(TicketEvent.id)
    ).all()
    users = {u.id: u for u in db.execute(select(User).where(User.role.in_(roles))).scalars()}
    written = 0
    for user_id, at, number in acts:
        user = users.get(user_id)
        if user is None:
            continue
        actor = org_service.actor_for(user)
        for _ in range(rng.choice((1, 1, 2))):  # opened once, or again before acting
            audit.record(db, actor=actor, at=at - timedelta(minutes=rng.randint(1, 20)), action="view_personal_data",
                         object_type="ticket", object_id=number)
            written += 1
    written += _night_owl(db, rng, end)
    db.commit()
    return written


def _night_owl(db: Session, rng: random.Random, end: datetime) -> int:
    busiest = db.execute(
        select(User).join(TicketAssignment, TicketAssignment.unit_id == User.unit_id)
        .where(User.role == Role.UNIT_HANDLER.value).group_by(User.id)
        .order_by(func.count(TicketAssignment.id).desc(), User.id).limit(1)
    ).unique().scalar_one_or_none()
    if busiest is None:
        return 0
    numbers = db.execute(
        select(Ticket.number).join(TicketAssignment, TicketAssignment.ticket_id == Ticket.id)
        .where(TicketAssignment.unit_id == busiest.unit_id).group_by(Ticket.id, Ticket.number)
        .order_by(Ticket.id.desc()).limit(120)
    ).scalars().all()
    night = to_local(end - timedelta(days=2)).replace(hour=23, minute=5, second=0, microsecond=0)
    actor = org_service.actor_for(busiest)
    for i, number in enumerate(numbers):
        audit.record(db, actor=actor, at=night + timedelta(seconds=25 * i + rng.randint(0, 20)),
                     action="view_personal_data", object_type="ticket", object_id=number)
    return len(numbers)
