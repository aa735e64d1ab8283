"""Weekly duty slots of an expert seat (专家座席值班): parsed from and written as the text an
administrator types ("周一至周五 09:00-12:00,14:00-17:30；周六 09:00-12:00"), stored as JSON
([weekday, "HH:MM", "HH:MM"], Monday = 0; 7 for 节假日), and asked whether a local time falls in one: pure
but for the official calendar it reads.

The official calendar (clock.is_workday: chinese_calendar, and the years an administrator entered) decides
which slots a day takes (day_kind, slots_for):
- an ordinary working day or weekend day: the slots of its weekday;
- an official holiday (法定节假日: a Monday–Friday day off, and the weekend days of the same run of days
  off — the National Day week whole, not an ordinary weekend): only the slots written for 节假日
  ("节假日 09:00-12:00"); weekday slots, 每天 included, do not apply;
- a make-up working day (调休上班, a Saturday or Sunday that is a working day): the hours written for every
  Monday to Friday (the calendar does not say which weekday it makes up for), not its weekend slots;
- a date beyond the calendar's years: its weekday, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from hotline.clock import CHINA_TZ, CalendarRangeError, is_workday, package_years

DAYS = "一二三四五六日"
HOLIDAY = 7  # the stored "weekday" of a slot written for 节假日
HOLIDAY_TEXT = "节假日"
EXAMPLE = "周一至周五 09:00-12:00,14:00-17:30；周六 09:00-12:00"
WORKDAYS = range(5)
LONGEST_BREAK = 12  # days looked at on either side of a weekend day for the holiday it belongs to
MAX_SLOTS = 50
END_OF_DAY = time(23, 59, 59)  # 24:00, as typed and shown
_DAY = {c: i for i, c in enumerate(DAYS)} | {"天": 6, "七": 6}
_SEGMENTS = re.compile(r"[；;\n]+")
_RANGES = re.compile(r"[,，、]+")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_DAY_CHARS = "[一二三四五六日天七]"
_DAYSPEC = re.compile(rf"^(?:每天|每日|(?:周|星期)?({_DAY_CHARS})"
                      rf"(?:\s*(?:至|到|-|~|—|－)\s*(?:周|星期)?({_DAY_CHARS}))?)$")
_HOLIDAY_SPEC = re.compile(r"^(?:法定)?节假日$")


class DutyError(ValueError):
    """The duty text cannot be read: the message says what and shows an example, in Chinese."""


@dataclass(frozen=True, order=True)
class Slot:
    weekday: int  # Monday = 0; HOLIDAY (7) for 节假日
    start: time
    end: time  # END_OF_DAY stands for 24:00

    def holds(self, t: time) -> bool:
        return self.start <= t and (t < self.end or self.end == END_OF_DAY)

    def as_json(self) -> list[Any]:
        return [self.weekday, _hhmm(self.start), _hhmm(self.end)]


def _hhmm(t: time) -> str:
    return "24:00" if t == END_OF_DAY else f"{t:%H:%M}"


def _time(text: str, whole: str) -> time:
    m = _TIME.match(text.strip())
    if not m:
        raise DutyError(f"值班时间“{whole}”中“{text.strip()}”不是时刻（应为 时:分，如 09:00）；示例：{EXAMPLE}")
    hour, minute = int(m.group(1)), int(m.group(2))
    if (hour, minute) == (24, 0):
        return END_OF_DAY
    if hour > 23 or minute > 59:
        raise DutyError(f"值班时间“{whole}”中“{text.strip()}”不是有效的时刻")
    return time(hour, minute)


def _days(spec: str, whole: str) -> list[int]:
    parts = [p for p in re.split(r"[、,，]", spec) if p.strip()]
    out: list[int] = []
    for part in parts:
        if _HOLIDAY_SPEC.match(part.strip()):
            out.append(HOLIDAY)
            continue
        m = _DAYSPEC.match(part.strip())
        if not m:
            raise DutyError(f"值班时间“{whole}”中“{part.strip()}”不是星期（应为 周一、周一至周五、每天 或 节假日）；"
                            f"示例：{EXAMPLE}")
        if m.group(1) is None:
            out.extend(range(7))
            continue
        first = _DAY[m.group(1)]
        last = _DAY[m.group(2)] if m.group(2) else first
        if last < first:
            raise DutyError(f"值班时间“{whole}”中“{part.strip()}”的星期范围颠倒（周一在前，周日在后）")
        out.extend(range(first, last + 1))
    return out


def parse(text: str) -> tuple[Slot, ...]:
    """Slots from the typed text; an empty text is no slots (an expert not yet on the rota)."""
    slots: set[Slot] = set()
    for segment in _SEGMENTS.split(text or ""):
        segment = segment.strip()
        if not segment:
            continue
        m = re.match(r"^(.*?)\s*(\d{1,2}[:：]\d{2}.*)$", segment)
        if not m:
            raise DutyError(f"值班时间“{segment}”中没有时段（应为 开始-结束，如 09:00-12:00）；示例：{EXAMPLE}")
        if not m.group(1).strip():
            raise DutyError(f"值班时间“{segment}”须先写星期、再写时段；示例：{EXAMPLE}")
        days = _days(m.group(1).strip(), segment)
        for rng in _RANGES.split(m.group(2)):
            if not rng.strip():
                continue
            bounds = re.split(r"\s*[-~—－至到]\s*", rng.strip())
            if len(bounds) != 2:
                raise DutyError(f"值班时间“{segment}”中“{rng.strip()}”不是时段（应为 开始-结束，如 09:00-12:00）")
            start, end = _time(bounds[0], segment), _time(bounds[1], segment)
            if end <= start:
                raise DutyError(f"值班时间“{segment}”中“{rng.strip()}”结束不晚于开始（跨夜值班请分两天填写）")
            slots.update(Slot(d, start, end) for d in days)
    if len(slots) > MAX_SLOTS:
        raise DutyError(f"值班时段过多（{len(slots)} 个，至多 {MAX_SLOTS} 个）")
    return tuple(sorted(slots))


def from_json(raw: Any) -> tuple[Slot, ...]:
    """Slots as stored; a malformed entry is skipped (it could only come from outside the service)."""
    out = []
    for item in raw or ():
        try:
            weekday, start, end = item
            s, e = (END_OF_DAY if v == "24:00" else time.fromisoformat(v) for v in (start, end))
            out.append(Slot(int(weekday), s, e))
        except (TypeError, ValueError):
            continue
    return tuple(sorted(out))


def to_json(slots: tuple[Slot, ...]) -> list[list[Any]]:
    return [s.as_json() for s in sorted(slots)]


def describe(slots: tuple[Slot, ...]) -> str:
    """The canonical text: days with the same hours together, consecutive days as a range."""
    if not slots:
        return ""
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for s in sorted(slots):
        hours[s.weekday] = (*hours.get(s.weekday, ()), (s.start, s.end))
    groups: list[tuple[list[int], tuple[tuple[time, time], ...]]] = []
    for day in sorted(hours):
        if groups and groups[-1][1] == hours[day] and groups[-1][0][-1] == day - 1 and day != HOLIDAY:
            groups[-1][0].append(day)
        else:
            groups.append(([day], hours[day]))
    parts = []
    for days, ranges in groups:
        if days == [HOLIDAY]:
            when = HOLIDAY_TEXT
        elif days == list(range(7)):
            when = "每天"
        else:
            when = f"周{DAYS[days[0]]}" if len(days) == 1 else f"周{DAYS[days[0]]}至周{DAYS[days[-1]]}"
        parts.append(f"{when} " + ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in ranges))
    return "；".join(parts)


def _rest(day: date) -> bool | None:
    """Whether the day is off on the official calendar; None beyond the calendar's years."""
    try:
        return not is_workday(day)
    except CalendarRangeError:
        return None


