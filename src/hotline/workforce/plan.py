"""A seat plan: Erlang C seats per interval for the targets, operators with shrinkage, and the
Jilin rule beside it (吉政办发〔2021〕16号: “扩容标准可参照每百万人口 15个座席（1 个座席配 3 名话务受理人员）”).

Answer rate: Erlang C assumes nobody hangs up, so on its own it promises 100 %. The plan therefore
also requires the estimated share of callers who would abandon (exponential patience of mean
`patience` seconds against the Erlang C waiting time, see `erlang.abandon_estimate`) to stay within
1 − target answer rate. The simulation measures the real answer rate with abandonment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hotline.workforce import erlang
from hotline.workforce.errors import PlanInputError
from hotline.workforce.forecast import Interval, check

JILIN_SEATS_PER_MILLION = 15
JILIN_OPERATORS_PER_SEAT = 3
MAX_LOAD = 50_000.0  # erlangs in one interval: far beyond any hall; refuse rather than loop


@dataclass(frozen=True)
class Targets:
    aht: float  # average handling time, seconds (talk + after-call work)
    target_sl: float = 0.8
    within: float = 15.0
    target_answer: float = 0.95
    patience: float = 120.0  # mean caller patience, seconds (math.inf: nobody hangs up)
    shrinkage: float = 0.3  # breaks, training, meetings, leave: share of paid time off the phone
    interval_minutes: int = 30
    min_seats: int = 1  # 7×24 service: somebody answers even in an empty half-hour
    operator_hours_per_week: float = 40.0
    population: float | None = None

    def __post_init__(self) -> None:
        _range(self.aht, "平均处理时长（秒）", 1, 7200)
        _open_unit(self.target_sl, "服务水平目标（如 0.8）")
        _range(self.within, "接通时限（秒）", 0, 600)
        _open_unit(self.target_answer, "接通率目标（如 0.95）")
        if not (math.isinf(self.patience) and self.patience > 0):
            _range(self.patience, "平均耐心时长（秒）", 1, 3600)
        _range(self.shrinkage, "缺勤折算率（如 0.3）", 0, 0.9)
        _range(self.interval_minutes, "时段长度（分钟）", 5, 120)
        _range(self.min_seats, "每时段最少座席", 0, 1000)
        _range(self.operator_hours_per_week, "每名话务员每周工作小时", 1, 84)
        if self.population is not None:
            _range(self.population, "常住人口", 1, 5e8)


def _range(value: float, what: str, low: float, high: float) -> None:
    if not isinstance(value, int | float) or math.isnan(value) or not low <= value <= high:
        raise PlanInputError(f"{what}须在 {_num(low)}—{_num(high)} 之间")


def _num(x: float) -> str:
    """A bound as officials read it: 500,000,000, not 5e+08."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def _open_unit(value: float, what: str) -> None:
    if not isinstance(value, int | float) or math.isnan(value) or not 0 < value < 1:
        raise PlanInputError(f"{what}须大于 0 且小于 1")


@dataclass(frozen=True)
class Row:
    label: str
    calls: float
    load: float  # erlangs
    seats: int
    erlang_c: float
    service_level: float
    asa: float
    occupancy: float
    answer_rate: float  # estimated with exponential patience (1.0 when patience is infinite)
    staff: float  # operators on the roster for this interval: seats / (1 − shrinkage)


@dataclass(frozen=True)
class Jilin:
    population: float
    seats: int
    operators: int


@dataclass
class Plan:
    targets: Targets
    rows: list[Row]
    jilin: Jilin | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total_calls(self) -> float:
        return sum(r.calls for r in self.rows)

    @property
    def peak_seats(self) -> int:
        return max(r.seats for r in self.rows)

    @property
    def seat_hours(self) -> float:
        return sum(r.seats for r in self.rows) * self.targets.interval_minutes / 60

    @property
    def staff_hours(self) -> float:
        return sum(r.staff for r in self.rows) * self.targets.interval_minutes / 60

    @property
    def weeks(self) -> float:
        return len(self.rows) * self.targets.interval_minutes / (7 * 24 * 60)

    @property
    def operators(self) -> int:
        """Head count: the rostered hours over the period, spread over each operator's weekly hours."""
        return math.ceil(self.staff_hours / (self.targets.operator_hours_per_week * self.weeks) - 1e-9)

    @property
    def operators_note(self) -> str | None:
        """What the head count means when the forecast covers less than a week: its load as if it lasted
        all week (QA: one busy 5-minute interval read as 1,806 operators, with nothing said)."""
        if self.weeks >= 1 - 1e-9:
            return None
        hours = len(self.rows) * self.targets.interval_minutes / 60
        return (f"预测仅覆盖 {hours:g} 小时，不足一周：话务员人数按这些时段的来电持续整周折算，仅供参考；"
                "核定人员请按整周的预测测算")

    @property
    def service_level(self) -> float:
        """Call-weighted service level over the period."""
        calls = self.total_calls
        return sum(r.service_level * r.calls for r in self.rows) / calls if calls else 1.0

    @property
    def answer_rate(self) -> float:
        calls = self.total_calls
        return sum(r.answer_rate * r.calls for r in self.rows) / calls if calls else 1.0


def jilin_rule(population: float) -> Jilin:
    seats = math.ceil(JILIN_SEATS_PER_MILLION * population / 1e6 - 1e-9)
    return Jilin(population=population, seats=seats, operators=seats * JILIN_OPERATORS_PER_SEAT)


def make_plan(intervals: list[Interval], targets: Targets) -> Plan:
    check(intervals)
    seconds = targets.interval_minutes * 60
    rows: list[Row] = []
    for i, iv in enumerate(intervals, 1):
        load = iv.calls * targets.aht / seconds
        if load > MAX_LOAD:
            raise PlanInputError(f"第 {i} 个时段（{iv.label}）话务负荷 {load:,.0f} 爱尔兰，超出测算范围"
                                 f"（上限 {MAX_LOAD:,.0f}）：请检查来电量和平均处理时长的单位", "load_too_high")
        s = erlang.seats_needed(load, targets.aht, target_sl=targets.target_sl, within=targets.within,
                                target_answer=targets.target_answer, patience=targets.patience,
                                min_seats=targets.min_seats)
        rows.append(Row(label=iv.label, calls=iv.calls, load=load, seats=s.seats, erlang_c=s.erlang_c,
                        service_level=s.service_level, asa=s.asa, occupancy=s.occupancy, answer_rate=s.answer_rate,
                        staff=s.seats / (1 - targets.shrinkage)))
    plan = Plan(targets=targets, rows=rows)
    if targets.population:
        plan.jilin = jilin_rule(targets.population)
    return plan
