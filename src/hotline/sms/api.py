"""The SMS gateway's API: push received texts, take the texts to send, report each one's result."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from hotline.deps import DB, RT, TelephonyActor, json_batch
from hotline.errors_http import ErrorOut
from hotline.sms import service
from hotline.sms.schemas import InboundOut, OutboxOut, ResultIn, ResultOut, outbox_item, result_out

router = APIRouter(prefix="/api/sms", tags=["sms"])


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
def get_outbox(db: DB, actor: TelephonyActor,
               limit: Annotated[int, Query(ge=1, le=service.OUTBOX_MAX, description="最多领取条数")] = 100,
               ) -> OutboxOut:
    return OutboxOut(items=[outbox_item(r) for r in service.outbox(db, actor=actor, limit=limit)])


@router.post("/outbox/{outbound_id}/result", response_model=ResultOut,
             summary="短信网关报告发送结果（已发送或发送失败）")
def post_result(outbound_id: int, data: ResultIn, db: DB, rt: RT, actor: TelephonyActor) -> ResultOut:
    row = service.report_result(db, actor=actor, outbound_id=outbound_id, sent=data.status == "sent",
                                gateway_id=data.gateway_id, reason=data.reason, now=rt.clock.now())
    return result_out(row)
