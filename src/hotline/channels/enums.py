"""Codes of the waiting list (waiting_list.py) stored in every channel's table, and their Chinese labels."""

from __future__ import annotations

from enum import StrEnum

# A message's status on the list: the same codes in each channel's enum (sms InboundStatus; wechat
# MessageStatus, whose `auto` messages were never handed to a person and are on no list).
PENDING, REGISTERED, IGNORED = "pending", "registered", "ignored"
LISTED = (PENDING, REGISTERED, IGNORED)


class IgnoreReason(StrEnum):
    ADVERTISING = "advertising"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    OTHER = "other"


IGNORE_LABELS = {IgnoreReason.ADVERTISING: "广告推销", IgnoreReason.INVALID: "无效内容（乱码、空白、误发）",
                 IgnoreReason.DUPLICATE: "重复（已登记或已答复）", IgnoreReason.OTHER: "其他"}
