"""The supervisor's overview: overdue and about-to-expire tickets, and overdue counts per lead unit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from hotline.deps import DB, RT
from hotline.tickets import overview, service
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for
from hotline.web.tabs import tabbed_queue

router = APIRouter()
SupervisionViewer = Annotated[Viewer, Depends(viewer_for("supervision"))]

TABS: dict[str, tuple[str, service.Filters]] = {
    "overdue": ("已超期", service.Filters(overdue=True, by_deadline=True)),
    "about_to_expire": ("即将超期", service.Filters(about_to_expire=True, by_deadline=True)),
}


@router.get("/supervision")
def supervision(request: Request, db: DB, rt: RT, viewer: SupervisionViewer) -> HTMLResponse:
    q = tabbed_queue(request, db, rt, viewer, tabs=TABS, base="/supervision")
    return render(request, "supervision.html", viewer=viewer, tab_list=q.tab_list, tab=q.tab, items=q.items,
                  by_unit=overview.overdue_by_lead_unit(db, rt, actor=viewer.actor), pager=q.pager)
