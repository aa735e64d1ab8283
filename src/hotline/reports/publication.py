"""Publishing a month's figures to the public portal (政务公开, 接受社会监督): who may, what is shown,
and the snapshot kept at publication.

The figures come from the monthly report built for the whole city with the system actor, cut to a
fixed list of aggregate figures and tables: no hotspot table (it quotes requests' titles), no summary
(it names hotspots), no personal data. The snapshot is stored as JSON when a month is published, so
the portal shows what was published even when tickets or the report's code change later; republishing
refreshes it. Every publication and withdrawal is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.reports.build import ReportBuilder, fmt_rate, rate
from hotline.reports.content import Percent, Report, cell_text
from hotline.reports.models import PublishedFigures
from hotline.reports.period import Period, parse_period
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import Role

SNAPSHOT_VERSION = 1
# The report's headline figures the public sees (by label), in this order; 直接答复率 is added after 直接答复.
PUBLIC_FIGURES = ("受理总量", "直接答复", "派单量", "派单及时率", "办结量", "按时答复率", "满意率", "解决率", "好评率")
PUBLIC_TABLES = ("channel", "kind", "category", "satisfaction", "rating", "enterprise")
UNIT_TABLE = "unit"


class _PublicReportBuilder(ReportBuilder):
    """The monthly report without its hotspot analysis: never published, so never computed."""

    def _hotspots(self) -> None:
        return None


def ensure_may_publish(actor: Actor) -> None:
    """An administrator, or a supervisor whose data scope is the whole city: the figures are the city's."""
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("forbidden", "无权公开数据：仅管理员和督办员可公开或撤回月度数据")
    if not audit.reads_whole_city(actor):
        raise Forbidden("forbidden", "公开的是全市数据：仅数据范围为全市的督办员可公开或撤回")


def publishable_month(rt: Runtime, text: str) -> Period:
    """A calendar month that has ended: a running month's figures would change after publication."""
    period = parse_period(text)
    if period.kind != "month":
        raise DomainError("not_a_month", "仅可公开月度数据：周期写作 2026-10", status_code=422)
    if period.end > rt.clock.now():
        raise DomainError("month_not_ended", f"{period.label}尚未结束，月度数据须在月末之后公开", status_code=422)
    return period


def _number(value: int | Percent | None) -> int | float | None:
    return float(value) if isinstance(value, Percent) else value


def snapshot(report: Report, *, with_units: bool) -> dict[str, Any]:
    """The public part of a whole-city monthly report, as JSON."""
    by_label = {f.label: f for f in report.figures}
    figures: list[dict[str, Any]] = []
    for label in PUBLIC_FIGURES:
        f = by_label[label]
        figures.append({"label": f.label, "value": f.value, "hint": f.hint, "number": _number(f.number),
                        "percent": isinstance(f.number, Percent)})
        if label == "直接答复":
            intake, direct = by_label["受理总量"].number, f.number
            share = rate(int(direct or 0), int(intake or 0))
            figures.append({"label": "直接答复率", "value": str(fmt_rate(share)), "hint": "直接答复 / 受理总量",
                            "number": _number(share), "percent": True})
    keys = PUBLIC_TABLES + ((UNIT_TABLE,) if with_units else ())
    tables = [{"key": t.key, "title": t.title, "columns": t.columns,
               "rows": [[cell_text(v) for v in r] for r in t.rows], "note": t.note, "chart": t.chart is not None}
              for key in keys if (t := report.table(key)) is not None]
    return {"version": SNAPSHOT_VERSION, "period": report.period_key, "period_label": report.period_label,
            "title": report.title.replace("运行分析报告", "运行数据"), "scope": report.scope,
            "figures": figures, "tables": tables}


def build_snapshot(db: Session, rt: Runtime, period: Period, *, with_units: bool) -> dict[str, Any]:
    report = _PublicReportBuilder(db, rt, Actor.system(), period, scope=rt.settings.city_name + "全市").build()
    return snapshot(report, with_units=with_units)


def publish(db: Session, rt: Runtime, *, actor: Actor, period: str, with_units: bool) -> PublishedFigures:
    """Publish (or republish, refreshing the figures) one ended month."""
    ensure_may_publish(actor)
    month = publishable_month(rt, period)
    now = rt.clock.now()
    figures = build_snapshot(db, rt, month, with_units=with_units)
    row = db.get(PublishedFigures, month.key)
    again = row is not None
    if row is None:
        row = PublishedFigures(period=month.key)
        db.add(row)
    row.figures, row.with_units = figures, with_units
    row.published_at, row.published_by_id, row.published_by_name = now, actor.user_id, actor.name[:100]
    row.unpublished_at = row.unpublished_by_name = None
    detail = ("重新公开" if again else "公开") + ("，含承办单位数据" if with_units else "")
    audit.record(db, actor=actor, at=now, action="publish_figures", object_type="published_figures",
                 object_id=month.key, detail=detail)
    try:
        db.commit()
    except IntegrityError:  # two first publications of one month at once: the other one won
        db.rollback()
        raise Conflict("publication_conflict", f"{month.label}的数据刚由他人公开，请刷新后查看") from None
    return row


def unpublish(db: Session, rt: Runtime, *, actor: Actor, period: str) -> PublishedFigures:
    ensure_may_publish(actor)
    month = parse_period(period)
    row = db.get(PublishedFigures, month.key)
    if row is None or row.unpublished_at is not None:
        raise NotFound("not_published", f"{month.label}的数据未公开")
    now = rt.clock.now()
    row.unpublished_at, row.unpublished_by_name = now, actor.name[:100]
    audit.record(db, actor=actor, at=now, action="unpublish_figures", object_type="published_figures",
                 object_id=month.key, detail="撤回公开")
    db.commit()
    return row


def published_months(db: Session) -> list[PublishedFigures]:
    """The months on the portal, newest first."""
    return list(db.scalars(select(PublishedFigures).where(PublishedFigures.unpublished_at.is_(None))
                           .order_by(PublishedFigures.period.desc())))


def publications(db: Session, periods: list[str]) -> dict[str, PublishedFigures]:
    """The publication rows (on the portal or withdrawn) of these months, for the staff page."""
    rows = db.scalars(select(PublishedFigures).where(PublishedFigures.period.in_(periods)))
    return {r.period: r for r in rows}


def published(db: Session, period: str) -> dict[str, Any]:
    """One published month's snapshot with its publication time; not found unless it is on the portal."""
    try:
        month = parse_period(period)
    except DomainError:
        raise NotFound("not_published", f"未公开“{period[:20]}”的数据") from None
    row = db.get(PublishedFigures, month.key)
    if row is None or row.unpublished_at is not None:
        raise NotFound("not_published", f"{month.label}的数据尚未公开")
    return {**row.figures, "published_at": to_local(row.published_at).strftime("%Y-%m-%d %H:%M")}
