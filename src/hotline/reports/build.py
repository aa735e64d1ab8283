"""Builds a Report for one period from the ticket tables, limited to what the actor may see.

Every figure is one aggregate query (no ticket rows are loaded), so a month of a large city costs
a handful of indexed scans. Rates are given in per cent with one decimal; a rate with an empty
denominator is shown as "—", never as 0%."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hotline.clock import to_local
from hotline.org.models import Jurisdiction, JurisdictionLevel, Unit
from hotline.reports.content import Cell, Chart, Figure, Report, Table
from hotline.reports.period import Period
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.permissions import visible_condition
from hotline.tickets.categories import catalogue
from hotline.tickets.enums import (
    CHANNEL_LABELS,
    KIND_LABELS,
    SATISFIED_LEVELS,
    Channel,
    Kind,
    Satisfaction,
    State,
)
from hotline.tickets.models import Ticket

SATISFACTION_LABELS = {
    Satisfaction.VERY_SATISFIED: "非常满意",
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
    Satisfaction.VERY_UNSATISFIED: "非常不满意",
}
OPEN_STATES = [str(s) for s in (State.REGISTERED, State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW,
                                State.REPLIED)]
SATISFIED = [str(s) for s in SATISFIED_LEVELS]
TOP_CATEGORIES = 10
TOP_UNITS = 20


def rate(numerator: int, denominator: int) -> float | None:
    return round(100.0 * numerator / denominator, 1) if denominator else None


def fmt_rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def change(now: int, before: int) -> float | None:
    return round(100.0 * (now - before) / before, 1) if before else None


def fmt_change(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}%"


def local_day(db: Session, column: Any) -> ColumnElement[Any]:
    """The China-local calendar day of a UTC timestamp column, in SQL on either database."""
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("Asia/Shanghai", column), Date)
    return func.date(column, "+8 hours")  # SQLite keeps naive UTC text; China has no DST


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class ReportBuilder:
    def __init__(self, db: Session, rt: Runtime, actor: Actor, period: Period, *, scope: str = "全市") -> None:
        self.db, self.rt, self.actor, self.period, self.scope = db, rt, actor, period, scope
        self.visible = visible_condition(actor)

    # -- helpers -----------------------------------------------------------------------------
    def _in(self, column: Any, period: Period | None = None) -> ColumnElement[bool]:
        p = period or self.period
        return and_(column >= p.start, column < p.end)

    def _count(self, *conds: ColumnElement[bool]) -> int:
        return int(self.db.execute(select(func.count(Ticket.id)).where(self.visible, *conds)).scalar_one())

    def _grouped(self, key: Any, *conds: ColumnElement[bool]) -> dict[Any, int]:
        rows = self.db.execute(select(key, func.count(Ticket.id)).where(self.visible, *conds).group_by(key))
        return {k: int(n) for k, n in rows}

    # -- the report --------------------------------------------------------------------------
    def build(self) -> Report:
        p, prev = self.period, self.period.previous()
        intake = self._count(self._in(Ticket.created_at))
        intake_prev = self._count(self._in(Ticket.created_at, prev))
        direct = self._count(self._in(Ticket.created_at), Ticket.answer_source.is_not(None))
        dispatched = self._count(self._in(Ticket.dispatched_at))
        closed = self._count(self._in(Ticket.closed_at))
        closed_with_limit = self._count(self._in(Ticket.closed_at), Ticket.due_at.is_not(None))
        on_time = self._count(self._in(Ticket.closed_at), Ticket.due_at.is_not(None), Ticket.closed_at <= Ticket.due_at)
        rated = self._count(self._in(Ticket.finished_at), Ticket.satisfaction.is_not(None))
        satisfied = self._count(self._in(Ticket.finished_at), Ticket.satisfaction.in_(SATISFIED))
        asked_solved = self._count(self._in(Ticket.finished_at), Ticket.solved.is_not(None))
        solved = self._count(self._in(Ticket.finished_at), Ticket.solved.is_(True))
        overdue_open = self._count(Ticket.state.in_(OPEN_STATES), Ticket.due_at < p.end,
                                   Ticket.created_at < p.end)
        reopened = self._count(self._in(Ticket.created_at), Ticket.reopen_count > 0)

        report = Report(
            title=f"{self.rt.settings.city_name}12345热线{p.label}运行分析报告",
            period_key=p.key, period_label=p.label, generated_at=self.rt.clock.now(), scope=self.scope,
        )
        report.figures = [
            Figure("受理总量", f"{intake:,}", f"环比 {fmt_change(change(intake, intake_prev))}"),
            Figure("直接答复", f"{direct:,}", f"直接答复率 {fmt_rate(rate(direct, intake))}"),
            Figure("派单量", f"{dispatched:,}"),
            Figure("办结量", f"{closed:,}", f"按时办结率 {fmt_rate(rate(on_time, closed_with_limit))}"),
            Figure("满意率", fmt_rate(rate(satisfied, rated)), f"回访评价 {rated:,} 件"),
            Figure("解决率", fmt_rate(rate(solved, asked_solved)), f"回访确认 {asked_solved:,} 件"),
            Figure("超期未办结", f"{overdue_open:,}", "截至本期末"),
            Figure("退回重办", f"{reopened:,}", "本期受理工单中"),
        ]
        report.tables = [
            self._by_kind(), self._by_channel(), self._daily(), self._categories(prev),
            self._districts(), self._units(), self._satisfaction(),
        ]
        report.summary = self._summary(intake, intake_prev, report)
        return report

    def _by_kind(self) -> Table:
        counts = self._grouped(Ticket.kind, self._in(Ticket.created_at))
        total = sum(counts.values())
        rows: list[list[Cell]] = [[KIND_LABELS[k], counts.get(str(k), 0), fmt_rate(rate(counts.get(str(k), 0), total))]
                                  for k in Kind]
        return Table("kind", "诉求类型", ["类型", "件数", "占比"], rows, Chart("bar", 0, (1,)))

    def _by_channel(self) -> Table:
        counts = self._grouped(Ticket.channel, self._in(Ticket.created_at))
        total = sum(counts.values())
        rows: list[list[Cell]] = [[CHANNEL_LABELS[c], counts.get(str(c), 0),
                                   fmt_rate(rate(counts.get(str(c), 0), total))] for c in Channel]
        return Table("channel", "受理渠道", ["渠道", "件数", "占比"], rows, Chart("bar", 0, (1,)))

    def _daily(self) -> Table:
        day = local_day(self.db, Ticket.created_at)
        counts = {_as_date(d): n for d, n in self._grouped(day, self._in(Ticket.created_at)).items()}
        closed_day = local_day(self.db, Ticket.closed_at)
        closed = {_as_date(d): n for d, n in self._grouped(closed_day, self._in(Ticket.closed_at)).items()}
        today = to_local(self.rt.clock.now()).date()  # a running period stops at today, not at zeros
        rows: list[list[Cell]] = [[f"{d.month}-{d.day:02d}", counts.get(d, 0), closed.get(d, 0)]
                                  for d in self.period.days if d <= today]
        return Table("daily", "每日受理与办结", ["日期", "受理", "办结"], rows, Chart("line", 0, (1, 2)))

    def _top_category_counts(self, period: Period) -> dict[str, int]:
        top = func.substr(Ticket.category_code, 1, 2)
        return {k: n for k, n in self._grouped(top, self._in(Ticket.created_at, period)).items() if k}

    def _categories(self, prev: Period) -> Table:
        now, before = self._top_category_counts(self.period), self._top_category_counts(prev)
        names = catalogue()
        ranked = sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]
        rows: list[list[Cell]] = [[names[c].name if c in names else c, n, before.get(c, 0),
                                   fmt_change(change(n, before.get(c, 0)))] for c, n in ranked]
        return Table("category", f"诉求分类前{TOP_CATEGORIES}位", ["分类", "本期", "上期", "环比"], rows,
                     Chart("bar", 0, (1, 2)), note="按一级分类统计；未分类工单不计入。")

    def _districts(self) -> Table:
        districts = self.db.execute(
            select(Jurisdiction.name, Jurisdiction.path).where(Jurisdiction.level == str(JurisdictionLevel.DISTRICT))
            .order_by(Jurisdiction.path)
        ).all()
        counts: dict[str, int] = {}
        if districts:
            path = select(Jurisdiction.path).where(Jurisdiction.level == str(JurisdictionLevel.DISTRICT)).subquery()
            rows = self.db.execute(
                select(path.c.path, func.count(Ticket.id))
                .join(Ticket, Ticket.jurisdiction_path.like(path.c.path + literal("%")))
                .where(self.visible, self._in(Ticket.created_at)).group_by(path.c.path)
            )
            counts = {p: int(n) for p, n in rows}
        total = self._count(self._in(Ticket.created_at))
        table_rows: list[list[Cell]] = [[name, counts.get(p, 0), fmt_rate(rate(counts.get(p, 0), total))]
                                        for name, p in districts]
        table_rows.sort(key=lambda r: -int(r[1] or 0))
        unplaced = total - sum(counts.values())
        if unplaced:
            table_rows.append(["未定位到区", unplaced, fmt_rate(rate(unplaced, total))])
        return Table("district", "各区受理量", ["区", "件数", "占比"], table_rows, Chart("bar", 0, (1,)))

    def _units(self) -> Table:
        p = self.period
        in_period = self._in(Ticket.dispatched_at)
        closed_in = and_(Ticket.closed_at.is_not(None), Ticket.closed_at < p.end)
        on_time = and_(closed_in, Ticket.due_at.is_not(None), Ticket.closed_at <= Ticket.due_at)
        overdue = and_(Ticket.due_at < func.coalesce(Ticket.closed_at, literal(p.end)), Ticket.due_at < p.end)
        sat = and_(Ticket.satisfaction.in_(SATISFIED))

        def n(cond: ColumnElement[bool]) -> Any:
            return func.sum(case((cond, 1), else_=0))

        rows = self.db.execute(
            select(Ticket.lead_unit_id, func.count(Ticket.id), n(closed_in), n(on_time), n(overdue),
                   n(Ticket.satisfaction.is_not(None)), n(sat))
            .where(self.visible, in_period, Ticket.lead_unit_id.is_not(None))
            .group_by(Ticket.lead_unit_id).order_by(func.count(Ticket.id).desc(), Ticket.lead_unit_id)
            .limit(TOP_UNITS)
        ).all()
        ids = [r[0] for r in rows]
        names = dict(self.db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(ids))).all()) if ids else {}
        table_rows: list[list[Cell]] = []
        for uid, total, closed, ontime, late, rated, happy in rows:
            table_rows.append([names.get(uid, str(uid)), int(total), int(closed or 0),
                               fmt_rate(rate(int(ontime or 0), int(closed or 0))), int(late or 0),
                               fmt_rate(rate(int(happy or 0), int(rated or 0)))])
        return Table("unit", f"承办单位办理情况（派单量前{TOP_UNITS}位）",
                     ["承办单位", "派单", "已办结", "按时办结率", "超期", "满意率"], table_rows,
                     Chart("bar", 0, (1, 2)), note="按本期派单统计，办结截至本期末；超期含已超期办结与超期未办结。")

    def _satisfaction(self) -> Table:
        counts = self._grouped(Ticket.satisfaction, self._in(Ticket.finished_at), Ticket.satisfaction.is_not(None))
        total = sum(counts.values())
        rows: list[list[Cell]] = [[label, counts.get(str(level), 0), fmt_rate(rate(counts.get(str(level), 0), total))]
                                  for level, label in SATISFACTION_LABELS.items()]
        return Table("satisfaction", "回访满意度", ["评价", "件数", "占比"], rows, Chart("bar", 0, (1,)))

    def _summary(self, intake: int, intake_prev: int, report: Report) -> list[str]:
        lines = [f"本期共受理诉求 {intake:,} 件，环比 {fmt_change(change(intake, intake_prev))}。"]
        cat = report.table("category")
        if cat and cat.rows:
            top = "、".join(f"{r[0]}（{r[1]}件）" for r in cat.rows[:3])
            lines.append(f"诉求量居前的分类为：{top}。")
            rising = [r for r in cat.rows if isinstance(r[1], int) and isinstance(r[2], int) and r[2] >= 5
                      and r[1] >= 1.5 * r[2]]
            if rising:
                named = "、".join(f"{r[0]}（环比 {r[3]}）" for r in rising[:3])
                lines.append(f"增长较快的分类：{named}，建议关注。")
        dist = report.table("district")
        if dist and dist.rows and dist.rows[0][1]:
            lines.append(f"受理量最多的区为{dist.rows[0][0]}（{dist.rows[0][1]}件）。")
        unit = report.table("unit")
        late = sorted((r for r in unit.rows if int(r[4] or 0) > 0), key=lambda r: -int(r[4] or 0)) if unit else []
        if late:
            lines.append("超期件较多的单位：" + "、".join(f"{r[0]}（{r[4]}件）" for r in late[:3]) + "。")
        if intake == 0:
            lines = ["本期无受理工单。"]
        return lines


def build_report(db: Session, rt: Runtime, actor: Actor, period: Period, *, scope: str = "全市") -> Report:
    return ReportBuilder(db, rt, actor, period, scope=scope).build()


def table_rows_as_text(rows: Sequence[Sequence[Cell]]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in r] for r in rows]


def generated_label(at: datetime) -> str:
    return to_local(at).strftime("%Y-%m-%d %H:%M")
