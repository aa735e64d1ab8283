"""Forecasts of offered calls per interval: read from CSV, the demo week, or history.

A forecast is a list of `Interval(label, calls)` of equal length (30 minutes by default). A week of
half-hours is 336 intervals, labelled "周一 08:30" etc.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from hotline.workforce.errors import PlanInputError

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
SLOTS_PER_DAY = 48
WEEK = 7 * SLOTS_PER_DAY
MAX_INTERVALS = 31 * SLOTS_PER_DAY


@dataclass(frozen=True)
class Interval:
    label: str
    calls: float


def slot_label(weekday: int, slot: int) -> str:
    return f"{WEEKDAYS[weekday]} {slot // 2:02d}:{30 * (slot % 2):02d}"


def week_labels() -> list[str]:
    return [slot_label(d, s) for d in range(7) for s in range(SLOTS_PER_DAY)]


def check(intervals: list[Interval]) -> list[Interval]:
    if not intervals:
        raise PlanInputError("话务预测为空：至少需要一个时段", "empty_forecast")
    if len(intervals) > MAX_INTERVALS:
        raise PlanInputError(f"时段过多（{len(intervals)} 个）：一次最多测算 {MAX_INTERVALS} 个时段（31 天）",
                             "too_many_intervals")
    for i, iv in enumerate(intervals, 1):
        if not isinstance(iv.calls, int | float) or math.isnan(iv.calls) or math.isinf(iv.calls) or iv.calls < 0:
            raise PlanInputError(f"第 {i} 个时段（{iv.label}）的来电量无效：须为不小于 0 的数字", "bad_calls")
    return intervals


def decode_csv(raw: bytes) -> str:
    """A CSV file's text: UTF-8 (with or without BOM), else GB18030 — Excel on a Chinese Windows
    saves "CSV（逗号分隔）" in GBK, whose 周一 came out as replacement marks (QA)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def read_csv(text: str) -> list[Interval]:
    """Columns: `interval,calls` (a header row is recognised and skipped); or one column of calls,
    labelled as a week of half-hours from Monday 00:00."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r and any(c.strip() for c in r)]
    if rows and _number(rows[0][-1].strip()) is None:
        rows = rows[1:]  # a header row
        if not rows:
            raise PlanInputError("CSV 中没有数据行：第一行的来电量不是数字，已视为表头（格式：时段,来电量）",
                                 "empty_forecast")
    out: list[Interval] = []
    labels = week_labels()
    for n, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        value = _number(cells[-1])
        if value is None:
            raise PlanInputError(f"CSV 第 {n} 行的来电量“{cells[-1]}”不是数字", "bad_csv")
        label = cells[0] if len(cells) >= 2 and cells[0] else (labels[(n - 1) % WEEK] if n <= WEEK else f"时段{n}")
        out.append(Interval(label, value))
    return check(out)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


# The demo week: a 12345 hall's typical shape — quiet at night, a morning peak (9–11), a dip at
# lunch, an afternoon peak (14–17), a long evening tail; weekends at about 70 % of a weekday.
_HOURLY_SHAPE = (0.8, 0.5, 0.35, 0.3, 0.3, 0.45, 1.0, 2.3, 5.2, 7.6, 7.9, 7.1, 5.0, 4.6, 6.6, 7.3, 7.0,
                 6.2, 4.5, 3.6, 3.1, 2.6, 1.9, 1.2)
_DAY_FACTOR = (1.12, 1.02, 1.0, 0.98, 1.0, 0.72, 0.68)


def demo_week(calls_per_weekday: float = 12000.0) -> list[Interval]:
    """A deterministic week of half-hours (336 intervals), about `calls_per_weekday` on a weekday."""
    total_shape = sum(_HOURLY_SHAPE)
    out = []
    for d in range(7):
        for s in range(SLOTS_PER_DAY):
            hour, half = divmod(s, 2)
            nxt = _HOURLY_SHAPE[(hour + 1) % 24]
            level = _HOURLY_SHAPE[hour] if half == 0 else (_HOURLY_SHAPE[hour] + nxt) / 2
            calls = calls_per_weekday * _DAY_FACTOR[d] * level / total_shape / 2
            out.append(Interval(slot_label(d, s), round(calls, 1)))
    return out
