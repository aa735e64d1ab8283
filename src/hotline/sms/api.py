"""The SMS channel's API. The gateway's: push received texts, take the texts to send, report each
one's result. The staff's (the page 短信受理's work, same roles): the texts received and sent, 忽略,
回复短信, 重发, and a ticket's texts as its page shows them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from hotline.channels.enums import IGNORE_LABELS
from hotline.deps import DB, RT, ApiActor, QueryTime, TelephonyActor, json_batch
from hotline.errors_http import ErrorOut, route_labels
from hotline.sms import service
from hotline.sms.enums import INBOUND_LABELS, OUTBOUND_LABELS, InboundStatus, OutboundStatus
from hotline.sms.schemas import (
    IgnoreIn,
    IgnoreOut,
    InboundOut,
    OutboundOut,
    OutboxOut,
    RegisterIn,
    ReplyIn,
    ResultIn,
    ResultOut,
    TextDetailOut,
    TextOut,
    TicketTextsOut,
    outbound_out,
    outbox_item,
    result_out,
    text_detail,
    text_out,
    ticket_texts_out,
)
from hotline.tickets import present
from hotline.tickets import service as tickets
from hotline.tickets.schemas import Page, TicketOut

router = APIRouter(prefix="/api/sms", tags=["sms"])
# Chinese names for these routes' fields in validation errors: a text's reason is why it was ignored,
# a result's why sending failed.
route_labels("/api/sms/outbox", {"status": "发送结果", "reason": "失败原因", "temporary": "是否暂时性失败",
                                 "attempt": "发送次数", "gateway_id": "网关短信编号", "limit": "条数"})
route_labels("/api/sms/texts", {"ids": "短信编号", "reason": "忽略原因", "note": "说明", "text": "回复内容",
                                "status": "短信状态", "phone": "号码", "received_from": "接收时间（起）",
                                "received_to": "接收时间（止）", "inbound_id": "短信编号"},
             choices={"reason": {str(k): v for k, v in IGNORE_LABELS.items()},
                      "status": {str(k): v for k, v in INBOUND_LABELS.items()}})
route_labels("/api/sms/outbound", {"status": "发送状态", "phone": "号码", "failed_only": "是否只看待重发",
                                   "outbound_id": "短信编号"},
             choices={"status": {str(k): v for k, v in OUTBOUND_LABELS.items()}})


@router.post("/inbound", response_model=InboundOut, summary="短信网关推送收到的短信（单条或批量）",
             responses={422: {"model": ErrorOut, "description": "短信数据不成立（未保存）"},
                        409: {"model": ErrorOut, "description": "短信编号已用于内容不同的短信（未处理）"}})
async def post_inbound(request: Request, db: DB, rt: RT, actor: TelephonyActor) -> Response:
    service.ensure_gateway(actor)
    items, single = await json_batch(request, limit=service.MAX_BATCH, item="短信", measure="条",
                                     empty_code="messages_empty")
    out = await run_in_threadpool(service.ingest, db, actor=actor, items=items, now=rt.clock.now())
    if single and (out.rejected or out.conflicts):
        error = out.errors[0]
        return JSONResponse({"code": error["code"], "message": error["message"]},
                            status_code=409 if out.conflicts else 422)
    payload = InboundOut(accepted=out.accepted, duplicates=out.duplicates, rejected=out.rejected,
                         conflicts=out.conflicts, errors=out.errors, ids=out.ids).model_dump()
    problems = []
    if out.conflicts:
        problems.append(f"{out.conflicts} 条短信的编号已用于内容不同的短信，未处理")
    if out.rejected:
        problems.append(f"{out.rejected} 条短信数据不成立，未保存")
    if problems:
        payload.update(code="id_conflict" if out.conflicts else "messages_rejected",
                       message="；".join(problems) + "；其余短信已处理")
    return JSONResponse(payload, status_code=409 if out.conflicts else 422 if out.rejected else 200)


@router.get("/outbox", response_model=OutboxOut, summary="短信网关领取待发短信（最早的在前）")
def get_outbox(db: DB, rt: RT, actor: TelephonyActor,
               limit: Annotated[int, Query(ge=1, le=service.OUTBOX_MAX, description="最多领取条数")] = 100,
               ) -> OutboxOut:
    rows = service.outbox(db, actor=actor, limit=limit, now=rt.clock.now())
    return OutboxOut(items=[outbox_item(r) for r in rows])


@router.post("/outbox/{outbound_id}/result", response_model=ResultOut,
             summary="短信网关报告发送结果（已发送、暂时性失败稍后重试、或发送失败）")
def post_result(outbound_id: int, data: ResultIn, db: DB, rt: RT, actor: TelephonyActor) -> ResultOut:
    row = service.report_result(db, actor=actor, outbound_id=outbound_id, sent=data.status == "sent",
                                gateway_id=data.gateway_id, reason=data.reason, now=rt.clock.now(),
                                temporary=data.temporary, attempt=data.attempt)
    return result_out(row)


# ---- staff: the work of the page 短信受理 -------------------------------------------------------


@router.get("/texts", response_model=Page[TextOut], summary="收到的短信（分页、筛选；待处理的最早在前，其余最新在前）")
def list_texts(db: DB, actor: ApiActor,
               status: Annotated[InboundStatus | None, Query(description="pending 待处理 / registered 已登记 / "
                                                                        "ignored 已忽略")] = None,
               phone: Annotated[str | None, Query(max_length=30, description="发送号码（完整号码）")] = None,
               received_from: Annotated[QueryTime | None, Query(description="接收时间（起，含）")] = None,
               received_to: Annotated[QueryTime | None, Query(description="接收时间（止，不含）")] = None,
               page: Annotated[int, Query(ge=1)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[TextOut]:
    rows, total = service.search_texts(db, actor=actor, status=status, phone=phone, received_from=received_from,
                                       received_to=received_to, page=page, page_size=page_size)
    return Page(items=[text_out(r.text, ticket_number=r.ticket_number, handled_by=r.handled_by) for r in rows],
                total=total, page=page, page_size=page_size)


@router.post("/texts/register", response_model=TicketOut, status_code=201,
             summary="短信登记工单（同一号码的待处理短信；自动回复受理短信）",
             responses={200: {"model": TicketOut, "description": "本人已将这些短信登记为工单：返回该工单"
                                                               "（响应头 Idempotent-Replayed: true）"}})
def register_texts(data: RegisterIn, response: Response, db: DB, rt: RT, actor: ApiActor) -> TicketOut:
    ticket, created = service.register_ticket(db, rt, actor=actor, ids=data.ids, data=data.ticket)
    if created and rt.settings.auto_dispatch:
        from hotline.dispatch.auto import auto_dispatch  # dispatch imports tickets: import at call time

        if auto_dispatch(db, rt, ticket):
            db.expire_all()
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    ticket = tickets.get(db, actor=actor, ticket_id=ticket.id)
    # Masked, as an action's answer: the requester is read (and audited) through GET /api/v1/tickets/{id}.
    return present.detail(ticket, rt, actor, now=rt.clock.now(), masked=True)


@router.post("/texts/ignore", response_model=IgnoreOut, summary="忽略短信（同一号码的待处理短信，须选原因）")
def ignore_texts(data: IgnoreIn, db: DB, rt: RT, actor: ApiActor) -> IgnoreOut:
    n = service.ignore(db, rt, actor=actor, ids=data.ids, reason=data.reason, note=data.note or "")
    rows = service.texts_by_ids(db, actor=actor, ids=data.ids)
    return IgnoreOut(ignored=n, items=[text_out(r.text, ticket_number=r.ticket_number, handled_by=r.handled_by)
                                       for r in rows])


@router.get("/texts/{inbound_id}", response_model=TextDetailOut, summary="一条收到的短信，及最近发往该号码的短信")
def get_text(inbound_id: int, db: DB, actor: ApiActor) -> TextDetailOut:
    row, sent = service.get_text(db, actor=actor, inbound_id=inbound_id)
    return text_detail(row.text, ticket_number=row.ticket_number, handled_by=row.handled_by, sent=sent)


@router.post("/texts/{inbound_id}/reply", response_model=OutboundOut, status_code=201,
             summary="回复短信（至多 200 字，自动加签名，等待短信网关发送）")
def reply_text(inbound_id: int, data: ReplyIn, db: DB, rt: RT, actor: ApiActor) -> OutboundOut:
    return outbound_out(service.reply(db, rt, actor=actor, inbound_id=inbound_id, text=data.text))


@router.get("/outbound", response_model=Page[OutboundOut], summary="发出的短信（某号码的发送记录；最新在前）")
def list_outbound(db: DB, actor: ApiActor,
                  phone: Annotated[str | None, Query(max_length=30, description="接收号码（完整号码）")] = None,
                  status: Annotated[OutboundStatus | None, Query(description="queued 待发送 / sent 已发送 / "
                                                                            "failed 发送失败")] = None,
                  failed_only: Annotated[bool, Query(description="只看发送失败且尚未重发的短信")] = False,
                  page: Annotated[int, Query(ge=1)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[OutboundOut]:
    rows, total = service.search_sent(db, actor=actor, phone=phone, status=status, awaiting_resend=failed_only,
                                      page=page, page_size=page_size)
    return Page(items=[outbound_out(r, resent_as_id=again) for r, again in rows], total=total, page=page,
                page_size=page_size)


@router.post("/outbound/{outbound_id}/resend", response_model=OutboundOut, status_code=201,
             summary="重发发送失败的短信（生成一条新的待发短信）")
def resend_outbound(outbound_id: int, db: DB, rt: RT, actor: ApiActor) -> OutboundOut:
    return outbound_out(service.resend(db, rt, actor=actor, outbound_id=outbound_id))


@router.get("/tickets/{ticket_id}", response_model=TicketTextsOut,
            summary="工单的来源短信和已回复短信（同工单页，不含号码）")
def ticket_texts(ticket_id: int, db: DB, actor: ApiActor) -> TicketTextsOut:
    received, sent = service.ticket_texts(db, actor=actor, ticket_id=ticket_id)
    return ticket_texts_out(received, sent)
