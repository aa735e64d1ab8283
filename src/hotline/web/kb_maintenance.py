"""The knowledge maintenance report's pages (知识维护报告): the figures per owning unit for a period,
one unit's articles, and both as Excel. The 12345 centre's reviewers, supervisors and the
administrator see every unit; a unit's knowledge editor or handling staff see their own unit.
Figures and permissions come from knowledge.maintenance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.excel import Rate, table_workbook
from hotline.knowledge import answer_rates, maintenance, maintenance_export, service
from hotline.knowledge.enums import FLAG_LABELS, STATUS_LABELS, ArticleStatus
from hotline.web import choices
from hotline.web.paging import page_number, pager
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
KbViewer = Annotated[Viewer, Depends(viewer_for("kb"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 50
STATUS_OPTIONS = [choices.Option(str(k), v) for k, v in STATUS_LABELS.items()]
RATE_COLUMNS = [("排名（由低到高）", 16), ("单位", 22), ("引用本单位知识直接答复", 22), ("派单咨询", 12),
                ("咨询合计", 12), ("接诉即答率", 16), ("提示", 12)]


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None  # a malformed date is dropped (the default applies), as the list pages do


def _period(request: Request, now: Any) -> tuple[maintenance.Period, list[str]]:
    """The period asked for, or the default one with the reason the request was refused."""
    q = request.query_params
    try:
        return maintenance.make_period(now=now, start=_day(q.get("from")), end=_day(q.get("to"))), []
    except DomainError as exc:
        return maintenance.make_period(now=now), [exc.message]


def _keep(period: maintenance.Period, **extra: str) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), **{k: v for k, v in extra.items() if v}}


def _xlsx(body: bytes, name: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": disposition})


@router.get("/kb/maintenance")
def report_page(request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    now = rt.clock.now()
    period, errors = _period(request, now)
    who = service.who(db, viewer.actor)
    report = maintenance.unit_report(db, who=who, period=period, now=now)
    keep = _keep(period)
    return render(request, "kb_maintenance.html", viewer=viewer, status_code=422 if errors else 200, report=report,
                  period=period, keep=keep, qs=urlencode(keep), errors=errors, expiring_days=maintenance.EXPIRING_DAYS,
                  rates=answer_rates.answer_rates(db, who=who, period=period), rates_rule=answer_rates.RULE_TEXT)


@router.get("/kb/maintenance/answer-rates.xlsx")
def answer_rates_export(request: Request, db: DB, rt: RT, viewer: KbViewer) -> Response:
    period, _errors = _period(request, rt.clock.now())
    result = answer_rates.answer_rates(db, who=service.who(db, viewer.actor), period=period)
    # the rate as a number shown in per cent (0.75 as 75.0%), as every export writes rates (it wrote 75.0)
    rows: list[list[object]] = [[u.rank if u.rank is not None else "不排名", u.unit_name, u.answered, u.dispatched,
                                 u.consultations, Rate(u.rate) if u.rate is not None else "—",
                                 "排名靠后" if u.bottom else ""] for u in result.units]
    rows += [[], [f"统计期间：{period.label}"], [answer_rates.RULE_TEXT]]
    body = table_workbook(sheet="接诉即答率", title="各部门接诉即答率", columns=RATE_COLUMNS, rows=rows,
                          filter_rows=len(result.units))
    return _xlsx(body, f"各部门接诉即答率-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


@router.get("/kb/maintenance/export.xlsx")
def report_export(request: Request, db: DB, rt: RT, viewer: KbViewer) -> Response:
    now = rt.clock.now()
    period, _errors = _period(request, now)
    report = maintenance.unit_report(db, who=service.who(db, viewer.actor), period=period, now=now)
    return _xlsx(maintenance_export.units_workbook(report),
                 f"知识维护报告-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")


def _unit_args(request: Request, db: Session, viewer: Viewer, unit_id: int
               ) -> tuple[Any, str, str, ArticleStatus | None]:
    who = service.who(db, viewer.actor)
    maintenance.ensure_unit(who, unit_id)
    name = maintenance.unit_name(db, unit_id)
    sort = request.query_params.get("sort") or "attention"
    sort = sort if sort in maintenance.SORTS else "attention"
    raw = request.query_params.get("status") or ""
    status = ArticleStatus(raw) if raw in {str(s) for s in ArticleStatus} else None
    return who, name, sort, status


@router.get("/kb/maintenance/units/{unit_id}")
def unit_page(unit_id: int, request: Request, db: DB, rt: RT, viewer: KbViewer) -> HTMLResponse:
    now = rt.clock.now()
    period, errors = _period(request, now)
    who, name, sort, status = _unit_args(request, db, viewer, unit_id)
    page = page_number(request.query_params)
    items, total = maintenance.unit_articles(db, who=who, unit_id=unit_id, period=period, sort=sort, status=status,
                                             page=page, page_size=PAGE_SIZE)
    keep = _keep(period, sort=sort, status=str(status) if status else "")
    base = f"/kb/maintenance/units/{unit_id}"
    return render(request, "kb_maintenance_unit.html", viewer=viewer, status_code=422 if errors else 200,
                  unit_id=unit_id, unit_name=name, items=items, total=total, period=period, keep=keep,
                  qs=urlencode(keep), period_qs=urlencode(_keep(period)), errors=errors, sorts=maintenance.SORTS,
                  statuses=STATUS_OPTIONS, all_units=maintenance.scope(who) is None, now=now,
                  pager=pager(request.query_params, base, total, page=page, page_size=PAGE_SIZE),
                  status_labels={str(k): v for k, v in STATUS_LABELS.items()},
                  flag_labels={str(k): v for k, v in FLAG_LABELS.items()})


@router.get("/kb/maintenance/units/{unit_id}/export.xlsx")
def unit_export(unit_id: int, request: Request, db: DB, rt: RT, viewer: KbViewer) -> Response:
    now = rt.clock.now()
    period, _errors = _period(request, now)
    who, name, sort, status = _unit_args(request, db, viewer, unit_id)
    items, total = maintenance.unit_articles(db, who=who, unit_id=unit_id, period=period, sort=sort, status=status,
                                             page=1, page_size=maintenance.MAX_ROWS)
    return _xlsx(maintenance_export.articles_workbook(items, unit_name=name, period=period, total=total),
                 f"{name}-知识维护明细-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx")
