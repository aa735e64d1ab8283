"""The 联动转办 page (话务大厅 → 联动转办): requests passed out to a linked platform and waiting for its answer,
requests passed in whose result is owed back, with counts, filters and Excel. Each row links to the ticket page,
where 联动反馈 / 联动退回 / 反馈转入方 are recorded."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.linkage import service, watch
from hotline.linkage.export import linkage_workbook
from hotline.web import choices
from hotline.web.forms import is_id, local_day_start
from hotline.web.paging import page_number, pager
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
LinkageViewer = Annotated[Viewer, Depends(viewer_for("linkage"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE = "/hall/linkage"


def _filters(query: Any) -> tuple[service.LinkageFilters, dict[str, str]]:
    """Filters from the query string; values it cannot use are dropped (and said, for dates)."""
    raw = {k: (query.get(k) or "").strip()[:32] for k in ("view", "line", "from", "to")}
    view = raw["view"] if raw["view"] in {str(v) for v in service.View} else str(service.View.OUT_WAITING)
    line = raw["line"] if is_id(raw["line"]) else ""
    filters = service.LinkageFilters(
        view=service.View(view), line_id=int(line) if line else None,
        sent_from=local_day_start(raw["from"]) if raw["from"] else None,
        sent_to=local_day_start(raw["to"], next_day=True) if raw["to"] else None)
    return filters, {**raw, "view": view, "line": line}


def _note(shown: dict[str, str], filters: service.LinkageFilters) -> str | None:
    if (shown["from"] and filters.sent_from is None) or (shown["to"] and filters.sent_to is None):
        return "日期无效（应为 YYYY-MM-DD），未按该日期筛选"
    if filters.sent_from and filters.sent_to and filters.sent_to <= filters.sent_from:
        return "结束日期早于开始日期，没有符合的记录"
    return None


EMPTY = {
    service.View.OUT_WAITING: "没有等待对方反馈的转出工单",
    service.View.IN_OWED: "没有待反馈转入方的工单",
    service.View.IN_HANDLING: "没有正在办理的转入工单",
    service.View.ALL: "还没有联动转办记录",
}


@router.get(BASE)
def linkage_page(request: Request, db: DB, rt: RT, viewer: LinkageViewer) -> HTMLResponse:
    filters, shown = _filters(request.query_params)
    page = page_number(request.query_params)
    rows, total = service.linkage_list(db, actor=viewer.actor, filters=filters, page=page)
    counts = service.view_counts(db, actor=viewer.actor, filters=filters)
    kept = {k: v for k, v in shown.items() if v}
    others = {k: v for k, v in kept.items() if k != "view"}
    tab_list = [{"key": str(v), "label": label, "count": counts[v],
                 "url": f"{BASE}?{urlencode({**others, 'view': str(v)})}"} for v, label in service.VIEW_LABELS.items()]
    now = rt.clock.now()
    return render(request, "linkage.html", viewer=viewer, f=shown, items=watch.items(rows, rt.policy, now),
                  tab_list=tab_list,
                  note=_note(shown, filters), lines=choices.linked_lines(db, rt.settings.city_name),
                  empty=EMPTY[filters.view], now=now, pager=pager(request.query_params, BASE, total, page=page),
                  export_url=f"{BASE}.xlsx?{urlencode(kept)}")


@router.get(f"{BASE}.xlsx")
def linkage_export(request: Request, db: DB, rt: RT, viewer: LinkageViewer) -> Response:
    filters, _ = _filters(request.query_params)
    now = rt.clock.now()
    rows, total = service.linkage_list(db, actor=viewer.actor, filters=filters, page=1,
                                       page_size=service.MAX_EXPORT_ROWS)
    body = linkage_workbook(watch.items(rows, rt.policy, now), total=total)
    name = f"linkage-{to_local(now):%Y%m%d-%H%M}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})
