"""Codes stored in the SMS tables and their Chinese labels (the reasons to ignore a text are the waiting
list's: hotline.channels.enums)."""

from __future__ import annotations

from enum import StrEnum


class InboundStatus(StrEnum):
    PENDING = "pending"  # 待处理: waiting for an operator
    REGISTERED = "registered"  # 已登记: became (part of) a ticket
    IGNORED = "ignored"  # 已忽略: with a reason


INBOUND_LABELS = {InboundStatus.PENDING: "待处理", InboundStatus.REGISTERED: "已登记",
                  InboundStatus.IGNORED: "已忽略"}


class OutboundStatus(StrEnum):
    QUEUED = "queued"  # 待发送: waiting for the gateway to take it
    SENT = "sent"  # 已发送: the gateway reported it sent
    FAILED = "failed"  # 发送失败: failed for good (a permanent failure, or the last attempt), with its reason


OUTBOUND_LABELS = {OutboundStatus.QUEUED: "待发送", OutboundStatus.SENT: "已发送", OutboundStatus.FAILED: "发送失败"}


def outbound_label(status: str, attempts: int = 0) -> str:
    """A text's status as people read it: a queued text that failed before waits to be retried (待重发)."""
    if status == OutboundStatus.QUEUED and attempts:
        return "待重发"
    return OUTBOUND_LABELS.get(OutboundStatus(status), status) if status in OUTBOUND_LABELS else status


class Purpose(StrEnum):
    REPLY = "reply"  # an operator's reply to a citizen's text
    ACKNOWLEDGEMENT = "ack"  # the automatic 已受理 text with the ticket number


PURPOSE_LABELS = {Purpose.REPLY: "人工回复", Purpose.ACKNOWLEDGEMENT: "受理告知"}
