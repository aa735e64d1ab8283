"""The 回头看 list: finished tickets of a period whose last callback said 未解决 or 不满意, with their latest
审核研判. Reads only: the review and the 再办理 are workflow actions (tickets.service.act)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.errors import DomainError
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import visible_condition
from hotline.supervision.service import READERS, require
from hotline.tickets.enums import ReviewConclusion, Satisfaction, State
from hotline.tickets.models import Ticket, TicketReview

# Both unsatisfied levels, as the satisfaction rate counts them.
UNSATISFIED = (str(Satisfaction.UNSATISFIED), str(Satisfaction.VERY_UNSATISFIED))
MAX_EXPORT_ROWS = 10_000


@dataclass
class RevisitFilters:
    finished_from: datetime | None = None  # the period: when the ticket finished (its last callback)
    finished_to: datetime | None = None  # exclusive
    unit_id: int | None = None  # the lead unit of its last round
    reviewed: bool | None = None
    conclusion: ReviewConclusion | None = None


@dataclass
class RevisitCounts:
    total: int
    reviewed: int

    @property
    def not_reviewed(self) -> int:
        return self.total - self.reviewed


@dataclass
class RevisitRow:
    ticket: Ticket
    review: TicketReview | None  # the latest review of this finish (None: not reviewed yet)


def check_period(filters: RevisitFilters) -> None:
    """The API refuses a period that ends before it starts (the page shows it empty, and says why)."""
    if filters.finished_from and filters.finished_to and filters.finished_to <= filters.finished_from:
        raise DomainError("period_invalid", "结束时间须晚于开始时间", status_code=422)


def _population(actor: Actor, filters: RevisitFilters) -> list[Any]:
    """The unsatisfied finished tickets of the period the actor may see (a district's supervisor: its district).
    A ticket finished as 无法联系 has neither outcome and is not among them."""
    conds: list[Any] = [Ticket.state == str(State.FINISHED), visible_condition(actor),
                        or_(Ticket.solved.is_(False), Ticket.satisfaction.in_(UNSATISFIED))]
    if filters.finished_from:
        conds.append(Ticket.finished_at >= filters.finished_from)
    if filters.finished_to:
        conds.append(Ticket.finished_at < filters.finished_to)
    if filters.unit_id:
        conds.append(Ticket.lead_unit_id == filters.unit_id)
    return conds


def _review_filters(filters: RevisitFilters) -> list[Any]:
    conds: list[Any] = []
    if filters.reviewed is True:
        conds.append(Ticket.review_conclusion.is_not(None))
    elif filters.reviewed is False:
        conds.append(Ticket.review_conclusion.is_(None))
    if filters.conclusion:
        conds.append(Ticket.review_conclusion == str(filters.conclusion))
    return conds


def counts(db: Session, *, actor: Actor, filters: RevisitFilters) -> RevisitCounts:
    """How many of the period's tickets there are, and how many are reviewed (whatever the review filters)."""
    require(actor, READERS, "查看回头看")
    row = db.execute(select(func.count(), func.count(Ticket.review_conclusion))
                     .where(*_population(actor, filters))).one()
    return RevisitCounts(total=row[0], reviewed=row[1])


def revisit_list(db: Session, *, actor: Actor, filters: RevisitFilters, page: int = 1,
                 page_size: int = 20) -> tuple[list[RevisitRow], int]:
    """One page, the earliest finished first (the oldest wait longest for their review)."""
    require(actor, READERS, "查看回头看")
    page, page_size = max(page, 1), max(1, min(page_size, MAX_EXPORT_ROWS))
    conds = [*_population(actor, filters), *_review_filters(filters)]
    total = db.execute(select(func.count()).select_from(Ticket).where(*conds)).scalar_one()
    # The page's ids first, from the covering index ix_tickets_revisit alone; then only those rows are read
    # (a late page read every ticket it skipped: 3.3 s against 0.14 s on SQLite at 300,000 tickets).
    order = (Ticket.finished_at, Ticket.id)
    ids = (select(Ticket.id).where(*conds).order_by(*order).limit(page_size).offset((page - 1) * page_size)
           .subquery())
    tickets = list(db.execute(select(Ticket).join(ids, ids.c.id == Ticket.id).order_by(*order)).unique().scalars())
    return [RevisitRow(t, r) for t, r in zip(tickets, latest_reviews(db, tickets), strict=True)], total


def latest_reviews(db: Session, tickets: list[Ticket]) -> list[TicketReview | None]:
    """Each reviewed ticket's latest review (a ticket not reviewed since it finished has none)."""
    reviewed = [t.id for t in tickets if t.review_conclusion]
    latest: dict[int, TicketReview] = {}
    for start in range(0, len(reviewed), 1000):  # bounded IN lists for an export
        for r in db.execute(select(TicketReview).where(TicketReview.ticket_id.in_(reviewed[start:start + 1000]))
                            .order_by(TicketReview.id)).scalars():
            latest[r.ticket_id] = r
    return [latest.get(t.id) if t.review_conclusion else None for t in tickets]


def export_rows(db: Session, *, actor: Actor, filters: RevisitFilters, at: datetime) -> tuple[list[RevisitRow], int]:
    """Up to MAX_EXPORT_ROWS rows for Excel; the export is audited as every export of tickets is."""
    rows, total = revisit_list(db, actor=actor, filters=filters, page=1, page_size=MAX_EXPORT_ROWS)
    audit.record(db, actor=actor, at=at, action="export_revisit", object_type="ticket_list",
                 object_id=str(len(rows)), detail=f"回头看：共{total}张，导出{len(rows)}张")
    db.commit()
    return rows, total
