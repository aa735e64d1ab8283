"""The simulation against Erlang C: agreement when Erlang C's assumptions hold, and the effects
it leaves out (abandonment, staffing that steps down while a queue waits)."""

from __future__ import annotations

import math

import pytest

from hotline.workforce.errors import PlanInputError
from hotline.workforce.forecast import Interval
from hotline.workforce.plan import Targets, make_plan
from hotline.workforce.simulate import SimConfig, simulate


def test_agrees_with_erlang_c_when_patience_is_infinite() -> None:
    # A steady day: 48 half-hours of 360 calls, 4-minute calls (the Westbay example's load).
    plan = make_plan([Interval(f"t{i}", 360) for i in range(48)], Targets(aht=240, patience=math.inf))
    assert {r.seats for r in plan.rows} == {plan.rows[0].seats}
    sim = simulate(plan, SimConfig(patience="none", replications=3, seed=7))
    erlang_sl = plan.rows[0].service_level
    assert sim.answer_rate == pytest.approx(1.0, abs=1e-3)  # nobody hangs up (a few still queued at the end)
    assert sim.service_level == pytest.approx(erlang_sl, abs=0.02)
    mean_asa = sum(c.sim_asa * c.offered for c in sim.rows) / sum(c.offered for c in sim.rows)
    assert mean_asa == pytest.approx(plan.rows[0].asa, abs=2.0)
    assert sim.offered == pytest.approx(3 * 48 * 360, rel=0.02)


def test_abandonment_lowers_the_answer_rate() -> None:
    plan = make_plan([Interval(f"t{i}", 360) for i in range(24)], Targets(aht=240, patience=60))
    sim = simulate(plan, SimConfig(patience="exponential", patience_mean=60, replications=2, seed=3))
    assert sim.abandoned > 0 and sim.answer_rate < 1.0
    # The plan's estimate ignores that leavers shorten the queue: it is the pessimistic one.
    assert sim.answer_rate >= plan.answer_rate - 0.01


def test_erlang_c_is_optimistic_after_staffing_steps_down() -> None:
    # A busy half-hour followed by a quiet one: Erlang C staffs the quiet one for its own load, but
    # the queue built in the busy one is still waiting when operators leave.
    intervals = [Interval("忙", 700), Interval("闲", 250)] * 12
    plan = make_plan(intervals, Targets(aht=240, patience=math.inf, target_sl=0.8))
    sim = simulate(plan, SimConfig(patience="none", replications=4, seed=11))
    quiet = [c for c in sim.rows if c.label == "闲"]
    busy = [c for c in sim.rows if c.label == "忙"]
    quiet_gap = sum(c.erlang_sl - c.sim_sl for c in quiet) / len(quiet)
    busy_gap = sum(c.erlang_sl - c.sim_sl for c in busy) / len(busy)
    assert quiet_gap > busy_gap
    assert quiet_gap > 0.02


def test_bad_simulation_settings() -> None:
    with pytest.raises(PlanInputError, match="耐心时长分布"):
        SimConfig(patience="weibull")
    with pytest.raises(PlanInputError, match="重复次数"):
        SimConfig(replications=0)


def test_lognormal_talk_and_patience_run() -> None:
    plan = make_plan([Interval(f"t{i}", 120) for i in range(6)], Targets(aht=200))
    sim = simulate(plan, SimConfig(patience="lognormal", talk="lognormal", talk_cv=1.5, replications=1))
    assert sim.offered > 0 and 0 < sim.answer_rate <= 1 and len(sim.rows) == 6
