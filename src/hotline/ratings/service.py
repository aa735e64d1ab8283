"""好差评 reads and the one change: the 差评 list within the actor's data scope, the month's figures for
the dashboard, and recording a follow-up (核实), audited in its own transaction (谁使用、谁负责).

A rating is read from the ticket (public_rating, public_comment) and its `rate` event: when it was
given, and the unit it judged (the lead unit at the time). The workflow allows one rating per ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from hotline.errors import DomainError, Forbidden, NotFound
from hotline.org.models import Unit
from hotline.ratings.enums import BAD, CONCLUSION_LABELS, GOOD, Conclusion
from hotline.ratings.models import RatingFollowup
from hotline.ratings.schemas import BadRatingOut, FollowupIn, FollowupOut
from hotline.reports.period import Period
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import can_view, visible_condition
from hotline.security.roles import Role
from hotline.tickets.enums import SATISFACTION_LABELS, Action, Satisfaction
from hotline.tickets.models import Ticket, TicketEvent

READERS = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.ANALYST, Role.ADMIN})  # as the supervision lists
WRITERS = frozenset({Role.SUPERVISOR})
MAX_EXPORT = 10_000


def require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden("role_forbidden", f"当前角色无权{what}")


def rate_event() -> Any:
    """The join to a ticket's `rate` event (one per ticket)."""
    return and_(TicketEvent.ticket_id == Ticket.id, TicketEvent.action == str(Action.RATE))


def followed_up() -> Any:
    return exists(select(RatingFollowup.id).where(RatingFollowup.ticket_id == Ticket.id))


@dataclass
class BadFilters:
    period: Period | None = None  # when rated
    unit_id: int | None = None  # the unit the rating judged
    followed_up: bool | None = None
    q: str | None = None  # a ticket number, whole or in part


def _bad_conditions(actor: Actor, f: BadFilters) -> list[Any]:
    conds: list[Any] = [visible_condition(actor), Ticket.public_rating.in_(BAD)]
    if f.period:
        conds += [TicketEvent.at >= f.period.start, TicketEvent.at < f.period.end]
    if f.unit_id:
        conds.append(TicketEvent.unit_id == f.unit_id)
    if f.followed_up is not None:
        conds.append(followed_up() if f.followed_up else ~followed_up())
    if f.q:
        conds.append(Ticket.number.contains(f.q.strip().upper(), autoescape=True))
    return conds


def list_bad(db: Session, *, actor: Actor, filters: BadFilters, page: int = 1,
             page_size: int = 20) -> tuple[list[BadRatingOut], int]:
    """The 差评 the actor may see, the newest rating first, each with its follow-ups."""
    require(actor, READERS, "查看差评")
    conds = _bad_conditions(actor, filters)
    base = select(Ticket.id).join(TicketEvent, rate_event()).where(*conds)
    total = db.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page_size = max(1, min(page_size, MAX_EXPORT))
    rows = db.execute(
        select(Ticket.id, Ticket.number, Ticket.title, Ticket.state, Ticket.public_rating, Ticket.public_comment,
               TicketEvent.at, TicketEvent.unit_id)
        .join(TicketEvent, rate_event()).where(*conds)
        .order_by(TicketEvent.at.desc(), Ticket.id.desc()).limit(page_size).offset((max(page, 1) - 1) * page_size)
    ).all()
    ids = [r.id for r in rows]
    notes = followups_of(db, ids)
    unit_ids = {r.unit_id for r in rows if r.unit_id}
    names = dict(db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(unit_ids))).all()) if unit_ids else {}
    return [BadRatingOut(
        ticket_id=r.id, ticket_number=r.number, ticket_title=r.title, ticket_state=r.state, rating=r.public_rating,
        rating_label=SATISFACTION_LABELS[Satisfaction(r.public_rating)], comment=r.public_comment, rated_at=r.at,
        unit_id=r.unit_id, unit_name=names.get(r.unit_id), followed_up=bool(notes.get(r.id)),
        followups=notes.get(r.id, [])) for r in rows], total


def followups_of(db: Session, ticket_ids: list[int]) -> dict[int, list[FollowupOut]]:
    """Each ticket's follow-ups, oldest first (the last is the standing conclusion)."""
    found: dict[int, list[FollowupOut]] = {}
    for start in range(0, len(ticket_ids), 1000):  # an export's 10,000: bounded IN lists
        rows = db.execute(select(RatingFollowup).where(RatingFollowup.ticket_id.in_(ticket_ids[start:start + 1000]))
                          .order_by(RatingFollowup.id)).scalars()
        for f in rows:
            found.setdefault(f.ticket_id, []).append(followup_out(f))
    return found


def followup_out(f: RatingFollowup) -> FollowupOut:
    return FollowupOut(id=f.id, conclusion=f.conclusion, conclusion_label=CONCLUSION_LABELS[Conclusion(f.conclusion)],
                       note=f.note, by_name=f.by_name, at=f.at)


def record_followup(db: Session, rt: Runtime, *, actor: Actor, ticket_id: int, data: FollowupIn) -> FollowupOut:
    """核实 of one 差评: who, when, what they found; audited with the ticket's number."""
    require(actor, WRITERS, "记录差评核实情况")
    ticket = db.get(Ticket, ticket_id)
    if ticket is None or not can_view(actor, ticket):  # out of scope reads as missing, as it is to them
        raise NotFound("ticket_not_found", "工单不存在")
    if ticket.public_rating not in BAD:
        raise DomainError("not_bad_rating", f"工单 {ticket.number} 没有差评，无需核实", status_code=409)
    now = rt.clock.now()
    note = data.note.strip()
    row = RatingFollowup(ticket_id=ticket.id, conclusion=str(data.conclusion), note=note, by_user_id=actor.user_id,
                         by_name=actor.name, at=now)
    try:
        db.add(row)
        audit.record(db, actor=actor, at=now, action="rating_followup", object_type="ticket", object_id=ticket.number,
                     detail=f"差评核实：{CONCLUSION_LABELS[data.conclusion]}；{note}")
        db.commit()
    except Exception:
        db.rollback()
        raise
    return followup_out(row)


def record_export(db: Session, rt: Runtime, *, actor: Actor, shown: int, total: int) -> None:
    audit.record(db, actor=actor, at=rt.clock.now(), action="export_bad_ratings", object_type="rating_list",
                 object_id=str(shown), detail=f"共{total}条差评，导出{shown}条")
    db.commit()


@dataclass(frozen=True)
class Summary:
    """One period's 好差评 in the actor's scope: the dashboard's figures."""

    rated: int
    good: int
    bad: int
    bad_open: int  # 差评 of the period with no follow-up yet

    @property
    def good_rate(self) -> float | None:
        return round(100.0 * self.good / self.rated, 1) if self.rated else None


def summary(db: Session, *, actor: Actor, start: datetime, end: datetime) -> Summary:
    level = Ticket.public_rating
    rows = db.execute(
        select(level, func.count(Ticket.id)).join(TicketEvent, rate_event())
        .where(visible_condition(actor), TicketEvent.at >= start, TicketEvent.at < end).group_by(level)).all()
    counts = {k: int(n) for k, n in rows}
    bad_open = db.execute(
        select(func.count(Ticket.id)).join(TicketEvent, rate_event())
        .where(visible_condition(actor), level.in_(BAD), TicketEvent.at >= start, TicketEvent.at < end,
               ~followed_up())).scalar_one()
    return Summary(rated=sum(counts.values()), good=sum(counts.get(k, 0) for k in GOOD),
                   bad=sum(counts.get(k, 0) for k in BAD), bad_open=int(bad_open))
