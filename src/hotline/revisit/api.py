"""The 回头看 API: a thin router. The review and the 再办理 are ticket actions (POST
/api/v1/tickets/{id}/actions/review and …/rehandle); here the list, its counts and its Excel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hotline.clock import to_local
from hotline.deps import DB, RT, ApiActor, QueryTime
from hotline.errors_http import route_labels
from hotline.revisit import service
from hotline.revisit.export import revisit_workbook
from hotline.revisit.schemas import RevisitPage, item
from hotline.tickets.enums import REVIEW_CONCLUSION_LABELS, ReviewConclusion

router = APIRouter(prefix="/api/v1", tags=["supervision"])
route_labels("/api/v1/revisit", {"finished_from": "回访时间（起）", "finished_to": "回访时间（止）",
                                 "unit_id": "主办单位", "reviewed": "是否已研判", "conclusion": "研判结论"},
             choices={"conclusion": {str(k): v for k, v in REVIEW_CONCLUSION_LABELS.items()}})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def revisit_filters(finished_from: QueryTime | None = None, finished_to: QueryTime | None = None,
                    unit_id: int | None = None, reviewed: bool | None = None,
                    conclusion: ReviewConclusion | None = None) -> service.RevisitFilters:
    filters = service.RevisitFilters(finished_from=finished_from, finished_to=finished_to, unit_id=unit_id,
                                     reviewed=reviewed, conclusion=conclusion)
    service.check_period(filters)
    return filters


Filters = Annotated[service.RevisitFilters, Depends(revisit_filters)]


@router.get("/revisit", response_model=RevisitPage, summary="不满意诉求回头看清单（回访未解决或不满意的已归档工单）")
def revisit_list(db: DB, actor: ApiActor, filters: Filters, page: Annotated[int, Query(ge=1)] = 1,
                 page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> RevisitPage:
    rows, total = service.revisit_list(db, actor=actor, filters=filters, page=page, page_size=page_size)
    c = service.counts(db, actor=actor, filters=filters)
    return RevisitPage(items=[item(r) for r in rows], total=total, page=page, page_size=page_size,
                       period_total=c.total, reviewed=c.reviewed, not_reviewed=c.not_reviewed)


@router.get("/revisit.xlsx", summary="导出回头看清单（Excel，最多 10000 条）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def revisit_export(db: DB, rt: RT, actor: ApiActor, filters: Filters) -> Response:
    now = rt.clock.now()
    rows, total = service.export_rows(db, actor=actor, filters=filters, at=now)
    body = revisit_workbook([item(r) for r in rows], total=total)
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="revisit-{to_local(now):%Y%m%d-%H%M}.xlsx"'})
