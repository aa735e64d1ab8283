"""Time: an injectable clock, and working-day arithmetic on the official Chinese calendar.

Working days come from `chinese_calendar` (State Council holidays and make-up workdays).
The State Council publishes a year's arrangement in the autumn before it, and the package follows
some time later; for that gap an administrator may enter the published arrangement of a year the
package does not know yet (workdays/: the supplement). The package always wins for a year it knows.
A date beyond both raises CalendarRangeError instead of guessing.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from threading import Lock
from typing import Protocol
from zoneinfo import ZoneInfo

import chinese_calendar

from hotline.errors import DomainError

CHINA_TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


class CalendarRangeError(DomainError):
    status_code = 422

    def __init__(self, day: date) -> None:
        first, last = known_years()
        super().__init__(
            "calendar_out_of_range",
            f"日期 {day.isoformat()} 超出法定节假日日历已知范围（{first}—{last} 年），"
            "无法按工作日计算时限：请管理员在“节假日安排”中录入该年国务院公布的放假安排，"
            "或升级 chinesecalendar 软件包",
        )


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests and for the demo's simulated months."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


# The supplement: {year: {day: is_workday}} for years the package does not know, as entered from the
# State Council's notice; days not listed follow the week (Monday–Friday work). Loaded by the
# application from its database (set_supplement_loader) and re-read at most every RELOAD_SECONDS,
# so that every worker process sees a year entered in another one.
Supplement = dict[int, dict[date, bool]]
RELOAD_SECONDS = 30.0
# Replaced whole by each load, never changed in place: a reader holding the old dict is never
# disturbed by a reload running on another thread.
_supplement: Supplement = {}
_loader: Callable[[], Supplement] | None = None
_loaded_at = float("-inf")
_loading = Lock()  # one load at a time; the others keep reading the previous dict meanwhile


@cache
def package_years() -> tuple[int, int]:
    years = {d.year for d in chinese_calendar.holidays}
    return min(years), max(years)


def set_supplement_loader(loader: Callable[[], Supplement] | None) -> None:
    """Where the supplement comes from (None: nowhere); it is read at the next need."""
    global _loader, _loaded_at, _supplement
    with _loading:
        _loader, _loaded_at, _supplement = loader, float("-inf"), {}


def reload_supplement() -> None:
    """Read the supplement now (after a change in this process)."""
    with _loading:
        _load()


def _load() -> None:
    global _supplement, _loaded_at
    loader = _loader
    _supplement = loader() if loader else {}
    _loaded_at = _time.monotonic()


def _current() -> Supplement:
    """The supplement, re-read when stale. Until the first read, callers wait for it; afterwards a
    stale copy is served while one thread reads the new one."""
    if _loader is not None and _time.monotonic() - _loaded_at > RELOAD_SECONDS:
        first = _loaded_at == float("-inf")
        if _loading.acquire(blocking=first):
            try:
                if _time.monotonic() - _loaded_at > RELOAD_SECONDS:
                    _load()
            finally:
                _loading.release()
    return _supplement


def _supplement_year(year: int) -> dict[date, bool] | None:
    return _current().get(year)


def supplement_years() -> list[int]:
    """Years answered by the supplement (beyond the package's last year)."""
    last = package_years()[1]
    return sorted(y for y in _current() if y > last)


def known_years() -> tuple[int, int]:
    """First and last year with an official arrangement: the package's, extended by entered years
    that follow it without a gap."""
    first, last = package_years()
    extra = set(supplement_years())
    while last + 1 in extra:
        last += 1
    return first, last


def to_local(at: datetime) -> datetime:
    return at.astimezone(CHINA_TZ)


def same_local_day(a: datetime, b: datetime) -> bool:
    """Whether two instants fall on the same day in Beijing time."""
    return to_local(a).date() == to_local(b).date()


def is_workday(day: date) -> bool:
    if isinstance(day, datetime):  # as the package took it: the date it falls on
        day = day.date()
    first, last = package_years()
    if first <= day.year <= last:
        # The package's own rule, read from its tables: its is_workday works out the years it covers
        # again at every call (about 100 µs), and the rota asks at every routing decision.
        return day in chinese_calendar.workdays or (day.weekday() < 5 and day not in chinese_calendar.holidays)
    special = _supplement_year(day.year) if day.year > last else None
    if special is None:
        raise CalendarRangeError(day)
    return special.get(day, day.weekday() < 5)


def end_of_local_day(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=CHINA_TZ).astimezone(UTC)


def add_working_days(start: datetime, days: int) -> datetime:
    """End of the `days`-th working day after the local day of `start` (counting from the next day).

    A request accepted on a Friday evening with 2 working days is due at the end of the
    following Tuesday; holidays are skipped and make-up Saturdays count.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    day = to_local(start).date()
    if days == 0:
        return end_of_local_day(day)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return end_of_local_day(day)


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days that began after `start` and by `end` (local dates): a review from Friday morning
    to Monday morning took one working day."""
    day, last = to_local(start).date(), to_local(end).date()
    count = 0
    while day < last:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count


def add_calendar_days(start: datetime, days: int) -> datetime:
    """End of the local day `days` calendar days after `start`; still checked against the calendar."""
    day = to_local(start).date() + timedelta(days=days)
    is_workday(day)  # the same clear error beyond the known years
    return end_of_local_day(day)


def add_hours(start: datetime, hours: float) -> datetime:
    return start.astimezone(UTC) + timedelta(hours=hours)


HORIZON_NOTICE_DAYS = 60  # 15 working days and a 10-day extension reach about this far ahead


def horizon_notice(today: date) -> str | None:
    """What staff should know when the working-day calendar is about to run out: deadlines past its
    last known year cannot be computed, so dispatches, extensions and reopenings will be refused."""
    last = known_years()[1]
    if today.year > last:
        return (f"节假日安排只录入到 {last} 年：{today.year} 年的日期无法计算时限，派单、延期、重启等操作会被拒绝。"
                f"请系统管理员在「节假日」页录入 {last + 1} 年起的安排。")
    left = (date(last, 12, 31) - today).days
    if left > HORIZON_NOTICE_DAYS:
        return None
    return (f"节假日安排只录入到 {last} 年底（还有 {left} 天）：期限落在 {last + 1} 年的派单、延期和重启将被拒绝。"
            f"国务院办公厅公布 {last + 1} 年节假日安排后，请系统管理员在「节假日」页录入。")


@dataclass(frozen=True)
class Period:
    """Local (China) days, both included: a report's or a review's period."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=CHINA_TZ).astimezone(UTC)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=CHINA_TZ).astimezone(UTC)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}（{self.days} 天）"
