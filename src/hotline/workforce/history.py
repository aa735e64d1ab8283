"""A forecast from history: the average number of calls in each weekday's half-hour over the last
weeks. Calls come from the call records (`calls.offered_day`, `offered_slot`) when there are any;
otherwise from phone tickets' registration times (a lower bound: not every call makes a ticket)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.tickets.enums import Channel
from hotline.tickets.models import Ticket
from hotline.workforce.errors import PlanInputError
from hotline.workforce.forecast import SLOTS_PER_DAY, Interval, slot_label


@dataclass(frozen=True)
class HistoryForecast:
    intervals: list[Interval]
    source: str  # "calls" / "tickets"
    days: int  # days of history asked for
    total: int  # calls (or tickets) counted
    covered_days: int = 0  # days with any record: the averages are over these


def _from_calls(db: Session, first: date, last: date) -> Counter[tuple[date, int]] | None:
    try:
        from hotline.calls.models import Call  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    if not inspect(db.connection()).has_table(Call.__tablename__):
        return None
    rows = db.execute(
        select(Call.offered_day, Call.offered_slot, func.count())
        .where(Call.offered_day >= first, Call.offered_day <= last, Call.offered_slot.is_not(None))
        .group_by(Call.offered_day, Call.offered_slot)
    ).all()
    counts: Counter[tuple[date, int]] = Counter()
    for day, slot, n in rows:
        if day is not None and slot is not None:
            counts[(day, int(slot))] = int(n)
    return counts or None


def _from_tickets(db: Session, first: date, last: date, since: datetime, until: datetime) -> Counter[tuple[date, int]]:
    counts: Counter[tuple[date, int]] = Counter()
    stmt = select(Ticket.created_at).where(Ticket.channel == Channel.PHONE, Ticket.created_at >= since,
                                           Ticket.created_at < until)
    for (at,) in db.execute(stmt):
        local = to_local(at)
        counts[(local.date(), local.hour * 2 + local.minute // 30)] += 1
    return counts


def from_history(db: Session, *, now: datetime, weeks: int = 8) -> HistoryForecast:
    """Average calls per (weekday, half-hour) over the `weeks` full weeks before today."""
    if not 1 <= weeks <= 52:
        raise PlanInputError("历史周数须在 1—52 之间")
    last = to_local(now).date() - timedelta(days=1)
    first = last - timedelta(days=7 * weeks - 1)
    counts = _from_calls(db, first, last)
    source = "calls"
    if counts is None:
        start = datetime.combine(first, datetime.min.time(), tzinfo=to_local(now).tzinfo)
        counts = _from_tickets(db, first, last, start, start + timedelta(days=7 * weeks))
        source = "tickets"
    total = sum(counts.values())
    if total == 0:
        raise PlanInputError(f"近 {weeks} 周没有来电记录或电话工单，无法按历史生成预测：请上传预测 CSV 或使用示例周",
                             "no_history")
    return averaged(counts, weeks=weeks, source=source)


def averaged(counts: Counter[tuple[date, int]], *, weeks: int, source: str) -> HistoryForecast:
    """Calls per (weekday, half-hour) from counts per (day, half-hour)."""
    total = sum(counts.values())
    by_slot: Counter[tuple[int, int]] = Counter()
    days_of: dict[int, set[date]] = {d: set() for d in range(7)}
    for (day, slot), n in counts.items():
        by_slot[(day.weekday(), slot)] += n
        days_of[day.weekday()].add(day)
    if source == "tickets":  # a day without a phone ticket is a day of none: every day of the weeks counts
        intervals = [Interval(slot_label(d, s), by_slot[(d, s)] / weeks)
                     for d in range(7) for s in range(SLOTS_PER_DAY)]
        return HistoryForecast(intervals, source, days=7 * weeks, total=total, covered_days=7 * weeks)
    # A hotline takes calls every day: a day without any call record is a day the records miss. Averaged
    # over the days recorded — two days of records divided by eight weeks asked for an eighth of the
    # seats (QA) — and a weekday with no record takes the mean recorded day.
    covered = sum(len(v) for v in days_of.values())
    mean_day = [sum(by_slot[(d, s)] for d in range(7)) / covered for s in range(SLOTS_PER_DAY)]
    intervals = [Interval(slot_label(d, s), by_slot[(d, s)] / len(days_of[d]) if days_of[d] else mean_day[s])
                 for d in range(7) for s in range(SLOTS_PER_DAY)]
    return HistoryForecast(intervals, source, days=7 * weeks, total=total, covered_days=covered)
