"""The analysis API (/api/analytics/…): volume, hotspots, early warnings, monthly-issue candidates.
For analysts, supervisors and administrators; `format=csv|xlsx` downloads the same data."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from hotline.analytics import export, service
from hotline.analytics.hotspots import Params
from hotline.clock import CHINA_TZ
from hotline.deps import DB, RT, ApiActor
from hotline.errors import DomainError
from hotline.errors_http import route_labels
from hotline.excel import Rate
from hotline.security import audit
from hotline.security.actor import Actor

router = APIRouter(prefix="/api/analytics", tags=["analytics"])
# Validation errors name the parameters in Chinese (QA: "by取值无效", "window须为数字"); the first
# registered prefix that matches answers, so the 好差评 route's own choices come first.
route_labels(router.prefix + "/ratings",
             {"by": "统计维度", "since": "开始日期", "until": "结束日期", "format": "下载格式"},
             choices={"by": {"unit": "承办单位", "month": "月份"},
                      "format": {"json": "JSON", "csv": "CSV", "xlsx": "Excel"}})
route_labels(router.prefix, {
    "by": "统计维度", "since": "开始日期", "until": "结束日期", "format": "下载格式", "top": "热点条数",
    "window": "近期窗口（天）", "tickets": "是否列出工单", "min_months": "最少出现月数"},
    choices={"by": dict(service.DIMENSION_LABELS), "format": {"json": "JSON", "csv": "CSV", "xlsx": "Excel"}})
Format = Literal["json", "csv", "xlsx"]


def period(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Inclusive China-time days → [start, end) instants."""
    if since and until and until < since:
        raise DomainError("bad_period", "结束日期不能早于开始日期", status_code=422)
    start = datetime.combine(since, time(), tzinfo=CHINA_TZ) if since else None
    end = datetime.combine(until, time(), tzinfo=CHINA_TZ) + timedelta(days=1) if until else None
    return start, end


def download(db: DB, rt: RT, actor: Actor, name: str, header: list[str], rows: list[list[Any]],
             fmt: Format) -> Response:
    # who took which figures out is attributable, as for every export (hotspot files list ticket numbers)
    audit.record(db, actor=actor, at=rt.clock.now(), action="export_analytics", object_type="analytics",
                 object_id=name, detail=f"{fmt}，{len(rows)} 行")
    db.commit()
    if fmt == "csv":
        return Response(export.to_csv(header, rows), media_type=export.CSV_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return Response(export.to_xlsx(header, rows, sheet=name), media_type=export.XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@router.get("/volume", summary="诉求量：按类型、分类、渠道、区县或时间统计")
def volume(db: DB, rt: RT, actor: ApiActor,
           by: Annotated[Literal["kind", "category", "channel", "district", "time"], Query()] = "category",
           since: date | None = None, until: date | None = None, format: Format = "json") -> Any:
    start, end = period(since, until)
    rows = service.volume(db, rt, actor=actor, dimension=by, since=start, until=end)
    if format != "json":
        return download(db, rt, actor, f"volume-{by}", [service.DIMENSION_LABELS[by], "件数"],
                        [[b.label, b.count] for b in rows], format)
    return {"by": by, "items": [{"key": b.key, "label": b.label, "count": b.count} for b in rows],
            "total": sum(b.count for b in rows)}


def _hotspots(db: DB, rt: RT, actor: ApiActor, since: date | None, until: date | None, window: int,
              min_months: int = 3) -> service.HotspotResult:
    start, end = period(since, until)
    return service.hotspots(db, rt, actor=actor, since=start, until=end, params=Params(window_days=window),
                            min_months=min_months)


def _answer(db: DB, rt: RT, actor: Actor, name: str, result: service.HotspotResult, clusters: list[Any],
            fmt: Format, tickets: bool) -> Any:
    items = [service.cluster_out(c, result.docs, with_tickets=tickets) for c in clusters]
    if fmt != "json":
        return download(db, rt, actor, name, export.HOTSPOT_HEADER, export.hotspot_rows(items), fmt)
    return {"tickets": result.tickets, "until": result.until.isoformat(), "items": items}


@router.get("/hotspots", summary="热点：同一地点或事项的相似诉求聚类，按热度排序")
def hotspots(db: DB, rt: RT, actor: ApiActor, since: date | None = None, until: date | None = None,
             top: Annotated[int, Query(ge=1, le=500)] = 20, window: Annotated[int, Query(ge=1, le=365)] = 30,
             tickets: bool = False, format: Format = "json") -> Any:
    result = _hotspots(db, rt, actor, since, until, window)
    return _answer(db, rt, actor, "hotspots", result, result.clusters[:top], format, tickets)


@router.get("/warnings", summary="预警：近期增长异常的热点")
def warnings(db: DB, rt: RT, actor: ApiActor, since: date | None = None, until: date | None = None,
             window: Annotated[int, Query(ge=1, le=365)] = 30, format: Format = "json") -> Any:
    result = _hotspots(db, rt, actor, since, until, window)
    return _answer(db, rt, actor, "warnings", result, result.warnings, format, False)


@router.get("/monthly-issues", summary="每月一题候选：跨月反复出现的问题")
def monthly_issues(db: DB, rt: RT, actor: ApiActor, since: date | None = None, until: date | None = None,
                   min_months: Annotated[int, Query(ge=2, le=24)] = 3, format: Format = "json") -> Any:
    result = _hotspots(db, rt, actor, since, until, 30, min_months)
    return _answer(db, rt, actor, "monthly-issues", result, result.monthly, format, False)


RATING_HEADER = ["评价", "好评", "差评", "好评率", "差评待核实"]


def _rating_cells(s: Any, fmt: str) -> list[Any]:
    """A row of figures; in Excel the rate a number shown in per cent (0.333 as 33.3%), as every export writes
    rates (QA: it wrote 33.3); in CSV the per cent figure, as the API gives it."""
    rate = s.good_rate if s.good_rate is None or fmt == "csv" else Rate(round(s.good / s.rated, 4))
    return [s.rated, s.good, s.bad, rate, s.bad_open]


def _rating_json(s: Any) -> dict[str, Any]:
    return {"rated": s.rated, "good": s.good, "bad": s.bad, "good_rate": s.good_rate, "bad_open": s.bad_open}


@router.get("/ratings", summary="好差评：按承办单位或按月统计评价数、好评率、差评及待核实")
def rating_figures(db: DB, rt: RT, actor: ApiActor, by: Annotated[Literal["unit", "month"], Query()] = "unit",
                   since: date | None = None, until: date | None = None, format: Format = "json") -> Any:
    start, end = period(since, until)
    if by == "unit":
        units = service.ratings_by_unit(db, actor=actor, since=start, until=end)
        if format != "json":
            return download(db, rt, actor, "ratings-unit", ["承办单位", *RATING_HEADER],
                            [[u.unit_name, *_rating_cells(u.figures, format)] for u in units], format)
        items = [{"key": str(u.unit_id), "label": u.unit_name, **_rating_json(u.figures)} for u in units]
    else:
        months = service.ratings_by_month(db, rt, actor=actor, since=start, until=end)
        if format != "json":
            return download(db, rt, actor, "ratings-month", ["月份", *RATING_HEADER],
                            [[m.month, *_rating_cells(m.figures, format)] for m in months], format)
        items = [{"key": m.month, "label": m.month, **_rating_json(m.figures)} for m in months]
    total = service.ratings_total(db, actor=actor, since=start, until=end)
    return {"by": by, "items": items, "total": _rating_json(total)}
