"""Plans: targets reached in every interval, the Jilin rule, edge cases and Chinese errors."""

from __future__ import annotations

import math

import pytest

from hotline.workforce.errors import PlanInputError
from hotline.workforce.forecast import WEEK, Interval, demo_week, read_csv
from hotline.workforce.plan import Targets, jilin_rule, make_plan


def test_demo_week_plan_reaches_the_targets_everywhere() -> None:
    week = demo_week()
    assert len(week) == WEEK == 336 and week[0].label == "周一 00:00" and week[-1].label == "周日 23:30"
    plan = make_plan(week, Targets(aht=240, population=9.3e6))
    assert all(r.service_level >= 0.8 and r.answer_rate >= 0.95 for r in plan.rows)
    assert all(r.seats >= 1 for r in plan.rows)
    assert plan.peak_seats == max(r.seats for r in plan.rows)
    # Operators: rostered hours over the week at 40 hours each.
    assert plan.operators == math.ceil(plan.staff_hours / 40)
    assert plan.jilin is not None and (plan.jilin.seats, plan.jilin.operators) == (140, 420)


def test_jilin_rule() -> None:
    assert (jilin_rule(1e6).seats, jilin_rule(1e6).operators) == (15, 45)
    assert jilin_rule(4.99e6).seats == 75  # 74.85 rounds up
    assert jilin_rule(9_314_685).seats == 140


def test_more_handling_time_needs_more_seats() -> None:
    week = demo_week()
    short = make_plan(week, Targets(aht=180))
    long = make_plan(week, Targets(aht=300))
    assert all(a.seats <= b.seats for a, b in zip(short.rows, long.rows, strict=True))
    assert long.peak_seats > short.peak_seats


def test_zero_calls() -> None:
    plan = make_plan([Interval("夜间", 0)] * 4, Targets(aht=240))
    assert [r.seats for r in plan.rows] == [1, 1, 1, 1]  # 7×24: someone always answers
    assert plan.service_level == 1.0 and plan.answer_rate == 1.0 and plan.total_calls == 0
    plan = make_plan([Interval("夜间", 0)], Targets(aht=240, min_seats=0))
    assert plan.rows[0].seats == 0


def test_huge_load_is_refused_in_chinese() -> None:
    with pytest.raises(PlanInputError, match="超出测算范围"):
        make_plan([Interval("周一 10:00", 1e9)], Targets(aht=240))
    # Large but real: a province-wide hall.
    plan = make_plan([Interval("高峰", 30000)], Targets(aht=240))
    assert plan.rows[0].seats > 30000 * 240 / 1800


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"aht": 0}, "平均处理时长"),
    ({"aht": 240, "target_sl": 1.0}, "服务水平目标"),
    ({"aht": 240, "target_answer": 0}, "接通率目标"),
    ({"aht": 240, "within": -1}, "接通时限"),
    ({"aht": 240, "shrinkage": 0.95}, "缺勤折算率"),
    ({"aht": 240, "population": -5}, "常住人口"),
    ({"aht": float("nan")}, "平均处理时长"),
])
def test_bad_targets(kwargs: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(PlanInputError, match=message):
        Targets(**kwargs)


def test_bad_forecasts() -> None:
    with pytest.raises(PlanInputError, match="话务预测为空"):
        make_plan([], Targets(aht=240))
    with pytest.raises(PlanInputError, match="第 2 个时段.*无效"):
        make_plan([Interval("a", 1), Interval("b", -3)], Targets(aht=240))
    with pytest.raises(PlanInputError, match="无效"):
        make_plan([Interval("a", float("nan"))], Targets(aht=240))


def test_read_csv() -> None:
    rows = read_csv("\ufeffinterval,calls\n周一 08:00,120\n周一 08:30,150.5\n")
    assert rows == [Interval("周一 08:00", 120.0), Interval("周一 08:30", 150.5)]
    bare = read_csv("10\n20\n")
    assert [r.label for r in bare] == ["周一 00:00", "周一 00:30"]
    with pytest.raises(PlanInputError, match="第 2 行.*不是数字"):
        read_csv("时段,来电\n周一 08:00,12\n周一 08:30,很多\n")
    with pytest.raises(PlanInputError, match="没有数据行"):
        read_csv("interval,calls\n")
    with pytest.raises(PlanInputError, match="为空"):
        read_csv("\n\n")
