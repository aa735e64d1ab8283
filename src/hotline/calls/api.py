"""The calls API: the adapter's event feed, the screen pop, call → ticket, callbacks, transfers, figures."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from hotline.calls import figures as figs
from hotline.calls import ingest, lines, service
from hotline.calls.enums import CALLBACK_OUTCOME_LABELS, OUTCOME_LABELS, Outcome
from hotline.calls.schemas import (
    CallbackIn,
    CallOut,
    IngestOut,
    ScreenPopOut,
    StandingOut,
    TargetOut,
    TransferIn,
    TransferOut,
    call_out,
    event_out,
    target_out,
    transfer_out,
)
from hotline.clock import CHINA_TZ, to_local
from hotline.deps import DB, RT, ApiActor, TelephonyActor, json_batch
from hotline.errors_http import ROUTE_CHOICES, ROUTE_LABELS, ErrorOut, route_labels
from hotline.tickets import present
from hotline.tickets.schemas import Page, TicketCreate, TicketOut

router = APIRouter(prefix="/api/calls", tags=["calls"])
# Chinese names for the fields of these routes in validation errors (QA: 请填写target, day不是有效的日期);
# a call's reason is the transfer's, its outcome the call-back's.
FIELD_LABELS = {
    "target": "转接目标号码", "reason": "转接原因", "three_way": "是否三方通话",
    "responsibility_unclear": "是否职责不清", "outcome": "回拨结果", "day": "日期",
    "start": "开始日期", "end": "结束日期", "line": "线路", "queue": "队列", "group_by": "分组方式",
    "caller": "来电号码", "mine": "是否只看本人接听", "expert_id": "值班人员编号",
}
# The list itself (before the prefix's names, which it would match): its outcome is the call's, not the
# call-back's (QA: ?outcome=foo answered an empty list instead of naming the results it knows).
_LIST = re.compile(r"^/api/calls$")
ROUTE_LABELS.append((_LIST, {**FIELD_LABELS, "outcome": "通话结果"}))
ROUTE_CHOICES.append((_LIST, {"outcome": {str(k): v for k, v in OUTCOME_LABELS.items()}}))
route_labels(router.prefix, FIELD_LABELS,
             choices={"outcome": {str(k): v for k, v in CALLBACK_OUTCOME_LABELS.items()}})


@router.post("/events", response_model=IngestOut, summary="话务平台推送通话事件（单个或批量）",
             responses={422: {"model": ErrorOut, "description": "事件数据不成立（原始事件仍被保存并标记）"},
                        409: {"model": ErrorOut, "description": "event_id 已用于同一通话中内容不同的事件（未处理）"}})
async def post_events(request: Request, db: DB, rt: RT, actor: TelephonyActor) -> Response:
    ingest.ensure_feeder(actor)
    items, single = await json_batch(request, limit=ingest.MAX_BATCH, item="事件", measure="个",
                                     empty_code="events_empty")
    out = await run_in_threadpool(ingest.ingest, db, actor=actor, items=items, now=rt.clock.now())
    if single and (out.rejected or out.conflicts):
        error = out.errors[0]
        return JSONResponse({"code": error["code"], "message": error["message"], "stored": not out.conflicts},
                            status_code=409 if out.conflicts else 422)
    payload = IngestOut(accepted=out.accepted, duplicates=out.duplicates, rejected=out.rejected,
                        conflicts=out.conflicts, errors=out.errors, warnings=out.warnings,
                        call_ids=out.call_ids).model_dump()
    problems = []
    if out.conflicts:
        problems.append(f"{out.conflicts} 个事件的 event_id 已用于内容不同的事件，未处理")
    if out.rejected:
        problems.append(f"{out.rejected} 个事件数据不成立，已原样保存并标记")
    if problems:
        payload.update(code="event_id_conflict" if out.conflicts else "events_rejected",
                       message="；".join(problems) + "；其余事件已处理")
    # A reused event id (409) outranks bad data (422): the adapter has a numbering fault to fix.
    return JSONResponse(payload, status_code=409 if out.conflicts else 422 if out.rejected else 200)


# ---- figures (static paths before /{call_id}) -----------------------------------------------


def _range(rt: Any, day: date | None, start: date | None, end: date | None) -> tuple[date, date]:
    """One day, a range, or today (local dates, inclusive)."""
    if day:
        return day, day
    today = to_local(rt.clock.now()).date()
    if start is None:
        return (end, end) if end else (today, today)
    return start, end or max(start, today)


def _groups(group_by: str | None) -> tuple[str, ...]:
    """Absent: every grouping; empty: the total only."""
    if group_by is None:
        return figs.GROUPS
    return tuple(g.strip() for g in group_by.split(",") if g.strip())


@router.get("/figures",
            summary="话务指标：按线路、队列、半小时统计呼入、接通、放弃、接通率、15秒接通率、平均等待与通话时长")
def get_figures(db: DB, rt: RT, actor: ApiActor, day: date | None = None, start: date | None = None,
                end: date | None = None, line: str | None = None, queue: str | None = None,
                group_by: Annotated[str | None, Query(description="day,slot,line,queue 的任意组合")] = None,
                ) -> dict[str, Any]:
    first, last = _range(rt, day, start, end)
    found = figs.compute(db, actor=actor, start=first, end=last, line=line, queue=queue, group_by=_groups(group_by))
    return {"start": first.isoformat(), "end": last.isoformat(), "group_by": list(found.group_by),
            "service_level_seconds": figs.SERVICE_LEVEL_SECONDS,
            "rows": [f.as_dict() for f in found.rows], "total": found.total.as_dict(),
            "live": figs.live_counts(db, rt.clock.now())}


@router.get("/figures.xlsx", summary="导出话务指标（Excel）", response_class=Response)
def export_figures(db: DB, rt: RT, actor: ApiActor, day: date | None = None, start: date | None = None,
                   end: date | None = None, line: str | None = None, queue: str | None = None,
                   group_by: str | None = None) -> Response:
    first, last = _range(rt, day, start, end)
    found = figs.compute(db, actor=actor, start=first, end=last, line=line, queue=queue, group_by=_groups(group_by))
    return Response(figs.workbook(found),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="call-figures-{first}-{last}.xlsx"'})


@router.get("/callbacks", response_model=Page[CallOut], summary="漏接回拨列表（最早的在前）")
def get_callbacks(db: DB, rt: RT, actor: ApiActor, page: Annotated[int, Query(ge=1)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[CallOut]:
    rows, total = service.callback_list(db, actor=actor, now=rt.clock.now(), page=page, page_size=page_size)
    return Page(items=[call_out(c) for c in rows], total=total, page=page, page_size=page_size)


@router.get("/transfer-targets", response_model=list[TargetOut],
            summary="一键转接目标：110/119/120/122、水电气热，及分中心、专家座席、业务专区（含当前值班人员和转接方式）")
def transfer_targets(db: DB, rt: RT, actor: ApiActor) -> list[TargetOut]:
    service.ensure_role(actor, *service.HALL_ROLES)
    city = rt.settings.city_name
    linked = [TargetOut(number=t.number, kind=t.kind, label=t.label)
              for t in [*lines.emergency_targets(), *lines.utility_targets(db, city)]]
    return linked + [target_out(t) for t in lines.line_targets(db, city, rt.clock.now())]


@router.get("/current", response_model=CallOut | None, summary="本人当前通话（来电弹屏）")
def current_call(db: DB, rt: RT, actor: ApiActor) -> CallOut | None:
    service.ensure_role(actor, *service.HALL_ROLES)
    call = service.current_for(db, actor=actor, now=rt.clock.now())
    # polled every 3 s by the calls page, which needs only the id: masked like the list; the whole
    # number is read through the pop, which is audited (QA: an unaudited unmasked read)
    return call_out(call, masked=True) if call else None


OutcomeFilter = Annotated[Outcome | None, Query(description="通话结果：answered 已接听 / abandoned 放弃 / missed 未接")]


@router.get("", response_model=Page[CallOut], summary="通话记录")
def list_calls(db: DB, actor: ApiActor, day: date | None = None, caller: str | None = None,
               outcome: OutcomeFilter = None, mine: bool = False, page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[CallOut]:
    lo = datetime.combine(day, time(0, 0), tzinfo=CHINA_TZ) if day else None
    hi = lo + timedelta(days=1) if lo else None
    rows, total = service.list_calls(db, actor=actor, day_start=lo, day_end=hi, caller=caller, outcome=outcome,
                                     mine=mine, page=page, page_size=page_size)
    return Page(items=[call_out(c, masked=True) for c in rows], total=total, page=page, page_size=page_size)


# ---- one call ---------------------------------------------------------------------------------


@router.get("/{call_id}", response_model=ScreenPopOut, summary="来电弹屏：通话、历史工单、黑名单状态")
def screen_pop(call_id: int, db: DB, rt: RT, actor: ApiActor) -> ScreenPopOut:
    pop = service.screen_pop(db, rt, actor=actor, call_id=call_id)
    now = rt.clock.now()
    return ScreenPopOut(
        call=call_out(pop.call), earlier_tickets=[present.summary(t, rt, actor, now=now) for t in pop.earlier],
        blacklist=StandingOut(available=pop.standing.available, listed=pop.standing.listed, reason=pop.standing.reason),
        ticket_number=pop.ticket.number if pop.ticket else None,
        events=[event_out(e) for e in service.events_of(db, call=pop.call)],
        transfers=[transfer_out(t) for t in service.transfers_of(db, call=pop.call)],
    )


@router.post("/{call_id}/ticket", response_model=TicketOut, status_code=201, summary="来电一步登记工单")
def call_to_ticket(call_id: int, data: TicketCreate, db: DB, rt: RT, actor: ApiActor) -> TicketOut:
    ticket, _ = service.to_ticket(db, rt, actor=actor, call_id=call_id, data=data)
    return present.detail(ticket, rt, actor, now=rt.clock.now())


@router.post("/{call_id}/callback", response_model=CallOut, summary="登记漏接回拨结果")
def call_back(call_id: int, data: CallbackIn, db: DB, rt: RT, actor: ApiActor) -> CallOut:
    return call_out(service.mark_called_back(db, rt, actor=actor, call_id=call_id, outcome=data.outcome,
                                             note=data.note))


@router.post("/{call_id}/transfers", response_model=TransferOut, status_code=201, summary="一键转接（记录原因）")
def transfer(call_id: int, data: TransferIn, db: DB, rt: RT, actor: ApiActor) -> TransferOut:
    return transfer_out(service.transfer(db, rt, actor=actor, call_id=call_id, target=data.target, reason=data.reason,
                                         three_way=data.three_way, expert_id=data.expert_id,
                                         responsibility_unclear=data.responsibility_unclear))
