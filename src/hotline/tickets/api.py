"""The ticket API: a thin router — parse, call the service, answer."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, StringConstraints
from starlette.concurrency import run_in_threadpool

from hotline.clock import to_local
from hotline.deps import DB, RT, ApiActor, QueryTime, UnitWorkActor, api_actor, client_of
from hotline.errors import DomainError
from hotline.errors_http import ROUTE_CHOICES, ROUTE_LABELS
from hotline.ratings.enums import RATING_FILTER_LABELS, RatingFilter
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.permissions import sees_personal_data
from hotline.security.roles import ROLE_LABELS
from hotline.tickets import export, present, service, workflow
from hotline.tickets.enums import ACTION_LABELS, Action, Channel, Kind, Satisfaction, State, Urgency
from hotline.tickets.schemas import (
    ActionIn,
    EventOut,
    Page,
    PublicCreate,
    PublicTicketOut,
    QueueItem,
    TicketCreate,
    TicketOut,
    TicketSummary,
)

router = APIRouter(prefix="/api/v1", tags=["tickets"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What each action calls its free-text fields, in validation errors (a reply's `content` is its 答复内容,
# not the 诉求内容 it is at registration; QA: "诉求内容过长" answered an over-long reply).
ACTION_FIELD_LABELS: dict[Action, dict[str, str]] = {
    Action.REPLY: {"content": "答复内容", "reason": "先行答复理由"},
    Action.ASSIST_REPLY: {"content": "协办意见"},
    Action.RETURN: {"reason": "退单理由"},
    Action.REASSIGN: {"reason": "改派理由"},
    Action.ADJUST_ASSISTING: {"reason": "调整理由"},
    Action.REFUSE_RETURN: {"reason": "驳回理由"},
    Action.REFUSE_EXTENSION: {"reason": "驳回理由"},
    Action.REQUEST_EXTENSION: {"reason": "延期理由"},
    Action.REJECT_REPLY: {"reason": "退回理由"},
    Action.WITHDRAW: {"reason": "撤回原因"},
    Action.REMIND: {"note": "催办意见"},
    Action.SUPERVISE: {"note": "督办意见"},
    Action.REVIEW: {"note": "研判意见"},
    Action.REHANDLE: {"note": "再办理要求"},
}
ROUTE_LABELS.extend((re.compile(rf"^/api/v1/tickets/[^/]+/actions/{action}$"), labels)
                    for action, labels in ACTION_FIELD_LABELS.items())
ROUTE_CHOICES.append((re.compile(r"^/api/v1/(tickets|exports/tickets\.xlsx)$"),
                      {"rating": {str(k): v for k, v in RATING_FILTER_LABELS.items()}}))
# The list's own filters in Chinese (QA: "enterprise须为是/否", "dispatch_overdue须为是/否").
ROUTE_LABELS.append((re.compile(r"^/api/v1/(tickets|exports/tickets\.xlsx)$"), {
    "state": "状态", "unit_id": "承办单位", "enterprise": "一企来（企业诉求）", "overdue": "已超期",
    "about_to_expire": "即将超期", "extension_pending": "延期待审", "ack_overdue": "签收超时",
    "dispatch_overdue": "派单超时", "phone": "联系电话"}))
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


# Registrations of one worker process run in at most this many threads at a time; the others wait their
# turn in the event loop, first come first served. Each registration releases and retakes the GIL at every
# database round trip: with a thread per concurrent request (up to anyio's 40) they mostly wait for one
# another. Measured with 2 workers and 16 clients: less CPU per ticket and a much shorter tail than without
# (docs/benchmarks.md, issue 2).
REGISTER_THREADS = 4
_register_limiter = anyio.CapacityLimiter(REGISTER_THREADS)


async def create_ticket(request: Request, data: TicketCreate, rt: RT, idempotency_key: IdemKey = None) -> Response:
    # One trip to the thread pool for all the synchronous work (authentication, registration, presentation),
    # the session opened and closed within it: as dependencies, ApiActor (sync) would take a trip of its own
    # and DB an exit step (docs/benchmarks.md, issue 2). _AuthFirst keeps the answer to a request that is
    # both unauthenticated and invalid a 401, as with the dependency.
    return await anyio.to_thread.run_sync(partial(_create_ticket, request, data, rt, idempotency_key),
                                          limiter=_register_limiter)


def _create_ticket(request: Request, data: TicketCreate, rt: Runtime, idempotency_key: str | None) -> Response:
    with request.app.state.session_factory() as db:
        actor = api_actor(request, db, rt)
        ticket, created = service.register(db, rt, actor=actor, data=data, idempotency_key=idempotency_key)
        if created and rt.settings.auto_dispatch:
            from hotline.dispatch.auto import auto_dispatch  # dispatch imports tickets: import at call time

            if auto_dispatch(db, rt, ticket):
                db.expire_all()  # the place and category it set, read again (not the objects loaded before)
                ticket = service.get(db, actor=actor, ticket_id=ticket.id)
        out = present.detail(ticket, rt, actor, now=rt.clock.now())
        # Serialised here: returned as a model, the TicketOut just built would be validated once more.
        return Response(out.model_dump_json(), status_code=201 if created else 200, media_type="application/json",
                        headers=None if created else {"Idempotent-Replayed": "true"})


def _authenticate(request: Request) -> None:
    with request.app.state.session_factory() as db:
        api_actor(request, db, request.app.state.runtime)


class _AuthFirst(APIRoute):
    """Authentication before the body's validation errors, as when it is a dependency: FastAPI runs
    dependencies before it reports invalid parameters (a malformed JSON body is reported before both)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def app(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                if not any(e.get("type") == "json_invalid" for e in exc.errors()):
                    await run_in_threadpool(_authenticate, request)  # raises 401 (or 403 for CSRF)
                raise

        return app


# A repeated Idempotency-Key with the same request: the ticket it created before, answered 200.
REPLAYED: dict[str, Any] = {
    "model": TicketOut,
    "description": "同一 Idempotency-Key 的重复提交：返回当时创建的工单（响应头 Idempotent-Replayed: true）",
    "headers": {"Idempotent-Replayed": {"schema": {"type": "string"}, "description": "true：本次为重复提交的回放"}},
}


router.add_api_route("/tickets", create_ticket, methods=["POST"], status_code=201, response_model=TicketOut,
                     summary="受理登记一张工单", route_class_override=_AuthFirst, responses={200: REPLAYED})


RATING_HELP = ("公众评价（好差评）：rated 已评价、unrated 未评价、good 好评（非常满意、满意、基本满意）、"
               "bad 差评（不满意、非常不满意），或某一评价等级")


def ticket_filters(
    state: Annotated[list[State] | None, Query()] = None,
    unit_id: int | None = None,
    kind: Kind | None = None,
    category: Annotated[str | None, Query(max_length=16)] = None,
    channel: Channel | None = None,
    urgency: Urgency | None = None,
    enterprise: Annotated[bool | None, Query(description="一企来：true 只看企业诉求，false 只看非企业诉求")] = None,
    overdue: bool | None = None,
    about_to_expire: bool | None = None,
    created_from: QueryTime | None = None,
    created_to: QueryTime | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    extension_pending: bool | None = None,
    ack_overdue: Annotated[bool | None, Query(description="签收超时：待签收且已过签收时限")] = None,
    rating: Annotated[RatingFilter | None, Query(description=RATING_HELP)] = None,
    dispatch_overdue: Annotated[bool | None,
                                Query(description="派单超时：待派单且已过派单时限（按派单时限排序）")] = None,
    solved: Annotated[bool | None, Query(description="最近一次回访：是否解决")] = None,
    satisfaction: Annotated[list[Satisfaction] | None, Query(description="最近一次回访的满意度（可多选）")] = None,
) -> service.Filters:
    """The query-string filters shared by the list and its Excel export."""
    return service.Filters(state=state, unit_id=unit_id, kind=kind, category_code=category, overdue=overdue,
                           about_to_expire=about_to_expire, created_from=created_from, created_to=created_to,
                           text=q, phone=phone, extension_pending=extension_pending, ack_overdue=ack_overdue,
                           dispatch_overdue=dispatch_overdue, by_dispatch_deadline=bool(dispatch_overdue),
                           channel=channel, urgency=urgency, enterprise=enterprise, rating=rating,
                           solved=solved, satisfaction=[str(s) for s in satisfaction] if satisfaction else None)


TicketFilters = Annotated[service.Filters, Depends(ticket_filters)]


@router.get("/tickets", response_model=Page[TicketSummary], summary="工单查询（分页、筛选）")
def list_tickets(
    db: DB,
    rt: RT,
    actor: ApiActor,
    filters: TicketFilters,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Page[TicketSummary]:
    items, total = service.search(db, rt, actor=actor, filters=filters, page=page, page_size=page_size)
    now = rt.clock.now()
    return Page(items=[present.summary(t, rt, actor, now=now) for t in items], total=total, page=page,
                page_size=page_size)


@router.get("/exports/tickets.xlsx", summary="按查询条件导出工单（Excel，最多 10000 条，个人信息脱敏）",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_tickets(db: DB, rt: RT, actor: ApiActor, filters: TicketFilters) -> Response:
    rows, total = service.export_rows(db, rt, actor=actor, filters=filters, limit=export.MAX_ROWS)
    now = rt.clock.now()
    answers = service.lead_answers(db, rows)
    late = {t.id: present.ack_late(t, answers.get(t.id), now) for t in rows}
    body = export.tickets_workbook([present.summary(t, rt, actor, now=now) for t in rows], title="工单导出",
                                   total=total, ack_late=late)
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="tickets-{to_local(now):%Y%m%d-%H%M}.xlsx"'})


QueueDeadline = Literal["on_time", "about_to_expire", "overdue", "paused"]
QueueAck = Literal["about_to_expire", "overdue"]
DEADLINE_HELP = "只看该办理时限状态的工单（本单位待办页的数字）"
ACK_HELP = "只看本单位主办、尚未签收且处于该签收状态的工单"


@router.get("/queue", response_model=Page[QueueItem], summary="本单位待办队列（按时限排序，含本单位主办/协办）")
def unit_queue(db: DB, rt: RT, actor: UnitWorkActor, page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 20,
               deadline_status: Annotated[QueueDeadline | None, Query(description=DEADLINE_HELP)] = None,
               ack_status: Annotated[QueueAck | None, Query(description=ACK_HELP)] = None) -> Page[QueueItem]:
    if actor.unit_id is None:
        raise DomainError("no_unit", "当前用户不属于任何承办单位", status_code=403)
    filters = service.Filters(open_for_unit=True, queue_deadline=deadline_status, queue_ack=ack_status)
    items, total = service.search(db, rt, actor=actor, filters=filters, page=page, page_size=page_size)
    now = rt.clock.now()
    return Page(items=[present.queue_item(t, rt, actor, now=now) for t in items], total=total, page=page,
                page_size=page_size)


def _detail(db: DB, rt: RT, actor: ApiActor, ticket: Any) -> TicketOut:
    out = present.detail(ticket, rt, actor, now=rt.clock.now())
    if sees_personal_data(actor, ticket) and (ticket.requester_name or ticket.requester_phone):
        service.record_personal_data_read(db, rt, actor=actor, ticket=ticket)
    return out


@router.get("/tickets/{ticket_id}", response_model=TicketOut, summary="工单详情")
def get_ticket(ticket_id: int, db: DB, rt: RT, actor: UnitWorkActor) -> TicketOut:
    return _detail(db, rt, actor, service.get(db, actor=actor, ticket_id=ticket_id))


@router.get("/tickets/by-number/{number}", response_model=TicketOut, summary="按工单编号查询")
def get_ticket_by_number(number: str, db: DB, rt: RT, actor: UnitWorkActor) -> TicketOut:
    return _detail(db, rt, actor, service.get_by_number(db, actor=actor, number=number))


@router.get("/tickets/{ticket_id}/events", response_model=list[EventOut], summary="工单流转记录")
def ticket_events(ticket_id: int, db: DB, rt: RT, actor: UnitWorkActor) -> list[EventOut]:
    ticket = service.get(db, actor=actor, ticket_id=ticket_id)
    # Masked as the ticket is for this reader (a unit that no longer has it, a unit's business system …).
    mask_for = None if sees_personal_data(actor, ticket) else ticket
    return [present.event_out(e, mask_for=mask_for) for e in service.history(db, ticket_id=ticket_id)]


# A repeated Idempotency-Key with the same action: the first answer, as it was sent.
ACTION_REPLAYED: dict[str, Any] = {
    "description": "执行成功；带 Idempotency-Key 重发同一请求时返回首次的响应（响应头 Idempotent-Replayed: true），"
                   "不再执行",
    "headers": {"Idempotent-Replayed": {"schema": {"type": "string"}, "description": "true：本次为重复请求的回放"}},
}


@router.post("/tickets/{ticket_id}/actions/{action}", response_model=TicketOut, summary="执行流转操作",
             responses={200: ACTION_REPLAYED})
def ticket_action(ticket_id: int, action: Action, params: ActionIn, db: DB, rt: RT, actor: UnitWorkActor,
                  idempotency_key: IdemKey = None) -> Any:
    if action == Action.REGISTER:
        raise DomainError("use_create", "受理登记请使用 POST /api/v1/tickets", status_code=400)
    if idempotency_key:
        # Masked like every action's answer; kept with the key, so a retry gets it byte for byte.
        body, replayed = service.act_once(
            db, rt, actor=actor, ticket_id=ticket_id, action=action, params=params, key=idempotency_key,
            answer=lambda t: present.detail(t, rt, actor, now=rt.clock.now(), masked=True).model_dump_json())
        return Response(body, media_type="application/json",
                        headers={"Idempotent-Replayed": "true"} if replayed else None)
    if action == Action.SUPERVISE:  # 督办 is issued as a 督办单 (supervision reads tickets: import here)
        from hotline.supervision.service import supervise_ticket

        supervise_ticket(db, rt, actor=actor, ticket_id=ticket_id, note=params.note)
        ticket = service.get(db, actor=actor, ticket_id=ticket_id)
    else:
        ticket = service.act(db, rt, actor=actor, ticket_id=ticket_id, action=action, params=params)
    # Masked: the name and phone are read (and audited) through GET /tickets/{id}, not as a side effect.
    return present.detail(ticket, rt, actor, now=rt.clock.now(), masked=True)


class TransitionOut(BaseModel):
    action: str
    action_label: str
    source: str | None
    target: str | None
    roles: list[str]
    role_labels: list[str]
    guards: list[str]


@router.get("/workflow", response_model=list[TransitionOut], summary="工单流转表")
def workflow_table() -> list[TransitionOut]:
    return [
        TransitionOut(
            action=t.action, action_label=ACTION_LABELS[t.action], source=t.source, target=t.target,
            roles=sorted(t.roles), role_labels=[ROLE_LABELS[r] for r in sorted(t.roles)],
            guards=[getattr(g, "__name__", str(g)) for g in t.guards],
        )
        for t in workflow.TABLE.values()
    ]


# ---- public portal API --------------------------------------------------------------------

public_router = APIRouter(prefix="/api/v1/public", tags=["public"])
# digits as people type them: full-width １２３４ too
Last4 = Annotated[str, BeforeValidator(lambda v: unicodedata.normalize("NFKC", v).strip() if isinstance(v, str) else v),
                  StringConstraints(pattern=r"^[0-9]{4}$")]


class LookupIn(BaseModel):
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=32)]
    phone_last4: Last4


class PublicActionIn(LookupIn):
    satisfaction: Satisfaction | None = None
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


@public_router.post("/requests", status_code=201, response_model=PublicTicketOut, summary="公众提交诉求",
                    responses={200: {**REPLAYED, "model": PublicTicketOut}})
def public_submit(data: PublicCreate, request: Request, db: DB, rt: RT, response: Response,
                  idempotency_key: IdemKey = None) -> PublicTicketOut:
    ticket, created = service.register(db, rt, actor=Actor.requester(client_of(request)), data=data,
                                       idempotency_key=idempotency_key)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return present.public(ticket, service.public_events(db, ticket), rt)


@public_router.post("/lookup", response_model=PublicTicketOut, summary="凭工单编号和手机后四位查询进度")
def public_lookup(data: LookupIn, request: Request, db: DB, rt: RT) -> PublicTicketOut:
    ticket = service.public_lookup(db, number=data.number, phone_last4=data.phone_last4, now=rt.clock.now(),
                                   client=client_of(request))
    return present.public(ticket, service.public_events(db, ticket), rt)


@public_router.post("/rate", response_model=PublicTicketOut, summary="对已办结工单评价")
def public_rate(data: PublicActionIn, request: Request, db: DB, rt: RT) -> PublicTicketOut:
    ticket = service.public_act(db, rt, number=data.number, phone_last4=data.phone_last4, action=Action.RATE,
                                params=ActionIn(satisfaction=data.satisfaction, comment=data.comment),
                                client=client_of(request))
    return present.public(ticket, service.public_events(db, ticket), rt)


@public_router.post("/withdraw", response_model=PublicTicketOut, summary="撤回诉求")
def public_withdraw(data: PublicActionIn, request: Request, db: DB, rt: RT) -> PublicTicketOut:
    ticket = service.public_act(db, rt, number=data.number, phone_last4=data.phone_last4,
                                action=Action.WITHDRAW, params=ActionIn(reason=data.reason),
                                client=client_of(request))
    return present.public(ticket, service.public_events(db, ticket), rt)

