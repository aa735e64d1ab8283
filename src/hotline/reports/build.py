"""Builds a Report for one period from the ticket tables, limited to what the actor may see.

Every figure is one aggregate query (no ticket rows are loaded), so a month of a large city costs
a handful of indexed scans. Rates are given in per cent with one decimal; a rate with an empty
denominator is shown as "—", never as 0%."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from hotline.clock import to_local
from hotline.errors import DomainError
from hotline.org.models import Jurisdiction, JurisdictionLevel, Unit
from hotline.reports.content import Cell, Change, Chart, Figure, Percent, Report, Table
from hotline.reports.period import Period
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.permissions import visible_condition
from hotline.security.roles import DataScope
from hotline.tickets.categories import catalogue
from hotline.tickets.enums import (
    CHANNEL_LABELS,
    KIND_LABELS,
    SATISFIED_LEVELS,
    Action,
    Channel,
    Kind,
    Satisfaction,
    State,
)
from hotline.tickets.models import Ticket, TicketEvent

SATISFACTION_LABELS = {
    Satisfaction.VERY_SATISFIED: "非常满意",
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.UNSATISFIED: "不满意",
    Satisfaction.VERY_UNSATISFIED: "非常不满意",
}
# With a unit and not yet answered: what supervision counts as overdue when past the deadline.
HANDLING_STATES = [str(State.DISPATCHED), str(State.HANDLING)]
DISPATCHES = (Action.DISPATCH, Action.REASSIGN, Action.REOPEN, Action.REHANDLE)  # a round sent to a lead unit
# 办结: the centre closes on a unit's reply, answers directly, or closes on a linked platform's answer (联动反馈).
CLOSINGS = (Action.CLOSE, Action.ANSWER_DIRECTLY, Action.LINKED_ANSWER)
# The actions that set the deadline in force (a requested extension's date is not in force until approved).
DEADLINE_ACTIONS = [str(a) for a in (Action.DISPATCH, Action.REASSIGN, Action.REOPEN, Action.REHANDLE,
                                     Action.APPROVE_EXTENSION, Action.REFUSE_RETURN)]
SATISFIED = [str(s) for s in SATISFIED_LEVELS]
TOP_CATEGORIES = 10
TOP_UNITS = 20
TOP_HOTSPOTS = 10


def rate(numerator: int, denominator: int) -> Percent | None:
    return Percent(round(100.0 * numerator / denominator, 1)) if denominator else None


def fmt_rate(value: Percent | None) -> Percent | str:
    """A rate for a table cell or a sentence: the Percent (printed "19.0%", a number in Excel) or "—"."""
    return "—" if value is None else value


def change(now: int, before: int) -> Change | None:
    return Change(round(100.0 * (now - before) / before, 1)) if before else None


def fmt_change(value: Change | None) -> Change | str:
    return "—" if value is None else value


def count_figure(label: str, n: int, hint: str) -> Figure:
    return Figure(label, f"{n:,}", hint, number=n)


def rate_figure(label: str, value: Percent | None, hint: str) -> Figure:
    return Figure(label, str(fmt_rate(value)), hint, number=value)


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

    # Events say what happened in the period, whatever the ticket became later: a close stays a
    # close when the ticket is reopened, an unsatisfied callback is counted though it reopens.
    def _events(self, actions: tuple[Action, ...], *conds: ColumnElement[bool], key: Any = None) -> Any:
        cols = [key, func.count(TicketEvent.id)] if key is not None else [func.count(TicketEvent.id)]
        q = (select(*cols).join(Ticket, Ticket.id == TicketEvent.ticket_id)
             .where(self.visible, TicketEvent.action.in_([str(a) for a in actions]), self._in(TicketEvent.at),
                    *conds))
        if key is None:
            return int(self.db.execute(q).scalar_one())
        return {k: int(n) for k, n in self.db.execute(q.group_by(key))}

    def _event_counts(self, actions: tuple[Action, ...], key: Any,
                      **counts: ColumnElement[bool] | None) -> dict[Any, dict[str, int]]:
        """The period's events of `actions` grouped by `key`, several counts in one read: for each name, the
        events meeting its condition (None: all of them). {key: {name: count}}."""
        cols = [func.count(TicketEvent.id) if cond is None else func.count(case((cond, TicketEvent.id)))
                for cond in counts.values()]
        q = (select(key, *cols).join(Ticket, Ticket.id == TicketEvent.ticket_id)
             .where(self.visible, TicketEvent.action.in_([str(a) for a in actions]), self._in(TicketEvent.at))
             .group_by(key))
        return {row[0]: {name: int(v) for name, v in zip(counts, row[1:], strict=True)} for row in self.db.execute(q)}

    # -- the report --------------------------------------------------------------------------
    def build(self) -> Report:
        p, prev = self.period, self.period.previous()
        now = self.rt.clock.now()
        if p.start > now:  # it has nothing yet, and "截至" today's overdue tickets would read as its own
            raise DomainError("period_not_started", f"{p.label}尚未开始，没有可统计的数据", status_code=422)
        running = p.start <= now < p.end
        # A running period is compared with the same elapsed span of the previous one.
        self.cutoff = min(p.end, now)
        self.prev_end = min(prev.end, prev.start + (self.cutoff - p.start)) if running else prev.end
        intake = self._count(self._in(Ticket.created_at))
        intake_prev = self._count(Ticket.created_at >= prev.start, Ticket.created_at < self.prev_end)
        direct = self._events((Action.ANSWER_DIRECTLY,))
        dispatched = self._events(DISPATCHES)  # as its label says: reassignments and reopenings too
        closed = self._events(CLOSINGS)
        # 派单及时率: first dispatches out of 待派单 within the centre's 派单时限 (recorded on the event since the
        # limit exists; earlier dispatches carry no verdict and stay out of it).
        timed = TicketEvent.data["dispatch_on_time"].as_boolean()
        dispatch_timed = self._events((Action.DISPATCH,), timed.is_not(None))
        dispatch_on_time = self._events((Action.DISPATCH,), timed.is_(True))
        replies = self._events((Action.REPLY,))
        replies_on_time = self._events((Action.REPLY,), TicketEvent.data["on_time"].as_boolean().is_(True))
        feedback = (Action.CALLBACK, Action.REOPEN)
        rated = self._events(feedback, TicketEvent.data["satisfaction"].as_string().is_not(None))
        satisfied = self._events(feedback, TicketEvent.data["satisfaction"].as_string().in_(SATISFIED))
        asked_solved = self._events(feedback, TicketEvent.data["solved"].as_boolean().is_not(None))
        solved = self._events(feedback, TicketEvent.data["solved"].as_boolean().is_(True))
        overdue_open = self._count(*self._overdue_now())
        reopened = self._events((Action.REOPEN,))
        # 无法联系: callbacks ended without reaching the requester have no rating and stay out of both rates.
        unreachable = self._events((Action.CALLBACK_UNREACHABLE,))
        from hotline.reports import ratings  # the 好差评 section builds on this module's helpers

        rated_by_public = ratings.counts(self)
        left_out = f"；无法联系 {unreachable:,} 件不计入" if unreachable else ""

        cut = to_local(self.cutoff - timedelta(seconds=1))
        label = p.label + (f"（截至{cut.month}月{cut.day}日）" if running else "")
        report = Report(
            title=f"{self.rt.settings.city_name}12345热线{label}运行分析报告",
            period_key=p.key, period_label=label, generated_at=now, scope=self.scope,
        )
        same_span = "（同期）" if running else ""
        report.figures = [
            count_figure("受理总量", intake, f"环比{same_span} {fmt_change(change(intake, intake_prev))}"),
            count_figure("直接答复", direct, f"直接答复率 {fmt_rate(rate(direct, intake))}"),
            count_figure("派单量", dispatched, "含改派、重办再派"),
            rate_figure("派单及时率", rate(dispatch_on_time, dispatch_timed), f"待派单工单派出 {dispatch_timed:,} 件"),
            count_figure("办结量", closed, "含直接答复、联动反馈"),
            rate_figure("按时答复率", rate(replies_on_time, replies), f"承办单位答复 {replies:,} 次"),
            rate_figure("满意率", rate(satisfied, rated), f"回访评价 {rated:,} 次{left_out}"),
            rate_figure("解决率", rate(solved, asked_solved), f"回访确认 {asked_solved:,} 次{left_out}"),
            count_figure("超期未答复", overdue_open, f"截至{cut.month}月{cut.day}日仍在办且已超期"),
            count_figure("退回重办", reopened, "回访不满意或未解决"),
            *ratings.figures(rated_by_public),
        ]
        report.tables = [
            self._by_kind(), self._by_channel(), self._daily(), self._categories(prev),
            self._districts(), self._units(), self._satisfaction(), self._enterprise(),
            *ratings.tables(self, rated_by_public),
        ]
        if (hot := self._hotspots()) is not None:
            report.tables.append(hot)
        from hotline.reports import linkage  # 联动转办, when any request was passed either way

        if (linked := linkage.table(self)) is not None:
            report.tables.append(linked)
        report.summary = self._summary(intake, intake_prev, report)
        if intake and (line := ratings.summary_line(rated_by_public)):
            report.summary.append(line)
        return report

    def _overdue_now(self) -> list[ColumnElement[bool]]:
        """Still with a unit, not paused, past the deadline at the cut-off (as supervision counts). For a
        period still running that is the tickets' state now; for one that has ended, the state and the
        deadline in force at its end, read from the history — a ticket overdue on 31 October and answered
        on 2 November was overdue in October's report (QA: it said 0 where 29 were), and the figure of a
        past month does not change as tickets are answered later."""
        if self.cutoff >= self.rt.clock.now():
            return [Ticket.state.in_(HANDLING_STATES), Ticket.paused_at.is_(None), Ticket.due_at < self.cutoff,
                    Ticket.created_at < self.cutoff]
        return [Ticket.id.in_(self._overdue_at_cutoff())]

    def _overdue_at_cutoff(self) -> Any:
        cut = self.cutoff
        # Tickets that could be at a unit then: at a unit now, or changed since (untouched since the
        # cut-off, a ticket is in the state it was in then).
        candidates = [Ticket.created_at < cut, or_(Ticket.state.in_(HANDLING_STATES), Ticket.updated_at >= cut)]

        def newest(*conds: ColumnElement[bool]) -> Any:
            return (select(TicketEvent.ticket_id.label("tid"), func.max(TicketEvent.id).label("eid"))
                    .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                    .where(*candidates, TicketEvent.at < cut, *conds).group_by(TicketEvent.ticket_id).subquery())

        last = newest()  # the state it was left in
        set_due = newest(TicketEvent.action.in_(DEADLINE_ACTIONS))  # the deadline in force
        state_event, due_event = aliased(TicketEvent), aliased(TicketEvent)
        due = due_event.data["due_at"].as_string()  # stored as UTC isoformat: compared as text
        return (select(last.c.tid)
                .join(state_event, state_event.id == last.c.eid)
                .join(set_due, set_due.c.tid == last.c.tid)
                .join(due_event, due_event.id == set_due.c.eid)
                .where(state_event.to_state.in_(HANDLING_STATES), due.is_not(None),
                       due < cut.astimezone(UTC).isoformat()))

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
        closed = {_as_date(d): n for d, n in self._events(CLOSINGS,
                                                           key=local_day(self.db, TicketEvent.at)).items()}
        today = to_local(self.rt.clock.now()).date()  # a running period stops at today, not at zeros
        rows: list[list[Cell]] = [[f"{d.month}-{d.day:02d}", counts.get(d, 0), closed.get(d, 0)]
                                  for d in self.period.days if d <= today]
        return Table("daily", "每日受理与办结", ["日期", "受理", "办结"], rows, Chart("line", 0, (1, 2)))

    def _top_category_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        top = func.substr(Ticket.category_code, 1, 2)
        return {k: n for k, n in self._grouped(top, Ticket.created_at >= start, Ticket.created_at < end).items() if k}

    def _categories(self, prev: Period) -> Table:
        now = self._top_category_counts(self.period.start, self.period.end)
        before = self._top_category_counts(prev.start, self.prev_end)
        names = catalogue()
        ranked = sorted(now.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CATEGORIES]
        rows: list[list[Cell]] = [[names[c].name if c in names else c, n, before.get(c, 0),
                                   fmt_change(change(n, before.get(c, 0)))] for c, n in ranked]
        return Table("category", f"诉求分类前{TOP_CATEGORIES}位", ["分类", "本期", "上期", "环比"], rows,
                     Chart("bar", 0, (1, 2)), note="按一级分类统计；未分类工单不计入。")

    def _districts(self) -> Table:
        districts = self.db.execute(
            select(Jurisdiction.name, Jurisdiction.path)
            .where(Jurisdiction.level == str(JurisdictionLevel.DISTRICT), *self._districts_in_scope())
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
        if self.actor.data_scope == DataScope.OWN_UNIT:  # a unit's tickets: the districts it worked in
            table_rows = [r for r in table_rows if r[1]]
        table_rows.sort(key=lambda r: -int(r[1] or 0))
        unplaced = total - sum(counts.values())
        if unplaced:
            table_rows.append(["未定位到区", unplaced, fmt_rate(rate(unplaced, total))])
        return Table("district", "各区受理量", ["区", "件数", "占比"], table_rows, Chart("bar", 0, (1,)))

    def _districts_in_scope(self) -> list[ColumnElement[bool]]:
        """A district supervisor's report lists the district(s) of the scope, not the city's eleven with
        ten zeros (QA): the districts inside the scope, or the one containing a street-level scope."""
        if self.actor.data_scope != DataScope.JURISDICTION or not self.actor.scope_path:
            return []
        scope = self.actor.scope_path
        return [or_(Jurisdiction.path.startswith(scope, autoescape=True),
                    literal(scope).startswith(Jurisdiction.path))]

    def _units(self) -> Table:
        # Dispatches of the period to each lead unit (the events, as the headline 派单量 counts them; it
        # was tickets by their lead unit now and their last dispatch, which neither figure matched).
        dispatched = self._events(DISPATCHES, TicketEvent.unit_id.is_not(None), key=TicketEvent.unit_id)
        top = sorted(dispatched.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_UNITS]
        ids = [u for u, _ in top]
        unit = TicketEvent.unit_id
        in_units = unit.in_(ids) if ids else literal(False)
        replies = self._events((Action.REPLY,), in_units, key=unit)
        on_time = self._events((Action.REPLY,), in_units, TicketEvent.data["on_time"].as_boolean().is_(True),
                               key=unit)
        level = TicketEvent.data["satisfaction"].as_string()
        rated = self._events((Action.CALLBACK, Action.REOPEN), in_units, level.is_not(None), key=unit)
        happy = self._events((Action.CALLBACK, Action.REOPEN), in_units, level.in_(SATISFIED), key=unit)
        overdue = self._grouped(Ticket.lead_unit_id, Ticket.lead_unit_id.in_(ids) if ids else literal(False),
                                *self._overdue_now())
        names = dict(self.db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(ids))).all()) if ids else {}
        table_rows: list[list[Cell]] = [
            [names.get(uid, str(uid)), n, replies.get(uid, 0),
             fmt_rate(rate(on_time.get(uid, 0), replies.get(uid, 0))), overdue.get(uid, 0),
             fmt_rate(rate(happy.get(uid, 0), rated.get(uid, 0)))]
            for uid, n in top]
        return Table("unit", f"承办单位办理情况（派单量前{TOP_UNITS}位）",
                     ["承办单位", "派单", "答复", "按时答复率", "超期未答复", "满意率"], table_rows,
                     Chart("bar", 0, (1, 2)),
                     note="派单、答复和回访按本期发生的次数统计；超期未答复为截至统计时仍在办且已超期的工单。")

    def _enterprise(self) -> Table:
        """一企来: the enterprises' requests beside all (the Jiangsu plans ask for 涉企诉求 to be recognised,
        handled fast and answered online): the same figures as the headline, for each side.

        One query per kind of event, split by `is_enterprise`, each figure a conditional count: the month's
        events of a kind and their tickets are read once for both sides and every figure of that kind (it was
        one query a figure and side, 22 in all: 4 s on SQLite at 300,000 tickets a year)."""
        ent = Ticket.is_enterprise
        timed = TicketEvent.data["dispatch_on_time"].as_boolean()
        on_time = TicketEvent.data["on_time"].as_boolean()
        level, solved = TicketEvent.data["satisfaction"].as_string(), TicketEvent.data["solved"].as_boolean()
        intake = {k: {"all": int(n)} for k, n in self.db.execute(
            select(ent, func.count(Ticket.id)).where(self.visible, self._in(Ticket.created_at)).group_by(ent))}
        direct = self._event_counts((Action.ANSWER_DIRECTLY,), ent, all=None)
        dispatch = self._event_counts((Action.DISPATCH,), ent, on_time=timed.is_(True), timed=timed.is_not(None))
        reply = self._event_counts((Action.REPLY,), ent, on_time=on_time.is_(True), all=None)
        feedback = self._event_counts((Action.CALLBACK, Action.REOPEN), ent, satisfied=level.in_(SATISFIED),
                                      rated=level.is_not(None), solved=solved.is_(True), told=solved.is_not(None))

        def figures(enterprise_only: bool) -> list[Cell]:
            def n(counts: dict[Any, dict[str, int]], name: str) -> int:
                return sum(c[name] for k, c in counts.items() if k or not enterprise_only)

            return [n(intake, "all"), fmt_rate(rate(n(direct, "all"), n(intake, "all"))),
                    fmt_rate(rate(n(dispatch, "on_time"), n(dispatch, "timed"))),
                    fmt_rate(rate(n(reply, "on_time"), n(reply, "all"))),
                    fmt_rate(rate(n(feedback, "satisfied"), n(feedback, "rated"))),
                    fmt_rate(rate(n(feedback, "solved"), n(feedback, "told")))]

        labels = ["受理量", "直接答复率", "派单及时率", "按时答复率", "满意率", "解决率"]
        ours, everyone = figures(True), figures(False)
        rows: list[list[Cell]] = [[label, a, b] for label, a, b in zip(labels, ours, everyone, strict=True)]
        total = int(everyone[0] or 0)
        rows.insert(1, ["占受理总量", fmt_rate(rate(int(ours[0] or 0), total)), fmt_rate(rate(total, total))])
        return Table("enterprise", "涉企诉求（一企来）", ["指标", "涉企诉求", "全部诉求"], rows,
                     note="受理时标记为企业诉求的工单；比率的口径与本报告开头的指标相同。")

    def _satisfaction(self) -> Table:
        level = TicketEvent.data["satisfaction"].as_string()
        counts = self._events((Action.CALLBACK, Action.REOPEN), level.is_not(None), key=level)
        total = sum(counts.values())
        rows: list[list[Cell]] = [[label, counts.get(str(level), 0), fmt_rate(rate(counts.get(str(level), 0), total))]
                                  for level, label in SATISFACTION_LABELS.items()]
        return Table("satisfaction", "回访满意度", ["评价", "次数", "占比"], rows, Chart("bar", 0, (1,)),
                     note="每次回访计一次：不满意而退回重办的也计入。")

    def _hotspots(self) -> Table | None:
        """The period's hotspots (clusters of requests about one place or matter), for the roles
        that may run the analysis; None for the others."""
        from hotline.analytics import service as analytics
        from hotline.errors import Forbidden

        try:
            result = analytics.hotspots(self.db, self.rt, actor=self.actor, since=self.period.start,
                                        until=self.cutoff)
        except Forbidden:
            return None
        rows: list[list[Cell]] = []
        for i, c in enumerate(result.clusters[:TOP_HOTSPOTS], start=1):
            warned = "预警" if c.growth and c.growth.warning else ""
            rows.append([i, c.label or c.place or "、".join(c.keywords[:3]), c.size, c.support, warned,
                         c.titles[0] if c.titles else ""])
        columns = ["序号", "地点或事项", "件数", "点赞支持", "预警", "代表性诉求"]
        return Table("hotspot", f"热点问题前{TOP_HOTSPOTS}位", columns, rows, Chart("bar", 1, (2,)),
                     note="同一地点或同一事项的相似诉求聚为一类；预警表示近期增长明显超出其自身历史水平。")

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
        hot = report.table("hotspot")
        if hot and hot.rows:
            named = "、".join(f"{r[1]}（{r[2]}件）" for r in hot.rows[:3])
            lines.append(f"主要热点：{named}。")
        ent = report.table("enterprise")
        if ent and isinstance(ent.rows[0][1], int) and ent.rows[0][1]:
            lines.append(f"涉企诉求（一企来）{ent.rows[0][1]:,} 件，占受理总量 {ent.rows[1][1]}，"
                         f"满意率 {ent.rows[5][1]}。")
        unit = report.table("unit")
        late = sorted((r for r in unit.rows if int(r[4] or 0) > 0), key=lambda r: -int(r[4] or 0)) if unit else []
        if late:
            lines.append("超期未答复较多的单位：" + "、".join(f"{r[0]}（{r[4]}件）" for r in late[:3]) + "。")
        if intake == 0:
            lines = ["本期无受理工单。"]
        return lines


def build_report(db: Session, rt: Runtime, actor: Actor, period: Period, *, scope: str = "全市") -> Report:
    return ReportBuilder(db, rt, actor, period, scope=scope).build()


def table_rows_as_text(rows: Sequence[Sequence[Cell]]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in r] for r in rows]


def generated_label(at: datetime) -> str:
    return to_local(at).strftime("%Y-%m-%d %H:%M")
