"""The hotline registry and routing API: a thin router — parse, call the service, answer.

Administrators change the registry; supervisors, analysts and dispatchers read it. The telephony
adapter asks POST /api/v1/hotlines/route for each call (any hall role or a system account)."""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile

from hotline.clock import CHINA_TZ, to_local
from hotline.deps import DB, RT, ApiActor, TelephonyActor
from hotline.dispatch.api import ImportOut, import_excel
from hotline.errors_http import ROUTE_LABELS, route_labels
from hotline.hotlines import export, present, roster, rules, service, snapshot, targets
from hotline.hotlines.enums import MODE_LABELS, STATUS_LABELS, LineKind, LineStatus, MergeMode, SeatArrangement
from hotline.hotlines.routing import Call, Caller, decide, handover, load_policy
from hotline.hotlines.schemas import (
    CHOICES,
    EXPERT_LABELS,
    FIELD_LABELS,
    FORMATS,
    ActiveChange,
    ChangeOut,
    CityProgress,
    Count,
    ExpertIn,
    ExpertOut,
    LineCreate,
    LineOut,
    ModeChange,
    OnDutyLine,
    PromptChange,
    RouteIn,
    RouteOut,
    SeatsChange,
    StatusChange,
)
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/hotlines", tags=["hotlines"])
# the rota's routes first (the first pattern that matches names the fields): a name is a person's there
ROUTE_LABELS.insert(0, (re.compile(r"^/api/v1/hotlines/(\d+/)?experts(/|$)"), EXPERT_LABELS))
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
    # staffed_* absent: the rota says (snapshot); given: the adapter's word for that kind of seat
    call = Call(dialled=data.dialled, at=at, city=data.city, caller=Caller(**caller),
                staffed_zones=None if data.staffed_zones is None else frozenset(data.staffed_zones),
                staffed_experts=None if data.staffed_experts is None else frozenset(data.staffed_experts))
    policy = load_policy()
    decision = decide(snap, policy, call)
    h = handover(snap, policy, call, data.handover_to) if data.handover_to else None
    return present.route_out(decision, h, at)


# ---- the rota (专家座席值班); static paths before /{line_id} ------------------------------------------


@router.get("/on-duty", response_model=list[OnDutyLine],
            summary="专业转接目标：分中心、专家座席、业务专区的转接方式和当前值班人员")
def on_duty(db: DB, rt: RT, actor: TelephonyActor, city: Annotated[str | None, Query(max_length=20)] = None,
            at: Annotated[datetime | None, Query(description="带时区；不填为当前时间")] = None) -> list[OnDutyLine]:
    rules.ensure_router(actor)
    snap = snapshot.current(db, default_city=rt.settings.city_name)
    db.rollback()
    when = (at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)) if at else rt.clock.now()  # naive: Beijing time
    found = targets.line_targets(snap, load_policy(), city=city or rt.settings.city_name, at=when)
    return [present.target_out(t) for t in found]


@router.get("/experts/export.xlsx", summary="导出专家座席值班表（Excel，亦作导入模板）", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})
def export_experts(db: DB, rt: RT, actor: ApiActor, city: Annotated[str | None, Query(max_length=20)] = None,
                   ) -> Response:
    body = roster.export_workbook(db, actor=actor, city=city or rt.settings.city_name)
    return Response(body, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="experts.xlsx"'})


@router.post("/experts/import", response_model=ImportOut, summary="从 Excel 导入专家座席值班表（有错则整表不导入）")
async def import_experts(db: DB, rt: RT, actor: ApiActor, file: Annotated[UploadFile, File()],
                         city: Annotated[str | None, Query(max_length=20)] = None, dry_run: bool = False) -> ImportOut:
    return await import_excel(file, dry_run, db, partial(roster.import_workbook, db, rt, actor=actor,
                                                         city=city or rt.settings.city_name))


@router.put("/experts/{expert_id}", response_model=ExpertOut, summary="修改值班人员（姓名、部门、电话、值班时间）")
def update_expert(expert_id: int, data: ExpertIn, db: DB, rt: RT, actor: ApiActor) -> ExpertOut:
    row = roster.update(db, rt, actor=actor, expert_id=expert_id, data=data)
    return present.expert_out(row, service.get(db, actor=actor, line_id=row.line_id), rt.clock.now())


@router.post("/experts/{expert_id}/active", response_model=ExpertOut, summary="停止值班 / 恢复值班")
def expert_active(expert_id: int, data: ActiveChange, db: DB, rt: RT, actor: ApiActor) -> ExpertOut:
    row = roster.set_active(db, rt, actor=actor, expert_id=expert_id, active=data.active, reason=data.reason)
    return present.expert_out(row, service.get(db, actor=actor, line_id=row.line_id), rt.clock.now())


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


@router.get("/{line_id}/experts", response_model=list[ExpertOut], summary="该热线的专家座席/业务专区值班人员")
def line_experts(line_id: int, db: DB, rt: RT, actor: ApiActor) -> list[ExpertOut]:
    line = service.get(db, actor=actor, line_id=line_id)
    return [present.expert_out(e, line, rt.clock.now()) for e in roster.experts_of(db, actor=actor, line_id=line_id)]


@router.post("/{line_id}/experts", status_code=201, response_model=ExpertOut, summary="登记值班人员")
def add_expert(line_id: int, data: ExpertIn, db: DB, rt: RT, actor: ApiActor) -> ExpertOut:
    row = roster.add(db, rt, actor=actor, line_id=line_id, data=data)
    return present.expert_out(row, service.get(db, actor=actor, line_id=line_id), rt.clock.now())
