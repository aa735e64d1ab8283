"""What the SMS gateway sends and receives, and what the staff API answers (numbers masked, as every
list masks them: the full number is shown only in the audited 登记工单 form)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from hotline.channels.enums import IGNORE_LABELS, IgnoreReason
from hotline.security.masking import mask_phone
from hotline.sms.enums import INBOUND_LABELS, PURPOSE_LABELS, InboundStatus, Purpose, outbound_label
from hotline.sms.models import SmsInbound, SmsOutbound
from hotline.tickets.schemas import TicketCreate


class InboundOut(BaseModel):
    accepted: int = Field(description="新收到并保存的短信数")
    duplicates: int = Field(description="已收到过（编号与内容相同）的短信数，未重复保存")
    rejected: int = Field(description="数据不成立、未保存的短信数")
    conflicts: int = Field(description="编号已用于内容不同的短信、未处理的短信数")
    errors: list[dict[str, Any]] = Field(description="每条未保存的短信：index、id、code、message")
    ids: dict[str, int] = Field(description="网关短信编号 → 平台编号")


class OutboxItem(BaseModel):
    id: int = Field(description="平台的待发短信编号，报告结果时使用")
    to: str = Field(description="接收号码")
    text: str = Field(description="短信全文（含签名）")
    created_at: datetime
    attempt: int = Field(description="本次是第几次发送（1 为首次，暂时性失败后重试时递增）；报告结果时可原样带回")


class OutboxOut(BaseModel):
    items: list[OutboxItem]


class ResultIn(BaseModel):
    status: Literal["sent", "failed"] = Field(description="sent 已发送 / failed 发送失败")
    gateway_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="网关自己的短信编号")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, description="失败原因（status 为 failed 时必填）")
    temporary: bool | None = Field(
        default=None, description="true：暂时性失败（网络、运营商拥塞、限流），平台稍后重试；"
                                  "false 或不填：永久失败（空号、停机、拒收），不再重试（与增加本字段前相同）")
    attempt: int | None = Field(default=None, ge=1, le=1000,
                                description="所报告的是第几次发送（领取时的 attempt）；已计入的次数再报告时不重复计数")


class ResultOut(BaseModel):
    id: int
    status: str = Field(description="queued 待发送（暂时性失败后等待重试）/ sent 已发送 / failed 发送失败")
    gateway_id: str | None
    sent_at: datetime | None
    failed_reason: str | None = Field(description="最终发送失败的原因")
    attempts: int = Field(description="已报告结果的发送次数")
    last_error: str | None = Field(description="最近一次失败的原因")
    next_attempt_at: datetime | None = Field(description="暂时性失败后，下次可领取重试的时间")


def outbox_item(row: SmsOutbound) -> OutboxItem:
    return OutboxItem(id=row.id, to=row.phone, text=row.text, created_at=row.created_at,
                      attempt=(row.attempts or 0) + 1)


def result_out(row: SmsOutbound) -> ResultOut:
    return ResultOut(id=row.id, status=row.status, gateway_id=row.gateway_id, sent_at=row.sent_at,
                     failed_reason=row.failed_reason, attempts=row.attempts or 0, last_error=row.last_error,
                     next_attempt_at=row.next_attempt_at)


# ---- the staff API ----------------------------------------------------------------------------


class TextOut(BaseModel):
    """A text received from a citizen; the number masked (139****5678) as in every list."""

    id: int
    sender: str = Field(description="发送号码（脱敏）")
    text: str
    received_at: datetime
    status: InboundStatus = Field(description="pending 待处理 / registered 已登记 / ignored 已忽略")
    status_label: str
    ticket_id: int | None
    ticket_number: str | None = Field(description="登记成的工单编号")
    ignore_reason: IgnoreReason | None
    ignore_reason_label: str | None
    ignore_note: str | None
    handled_by: str | None = Field(description="处理人")
    handled_at: datetime | None


class OutboundOut(BaseModel):
    """A text for the gateway to send (人工回复 or 受理告知) and what became of it; the number masked."""

    id: int
    phone: str = Field(description="接收号码（脱敏）")
    text: str
    purpose: Purpose = Field(description="reply 人工回复 / ack 受理告知")
    purpose_label: str
    status: str = Field(description="queued 待发送 / sent 已发送 / failed 发送失败")
    status_label: str = Field(description="待发送、待重发（暂时性失败后等待重试）、已发送、发送失败")
    created_at: datetime
    sent_at: datetime | None
    result_at: datetime | None
    attempts: int = Field(description="已尝试发送的次数")
    last_error: str | None = Field(description="最近一次失败的原因")
    next_attempt_at: datetime | None = Field(description="下次重试时间（等待重试时）")
    failed_reason: str | None = Field(description="最终发送失败的原因")
    ticket_id: int | None
    inbound_id: int | None = Field(description="所回复的短信")
    resend_of_id: int | None = Field(description="本条是对哪条发送失败短信的重发")
    resent_as_id: int | None = Field(default=None, description="本条发送失败后，重发的短信编号")


class TextDetailOut(TextOut):
    recent_sent: list[OutboundOut] = Field(description="最近发往该号码的短信（最新的在前，最多 5 条）")


class IgnoreIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=20, description="同一号码的待处理短信编号，一次至多 20 条")
    reason: IgnoreReason = Field(description="advertising 广告推销 / invalid 无效内容 / duplicate 重复 / other 其他")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, description="说明（原因为 other 时必填，至少 2 个字）")


class RegisterIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(
        min_length=1, max_length=20, description="同一号码的待处理短信编号，一次至多 20 条")
    ticket: TicketCreate = Field(description="受理要素（同 POST /api/v1/tickets；受理渠道自动为短信，"
                                             "未填联系电话时取发送号码）")


class IgnoreOut(BaseModel):
    ignored: int
    items: list[TextOut]


class ReplyIn(BaseModel):
    text: Annotated[str, StringConstraints(max_length=2000)] = Field(
        description="回复内容，至多 200 字（不含签名，签名【12345】自动添加）")


class TicketTextOut(BaseModel):
    """A text a ticket was registered from, as its page shows it: no number."""

    id: int
    text: str
    received_at: datetime


class TicketSentOut(BaseModel):
    """A text sent about a ticket, as its page shows it: no number."""

    id: int
    text: str
    purpose: Purpose
    purpose_label: str
    status: str
    status_label: str
    created_at: datetime


class TicketTextsOut(BaseModel):
    received: list[TicketTextOut] = Field(description="来源短信（最早的在前）")
    sent: list[TicketSentOut] = Field(description="就该工单发出的短信（最早的在前）")


def text_out(row: SmsInbound, *, ticket_number: str | None = None, handled_by: str | None = None) -> TextOut:
    return TextOut(**_text_fields(row, ticket_number, handled_by))


def _text_fields(row: SmsInbound, ticket_number: str | None, handled_by: str | None) -> dict[str, Any]:
    reason = IgnoreReason(row.ignore_reason) if row.ignore_reason else None
    return {"id": row.id, "sender": mask_phone(row.sender) or "", "text": row.text, "received_at": row.received_at,
            "status": row.status, "status_label": INBOUND_LABELS[InboundStatus(row.status)],
            "ticket_id": row.ticket_id, "ticket_number": ticket_number, "ignore_reason": reason,
            "ignore_reason_label": IGNORE_LABELS[reason] if reason else None, "ignore_note": row.ignore_note,
            "handled_by": handled_by, "handled_at": row.handled_at}


def text_detail(row: SmsInbound, *, ticket_number: str | None, handled_by: str | None,
                sent: list[SmsOutbound]) -> TextDetailOut:
    return TextDetailOut(**_text_fields(row, ticket_number, handled_by), recent_sent=[outbound_out(o) for o in sent])


def outbound_out(row: SmsOutbound, *, resent_as_id: int | None = None) -> OutboundOut:
    return OutboundOut(
        id=row.id, phone=mask_phone(row.phone) or "", text=row.text, purpose=row.purpose,
        purpose_label=PURPOSE_LABELS[Purpose(row.purpose)], status=row.status,
        status_label=outbound_label(row.status, row.attempts or 0), created_at=row.created_at, sent_at=row.sent_at,
        result_at=row.result_at, attempts=row.attempts or 0, last_error=row.last_error,
        next_attempt_at=row.next_attempt_at, failed_reason=row.failed_reason, ticket_id=row.ticket_id,
        inbound_id=row.inbound_id, resend_of_id=row.resend_of_id, resent_as_id=resent_as_id)


def ticket_texts_out(received: list[SmsInbound], sent: list[SmsOutbound]) -> TicketTextsOut:
    return TicketTextsOut(
        received=[TicketTextOut(id=m.id, text=m.text, received_at=m.received_at) for m in received],
        sent=[TicketSentOut(id=o.id, text=o.text, purpose=o.purpose, purpose_label=PURPOSE_LABELS[Purpose(o.purpose)],
                            status=o.status, status_label=outbound_label(o.status, o.attempts or 0),
                            created_at=o.created_at) for o in sent])
