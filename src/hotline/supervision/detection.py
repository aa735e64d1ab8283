"""Detection of unit misconduct from the ticket history, and the queries the assessment reads.

- improper return (不当退单): a unit's return refused in return review (event refuse_return);
- buck-passing (推诿扯皮): a ticket returned by units more than N times (policy buck_passing_max_returns):
  every unit that returned it gets a finding;
- false reply (虚假答复): a ticket reopened after callback as not solved: the unit whose reply claimed it;
  and a finished ticket whose 审核研判 (回头看) concluded 诉求合理、未解决，需再办理 (`rehandle`): the unit of
  its last reply, once per reply reviewed — withdrawn when a later review of the same finish concludes
  otherwise (the review in force decides, as it decides whether 再办理 may follow).

The job reads new ticket events after a watermark (re-reading a margin, since ids can commit out of
order) and writes findings keyed by dedupe_key, so re-reading is harmless."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hotline.errors import DomainError
from hotline.org.models import Unit
from hotline.security.actor import Actor
from hotline.security.permissions import visible_condition
from hotline.security.roles import DataScope
from hotline.supervision.enums import FINDING_LABELS, FindingKind
from hotline.supervision.models import Finding, SchedulerState
from hotline.supervision.upsert import insert_new
from hotline.tickets.enums import REVIEW_CONCLUSION_LABELS, Action, ReviewConclusion
from hotline.tickets.models import Ticket, TicketEvent

if TYPE_CHECKING:
    from hotline.runtime import Runtime
    from hotline.supervision.jobs import JobResult, SessionFactory
    from hotline.supervision.policy import SupervisionPolicy

WATERMARK = "findings_event_id"
# Events re-read behind the watermark: a transaction that took an id earlier may commit later.
MARGIN = 1000
WATCHED = (str(Action.REFUSE_RETURN), str(Action.RETURN), str(Action.REOPEN), str(Action.REVIEW))


def detect_findings(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    from hotline.supervision.jobs import JobResult

    now = rt.clock.now()
    result = JobResult()
    with sf() as db:
        start = max(_watermark(db) - MARGIN, 0)
        db.rollback()
    after = start
    while True:
        with sf() as db:
            rows = list(db.execute(
                select(TicketEvent).where(TicketEvent.id > after, TicketEvent.action.in_(WATCHED))
                .order_by(TicketEvent.id).limit(policy.batch_size)
            ).scalars())
            created = sum(_findings_for(db, e, policy, now) for e in rows)
            top = db.execute(select(func.max(TicketEvent.id))).scalar_one() or 0
            last = rows[-1].id if len(rows) == policy.batch_size else top
            _advance(db, last)
            db.commit()
        result.created += created
        result.batches += 1
        if len(rows) < policy.batch_size:
            return result
        after = rows[-1].id
        if result.batches >= policy.max_batches:
            result.truncated = True
            return result


def _watermark(db: Session) -> int:
    return db.execute(select(SchedulerState.value).where(SchedulerState.name == WATERMARK)).scalar_one_or_none() or 0


def _advance(db: Session, value: int) -> None:
    """Move the watermark forward only (two workers may race)."""
    if insert_new(db, SchedulerState, {"name": WATERMARK, "value": value}, conflict=["name"]) is None:
        db.execute(update(SchedulerState).where(SchedulerState.name == WATERMARK, SchedulerState.value < value)
                   .values(value=value))


def _add(db: Session, *, kind: FindingKind, unit_id: int | None, event: TicketEvent, key: str, detail: str,
         now: datetime) -> int:
    if unit_id is None:
        return 0
    new = insert_new(db, Finding, dict(kind=str(kind), unit_id=unit_id, ticket_id=event.ticket_id, event_id=event.id,
                                       at=event.at, detail=detail[:300], dedupe_key=key, created_at=now),
                     conflict=["dedupe_key"])
    return int(new is not None)


def _findings_for(db: Session, e: TicketEvent, policy: SupervisionPolicy, now: datetime) -> int:
    if e.action == Action.REFUSE_RETURN:
        return _add(db, kind=FindingKind.IMPROPER_RETURN, unit_id=e.unit_id, event=e,
                    key=f"improper_return:{e.id}", detail=f"退单被驳回：{e.note or ''}", now=now)
    if e.action == Action.RETURN:
        returns = db.execute(
            select(TicketEvent.unit_id, TicketEvent.id).where(TicketEvent.ticket_id == e.ticket_id,
                                                             TicketEvent.action == str(Action.RETURN),
                                                             TicketEvent.id <= e.id)
        ).all()
        if len(returns) <= policy.buck_passing_max_returns:
            return 0
        units = dict.fromkeys(uid for uid, _ in returns if uid is not None)
        return sum(_add(db, kind=FindingKind.BUCK_PASSING, unit_id=uid, event=e,
                        key=f"buck_passing:{e.ticket_id}:{uid}",
                        detail=f"工单被{len(units)}个单位累计退单{len(returns)}次（阈值{policy.buck_passing_max_returns}次）",
                        now=now) for uid in units)
    if e.action == Action.REOPEN and (e.data or {}).get("solved") is False:
        replied_by = db.execute(
            select(TicketEvent.unit_id).where(TicketEvent.ticket_id == e.ticket_id,
                                              TicketEvent.action == str(Action.REPLY), TicketEvent.id < e.id)
            .order_by(TicketEvent.id.desc()).limit(1)
        ).scalar_one_or_none()
        return _add(db, kind=FindingKind.FALSE_REPLY, unit_id=replied_by, event=e, key=f"false_reply:{e.id}",
                    detail=f"回访未解决被退回重办：{e.note or ''}", now=now)
    if e.action == Action.REVIEW:
        return _reviewed_reply(db, e, now)
    return 0


def _reviewed_reply(db: Session, e: TicketEvent, now: datetime) -> int:
    """回头看: a review concluding `rehandle` finds the request reasonable and not solved, so the last reply
    before it (which claimed it handled) is a false reply, as a callback's 未解决 makes it. Keyed by the reply:
    the reviews of one finish count it once, and a later review of that finish concluding otherwise (the
    conclusion in force) takes it back. Events are read in id order, so re-reading leaves the last word."""
    reply = db.execute(
        select(TicketEvent.id, TicketEvent.unit_id).where(TicketEvent.ticket_id == e.ticket_id,
                                                          TicketEvent.action == str(Action.REPLY),
                                                          TicketEvent.id < e.id)
        .order_by(TicketEvent.id.desc()).limit(1)
    ).one_or_none()
    if reply is None or reply.unit_id is None:  # answered directly by the centre: no unit replied
        return 0
    key = f"false_reply:review:{reply.id}"
    if (e.data or {}).get("conclusion") != str(ReviewConclusion.REHANDLE):
        db.execute(delete(Finding).where(Finding.dedupe_key == key))
        return 0
    label = REVIEW_CONCLUSION_LABELS[ReviewConclusion.REHANDLE]
    return _add(db, kind=FindingKind.FALSE_REPLY, unit_id=reply.unit_id, event=e, key=key,
                detail=f"回头看研判：{label}；{e.note or ''}", now=now)


# ---- queries for pages and for the assessment ----------------------------------------------------


@dataclass(frozen=True)
class UnitFindings:
    unit_id: int
    unit_name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _conds(since: datetime | None, until: datetime | None, unit_ids: list[int] | None,
           kind: FindingKind | None, actor: Actor | None = None) -> list[Any]:
    conds: list[Any] = []
    if actor is not None and actor.data_scope != DataScope.ALL:  # a district's supervisor: its tickets only
        conds.append(Finding.ticket_id.in_(select(Ticket.id).where(visible_condition(actor))))
    if since is not None:
        conds.append(Finding.at >= since)
    if until is not None:
        conds.append(Finding.at < until)
    if unit_ids is not None:
        conds.append(Finding.unit_id.in_(unit_ids))
    if kind is not None:
        conds.append(Finding.kind == str(kind))
    return conds


def check_range(since: datetime | None, until: datetime | None) -> None:
    """A period ending before it starts is the user's slip, said so (QA: it listed nothing, silently)."""
    if since is not None and until is not None and until < since:
        raise DomainError("bad_period", "结束日期不能早于开始日期", status_code=422)


