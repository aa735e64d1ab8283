"""The handling unit's workbench: its open queue by deadline, with a count per deadline badge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from hotline.deps import DB, RT
from hotline.ratings import service as ratings
from hotline.supervision.service import unread_count
from hotline.tickets import overview, present, service
from hotline.tickets.enums import (
    DEADLINE_LABELS,
    DeadlineStatus,
)
from hotline.web.paging import page_number, pager
from hotline.web.render import render
from hotline.web.session import Viewer, viewer_for

router = APIRouter()
UnitViewer = Annotated[Viewer, Depends(viewer_for("unit"))]


@router.get("/unit")
def workbench(request: Request, db: DB, rt: RT, viewer: UnitViewer) -> HTMLResponse:
    page = page_number(request.query_params)
    # A badge is a filter (QA: a unit with 3 tickets 已超期 among 40 could not list them): ?dl= the handling
    # deadline's status, ?ack= the 签收 status; unknown values are dropped.
    dl = request.query_params.get("dl", "")
    ack = request.query_params.get("ack", "")
    dl = dl if dl in DEADLINE_FILTERS else ""
    ack = ack if ack in ACK_FILTERS and not dl else ""
    filters = service.Filters(open_for_unit=True, queue_deadline=dl or None, queue_ack=ack or None)
    found, total = service.search(db, rt, actor=viewer.actor, filters=filters, page=page, page_size=20)
    now = rt.clock.now()
    counts = overview.unit_deadline_counts(db, rt, actor=viewer.actor)
    badges = [{"status": str(s), "label": DEADLINE_LABELS[s], "count": n, "href": f"/unit?dl={s}",
               "current": dl == s} for s, n in counts.items()]
    # 签收超时 beside the handling deadline's badges: tickets this unit leads and has not yet taken.
    badges += [{"status": str(s), "label": present.ACK_LABELS[s], "count": n, "href": f"/unit?ack={s}",
                "current": ack == s}
               for s, n in overview.unit_ack_counts(db, rt, actor=viewer.actor).items()]
    shown = DEADLINE_LABELS[DeadlineStatus(dl)] if dl else present.ACK_LABELS[DeadlineStatus(ack)] if ack else ""
    queue_total = total if not shown else service.search(db, rt, actor=viewer.actor,
                                                         filters=service.Filters(open_for_unit=True), page_size=1)[1]
    return render(request, "unit.html", viewer=viewer, total=total, queue_total=queue_total, badges=badges,
                  shown=shown,
                  items=[present.summary(t, rt, viewer.actor, now=now) for t in found],
                  roles={t.id: present.unit_part(t, viewer.actor.unit_id)[1] for t in found},
                  pager=pager(request.query_params, "/unit", total, page=page),
                  unread=unread_count(db, actor=viewer.actor), bad_ratings=_bad_ratings(db, viewer))


def _bad_ratings(db: DB, viewer: Viewer) -> int:
    """How many 差评 the unit's tickets received (the tile links to 本单位差评)."""
    return ratings.list_bad(db, actor=viewer.actor, filters=ratings.BadFilters(), page_size=1)[1]


DEADLINE_FILTERS = frozenset(str(s) for s in DeadlineStatus if s != DeadlineStatus.NONE)
ACK_FILTERS = frozenset(str(s) for s in present.ACK_LABELS)

