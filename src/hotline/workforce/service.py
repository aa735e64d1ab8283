"""Seat planning as one use case for the API, the CLI and the page: pick the forecast (given,
the demo week, or history), plan, and optionally simulate. Nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.errors import Forbidden
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.workforce import history
from hotline.workforce.errors import PlanInputError
from hotline.workforce.forecast import Interval, demo_week
from hotline.workforce.plan import Plan, Targets, make_plan
from hotline.workforce.simulate import SimConfig, SimResult, simulate

PLAN_ROLES = frozenset({Role.SUPERVISOR, Role.ANALYST, Role.ADMIN, Role.SYSTEM})
SOURCE_LABELS = {"demo": "示例周（典型日内与周内分布）", "calls": "历史来电记录", "tickets": "历史电话工单登记时间",
                 "given": "上传的预测"}


def ensure_may_plan(actor: Actor) -> None:
    if actor.role not in PLAN_ROLES:
        raise Forbidden("role_forbidden", "只有督办员、数据分析员和系统管理员可以进行座席测算")


@dataclass(frozen=True)
class Forecast:
    intervals: list[Interval]
    source: str
    note: str


def forecast(db: Session, rt: Runtime, *, source: str, weeks: int = 8, demo_calls: float = 12000.0) -> Forecast:
    if source == "demo":
        if not 1 <= demo_calls <= 1_000_000:
            raise PlanInputError("示例周的工作日来电量须在 1—1000000 之间")
        return Forecast(demo_week(demo_calls), "demo", f"示例周：工作日约 {demo_calls:,.0f} 次来电")
    if source == "history":
        h = history.from_history(db, now=rt.clock.now(), weeks=weeks)
        what = "来电" if h.source == "calls" else "电话工单"
        note = f"按近 {weeks} 周 {h.total:,} 个{what}的周内分布平均"
        if h.covered_days < h.days:  # say how thin the history is: a plan from two days is a guess
            note += (f"（{h.days} 天中仅 {h.covered_days} 天有记录：按有记录的日子平均，"
                     "没有记录的星期按有记录日子的平均）")
        return Forecast(h.intervals, h.source, note)
    raise PlanInputError("预测来源须为 demo（示例周）或 history（历史记录）")


@dataclass
class Outcome:
    plan: Plan
    simulation: SimResult | None


def run(intervals: list[Interval], targets: Targets, *, sim: SimConfig | None = None) -> Outcome:
    plan = make_plan(intervals, targets)
    return Outcome(plan=plan, simulation=simulate(plan, sim) if sim is not None else None)
