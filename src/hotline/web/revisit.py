"""The 回头看 page (督办 → 回头看): the finished tickets whose last callback said 未解决 or 不满意, filtered by
period, unit and review, with their counts and Excel. Each row links to the ticket page, where the supervisor
records the 审核研判 and, when it says so, sends the ticket to 再办理."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.revisit import service
from hotline.revisit.export import revisit_workbook
from hotline.revisit.schemas import item
from hotline.tickets.enums import ReviewConclusion
from hotline.web import choices
from hotline.web.forms import is_id, local_day_start
from hotline.web.paging import page_number, pager
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
RevisitViewer = Annotated[Viewer, Depends(viewer_for("supervision"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = "/supervision/revisit"


def _filters(query: Any) -> tuple[service.RevisitFilters, dict[str, str]]:
    """Filters from the query string; values it cannot use are dropped (and said, for dates)."""
    raw = {k: (query.get(k) or "").strip()[:32] for k in ("from", "to", "unit", "reviewed", "conclusion")}
    unit = raw["unit"] if is_id(raw["unit"]) else ""
    reviewed = raw["reviewed"] if raw["reviewed"] in ("yes", "no") else ""
    conclusion = raw["conclusion"] if raw["conclusion"] in {str(c) for c in ReviewConclusion} else ""
    filters = service.RevisitFilters(
        finished_from=local_day_start(raw["from"]) if raw["from"] else None,
        finished_to=local_day_start(raw["to"], next_day=True) if raw["to"] else None,
        unit_id=int(unit) if unit else None, reviewed={"yes": True, "no": False}.get(reviewed),
        conclusion=ReviewConclusion(conclusion) if conclusion else None)
    return filters, {**raw, "unit": unit, "reviewed": reviewed, "conclusion": conclusion}


def _note(shown: dict[str, str], filters: service.RevisitFilters) -> str | None:
    if (shown["from"] and filters.finished_from is None) or (shown["to"] and filters.finished_to is None):
        return "日期无效（应为 YYYY-MM-DD），未按该日期筛选"
    if filters.finished_from and filters.finished_to and filters.finished_to <= filters.finished_from:
        return "结束日期早于开始日期，没有符合的工单"
    return None


@router.get(BASE)
def revisit_page(request: Request, db: DB, rt: RT, viewer: RevisitViewer) -> HTMLResponse:
    filters, shown = _filters(request.query_params)
    page = page_number(request.query_params)
    rows, total = service.revisit_list(db, actor=viewer.actor, filters=filters, page=page)
    counts = service.counts(db, actor=viewer.actor, filters=filters)
    kept = {k: v for k, v in shown.items() if v}
    # the count links keep the period and unit, and change only the review filter
    period = {k: v for k, v in kept.items() if k in ("from", "to", "unit")}
    return render(request, "revisit.html", viewer=viewer, f=shown, items=[item(r) for r in rows], counts=counts,
                  note=_note(shown, filters), units=choices.handling_units(db), conclusions=choices.REVIEW_CONCLUSIONS,
                  pager=pager(request.query_params, BASE, total, page=page),
                  link_all=f"{BASE}?{urlencode(period)}",
                  link_reviewed=f"{BASE}?{urlencode({**period, 'reviewed': 'yes'})}",
                  link_not_reviewed=f"{BASE}?{urlencode({**period, 'reviewed': 'no'})}",
                  export_url=f"{BASE}.xlsx" + (f"?{urlencode(kept)}" if kept else ""))


@router.get(f"{BASE}.xlsx")
def revisit_export(request: Request, db: DB, rt: RT, viewer: RevisitViewer) -> Response:
    filters, _ = _filters(request.query_params)
    now = rt.clock.now()
    rows, total = service.export_rows(db, actor=viewer.actor, filters=filters, at=now)
    body = revisit_workbook([item(r) for r in rows], total=total)
    name = f"revisit-{to_local(now):%Y%m%d-%H%M}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
