"""The fact table kept current from the event stream, and the reads that sum it.

refresh() processes ticket events past the high-water mark in batches, each batch one transaction that
adds its contributions to assessment_facts and moves the mark. The mark's row is locked first
(SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers), so two
refreshes — two processes, a scheduler and the CLI — never count an event twice: the second waits,
then finds the mark moved. Running it again with nothing new does nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.assessment.contributions import by_range, by_ticket, contributions
from hotline.assessment.models import AssessmentFact, AssessmentState
from hotline.assessment.sqlfuncs import month_of
from hotline.tickets.models import TicketEvent

STATE_NAME = "facts"
DEFAULT_BATCH = 200_000
BATCH_WORK_MEM = "256MB"
# Events younger than this wait for the next run (a transaction still in flight may hold a lower id).
DEFAULT_SETTLE = timedelta(seconds=30)

Totals = dict[int, dict[str, tuple[int, int]]]


@dataclass(frozen=True)
class RefreshResult:
    events: int
    batches: int
    last_event_id: int


def _insert(db: Session) -> Any:
    return postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert


def lock_state(db: Session) -> AssessmentState:
    """The high-water mark, locked for this transaction (created on first use)."""
    # populate_existing: the row read after waiting for the lock, not a copy held by this session.
    query = (select(AssessmentState).where(AssessmentState.name == STATE_NAME).with_for_update()
             .execution_options(populate_existing=True))
    state = db.execute(query).scalar_one_or_none()
    if state is None:
        db.execute(_insert(db)(AssessmentState).values(name=STATE_NAME, last_event_id=0).on_conflict_do_nothing())
        state = db.execute(query).scalar_one()
    return state


def pending_events(db: Session) -> int:
    """Ticket events not yet in the facts (past the high-water mark)."""
    state = mark(db)
    newest = db.execute(select(func.max(TicketEvent.id))).scalar() or 0
    return max(newest - (state.last_event_id if state else 0), 0)


def rebuild(db: Session, *, now: datetime, batch_size: int = DEFAULT_BATCH,
            settle: timedelta = timedelta(0)) -> RefreshResult:
    """The facts computed again from every event: after the definition of an indicator changed
    (contributions.py), the facts kept were counted the old way."""
    try:
        state = lock_state(db)  # the refresh waits: no batch lands between the wipe and the new count
        db.execute(delete(AssessmentFact))
        state.last_event_id = 0
        db.commit()
    except Exception:
        db.rollback()
        raise
    return refresh(db, now=now, batch_size=batch_size, settle=settle)


def _upsert_add(db: Session, rows: Any) -> None:
    """Add (unit_id, day, indicator, num, den) rows — a SELECT or a list of dicts — into the facts."""
    ins = _insert(db)(AssessmentFact)
    if isinstance(rows, list):
        if not rows:
            return
        stmt = ins.values(rows)
    else:
        stmt = ins.from_select(["unit_id", "day", "indicator", "num", "den"], rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["unit_id", "day", "indicator"],
        set_={"num": AssessmentFact.num + stmt.excluded.num, "den": AssessmentFact.den + stmt.excluded.den},
    )
    db.execute(stmt)


def _grouped(event_filter: Any) -> Any:
    # A refresh batch or one ticket: few tickets, whose histories are read through the ticket_id index.
    c = contributions(event_filter, few_tickets=True)
    # The WHERE also settles SQLite's INSERT … SELECT … ON CONFLICT parsing ambiguity.
    return (
        select(c.c.unit_id, c.c.day, c.c.indicator, func.sum(c.c.num), func.sum(c.c.den))
        .where(c.c.unit_id.is_not(None))
        .group_by(c.c.unit_id, c.c.day, c.c.indicator)
    )


def refresh(
    db: Session, *, now: datetime, batch_size: int = DEFAULT_BATCH, settle: timedelta = timedelta(0),
    max_batches: int | None = None,
) -> RefreshResult:
    """Bring the facts up to date. `settle`: leave events younger than this for the next run, so that a
    transaction still in flight (its event id drawn, not yet committed) cannot be skipped on PostgreSQL."""
    processed = batches = 0
    while max_batches is None or batches < max_batches:
        try:
            state = lock_state(db)
            if db.get_bind().dialect.name == "postgresql":
                # The batch query is large but simple: compiling it (JIT) costs seconds and saves nothing.
                # Its sorts, windows and groups over a batch's histories fit in memory with more than the
                # default 4 MB (which would spill them to temporary files); this transaction only.
                db.execute(text("SET LOCAL jit = off"))
                db.execute(text(f"SET LOCAL work_mem = '{BATCH_WORK_MEM}'"))
            low = state.last_event_id
            first, high = db.execute(
                select(func.min(TicketEvent.id), func.max(TicketEvent.id)).where(TicketEvent.id > low)).one()
            if high is None:
                db.commit()
                break
            # From the first id actually present: a gap in the ids costs no empty batches.
            high = min(high, first - 1 + batch_size)
            if settle > timedelta(0):
                # Stop before the first event that is not yet settled: the processed ids stay a prefix.
                young = db.execute(select(func.min(TicketEvent.id)).where(
                    TicketEvent.id > low, TicketEvent.id <= high, TicketEvent.at > now - settle)).scalar()
                if young is not None:
                    high = young - 1
            if high <= low:
                db.commit()
                break
            count = db.execute(select(func.count()).where(TicketEvent.id > low, TicketEvent.id <= high)).scalar_one()
            _upsert_add(db, _grouped(by_range(low, high)))
            state.last_event_id = high
            state.refreshed_at = now
            db.commit()
        except Exception:
            db.rollback()
            raise
        processed += count
        batches += 1
    mark = db.execute(select(AssessmentState.last_event_id).where(AssessmentState.name == STATE_NAME)).scalar()
    db.rollback()
    return RefreshResult(events=processed, batches=batches, last_event_id=mark or 0)


def ticket_contributions(db: Session, ticket_id: int, up_to: int) -> dict[tuple[int, date, str], tuple[int, int]]:
    """One ticket's contributions from its events up to the high-water mark, summed per fact key."""
    rows = db.execute(_grouped(by_ticket(ticket_id, up_to))).all()
    return {(u, d, i): (int(n), int(m)) for u, d, i, n, m in rows}


