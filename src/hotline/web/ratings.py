"""差评核实 (督办 › 差评核实): the public's bad ratings with their comments, filtered by period, unit and
whether followed up, exported to Excel; a supervisor records each follow-up's conclusion. And 本单位差评
(/unit/ratings): the same list, read only, of the tickets a handling unit led, for its own staff."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.ratings import service
from hotline.ratings.export import bad_ratings_workbook
from hotline.ratings.schemas import FollowupIn
from hotline.reports.period import parse_period
from hotline.web import choices
from hotline.web.forms import errors_of, is_id, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
RatingsViewer = Annotated[Viewer, Depends(viewer_for("supervision"))]
UnitRatingsViewer = Annotated[Viewer, Depends(viewer_for("unit_ratings"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = "/supervision/ratings"
UNIT_BASE = "/unit/ratings"
FOLLOWUP_LABELS = {"conclusion": "核实结论", "note": "核实说明"}
FOLLOWED = [choices.Option("0", "待核实"), choices.Option("1", "已核实")]


def _filters(query: Any) -> tuple[service.BadFilters, dict[str, str], str | None]:
    """Filters from the query string; a period that is no period is said, not silently dropped."""
    raw = {k: (query.get(k) or "").strip()[:32] for k in ("period", "unit", "followed", "q")}
    unit = raw["unit"] if is_id(raw["unit"]) else ""
    followed = raw["followed"] if raw["followed"] in ("0", "1") else ""
    period, note = None, None
    if raw["period"]:
        try:
            period = parse_period(raw["period"])
        except DomainError as exc:
            note = exc.message.replace("报告周期", "评价周期") + "，未按周期筛选"
    filters = service.BadFilters(period=period, unit_id=int(unit) if unit else None,
                                 followed_up=None if not followed else followed == "1", q=raw["q"] or None)
    return filters, {**raw, "unit": unit, "followed": followed}, note


def _page(request: Request, db: DB, viewer: Viewer, *, errors: list[str] | None = None,
          values: dict[str, str] | None = None, status_code: int = 200, base: str = BASE) -> HTMLResponse:
    filters, shown, period_note = _filters(request.query_params)
    unit_view = base == UNIT_BASE
    if unit_view:  # the unit's own list has no unit filter: its own unit is the list
        filters.unit_id, shown["unit"] = None, ""
    page = page_number(request.query_params)
    rows, total = service.list_bad(db, actor=viewer.actor, filters=filters, page=page)
    qs = urlencode({k: v for k, v in shown.items() if v})
    return render(request, "supervision_ratings.html", viewer=viewer, status_code=status_code, items=rows, f=shown,
                  period_label=filters.period.label if filters.period else None, period_note=period_note,
                  units=[] if unit_view else choices.handling_units(db), followed_choices=FOLLOWED,
                  conclusions=choices.CONCLUSIONS, base=base, unit_view=unit_view,
                  pager=pager(request.query_params, base, total, page=page), errors=errors or [],
                  values=values or {}, query=f"?{request.url.query}" if request.url.query else "",
                  export_url=f"{base}.xlsx" + (f"?{qs}" if qs else ""),
                  can_follow_up=viewer.role in service.WRITERS)


def _export(request: Request, db: DB, rt: RT, viewer: Viewer, *, unit_view: bool) -> Response:
    filters, _, _ = _filters(request.query_params)
    if unit_view:
        filters.unit_id = None
    rows, total = service.list_bad(db, actor=viewer.actor, filters=filters, page=1, page_size=service.MAX_EXPORT)
    service.record_export(db, rt, actor=viewer.actor, shown=len(rows), total=total)
    return Response(bad_ratings_workbook(rows, total=total), media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename=bad-ratings.xlsx"})


@router.get(BASE)
def ratings_page(request: Request, db: DB, viewer: RatingsViewer) -> HTMLResponse:
    return _page(request, db, viewer)


@router.get(f"{BASE}.xlsx")
def ratings_export(request: Request, db: DB, rt: RT, viewer: RatingsViewer) -> Response:
    return _export(request, db, rt, viewer, unit_view=False)


@router.get(UNIT_BASE)
def unit_ratings_page(request: Request, db: DB, viewer: UnitRatingsViewer) -> HTMLResponse:
    """本单位差评: the 差评 of the tickets the viewer's unit led, with the centre's follow-ups (read only)."""
    return _page(request, db, viewer, base=UNIT_BASE)


@router.get(f"{UNIT_BASE}.xlsx")
def unit_ratings_export(request: Request, db: DB, rt: RT, viewer: UnitRatingsViewer) -> Response:
    return _export(request, db, rt, viewer, unit_view=True)


@router.post(BASE + "/{ticket_id}/followups", response_model=None)
def record_followup(ticket_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                    viewer: RatingsViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("conclusion", "note")}
    try:
        data = FollowupIn(conclusion=values["conclusion"] or None, note=values["note"])  # type: ignore[arg-type]
        service.record_followup(db, rt, actor=viewer.actor, ticket_id=ticket_id, data=data)
    except ValidationError as exc:
        return _page(request, db, viewer, errors=errors_of(exc, FOLLOWUP_LABELS),
                     values={**values, "ticket_id": str(ticket_id)}, status_code=422)
    except DomainError as exc:
        return _page(request, db, viewer, errors=[exc.message], values={**values, "ticket_id": str(ticket_id)},
                     status_code=exc.status_code)
    flash(request, "已记录差评核实情况")
    return redirect(BASE + (f"?{request.url.query}" if request.url.query else ""))  # the list as it was filtered
