"""A discrete-event simulation of the hall (SimPy) that checks a seat plan with what Erlang C
leaves out: callers who hang up, talk times that are not exponential, seats that change at the
half-hour while a queue is still waiting, and the chance of a busy half-hour.

Per interval: Poisson arrivals at the forecast rate; one FIFO queue; `seats[i]` operators on duty
(an operator whose shift ends finishes the call in hand); patience exponential, lognormal, or
infinite. Figures are grouped by the interval in which the call arrived.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import simpy

from hotline.workforce.errors import PlanInputError
from hotline.workforce.plan import Plan

DISTRIBUTIONS = ("exponential", "lognormal")


@dataclass(frozen=True)
class SimConfig:
    patience: str = "exponential"  # exponential / lognormal / none
    patience_mean: float = 120.0
    patience_cv: float = 1.0  # lognormal only
    talk: str = "exponential"  # exponential / lognormal
    talk_cv: float = 1.0  # lognormal only
    replications: int = 3
    seed: int = 12345
    tolerance: float = 0.03  # Erlang C is "optimistic" when the simulation is this much worse

    def __post_init__(self) -> None:
        if self.patience not in (*DISTRIBUTIONS, "none"):
            raise PlanInputError("耐心时长分布须为 exponential（指数）、lognormal（对数正态）或 none（不挂机）")
        if self.talk not in DISTRIBUTIONS:
            raise PlanInputError("通话时长分布须为 exponential（指数）或 lognormal（对数正态）")
        if not 1 <= self.patience_mean <= 3600:
            raise PlanInputError("平均耐心时长须在 1—3600 秒之间")
        if not 0.1 <= self.patience_cv <= 5 or not 0.1 <= self.talk_cv <= 5:
            raise PlanInputError("变异系数须在 0.1—5 之间")
        if not 1 <= self.replications <= 50:
            raise PlanInputError("仿真重复次数须在 1—50 之间")


def _sampler(kind: str, mean: float, cv: float, rng: random.Random) -> Any:
    if kind == "exponential":
        return lambda: rng.expovariate(1.0 / mean)
    # Lognormal with the given mean and coefficient of variation.
    sigma2 = math.log(1 + cv * cv)
    mu, sigma = math.log(mean) - sigma2 / 2, math.sqrt(sigma2)
    return lambda: rng.lognormvariate(mu, sigma)


@dataclass
class Tally:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    within: int = 0  # answered within the plan's time limit
    wait_total: float = 0.0  # of answered calls


@dataclass(frozen=True)
class Caller:
    arrived: float
    interval: int
    leaves_at: float  # arrival + patience: a caller reached after this has already hung up


def _run_once(plan: Plan, cfg: SimConfig, seed: int) -> list[Tally]:
    t = plan.targets
    rng = random.Random(seed)
    length = t.interval_minutes * 60.0
    n = len(plan.rows)
    horizon = n * length
    talk = _sampler(cfg.talk, t.aht, cfg.talk_cv, rng)
    patience = _sampler(cfg.patience, cfg.patience_mean, cfg.patience_cv, rng) if cfg.patience != "none" \
        else (lambda: math.inf)
    env = simpy.Environment()
    queue: deque[Caller] = deque()
    tallies = [Tally() for _ in range(n)]
    # Seats on duty now, and how many of them are talking. When the plan steps down, operators
    # whose shift has ended finish the call in hand and take no new one.
    hall = {"on_duty": 0, "busy": 0}

    def finish(_event: Any) -> None:
        hall["busy"] -= 1
        serve()

    def serve() -> None:
        while hall["busy"] < hall["on_duty"] and queue:
            caller = queue.popleft()
            if caller.leaves_at < env.now:
                continue  # hung up while waiting (found when reached: FIFO)
            wait = env.now - caller.arrived
            tally = tallies[caller.interval]
            tally.answered += 1
            tally.wait_total += wait
            if wait <= t.within:
                tally.within += 1
            hall["busy"] += 1
            env.timeout(talk()).callbacks.append(finish)

    def arrivals() -> Any:
        for i, row in enumerate(plan.rows):
            end = (i + 1) * length
            hall["on_duty"] = row.seats
            serve()
            if row.calls <= 0:
                yield env.timeout(end - env.now)
                continue
            rate = row.calls / length
            while True:
                gap = rng.expovariate(rate)
                if env.now + gap >= end:
                    yield env.timeout(end - env.now)
                    break
                yield env.timeout(gap)
                tallies[i].offered += 1
                queue.append(Caller(arrived=env.now, interval=i, leaves_at=env.now + patience()))
                serve()

    env.process(arrivals())
    # Let the last interval's queue drain (or give up) after the horizon: at most an hour.
    env.run(until=horizon + 3600)
    for tally in tallies:
        tally.abandoned = tally.offered - tally.answered
    return tallies


@dataclass(frozen=True)
class Compare:
    label: str
    seats: int
    offered: float
    erlang_sl: float
    sim_sl: float  # answered within the limit / answered (the glossary's service level)
    sim_sl_offered: float  # answered within the limit / offered
    erlang_answer: float
    sim_answer: float
    erlang_asa: float
    sim_asa: float
    optimistic: bool  # the simulation falls short of what Erlang C promised


@dataclass
class SimResult:
    config: SimConfig
    rows: list[Compare] = field(default_factory=list)
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    within: int = 0

    @property
    def answer_rate(self) -> float:
        return self.answered / self.offered if self.offered else 1.0

    @property
    def service_level(self) -> float:
        return self.within / self.answered if self.answered else 1.0

    @property
    def optimistic_rows(self) -> list[Compare]:
        return [r for r in self.rows if r.optimistic]


def _allowance(tolerance: float, p: float, n: int) -> float:
    """How far below a promised share the simulation may fall before it counts: the tolerance, or
    three binomial standard errors on a quiet half-hour (a few dozen calls are noisy, and a week has
    336 intervals to be wrong in: at two errors about eight would be flagged by chance alone)."""
    if n <= 0:
        return 1.0
    return max(tolerance, 3 * math.sqrt(max(p * (1 - p), 1e-12) / n))


MAX_SIMULATED_CALLS = 2_000_000  # calls over all replications: about a minute of CPU (QA: 65 M took 6 minutes)


def simulate(plan: Plan, cfg: SimConfig | None = None) -> SimResult:
    cfg = cfg or SimConfig()
    expected = sum(row.calls for row in plan.rows) * cfg.replications
    if expected > MAX_SIMULATED_CALLS:
        raise PlanInputError(f"仿真来电量过大（约 {expected:,.0f} 通 = 每次 {expected / cfg.replications:,.0f} 通 × "
                             f"{cfg.replications} 次，上限 {MAX_SIMULATED_CALLS:,} 通）：请减少重复次数或缩小预测时段")
    runs = [_run_once(plan, cfg, cfg.seed + k) for k in range(cfg.replications)]
    result = SimResult(config=cfg)
    target_answer = plan.targets.target_answer
    for i, row in enumerate(plan.rows):
        tallies = [run[i] for run in runs]
        offered = sum(x.offered for x in tallies)
        answered = sum(x.answered for x in tallies)
        within = sum(x.within for x in tallies)
        result.offered += offered
        result.answered += answered
        result.abandoned += sum(x.abandoned for x in tallies)
        result.within += within
        sim_sl = within / answered if answered else 1.0
        sim_answer = answered / offered if offered else 1.0
        erlang_answer = row.answer_rate if cfg.patience != "none" else 1.0
        expected_answer = min(erlang_answer, target_answer)
        optimistic = offered > 0 and (
            sim_sl < row.service_level - _allowance(cfg.tolerance, row.service_level, answered)
            or sim_answer < expected_answer - _allowance(cfg.tolerance, expected_answer, offered))
        result.rows.append(Compare(
            label=row.label, seats=row.seats, offered=offered / cfg.replications, erlang_sl=row.service_level,
            sim_sl=sim_sl, sim_sl_offered=within / offered if offered else 1.0, erlang_answer=erlang_answer,
            sim_answer=sim_answer, erlang_asa=row.asa,
            sim_asa=sum(x.wait_total for x in tallies) / answered if answered else 0.0, optimistic=optimistic))
    return result
