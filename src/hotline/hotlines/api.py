"""The hotline registry and routing API: a thin router — parse, call the service, answer.

Administrators change the registry; supervisors, analysts and dispatchers read it. The telephony
adapter asks POST /api/v1/hotlines/route for each call (any hall role or a system account)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from hotline.clock import to_local
from hotline.deps import DB, RT, ApiActor, TelephonyActor
from hotline.errors_http import route_labels
from hotline.hotlines import export, present, rules, service, snapshot
from hotline.hotlines.enums import MODE_LABELS, STATUS_LABELS, LineKind, LineStatus, MergeMode, SeatArrangement
from hotline.hotlines.routing import Call, Caller, decide, handover, load_policy
from hotline.hotlines.schemas import (
    CHOICES,
    FIELD_LABELS,
    FORMATS,
    ChangeOut,
    CityProgress,
    Count,
    LineCreate,
    LineOut,
    ModeChange,
    PromptChange,
    RouteIn,
    RouteOut,
    SeatsChange,
    StatusChange,
)
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/hotlines", tags=["hotlines"])
route_labels(router.prefix, FIELD_LABELS, choices=CHOICES, formats=FORMATS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def line_filters(
    city: Annotated[str | None, Query(max_length=20, description="城市，如 南京市")] = None,
    kind: Annotated[LineKind | None, Query(description="热线类别")] = None,
    mode: Annotated[MergeMode | None, Query(description="归并方式")] = None,
    status: Annotated[LineStatus | None, Query(description="号码状态")] = None,
    seats: Annotated[SeatArrangement | None, Query(description="座席安排")] = None,
    q: Annotated[str | None, Query(max_length=100, description="搜索词：号码、名称或责任单位")] = None,
) -> service.LineFilters:
    """The query-string filters shared by the list and its Excel export."""
    return service.LineFilters(city=city or None, kind=kind, mode=mode, status=status, seats=seats,
                               text=(q or "").strip() or None)


Filters = Annotated[service.LineFilters, Depends(line_filters)]


def progress_out(p: service.Progress) -> CityProgress:
    return CityProgress(
        city=p.city, department_lines=p.department_lines, linked_lines=p.linked_lines, done=p.done,
        in_transition=p.in_transition, percent_done=p.percent_done,
        by_mode=[Count(code=str(m), label=MODE_LABELS[m], count=p.by_mode.get(str(m), 0))
                 for m in (MergeMode.FULL_MERGE, MergeMode.DUAL_NUMBER, MergeMode.SUB_CENTER)],
        by_status=[Count(code=str(s), label=STATUS_LABELS[s], count=p.by_status.get(str(s), 0)) for s in LineStatus],
    )


@router.get("", response_model=Page[LineOut], summary="热线归并清单（分页、筛选、搜索）")
def list_lines(db: DB, actor: ApiActor, filters: Filters, page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[LineOut]:
    items, total = service.list_lines(db, actor=actor, filters=filters, page=page, page_size=page_size)
    return Page(items=[present.line_out(x) for x in items], total=total, page=page, page_size=page_size)


@router.get("/progress", response_model=list[CityProgress], summary="各城市热线归并进度")
def progress(db: DB, actor: ApiActor, city: Annotated[str | None, Query(max_length=20)] = None) -> list[CityProgress]:
    return [progress_out(p) for p in service.progress(db, actor=actor, city=city)]


@router.get("/export.xlsx", summary="导出热线归并清单（Excel）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def export_lines(db: DB, rt: RT, actor: ApiActor, filters: Filters) -> Response:
    items, _ = service.list_lines(db, actor=actor, filters=filters, page=1, page_size=export.MAX_ROWS)
    body = export.registry_workbook([present.line_out(x) for x in items], title="热线归并清单")
    stamp = f"{to_local(rt.clock.now()):%Y%m%d-%H%M}"
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="hotlines-{stamp}.xlsx"'})


@router.post("/route", response_model=RouteOut, summary="话务路由决策（供话务接入适配器调用）")
def route(data: RouteIn, db: DB, rt: RT, actor: TelephonyActor) -> RouteOut:
    rules.ensure_router(actor)
    snap = snapshot.current(db, default_city=rt.settings.city_name)
    at = data.at or rt.clock.now()
    caller = data.caller.model_dump(exclude={"phone"})
    if data.caller.phone:  # the blacklist standing read here, through the calls' integration point
        from hotline.calls.service import blacklist_standing  # (it reads +86 and dashes as typed)

        caller["blacklisted"] = caller["blacklisted"] or blacklist_standing(db, data.caller.phone, at).listed
    db.rollback()  # end the read transaction: the decision needs no database
    call = Call(dialled=data.dialled, at=at, city=data.city,
                caller=Caller(**caller), staffed_zones=frozenset(data.staffed_zones),
                staffed_experts=frozenset(data.staffed_experts))
    policy = load_policy()
    decision = decide(snap, policy, call)
    h = handover(snap, policy, call, data.handover_to) if data.handover_to else None
    return present.route_out(decision, h)


@router.post("", status_code=201, response_model=LineOut, summary="登记热线（新设部门热线须登记批准文号和批准人）")
def create_line(data: LineCreate, db: DB, rt: RT, actor: ApiActor) -> LineOut:
    return present.line_out(service.create(db, rt, actor=actor, data=data))


@router.get("/{line_id}", response_model=LineOut, summary="热线详情")
def get_line(line_id: int, db: DB, actor: ApiActor) -> LineOut:
    return present.line_out(service.get(db, actor=actor, line_id=line_id))


@router.get("/{line_id}/history", response_model=list[ChangeOut], summary="热线变更记录")
def line_history(line_id: int, db: DB, actor: ApiActor) -> list[ChangeOut]:
    return [present.change_out(c) for c in service.history(db, actor=actor, line_id=line_id)]


@router.post("/{line_id}/mode", response_model=LineOut, summary="变更归并方式（只能向前推进）")
def change_mode(line_id: int, data: ModeChange, db: DB, rt: RT, actor: ApiActor) -> LineOut:
    return present.line_out(service.change_mode(db, rt, actor=actor, line_id=line_id, data=data))


@router.post("/{line_id}/status", response_model=LineOut, summary="变更号码状态（已注销的号码不再恢复）")
def change_status(line_id: int, data: StatusChange, db: DB, rt: RT, actor: ApiActor) -> LineOut:
    return present.line_out(service.change_status(db, rt, actor=actor, line_id=line_id, data=data))


@router.post("/{line_id}/prompt", response_model=LineOut, summary="设置过渡期语音提示及过渡期")
def change_prompt(line_id: int, data: PromptChange, db: DB, rt: RT, actor: ApiActor) -> LineOut:
    return present.line_out(service.change_prompt(db, rt, actor=actor, line_id=line_id, data=data))


@router.post("/{line_id}/seats", response_model=LineOut, summary="调整座席安排（业务专区、专家座席）")
def change_seats(line_id: int, data: SeatsChange, db: DB, rt: RT, actor: ApiActor) -> LineOut:
    return present.line_out(service.change_seats(db, rt, actor=actor, line_id=line_id, data=data))
