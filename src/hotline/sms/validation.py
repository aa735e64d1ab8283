"""Checking one text as the gateway pushed it: clean facts, or a Chinese reason for refusing it.

Pure (no database): the rules are tested without one. Hand-written like the call events' checks, so
that each refusal names the field and what is wrong with it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.phones import as_kept

ID = re.compile(r"^[A-Za-z0-9_.:@#\-]{1,64}$")
# As call events': 3 digits at least, at most 20 characters with the + (what the columns hold).
NUMBER = re.compile(r"^(?=.{3,20}$)\+?[0-9]{3,}$")
TEXT_MAX = 1000
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # no text is older; earlier years overflow in UTC
# How far ahead of our clock a gateway's timestamp may be before it is refused.
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class Checked:
    gateway_id: str
    sender: str
    text: str
    received_at: datetime

    def differences(self, sender: str, text: str, received_at: datetime) -> list[str]:
        """What differs from a text stored under the same id, named in Chinese (已收到 … 本次 …)."""
        found = []
        if sender != self.sender:
            found.append(f"发送号码（已收到 {sender}，本次 {self.sender}）")
        if text != self.text:
            found.append("短信内容")
        if received_at != self.received_at:
            found.append(f"接收时间（已收到 {received_at.isoformat()}，本次 {self.received_at.isoformat()}）")
        return found


@dataclass(frozen=True)
class Refused:
    code: str
    message: str
    gateway_id: str | None


def check(raw: Any, now: datetime) -> Checked | Refused:
    if not isinstance(raw, dict):
        return Refused("message_not_object", "每条短信应为一个 JSON 对象", None)
    gid = raw.get("id")
    if isinstance(gid, int) and not isinstance(gid, bool):
        gid = str(gid)
    gid = gid.strip() if isinstance(gid, str) else None
    if not gid or not ID.match(gid):
        return Refused("id_invalid", "短信编号 id 缺失或格式错误：应为 1–64 位字母、数字或 _ . : @ # -", None)
    sender = raw.get("from")
    kept = as_kept(sender) if isinstance(sender, str) else ""
    kept = kept.replace("-", "")
    if not kept:
        return Refused("from_missing", "缺少发送号码 from", gid)
    if not NUMBER.match(kept):
        return Refused("from_invalid", f"发送号码 from“{str(sender)[:30]}”格式错误：应为 3–20 位数字，"
                                       "可带国际区号 +（连同 + 至多 20 个字符）", gid)
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        return Refused("text_missing", "缺少短信内容 text，或内容为空", gid)
    text = text.strip().replace("\x00", "")
    if len(text) > TEXT_MAX:
        return Refused("text_too_long", f"短信内容过长：最多 {TEXT_MAX} 个字符（长短信请由网关拼接后推送）", gid)
    at = raw.get("received_at")
    if not isinstance(at, str) or not at.strip():
        return Refused("received_at_missing", "缺少接收时间 received_at", gid)
    try:
        received = datetime.fromisoformat(at.strip())
    except ValueError:
        return Refused("received_at_invalid", f"接收时间 received_at“{at[:40]}”不是 ISO 8601 时间", gid)
    if received.tzinfo is None:
        return Refused("received_at_no_timezone", "接收时间 received_at 须带时区，如 2026-11-02T10:00:00+08:00", gid)
    if received < EARLIEST:
        return Refused("received_at_invalid", f"接收时间 received_at“{at[:40]}”早于 2000 年，不是短信的接收时间", gid)
    if received - now > CLOCK_SKEW:
        return Refused("received_in_future", "接收时间 received_at 晚于平台当前时间 10 分钟以上，请检查网关时钟", gid)
    return Checked(gateway_id=gid, sender=kept, text=text, received_at=received)
