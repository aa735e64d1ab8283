"""The supervisor's overview: overdue and about-to-expire tickets, and overdue counts per lead unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from hotline.deps import DB, RT
from hotline.tickets import overview, present, service
from hotline.web.paging import page_number, pager
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
SupervisionViewer = Annotated[Viewer, Depends(viewer_for("supervision"))]

TABS: dict[str, tuple[str, service.Filters]] = {
    "overdue": ("已超期", service.Filters(overdue=True, by_deadline=True)),
    "about_to_expire": ("即将超期", service.Filters(about_to_expire=True, by_deadline=True)),
}


@router.get("/supervision")
def supervision(request: Request, db: DB, rt: RT, viewer: SupervisionViewer) -> HTMLResponse:
    tab = request.query_params.get("tab", "overdue")
    if tab not in TABS:
        tab = "overdue"
    page = page_number(request.query_params)
    now = rt.clock.now()
    tabs, items, total = [], [], 0
    for key, (label, filters) in TABS.items():
        if key == tab:
            found, total = service.search(db, rt, actor=viewer.actor, filters=filters, page=page, page_size=20)
            items = [present.summary(t, rt, viewer.actor, now=now) for t in found]
            count = total
        else:
            count = service.search(db, rt, actor=viewer.actor, filters=filters, page=1, page_size=1)[1]
        tabs.append({"key": key, "label": label, "count": count, "url": f"/supervision?tab={key}"})
    return render(request, "supervision.html", viewer=viewer, tab_list=tabs, tab=tab, items=items,
                  by_unit=overview.overdue_by_lead_unit(db, rt, actor=viewer.actor),
                  pager=pager(request.query_params, "/supervision", total, page=page))
