"""The 联动转办 API: a thin router. Passing a ticket on, its answer, a return and the report back are ticket
actions (POST /api/v1/tickets/{id}/actions/transfer_out, linked_answer, linked_return, report_back); a request
passed in is registered with `linked_from_line_id`. Here: the platforms, the list, its Excel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hotline.clock import to_local
from hotline.deps import DB, RT, ApiActor, QueryTime
from hotline.errors_http import route_labels
from hotline.hotlines.enums import KIND_LABELS, label
from hotline.linkage import service, watch
from hotline.linkage.export import linkage_workbook
from hotline.linkage.schemas import LinkagePage, LinkedLineOut

router = APIRouter(prefix="/api/v1", tags=["linkage"])
route_labels("/api/v1/linkage", {"view": "列表", "line_id": "联动平台", "sent_from": "转办时间（起）",
                                 "sent_to": "转办时间（止）"},
             choices={"view": {str(k): v for k, v in service.VIEW_LABELS.items()}})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def linkage_filters(view: service.View = service.View.OUT_WAITING, line_id: int | None = None,
                    sent_from: QueryTime | None = None, sent_to: QueryTime | None = None) -> service.LinkageFilters:
    filters = service.LinkageFilters(view=view, line_id=line_id, sent_from=sent_from, sent_to=sent_to)
    service.check_period(filters)
    return filters


Filters = Annotated[service.LinkageFilters, Depends(linkage_filters)]


@router.get("/linkage/lines", response_model=list[LinkedLineOut],
            summary="联动平台：可转出、可转入的热线（本市紧急热线和公共事业热线、外地及省级12345）")
def linked_lines(db: DB, rt: RT, actor: ApiActor) -> list[LinkedLineOut]:
    service.require_reader(actor)
    return [LinkedLineOut(id=x.id, city=x.city, number=x.number, name=x.name, kind=x.kind,
                          kind_label=label(KIND_LABELS, x.kind), label=service.platform_label(x))
            for x in service.linked_lines(db, home_city=rt.settings.city_name)]


@router.get("/linkage", response_model=LinkagePage,
            summary="联动转办记录（转出待反馈、转入待反馈、转入办理中、全部），等待中的最早的在前")
def linkage_list(db: DB, rt: RT, actor: ApiActor, filters: Filters, page: Annotated[int, Query(ge=1)] = 1,
                 page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> LinkagePage:
    rows, total = service.linkage_list(db, actor=actor, filters=filters, page=page, page_size=page_size)
    now = rt.clock.now()
    counts = service.view_counts(db, actor=actor, filters=filters)
    return LinkagePage(items=watch.items(rows, rt.policy, now), total=total, page=page, page_size=page_size,
                       counts={str(k): v for k, v in counts.items()})


@router.get("/linkage.xlsx", summary="导出联动转办记录（Excel，最多 10000 条）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def linkage_export(db: DB, rt: RT, actor: ApiActor, filters: Filters) -> Response:
    now = rt.clock.now()
    rows, total = service.linkage_list(db, actor=actor, filters=filters, page=1, page_size=service.MAX_EXPORT_ROWS)
    body = linkage_workbook(watch.items(rows, rt.policy, now), total=total)
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="linkage-{to_local(now):%Y%m%d-%H%M}.xlsx"'})
