"""The report's 好差评 section: the public's own ratings given in the period (the `rate` events), as
figures, their spread over the five levels, and by unit and district. A service-efficiency figure of
its own beside the callback's 满意率, never an assessment input (docs/assessment.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hotline.org.models import Jurisdiction, JurisdictionLevel, Unit
from hotline.ratings.enums import BAD, GOOD
from hotline.ratings.models import RatingFollowup
from hotline.reports.build import ReportBuilder, count_figure, fmt_rate, rate, rate_figure
from hotline.reports.content import Cell, Chart, Figure, Table
from hotline.tickets.enums import SATISFACTION_LABELS, Action
from hotline.tickets.models import Ticket, TicketEvent

RATE = (Action.RATE,)
TOP_UNITS = 20
NOTE = "公众在工单查询页对已办结工单的评价，每件工单评价一次；不满意、非常不满意为差评。好差评不计入考核。"


def _level() -> Any:
    return TicketEvent.data["satisfaction"].as_string()


@dataclass(frozen=True)
class Counts:
    levels: dict[str, int]
    followed: int  # 差评 of the period with a follow-up recorded (at any time)

    @property
    def rated(self) -> int:
        return sum(self.levels.values())

    @property
    def good(self) -> int:
        return sum(self.levels.get(k, 0) for k in GOOD)

    @property
    def bad(self) -> int:
        return sum(self.levels.get(k, 0) for k in BAD)


def counts(b: ReportBuilder) -> Counts:
    level = _level()
    return Counts(levels=b._events(RATE, level.is_not(None), key=level),
                  followed=b._events(RATE, level.in_(BAD), Ticket.id.in_(select(RatingFollowup.ticket_id))))


def figures(c: Counts) -> list[Figure]:
    return [rate_figure("好评率", rate(c.good, c.rated), f"公众评价 {c.rated:,} 件"),
            count_figure("差评", c.bad, f"已核实 {c.followed:,} 件")]


def distribution(c: Counts) -> Table:
    rows: list[list[Cell]] = [[label, c.levels.get(str(k), 0), fmt_rate(rate(c.levels.get(str(k), 0), c.rated)),
                               "差评" if str(k) in BAD else "好评"] for k, label in SATISFACTION_LABELS.items()]
    return Table("rating", "公众评价（好差评）", ["评价", "件数", "占比", "类别"], rows, Chart("bar", 0, (1,)),
                 note=NOTE)


def _row(name: str, rated: int, good: int, bad: int) -> list[Cell]:
    return [name, rated, good, bad, fmt_rate(rate(good, rated))]


def _split(b: ReportBuilder, key: Any) -> dict[Any, dict[str, int]]:
    """The period's ratings by `key`: rated, good and bad counted in one read of the `rate` events."""
    level = _level()
    return b._event_counts(RATE, key, rated=None, good=level.in_(GOOD), bad=level.in_(BAD))


def by_unit(b: ReportBuilder) -> Table:
    """The units the ratings judged (the lead unit when rated); those with most 差评 first."""
    counts = _split(b, TicketEvent.unit_id)
    counts.pop(None, None)  # direct answers: no unit
    top = sorted(counts, key=lambda u: (-counts[u]["bad"], -counts[u]["rated"], u))[:TOP_UNITS]
    names = dict(b.db.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(top))).all()) if top else {}
    rows = [_row(names.get(u, str(u)), counts[u]["rated"], counts[u]["good"], counts[u]["bad"]) for u in top]
    return Table("rating_unit", f"承办单位好差评（前{TOP_UNITS}位，差评多者在前）",
                 ["承办单位", "评价", "好评", "差评", "好评率"], rows, Chart("bar", 0, (2, 3)),
                 note="按评价时的主办单位统计；直接答复的工单不计入单位。")


def by_district(b: ReportBuilder) -> Table:
    """Each district's ratings: the period's ratings counted by the ticket's jurisdiction (a few hundred
    paths), then added up under each district's path prefix here. (Joining tickets to the districts by
    `jurisdiction_path LIKE district || '%'` read every ticket once per district on SQLite: seconds at
    300,000 tickets a year.)"""
    districts = b.db.execute(
        select(Jurisdiction.name, Jurisdiction.path)
        .where(Jurisdiction.level == str(JurisdictionLevel.DISTRICT), *b._districts_in_scope())
        .order_by(Jurisdiction.path)).all()
    by_path = _split(b, Ticket.jurisdiction_path)
    rows = []
    for name, prefix in districts:
        under = [c for p, c in by_path.items() if p is not None and p.startswith(prefix)]
        rated = sum(c["rated"] for c in under)
        if rated:
            rows.append(_row(name, rated, sum(c["good"] for c in under), sum(c["bad"] for c in under)))
    rows.sort(key=lambda r: (-int(r[3] or 0), -int(r[1] or 0)))
    return Table("rating_district", "各区好差评", ["区", "评价", "好评", "差评", "好评率"], rows,
                 Chart("bar", 0, (2, 3)), note="按工单所在区统计；只列有评价的区。")


def tables(b: ReportBuilder, c: Counts) -> list[Table]:
    return [distribution(c), by_unit(b), by_district(b)]


def summary_line(c: Counts) -> str | None:
    if not c.rated:
        return None
    line = f"公众评价 {c.rated:,} 件，好评率 {fmt_rate(rate(c.good, c.rated))}"
    return line + (f"，差评 {c.bad:,} 件（已核实 {c.followed:,} 件）。" if c.bad else "，无差评。")
