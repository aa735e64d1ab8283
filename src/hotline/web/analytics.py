"""Analysis pages: volume charts (/analytics), hotspots with their tickets (/analytics/hotspots) and
a map view by district (/analytics/map). Charts are inline SVG drawn on the server; every chart
links to its data as CSV and xlsx (the /api/analytics downloads)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from hotline.analytics import charts, service
from hotline.analytics.api import period
from hotline.analytics.hotspots import Params
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
AnalyticsViewer = Annotated[Viewer, Depends(viewer_for("analytics"))]


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError("bad_date", f"日期格式应为 YYYY-MM-DD：{value[:20]}", status_code=422) from None


def _query(request: Request) -> tuple[date | None, date | None, str]:
    since, until = _day(request.query_params.get("since")), _day(request.query_params.get("until"))
    qs = urlencode({k: v for k, v in (("since", since), ("until", until)) if v})
    return since, until, qs


@router.get("/analytics", response_class=HTMLResponse)
def volume_page(request: Request, db: DB, rt: RT, viewer: AnalyticsViewer) -> HTMLResponse:
    since, until, qs = _query(request)
    start, end = period(since, until)
    panels = []
    for dim in ("kind", "category", "channel", "district"):
        rows = service.volume(db, rt, actor=viewer.actor, dimension=dim, since=start, until=end)
        panels.append({"by": dim, "title": f"按{service.DIMENSION_LABELS[dim]}",
                       "svg": charts.bars([charts.Point(b.label, b.count) for b in rows[:15]],
                                          title=f"诉求量（按{service.DIMENSION_LABELS[dim]}）"),
                       "total": sum(b.count for b in rows)})
    by_time = service.volume(db, rt, actor=viewer.actor, dimension="time", since=start, until=end)
    trend = charts.line([charts.Point(b.label, b.count) for b in by_time], title="诉求量走势")
    return render(request, "analytics.html", viewer=viewer, panels=panels, trend=trend, since=since, until=until,
                  qs=qs, total=sum(b.count for b in by_time))


@router.get("/analytics/hotspots", response_class=HTMLResponse)
def hotspots_page(request: Request, db: DB, rt: RT, viewer: AnalyticsViewer) -> HTMLResponse:
    since, until, qs = _query(request)
    start, end = period(since, until)
    result = service.hotspots(db, rt, actor=viewer.actor, since=start, until=end, params=Params())
    top = [service.cluster_out(c, result.docs, with_tickets=True) for c in result.clusters[:30]]
    warnings = [service.cluster_out(c, result.docs) for c in result.warnings[:20]]
    monthly = [service.cluster_out(c, result.docs) for c in result.monthly[:20]]
    # no cluster had a history before its recent window: the period is too short to judge growth
    unjudged = bool(result.clusters) and not any(c.growth and c.growth.judged for c in result.clusters)
    return render(request, "analytics_hotspots.html", viewer=viewer, clusters=top, warnings=warnings,
                  monthly=monthly, tickets=result.tickets, found=len(result.clusters), since=since, until=until,
                  qs=qs, unjudged=unjudged, window_days=Params().window_days)


@router.get("/analytics/map", response_class=HTMLResponse)
def map_page(request: Request, db: DB, rt: RT, viewer: AnalyticsViewer) -> HTMLResponse:
    since, until, qs = _query(request)
    start, end = period(since, until)
    rows = service.district_map(db, rt, actor=viewer.actor, since=start, until=end)
    districts = [b for b in rows if b.key != "none"]
    grid = charts.tiles([charts.Point(b.label, b.count) for b in districts], title="各区县诉求量")
    return render(request, "analytics_map.html", viewer=viewer, grid=grid, rows=rows, since=since, until=until,
                  qs=qs)


@router.get("/analytics/ratings", response_class=HTMLResponse)
def ratings_page(request: Request, db: DB, rt: RT, viewer: AnalyticsViewer) -> HTMLResponse:
    """好差评: the period's 好评率 and 差评, by unit (most 差评 first) and by month."""
    since, until, qs = _query(request)
    start, end = period(since, until)
    total = service.ratings_total(db, actor=viewer.actor, since=start, until=end)
    units = service.ratings_by_unit(db, actor=viewer.actor, since=start, until=end)
    months = service.ratings_by_month(db, rt, actor=viewer.actor, since=start, until=end)
    by_unit = charts.bars([charts.Point(u.unit_name, u.figures.bad) for u in units[:15] if u.figures.bad],
                          title="差评（按承办单位）")
    trend = charts.line([charts.Point(m.month, m.figures.bad) for m in months], title="差评走势（按月）")
    return render(request, "analytics_ratings.html", viewer=viewer, total=total, units=units, months=months,
                  by_unit=by_unit, trend=trend, since=since, until=until, qs=qs,
                  any_bad=any(u.figures.bad for u in units))