def findings_by_unit(db: Session, *, since: datetime | None = None, until: datetime | None = None,
                     unit_ids: list[int] | None = None, actor: Actor | None = None) -> list[UnitFindings]:
    """Per unit, how many findings of each kind happened in [since, until): the worst unit first.
    This is the assessment's entry point (考核 reads counts; findings_list gives the tickets behind them)."""
    rows = db.execute(
        select(Finding.unit_id, Unit.short_name, Finding.kind, func.count(Finding.id))
        .join(Unit, Unit.id == Finding.unit_id)
        .where(*_conds(since, until, unit_ids, None, actor))
        .group_by(Finding.unit_id, Unit.short_name, Finding.kind)
    ).all()
    per: dict[int, UnitFindings] = {}
    for unit_id, name, kind, n in rows:
        entry = per.setdefault(unit_id, UnitFindings(unit_id, name, {str(k): 0 for k in FINDING_LABELS}))
        entry.counts[kind] = n
    return sorted(per.values(), key=lambda u: (-u.total, u.unit_id))


def findings_list(db: Session, *, unit_id: int | None = None, kind: FindingKind | None = None,
                  since: datetime | None = None, until: datetime | None = None, page: int = 1,
                  page_size: int = 50, actor: Actor | None = None) -> tuple[list[Finding], int]:
    """The findings themselves (each with its ticket), newest first; with `actor`, on the tickets it may see."""
    conds = _conds(since, until, [unit_id] if unit_id is not None else None, kind, actor)
    total = db.execute(select(func.count(Finding.id)).where(*conds)).scalar_one()
    rows = db.execute(select(Finding).where(*conds).order_by(Finding.at.desc(), Finding.id.desc())
                      .limit(page_size).offset((max(page, 1) - 1) * page_size))
    return list(rows.unique().scalars()), total


def finding_ticket_ids(db: Session, *, unit_id: int, kind: FindingKind, since: datetime | None = None,
                       until: datetime | None = None) -> list[int]:
    """The tickets behind one unit's count of one kind (for explaining an assessment figure)."""
    return list(db.execute(select(Finding.ticket_id).where(*_conds(since, until, [unit_id], kind))
                           .distinct().order_by(Finding.ticket_id)).scalars())