def apply_delta(db: Session, before: dict[Any, tuple[int, int]], after: dict[Any, tuple[int, int]]) -> None:
    """Move the facts from one ticket's old contributions to its new ones (an exemption decided)."""
    rows = []
    for key in set(before) | set(after):
        b, a = before.get(key, (0, 0)), after.get(key, (0, 0))
        if a != b:
            unit_id, day, indicator = key
            rows.append({"unit_id": unit_id, "day": day, "indicator": indicator, "num": a[0] - b[0],
                         "den": a[1] - b[1]})
    _upsert_add(db, rows)


# ---- reads ---------------------------------------------------------------------------------------


def totals(db: Session, *, start: date, end: date, unit_ids: list[int] | None = None) -> Totals:
    """sum(num), sum(den) per unit and indicator over local days start..end (inclusive)."""
    f = AssessmentFact
    conds = [f.day >= start, f.day <= end]
    if unit_ids is not None:
        conds.append(f.unit_id.in_(unit_ids))
    rows = db.execute(
        select(f.unit_id, f.indicator, func.sum(f.num), func.sum(f.den)).where(*conds).group_by(f.unit_id, f.indicator)
    ).all()
    out: Totals = defaultdict(dict)
    for unit_id, indicator, num, den in rows:
        out[unit_id][indicator] = (int(num or 0), int(den or 0))
    return dict(out)


def monthly(db: Session, *, start: date, end: date, unit_ids: list[int] | None = None,
            combine_units: bool = False) -> dict[tuple[int, str], dict[str, tuple[int, int]]]:
    """Per (unit, 'YYYY-MM') — or per (-1, month) summed over units other than the centre — the totals."""
    f = AssessmentFact
    month = month_of(f.day)
    conds = [f.day >= start, f.day <= end]
    if unit_ids is not None:
        conds.append(f.unit_id.in_(unit_ids))
    unit_col: Any = f.unit_id
    group: list[Any] = [f.unit_id, month, f.indicator]
    if combine_units:
        unit_col = literal(-1)
        group = [month, f.indicator]
    rows = db.execute(
        select(unit_col, month, f.indicator, func.sum(f.num), func.sum(f.den)).where(*conds).group_by(*group)
    ).all()
    out: dict[tuple[int, str], dict[str, tuple[int, int]]] = defaultdict(dict)
    for unit_id, m, indicator, num, den in rows:
        out[(int(unit_id), str(m)[:7])][indicator] = (int(num or 0), int(den or 0))
    return dict(out)


def mark(db: Session) -> AssessmentState | None:
    return db.execute(select(AssessmentState).where(AssessmentState.name == STATE_NAME)
                      .execution_options(populate_existing=True)).scalar_one_or_none()
