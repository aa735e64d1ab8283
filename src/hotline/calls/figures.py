"""Hall figures per line (dialled number), queue and half-hour, aggregated in the database.

offered = calls offered; answered / abandoned / missed by outcome; answer rate = answered / offered;
service level = answered within 15 s / answered (GB/T 33358's 15秒接通率); average wait (speed of
answer) over answered calls; average talk time over answered calls that ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.calls.enums import CallStatus, Outcome
from hotline.calls.lines import queue_label
from hotline.calls.models import Call
from hotline.errors import DomainError
from hotline.security.actor import Actor
from hotline.security.permissions import ensure_role
from hotline.security.roles import Role

SERVICE_LEVEL_SECONDS = 15
# No personal data in the figures: every hall role, analysts and administrators.
FIGURE_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN)
GROUPS = ("day", "slot", "line", "queue")
MAX_DAYS = 92


@dataclass
class Figure:
    day: date | None = None
    slot: int | None = None
    line: str | None = None
    queue: str | None = None
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    missed: int = 0
    within_sl: int = 0
    wait_total: int = 0
    talk_total: int = 0
    talk_count: int = 0

    @property
    def slot_label(self) -> str:
        if self.slot is None:
            return ""
        h, m = divmod(self.slot * 30, 60)
        h2, m2 = divmod(self.slot * 30 + 30, 60)
        return f"{h:02d}:{m:02d}–{h2:02d}:{m2:02d}"

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.offered if self.offered else None

    @property
    def service_level(self) -> float | None:
        return self.within_sl / self.answered if self.answered else None

    @property
    def abandon_rate(self) -> float | None:
        return self.abandoned / self.offered if self.offered else None

    @property
    def avg_wait(self) -> float | None:
        return self.wait_total / self.answered if self.answered else None

    @property
    def avg_talk(self) -> float | None:
        return self.talk_total / self.talk_count if self.talk_count else None

    def add(self, other: Figure) -> None:
        for name in ("offered", "answered", "abandoned", "missed", "within_sl", "wait_total", "talk_total",
                     "talk_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, object]:
        def r(v: float | None, n: int = 4) -> float | None:
            return round(v, n) if v is not None else None

        return {"day": self.day.isoformat() if self.day else None, "slot": self.slot, "slot_label": self.slot_label,
                "line": self.line, "queue": self.queue, "offered": self.offered, "answered": self.answered,
                "abandoned": self.abandoned, "missed": self.missed, "answer_rate": r(self.answer_rate),
                "service_level": r(self.service_level), "avg_wait_seconds": r(self.avg_wait, 1),
                "avg_talk_seconds": r(self.avg_talk, 1)}


@dataclass
class Figures:
    rows: list[Figure]
    total: Figure
    start: date
    end: date
    group_by: tuple[str, ...]


def compute(db: Session, *, actor: Actor, start: date, end: date, line: str | None = None,
            queue: str | None = None, group_by: tuple[str, ...] = GROUPS) -> Figures:
    """Figures for local days start..end (inclusive), grouped by any of day, slot, line, queue."""
    ensure_role(actor, *FIGURE_ROLES)
    if end < start:
        raise DomainError("range_invalid", "结束日期不能早于开始日期", status_code=422)
    if (end - start).days >= MAX_DAYS:
        raise DomainError("range_too_long", f"统计区间最长 {MAX_DAYS} 天", status_code=422)
    bad = [g for g in group_by if g not in GROUPS]
    if bad:
        raise DomainError("group_invalid", f"不支持的分组：{'、'.join(bad)}（可选 day、slot、line、queue）",
                          status_code=422)
    columns = {"day": Call.offered_day, "slot": Call.offered_slot, "line": Call.dialled, "queue": Call.queue}
    keys = [columns[g] for g in GROUPS if g in group_by]
    answered = Call.answered_at.is_not(None)
    ended_talk = answered & Call.talk_seconds.is_not(None)
    query = select(
        *keys,
        func.count(),
        func.sum(case((answered, 1), else_=0)),
        func.sum(case((Call.outcome == Outcome.ABANDONED, 1), else_=0)),
        func.sum(case((Call.outcome == Outcome.MISSED, 1), else_=0)),
        func.sum(case((answered & (Call.wait_seconds <= SERVICE_LEVEL_SECONDS), 1), else_=0)),
        func.sum(case((answered, Call.wait_seconds), else_=0)),
        func.sum(case((ended_talk, Call.talk_seconds), else_=0)),
        func.sum(case((ended_talk, 1), else_=0)),
    ).where(Call.offered_day >= start, Call.offered_day <= end)
    if line:
        query = query.where(Call.dialled == line)
    if queue:
        query = query.where(Call.queue == queue)
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    rows: list[Figure] = []
    total = Figure()
    names = [g for g in GROUPS if g in group_by]
    for rec in db.execute(query):
        values = list(rec)
        fig = Figure(**dict(zip(names, values[: len(names)], strict=True)))
        counts = [int(v or 0) for v in values[len(names):]]
        (fig.offered, fig.answered, fig.abandoned, fig.missed, fig.within_sl, fig.wait_total, fig.talk_total,
         fig.talk_count) = counts
        if fig.offered:
            rows.append(fig)
            total.add(fig)
    return Figures(rows=rows, total=total, start=start, end=end, group_by=tuple(names))


LIVE_WITHIN = timedelta(hours=4)  # a call still "live" after this lost its `ended`: no longer counted


def live_counts(db: Session, now: datetime | None = None) -> dict[str, int]:
    """Calls in the hall right now: waiting in a queue, ringing, talking — offered in the last hours
    (a call whose `ended` never came, or whose events were all refused, no longer counts for ever)."""
    since = (now or datetime.now(UTC)) - LIVE_WITHIN
    found = dict(db.execute(select(Call.status, func.count())
                            .where(Call.status != CallStatus.ENDED, Call.offered_at >= since)
                            .group_by(Call.status)).all())
    return {str(k): int(v) for k, v in found.items()}


COLUMNS: list[tuple[str, int]] = [
    ("日期", 12), ("时段", 13), ("线路", 10), ("队列", 12), ("呼入量", 9), ("接通量", 9), ("放弃量", 9),
    ("未接量", 9), ("接通率", 9), ("15秒接通率", 11), ("平均等待(秒)", 12), ("平均通话(秒)", 12),
]


PERCENT = "0.0%"  # a rate is a number in the workbook (sums, charts), shown as 87.5%
_RATE_COLUMNS = (9, 10)  # 接通率, 15秒接通率


def _num(v: float | None) -> float | str:
    return round(v, 1) if v is not None else ""


def workbook(figures: Figures) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "话务指标"
    ws.append([f"话务指标 {figures.start.isoformat()} 至 {figures.end.isoformat()}"])
    ws.append([name for name, _ in COLUMNS])
    fill = PatternFill("solid", fgColor="1B57A6")
    for cell in ws[2]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
    for f in [*figures.rows, figures.total]:
        is_total = f is figures.total
        ws.append([
            "合计" if is_total else (f.day.isoformat() if f.day else "全部"), f.slot_label if not is_total else "",
            f.line or ("" if is_total else "全部"), queue_label(f.queue) if f.queue else "",
            f.offered, f.answered, f.abandoned, f.missed,
            "" if f.answer_rate is None else f.answer_rate, "" if f.service_level is None else f.service_level,
            _num(f.avg_wait), _num(f.avg_talk),
        ])
        for column in _RATE_COLUMNS:
            ws.cell(ws.max_row, column).number_format = PERCENT
        if is_total:
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
