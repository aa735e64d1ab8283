"""The WeChat official account's server URL (/wechat/callback: WeChat's verification and its forwarded
messages, plaintext mode), the relay's API (/api/wechat/outbox: the customer-service messages to send,
their results) and the staff's 回复微信留言 and 重发 of a failed message (the page 微信受理's, same roles
and checks)."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, StringConstraints

from hotline.deps import DB, RT, ApiActor, TelephonyActor
from hotline.errors_http import ErrorOut, route_labels
from hotline.runtime import Runtime
from hotline.security.masking import mask_openid
from hotline.tickets.schemas import Page
from hotline.wechat import protocol, service
from hotline.wechat.enums import OUTBOUND_LABELS, PURPOSE_LABELS, OutboundStatus, Purpose
from hotline.wechat.models import WechatOutbound

log = logging.getLogger(__name__)
callback_router = APIRouter(tags=["wechat"])
router = APIRouter(prefix="/api/wechat", tags=["wechat"])
SUCCESS = "success"  # WeChat's "received, nothing to reply"
route_labels("/api/wechat/messages", {"text": "回复内容", "message_id": "微信消息编号"})


def _off() -> Response:
    return PlainTextResponse("微信公众号渠道未开通", status_code=404)


def _signed(request: Request, rt: RT, *, fresh: bool) -> bool:
    q = request.query_params
    return protocol.signed(rt.settings.wechat_token, signature_=q.get("signature", ""),
                           timestamp=q.get("timestamp", ""), nonce=q.get("nonce", ""),
                           now=rt.clock.now() if fresh else None)


@callback_router.get("/wechat/callback", include_in_schema=False)
def verify(request: Request, rt: RT) -> Response:
    """WeChat's server verification (公众号后台 → 服务器配置 → 提交): echo `echostr` when signed."""
    if not rt.settings.wechat_token:
        return _off()
    if not _signed(request, rt, fresh=False):
        return PlainTextResponse("签名错误", status_code=403)
    return PlainTextResponse(request.query_params.get("echostr", "")[:128])


async def _body(request: Request) -> bytes | None:
    """The body, or None past protocol.BODY_MAX (declared or counted)."""
    length = request.headers.get("content-length", "")
    if length.isdecimal() and int(length) > protocol.BODY_MAX:
        return None
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > protocol.BODY_MAX:
            return None
        parts.append(chunk)
    return b"".join(parts)


