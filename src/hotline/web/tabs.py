"""Tabbed ticket queues (the dispatcher's queue, the supervision lists): counts for every tab and one
page of the current tab."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from hotline.runtime import Runtime
from hotline.tickets import present, service
from hotline.web.paging import Pager, page_number, pager
from hotline.web.session import Viewer

Tabs = dict[str, tuple[str, service.Filters]]


@dataclass
class TabbedQueue:
    tab: str
    tab_list: list[dict[str, Any]]
    items: list[Any]
    pager: Pager


def tabbed_queue(request: Request, db: Session, rt: Runtime, viewer: Viewer, *, tabs: Tabs, base: str) -> TabbedQueue:
    tab = request.query_params.get("tab", "")
    if tab not in tabs:
        tab = next(iter(tabs))
    page = page_number(request.query_params)
    now = rt.clock.now()
    tab_list, items, total = [], [], 0
    for key, (label, filters) in tabs.items():
        if key == tab:
            found, total = service.search(db, rt, actor=viewer.actor, filters=filters, page=page, page_size=20)
            items = [present.summary(t, rt, viewer.actor, now=now) for t in found]
            count = total
        else:
            count = service.search(db, rt, actor=viewer.actor, filters=filters, page=1, page_size=1)[1]
        tab_list.append({"key": key, "label": label, "count": count, "url": f"{base}?tab={key}"})
    return TabbedQueue(tab=tab, tab_list=tab_list, items=items, pager=pager(request.query_params, base, total,
                                                                          page=page))
