"""The 好差评 API: a thin router — parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from hotline.deps import DB, RT, ApiActor
from hotline.errors_http import route_labels
from hotline.ratings import service
from hotline.ratings.enums import CONCLUSION_LABELS
from hotline.ratings.export import bad_ratings_workbook
from hotline.ratings.schemas import BadRatingOut, FollowupIn, FollowupOut
from hotline.reports.period import parse_period
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/ratings", tags=["ratings"])
route_labels(router.prefix, {"conclusion": "核实结论", "note": "核实说明", "period": "评价周期",
                             "unit_id": "承办单位", "followed_up": "是否已核实"},
             choices={"conclusion": {str(k): v for k, v in CONCLUSION_LABELS.items()}})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PeriodKey = Annotated[str | None, Query(max_length=10, description="评价时间所在的月（2026-11）或周（2026-W45）")]
Q = Annotated[str | None, Query(max_length=32, description="工单编号（可输入部分）")]


def _filters(period: str | None, unit_id: int | None, followed_up: bool | None, q: str | None) -> service.BadFilters:
    return service.BadFilters(period=parse_period(period) if period else None, unit_id=unit_id,
                              followed_up=followed_up, q=q or None)


@router.get("/bad", response_model=Page[BadRatingOut], summary="差评列表（含核实情况）")
def list_bad(db: DB, actor: ApiActor, period: PeriodKey = None, unit_id: int | None = None,
             followed_up: bool | None = None, q: Q = None, page: Annotated[int, Query(ge=1)] = 1,
             page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[BadRatingOut]:
    rows, total = service.list_bad(db, actor=actor, filters=_filters(period, unit_id, followed_up, q), page=page,
                                   page_size=page_size)
    return Page(items=rows, total=total, page=page, page_size=page_size)


@router.get("/bad.xlsx", summary="导出差评（Excel）", response_class=Response)
def export_bad(db: DB, rt: RT, actor: ApiActor, period: PeriodKey = None, unit_id: int | None = None,
               followed_up: bool | None = None, q: Q = None) -> Response:
    rows, total = service.list_bad(db, actor=actor, filters=_filters(period, unit_id, followed_up, q), page=1,
                                   page_size=service.MAX_EXPORT)
    service.record_export(db, rt, actor=actor, shown=len(rows), total=total)
    return Response(bad_ratings_workbook(rows, total=total), media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename=bad-ratings.xlsx"})


@router.post("/bad/{ticket_id}/followups", status_code=201, response_model=FollowupOut, summary="记录差评核实情况")
def record_followup(ticket_id: int, data: FollowupIn, db: DB, rt: RT, actor: ApiActor) -> FollowupOut:
    return service.record_followup(db, rt, actor=actor, ticket_id=ticket_id, data=data)


class SummaryOut(BaseModel):
    period: str
    rated: int
    good: int
    bad: int
    bad_open: int
    good_rate: float | None


@router.get("/summary", response_model=SummaryOut, summary="好差评汇总（评价数、好评率、差评、待核实）")
def summary(db: DB, actor: ApiActor, period: Annotated[str, Query(max_length=10)]) -> SummaryOut:
    service.require(actor, service.LIST_READERS, "查看好差评")  # a unit's staff: their unit's ratings
    p = parse_period(period)
    s = service.summary(db, actor=actor, start=p.start, end=p.end)
    return SummaryOut(period=p.key, rated=s.rated, good=s.good, bad=s.bad, bad_open=s.bad_open,
                      good_rate=s.good_rate)
