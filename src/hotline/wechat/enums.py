"""Codes stored in the WeChat tables and their Chinese labels (the reasons to ignore a message are the
waiting list's: hotline.channels.enums)."""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    AUTO = "auto"  # 自动答复: answered by the account itself (knowledge base, welcome, lookup); no operator needed
    PENDING = "pending"  # 待处理: the citizen asked for a person (人工/登记): waiting for an operator
    REGISTERED = "registered"  # 已登记: became (part of) a ticket
    IGNORED = "ignored"  # 已忽略: with a reason


STATUS_LABELS = {MessageStatus.AUTO: "自动答复", MessageStatus.PENDING: "待处理",
                 MessageStatus.REGISTERED: "已登记", MessageStatus.IGNORED: "已忽略"}


class OutboundStatus(StrEnum):
    QUEUED = "queued"  # 待发送: waiting for the relay to take it
    SENT = "sent"  # 已发送
    FAILED = "failed"  # 发送失败 (with the relay's reason, e.g. WeChat's errcode 45015: 48 hours passed)


OUTBOUND_LABELS = {OutboundStatus.QUEUED: "待发送", OutboundStatus.SENT: "已发送", OutboundStatus.FAILED: "发送失败"}


class Purpose(StrEnum):
    ACKNOWLEDGEMENT = "ack"  # the automatic 已受理 message with the ticket number
    REPLY = "reply"  # an operator's own words to a waiting follower (回复微信留言)
    LATE = "late"  # the assistant's answer that took longer than WeChat's 5 seconds (sent when ready)


PURPOSE_LABELS = {Purpose.ACKNOWLEDGEMENT: "受理告知", Purpose.REPLY: "人工回复", Purpose.LATE: "延迟答复"}

# WeChat's MsgType values (plaintext mode) and how the operators' page names them.
TYPE_LABELS = {"text": "文字", "image": "图片", "voice": "语音", "video": "视频", "shortvideo": "小视频",
               "location": "位置", "link": "链接", "file": "文件", "event": "事件"}