@dataclass
class _Handoff:
    """Who delivers the answer: the callback (in time) or the relay (late). Settled under the lock, so an
    answer finished just as the callback gave up is sent one way, never neither, never both."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    gave_up: bool = False
    done: bool = False


def _receive(sf: Any, rt: Runtime, msg: protocol.Message, handoff: _Handoff) -> str:
    """Store and answer `msg` in a session of its own (the request's may be closed before a late answer
    is ready); when the callback has given up meanwhile, queue the answer for the relay — only when this
    attempt answered (WeChat's retry of a message being answered waits for that answer, at most as long
    as the callback does)."""
    budget = rt.settings.wechat_answer_seconds
    with sf() as db:
        got = service.receive(db, rt, msg=msg, wait=budget)  # a retry waits for the first attempt's answer
        with handoff.lock:
            handoff.done = True
            late = handoff.gave_up
        if late and got.reply and got.answered:  # a retry's copy is not queued: the answering attempt sends it
            service.send_late(db, rt, msg=msg, text=got.reply)
            log.info("WeChat answer past the %.1f s budget queued for the relay", budget)
        return got.reply


def _log_failure(task: asyncio.Future[str]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("WeChat message could not be answered", exc_info=task.exception())


@callback_router.post("/wechat/callback", include_in_schema=False)
async def callback(request: Request, rt: RT) -> Response:
    """A message WeChat forwards: stored, answered by a passive text reply within WeChat's 5 seconds,
    or `success` when there is nothing to say. A retry gets the reply already given. An answer not ready
    within `wechat_answer_seconds` (a cold index, a busy machine) is not waited for: the callback says
    `success` — WeChat neither retries nor tells the follower the account failed — and the answer goes
    out through the relay as a customer-service message when it is ready."""
    if not rt.settings.wechat_token:
        return _off()
    if not _signed(request, rt, fresh=True):
        return PlainTextResponse("签名错误或已过期", status_code=403)
    if request.query_params.get("encrypt_type", "raw") not in ("", "raw"):
        log.warning("WeChat message in safe mode (AES) refused: only plaintext mode is supported")
        return PlainTextResponse("暂不支持安全模式（AES 加密），请在公众号后台选择明文模式", status_code=400)
    body = await _body(request)
    if body is None:
        return PlainTextResponse(f"消息过大：超过 {protocol.BODY_MAX} 字节", status_code=413)
    try:
        msg = protocol.message(protocol.parse(body))
    except protocol.BadMessage as exc:
        log.warning("WeChat message refused: %s", exc)
        return PlainTextResponse(str(exc), status_code=400)
    handoff = _Handoff()
    work = asyncio.ensure_future(run_in_threadpool(_receive, request.app.state.session_factory, rt, msg, handoff))
    work.add_done_callback(_log_failure)
    try:
        reply = await asyncio.wait_for(asyncio.shield(work), timeout=rt.settings.wechat_answer_seconds)
    except TimeoutError:
        with handoff.lock:
            handoff.gave_up = not handoff.done
        if handoff.gave_up:
            return PlainTextResponse(SUCCESS)
        reply = await work  # finished as the budget ran out: answered here, not by the relay
    if not reply:
        return PlainTextResponse(SUCCESS)
    return Response(protocol.text_reply(to=msg.openid, account=msg.account, text=reply, now=rt.clock.now()),
                    media_type="application/xml")


# ---- the relay: the customer-service messages to send ---------------------------------------------


class OutboxItem(BaseModel):
    id: int = Field(description="平台的待发消息编号，报告结果时使用")
    account: str = Field(description="公众号原始 ID（ToUserName）")
    openid: str = Field(description="接收者的 openid")
    text: str = Field(description="客服消息全文（文本）")
    created_at: datetime


class OutboxOut(BaseModel):
    items: list[OutboxItem]


class ResultIn(BaseModel):
    status: Literal["sent", "failed"] = Field(description="sent 已发送 / failed 发送失败")
    relay_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="中继自己的记录编号（可选）")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, description="失败原因（status 为 failed 时必填），如微信返回的 errcode/errmsg")


class ResultOut(BaseModel):
    id: int
    status: str
    relay_id: str | None
    sent_at: datetime | None
    failed_reason: str | None


def _item(row: WechatOutbound) -> OutboxItem:
    return OutboxItem(id=row.id, account=row.account, openid=row.openid, text=row.text, created_at=row.created_at)


@router.get("/outbox", response_model=OutboxOut, summary="微信消息中继领取待发客服消息（最早的在前）")
def get_outbox(db: DB, actor: TelephonyActor,
               limit: Annotated[int, Query(ge=1, le=service.OUTBOX_MAX, description="最多领取条数")] = 100,
               ) -> OutboxOut:
    return OutboxOut(items=[_item(r) for r in service.outbox(db, actor=actor, limit=limit)])


@router.post("/outbox/{outbound_id}/result", response_model=ResultOut,
             summary="微信消息中继报告发送结果（已发送或发送失败）")
def post_result(outbound_id: int, data: ResultIn, db: DB, rt: RT, actor: TelephonyActor) -> ResultOut:
    row = service.report_result(db, actor=actor, outbound_id=outbound_id, sent=data.status == "sent",
                                relay_id=data.relay_id, reason=data.reason, now=rt.clock.now())
    return ResultOut(id=row.id, status=row.status, relay_id=row.relay_id, sent_at=row.sent_at,
                     failed_reason=row.failed_reason)


# ---- the staff: 回复微信留言 ---------------------------------------------------------------------------


class ReplyIn(BaseModel):
    text: Annotated[str, StringConstraints(max_length=4000)] = Field(
        description=f"回复内容，至多 {service.REPLY_MAX} 字（可分行）")


class SentOut(BaseModel):
    """A message for the relay to send (人工回复 or 受理告知) and what became of it; the openid masked."""

    id: int
    openid: str = Field(description="接收者 openid（脱敏）")
    text: str
    purpose: Purpose = Field(description="reply 人工回复 / ack 受理告知 / late 延迟答复")
    purpose_label: str
    status: str = Field(description="queued 待发送 / sent 已发送 / failed 发送失败")
    status_label: str
    message_id: int | None = Field(description="所回复的微信消息编号")
    created_at: datetime
    sent_at: datetime | None
    failed_reason: str | None
    resend_of_id: int | None = Field(description="本条是对哪条发送失败消息的重发")


def sent_out(row: WechatOutbound) -> SentOut:
    return SentOut(id=row.id, openid=mask_openid(row.openid) or "", text=row.text, purpose=Purpose(row.purpose),
                   purpose_label=PURPOSE_LABELS[Purpose(row.purpose)], status=row.status,
                   status_label=OUTBOUND_LABELS[OutboundStatus(row.status)], message_id=row.message_id,
                   created_at=row.created_at, sent_at=row.sent_at, failed_reason=row.failed_reason,
                   resend_of_id=row.resend_of_id)


@router.post("/messages/{message_id}/reply", response_model=SentOut, status_code=201,
             summary=f"回复微信留言（至多 {service.REPLY_MAX} 字，用户最后一次发消息后 48 小时内，中继以客服消息发送）",
             responses={409: {"model": ErrorOut, "description": "已超过微信客服消息的 48 小时"},
                        404: {"model": ErrorOut, "description": "微信消息不存在或未转人工"}})
def reply(message_id: Annotated[int, Path(ge=1, le=2**31 - 1)], data: ReplyIn, db: DB, rt: RT,
          actor: ApiActor) -> SentOut:
    return sent_out(service.reply(db, rt, actor=actor, message_id=message_id, text=data.text))


@router.get("/outbound/failed", response_model=Page[SentOut],
            summary="发送失败且尚未重发的微信客服消息（最近失败的在前）")
def list_failed(db: DB, actor: ApiActor, page: Annotated[int, Query(ge=1)] = 1,
                page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[SentOut]:
    rows, total = service.failed(db, actor=actor, page=page, page_size=page_size)
    return Page(items=[sent_out(r) for r in rows], total=total, page=page, page_size=page_size)


@router.post("/outbound/{outbound_id}/resend", response_model=SentOut, status_code=201,
             summary="重发发送失败的微信客服消息（生成一条新的待发消息，须在用户最后一次发消息后 48 小时内）",
             responses={409: {"model": ErrorOut,
                              "description": "消息未发送失败、已重发过，或已超过微信客服消息的 48 小时"},
                        404: {"model": ErrorOut, "description": "微信待发消息不存在"}})
def resend(outbound_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: DB, rt: RT, actor: ApiActor) -> SentOut:
    return sent_out(service.resend(db, rt, actor=actor, outbound_id=outbound_id))
