"""What the SMS gateway sends and receives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from hotline.sms.models import SmsOutbound


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


class OutboxOut(BaseModel):
    items: list[OutboxItem]


class ResultIn(BaseModel):
    status: Literal["sent", "failed"] = Field(description="sent 已发送 / failed 发送失败")
    gateway_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = Field(
        default=None, description="网关自己的短信编号")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        default=None, description="失败原因（status 为 failed 时必填）")


class ResultOut(BaseModel):
    id: int
    status: str
    gateway_id: str | None
    sent_at: datetime | None
    failed_reason: str | None


def outbox_item(row: SmsOutbound) -> OutboxItem:
    return OutboxItem(id=row.id, to=row.phone, text=row.text, created_at=row.created_at)


def result_out(row: SmsOutbound) -> ResultOut:
    return ResultOut(id=row.id, status=row.status, gateway_id=row.gateway_id, sent_at=row.sent_at,
                     failed_reason=row.failed_reason)
