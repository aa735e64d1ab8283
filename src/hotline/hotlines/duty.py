"""Weekly duty slots of an expert seat (专家座席值班): parsed from and written as the text an
administrator types ("周一至周五 09:00-12:00,14:00-17:30；周六 09:00-12:00"), stored as JSON
([weekday, "HH:MM", "HH:MM"], Monday = 0), and asked whether a local time falls in one. Pure.

Slots are weekly and know no holidays: a department that stands its experts down on a public holiday
marks them 停止值班 for the day, or the seat is simply unstaffed (the call goes to 12345's seats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from hotline.clock import CHINA_TZ

DAYS = "一二三四五六日"
EXAMPLE = "周一至周五 09:00-12:00,14:00-17:30；周六 09:00-12:00"
MAX_SLOTS = 50
END_OF_DAY = time(23, 59, 59)  # 24:00, as typed and shown
_DAY = {c: i for i, c in enumerate(DAYS)} | {"天": 6, "七": 6}
_SEGMENTS = re.compile(r"[；;\n]+")
_RANGES = re.compile(r"[,，、]+")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})$")
_DAY_CHARS = "[一二三四五六日天七]"
_DAYSPEC = re.compile(rf"^(?:每天|每日|(?:周|星期)?({_DAY_CHARS})"
                      rf"(?:\s*(?:至|到|-|~|—|－)\s*(?:周|星期)?({_DAY_CHARS}))?)$")


class DutyError(ValueError):
    """The duty text cannot be read: the message says what and shows an example, in Chinese."""


@dataclass(frozen=True, order=True)
class Slot:
    weekday: int  # Monday = 0
    start: time
    end: time  # END_OF_DAY stands for 24:00

    def covers(self, local: datetime) -> bool:
        t = local.time()
        return local.weekday() == self.weekday and self.start <= t and (t < self.end or self.end == END_OF_DAY)

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
        m = _DAYSPEC.match(part.strip())
        if not m:
            raise DutyError(f"值班时间“{whole}”中“{part.strip()}”不是星期（应为 周一、周一至周五 或 每天）；"
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
        if groups and groups[-1][1] == hours[day] and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], hours[day]))
    parts = []
    for days, ranges in groups:
        when = f"周{DAYS[days[0]]}" if len(days) == 1 else f"周{DAYS[days[0]]}至周{DAYS[days[-1]]}"
        if len(days) == 7:
            when = "每天"
        parts.append(f"{when} " + ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in ranges))
    return "；".join(parts)


def on_duty(slots: tuple[Slot, ...], at: datetime) -> bool:
    local = at.astimezone(CHINA_TZ)
    return any(s.covers(local) for s in slots)
