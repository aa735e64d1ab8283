"""好差评 reads and the one change: the 差评 list within the actor's data scope, the month's figures for
the dashboard, and recording a follow-up (核实), audited in its own transaction (谁使用、谁负责).

A rating is read from the ticket (public_rating, public_comment) and its `rate` event: when it was
given, and the unit it judged (the lead unit at the time). The workflow allows one rating per ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, false, func, select
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
from hotline.security.roles import UNIT_ROLES, Role
from hotline.tickets.enums import SATISFACTION_LABELS, Action, Satisfaction
from hotline.tickets.models import Ticket, TicketEvent

READERS = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.ANALYST, Role.ADMIN})  # as the supervision lists
WRITERS = frozenset({Role.SUPERVISOR})
# A handling unit's staff read the 差评 of the tickets their unit led (the unit the rating judged), not another's.
LIST_READERS = READERS | UNIT_ROLES
MAX_EXPORT = 10_000


def require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden("role_forbidden", f"当前角色无权{what}")


def rate_event() -> Any:
    """The join to a ticket's `rate` event (one per ticket)."""
    return and_(TicketEvent.ticket_id == Ticket.id, TicketEvent.action == str(Action.RATE))


def rate_event_of_ticket() -> Any:
    """The same join for the 差评 list, written so that it starts from the few bad-rated tickets and finds
    each one's `rate` event through ticket_events' ticket_id index: `action || ''` is the same test, but no
    index serves it. With `rate_event()` SQLite (no statistics) started from every `rate` event through
    ix_ticket_events_action_at and read a ticket per rating: the list twice as slow at 300,000 tickets a year
    (bench/city_scale.py, docs/benchmarks.md). PostgreSQL plans both alike. Sums over a period keep
    `rate_event()`, which reads the period's ratings through that index."""
    return and_(TicketEvent.ticket_id == Ticket.id, TicketEvent.action.concat("") == str(Action.RATE))


def followed_up() -> Any:
    return exists(select(RatingFollowup.id).where(RatingFollowup.ticket_id == Ticket.id))


@dataclass
class BadFilters:
    period: Period | None = None  # when rated
    unit_id: int | None = None  # the unit the rating judged
    followed_up: bool | None = None
    q: str | None = None  # a ticket number, whole or in part
    rated_from: datetime | None = None  # when rated, as any range [rated_from, rated_to) (the CLI's days)
    rated_to: datetime | None = None


def own_unit(actor: Actor) -> Any:
    """A unit's staff: the ratings that judged their own unit (none without a unit). Others: no limit."""
    if actor.role not in UNIT_ROLES:
        return None
    return TicketEvent.unit_id == actor.unit_id if actor.unit_id is not None else false()


def _bad_conditions(actor: Actor, f: BadFilters) -> list[Any]:
    conds: list[Any] = [visible_condition(actor), Ticket.public_rating.in_(BAD)]
    if (mine := own_unit(actor)) is not None:  # another unit's id as a filter then finds nothing
        conds.append(mine)
    if f.period:
        conds += [TicketEvent.at >= f.period.start, TicketEvent.at < f.period.end]
    if f.rated_from is not None:
        conds.append(TicketEvent.at >= f.rated_from)
    if f.rated_to is not None:
        conds.append(TicketEvent.at < f.rated_to)
    if f.unit_id:
        conds.append(TicketEvent.unit_id == f.unit_id)
    if f.followed_up is not None:
        conds.append(followed_up() if f.followed_up else ~followed_up())
    if f.q:
        conds.append(Ticket.number.contains(f.q.strip().upper(), autoescape=True))
    return conds


def list_bad(db: Session, *, actor: Actor, filters: BadFilters, page: int = 1,
             page_size: int = 20) -> tuple[list[BadRatingOut], int]:
    """The 差评 the actor may see, the newest rating first, each with its follow-ups (a unit's staff:
    those of the tickets their unit led)."""
    require(actor, LIST_READERS, "查看差评")
    conds = _bad_conditions(actor, filters)
    base = select(Ticket.id).join(TicketEvent, rate_event_of_ticket()).where(*conds)
    total = db.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page_size = max(1, min(page_size, MAX_EXPORT))
    rows = db.execute(
        select(Ticket.id, Ticket.number, Ticket.title, Ticket.state, Ticket.public_rating, Ticket.public_comment,
               TicketEvent.at, TicketEvent.unit_id)
        .join(TicketEvent, rate_event_of_ticket()).where(*conds)
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


def _rated_in(actor: Actor, start: datetime | None, end: datetime | None, unit_id: int | None) -> list[Any]:
    """The ratings given in [start, end) that the actor may see, of one unit's tickets when `unit_id`."""
    conds: list[Any] = [visible_condition(actor)]
    if start is not None:
        conds.append(TicketEvent.at >= start)
    if end is not None:
        conds.append(TicketEvent.at < end)
    if unit_id is not None:
        conds.append(TicketEvent.unit_id == unit_id)
    if (mine := own_unit(actor)) is not None:
        conds.append(mine)
    return conds


def _summaries(db: Session, conds: list[Any], key: Any = None) -> dict[Any, Summary]:
    """One Summary per value of `key` (a column of the rating's event or ticket) among the ratings of
    `conds`; without a key, one under None."""
    level = Ticket.public_rating
    keys = [key] if key is not None else []
    counts: dict[Any, dict[str, int]] = {}
    for *k, lv, n in db.execute(select(*keys, level, func.count(Ticket.id)).join(TicketEvent, rate_event())
                                .where(*conds).group_by(*keys, level)).all():
        counts.setdefault(k[0] if k else None, {})[lv] = int(n)
    opened: dict[Any, int] = {}
    for *k, n in db.execute(select(*keys, func.count(Ticket.id)).join(TicketEvent, rate_event())
                            .where(*conds, level.in_(BAD), ~followed_up()).group_by(*keys)).all():
        opened[k[0] if k else None] = int(n)
    return {k: Summary(rated=sum(c.values()), good=sum(c.get(g, 0) for g in GOOD),
                       bad=sum(c.get(b, 0) for b in BAD), bad_open=opened.get(k, 0))
            for k, c in counts.items()}


def summary(db: Session, *, actor: Actor, start: datetime | None, end: datetime | None,
            unit_id: int | None = None) -> Summary:
    """The ratings given in [start, end) in the actor's scope (of one unit's tickets when `unit_id`)."""
    found = _summaries(db, _rated_in(actor, start, end, unit_id))
    return found.get(None, Summary(rated=0, good=0, bad=0, bad_open=0))


@dataclass(frozen=True)
class UnitSummary:
    unit_id: int
    unit_name: str
    figures: Summary


def summary_by_unit(db: Session, *, actor: Actor, start: datetime | None, end: datetime | None,
                    unit_id: int | None = None) -> list[UnitSummary]:
    """Per unit the ratings judged (the lead unit when rated; direct answers judge none): those with most
    差评 first, then most ratings — as the report's table."""
    require(actor, LIST_READERS, "查看好差评")
    per = _summaries(db, [*_rated_in(actor, start, end, unit_id), TicketEvent.unit_id.is_not(None)],
                     TicketEvent.unit_id)
    names = dict(db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(per))).all()) if per else {}
    rows = [UnitSummary(u, names.get(u, str(u)), s) for u, s in per.items()]
    return sorted(rows, key=lambda r: (-r.figures.bad, -r.figures.rated, r.unit_id))
