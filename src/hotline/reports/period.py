"""Report periods: a calendar month ("2026-10") or an ISO week ("2026-W44"), in China local time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hotline.clock import CHINA_TZ
from hotline.errors import DomainError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-[Ww](\d{1,2})$")


@dataclass(frozen=True)
class Period:
    key: str  # canonical text: "2026-10" or "2026-W44"
    kind: str  # "month" | "week"
    first_day: date
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=CHINA_TZ)

    @property
    def end(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=CHINA_TZ)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first_day.year}年{self.first_day.month}月"
        iso = self.first_day.isocalendar()
        return (f"{iso.year}年第{iso.week}周（{self.first_day.month}月{self.first_day.day}日—"
                f"{self.last_day.month}月{self.last_day.day}日）")

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]

    def previous(self) -> Period:
        return period_containing(self.first_day - timedelta(days=1), self.kind)


def _month(year: int, month: int) -> Period:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return Period(key=f"{year:04d}-{month:02d}", kind="month", first_day=first, last_day=nxt - timedelta(days=1))


def _week(year: int, week: int) -> Period:
    first = date.fromisocalendar(year, week, 1)
    return Period(key=f"{year:04d}-W{week:02d}", kind="week", first_day=first, last_day=first + timedelta(days=6))


def period_containing(day: date, kind: str) -> Period:
    if kind == "month":
        return _month(day.year, day.month)
    iso = day.isocalendar()
    return _week(iso.year, iso.week)


def parse_period(text: str) -> Period:
    """Parse "2026-10" or "2026-W44"; a clear Chinese error otherwise."""
    value = (text or "").strip()
    if m := _MONTH.match(value):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return _month(year, month)
    if m := _WEEK.match(value):
        year, week = int(m.group(1)), int(m.group(2))
        try:
            if 2000 <= year <= 2100:
                return _week(year, week)
        except ValueError:
            pass
    raise DomainError("invalid_period", f"报告周期“{text}”无效：月报写作 2026-10，周报写作 2026-W44",
                      status_code=422)