def day_kind(day: date) -> str:
    """workday, weekend, holiday (法定节假日) or makeup (调休上班) on the official calendar; a date the
    calendar does not cover is taken by its weekday (workday or weekend)."""
    # The package's years never change while the process runs: asked at every routing decision, kept.
    # Years an administrator enters may (and a day near the package's end looks into them): read afresh.
    known = (day + timedelta(days=LONGEST_BREAK)).year <= package_years()[1]
    return _package_day_kind(day) if known else _day_kind(day)


@lru_cache(maxsize=1024)
def _package_day_kind(day: date) -> str:
    return _day_kind(day)


def _day_kind(day: date) -> str:
    rest = _rest(day)
    weekend = day.weekday() not in WORKDAYS
    if rest is None:
        return "weekend" if weekend else "workday"
    if not weekend:
        return "holiday" if rest else "workday"
    if not rest:
        return "makeup"
    # A weekend day is a holiday when its run of days off holds a weekday off (国庆 10月1日至7日 whole).
    for step in (-1, 1):
        for n in range(1, LONGEST_BREAK + 1):
            near = day + timedelta(days=step * n)
            if not _rest(near):  # a working day (or the calendar's end) closes the run
                break
            if near.weekday() in WORKDAYS:
                return "holiday"
    return "weekend"


def slots_for(slots: tuple[Slot, ...], day: date) -> tuple[Slot, ...]:
    """The slots that day takes (the module's docstring says which)."""
    kind = day_kind(day)
    if kind == "holiday":
        return tuple(s for s in slots if s.weekday == HOLIDAY)
    if kind == "makeup":
        hours = [{(s.start, s.end) for s in slots if s.weekday == d} for d in WORKDAYS]
        common = set.intersection(*hours)
        return tuple(Slot(day.weekday(), a, b) for a, b in sorted(common))
    return tuple(s for s in slots if s.weekday == day.weekday())


def on_duty(slots: tuple[Slot, ...], at: datetime) -> bool:
    """Whether the slots hold that instant (Beijing time), on the official calendar."""
    if not slots:
        return False
    local = at.astimezone(CHINA_TZ)
    t, day = local.time(), local.date()
    if day_kind(day) in ("workday", "weekend"):  # the common case, without building the day's slots
        weekday = day.weekday()
        return any(s.weekday == weekday and s.holds(t) for s in slots)
    return any(s.holds(t) for s in slots_for(slots, day))
