"""Seat plan for a week of half-hours (336 intervals): the Erlang C part must take under 1 s.

    .venv/bin/python bench/seat_plan.py [--repeat 20] [--sim-replications 1]

Measures, on the demo week's shape at three volumes (12,000 calls on a weekday; 87,000 — Hangzhou's
record day; 300,000 — a province), the median wall time of `make_plan` (Erlang C with the answer-
rate estimate, 336 intervals); beside it, the same search recomputing Erlang B from scratch for
every candidate seat count (what the carried recursion saves). The simulation is timed separately.
No database is used.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time

from hotline.workforce import erlang
from hotline.workforce.forecast import demo_week
from hotline.workforce.plan import Targets, make_plan
from hotline.workforce.simulate import SimConfig, simulate


def naive_seats(load: float, t: Targets) -> int:
    n = max(t.min_seats, int(math.floor(load)) + 1) if load else t.min_seats
    while load:
        c = erlang.erlang_c(n, load)
        sl = erlang.service_level_from_c(c, n, load, t.aht, t.within)
        if sl >= t.target_sl and 1 - erlang.abandon_estimate(c, n, load, t.aht, t.patience) >= t.target_answer:
            break
        n += 1
    return n


def timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--sim-replications", type=int, default=1)
    args = ap.parse_args()
    targets = Targets(aht=240, population=9.3e6)
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
          "2-core shared VM")
    print(f"{'calls/weekday':>14} {'intervals':>9} {'peak seats':>10} {'plan ms':>8} {'naive ms':>9} {'ratio':>6}")
    for per_day in (12_000, 87_000, 300_000):
        week = demo_week(per_day)
        plan = make_plan(week, targets)
        plan_s = timed(lambda w=week: make_plan(w, targets), args.repeat)
        naive_s = timed(lambda w=week: [naive_seats(iv.calls * targets.aht / 1800, targets) for iv in w],
                        max(args.repeat // 4, 1))
        assert [naive_seats(iv.calls * targets.aht / 1800, targets) for iv in week] == [r.seats for r in plan.rows]
        print(f"{per_day:>14,} {len(week):>9} {plan.peak_seats:>10} {plan_s * 1000:>8.1f} {naive_s * 1000:>9.1f} "
              f"{naive_s / plan_s:>6.1f}")
        if plan_s >= 1.0:
            print("  FAIL: over 1 s")
    week = demo_week(12_000)
    plan = make_plan(week, targets)
    cfg = SimConfig(replications=args.sim_replications)
    started = time.perf_counter()
    sim = simulate(plan, cfg)
    sim_s = time.perf_counter() - started
    print(f"simulation (12,000 calls/weekday, {cfg.replications} replication(s)): {sim.offered:,} calls in "
          f"{sim_s:.2f} s ({sim.offered / sim_s:,.0f} calls/s); answer rate {sim.answer_rate:.1%}, "
          f"15-s service level {sim.service_level:.1%}; Erlang C optimistic in {len(sim.optimistic_rows)} intervals")


if __name__ == "__main__":
    main()
