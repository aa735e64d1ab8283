"""Checking one raw event from the adapter: either clean facts, or a Chinese reason for refusing it.

Hand-written rather than a Pydantic model: a refused event must still be stored as received (no
call record is ever lost), with a precise message naming what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hotline.calls.enums import EventType
from hotline.phones import domestic

REF = re.compile(r"^[A-Za-z0-9_.:@#\-]{1,64}$")
# At most 20 characters with the +: the number columns are 20 wide (QA: + and 20 digits was a 500 on
# PostgreSQL, value too long, and the whole batch with it).
NUMBER = re.compile(r"^(?=.{3,20}$)\+?[0-9]{3,}$")
# How far ahead of our clock an adapter's timestamp may be before it is refused.
CLOCK_SKEW = timedelta(minutes=10)
# What the tables can hold: the sequence is a 32-bit integer column; times before this are no call's.
# Out of range, one event made the whole batch a 422 with nothing stored (QA: a poison batch).
MAX_SEQUENCE = 2**31 - 1
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
TYPES = ", ".join(t.value for t in EventType)


@dataclass(frozen=True)
class Checked:
    call_ref: str
    event_id: str
    type: str
    at: datetime
    sequence: int | None
    caller: str | None
    dialled: str | None
    queue: str | None
    seat: str | None
    operator: str | None
    recording_ref: str | None
    target: str | None
    three_way: bool


@dataclass(frozen=True)
class Refused:
    code: str
    message: str
    call_ref: str | None  # kept when usable, so the refused event stays with its call
    event_id: str | None


class _Refuse(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _ref(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value.strip() if isinstance(value, str) and REF.match(value.strip()) else None


def _text(raw: dict[str, Any], name: str, label: str, limit: int) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise _Refuse(f"{name}_invalid", f"{label}格式错误")
    value = str(value).strip()
    if len(value) > limit:
        raise _Refuse(f"{name}_too_long", f"{label}过长（最多 {limit} 个字符）")
    return value or None


def _number(raw: dict[str, Any], name: str, label: str) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    text = str(value).strip().replace("-", "").replace(" ", "") if isinstance(value, str | int) else None
    if not text or not NUMBER.match(text):
        raise _Refuse(f"{name}_invalid", f"{label} {str(value)[:30]!r} 格式错误：应为 3–20 位数字，"
                                         "可带国际区号 +（连同 + 至多 20 个字符）")
    return domestic(text)


def _time(raw: dict[str, Any], name: str, label: str, *, required: bool) -> datetime | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise _Refuse(f"{name}_missing",
                          f"缺少{label}（{name}，带时区的 ISO 8601 时间，如 2026-11-02T10:00:00+08:00）")
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _Refuse(f"{name}_invalid", f"{label} {str(value)[:40]!r} 不是有效时间（示例 2026-11-02T10:00:00+08:00）")
    if parsed.tzinfo is None:
        raise _Refuse(f"{name}_no_timezone", f"{label}须带时区，例如 2026-11-02T10:00:00+08:00")
    try:
        too_early = parsed.astimezone(UTC) < EARLIEST
    except OverflowError:  # 0001-01-01T00:00+14:00 is before the year 1 in UTC
        too_early = True
    if too_early:
        raise _Refuse(f"{name}_out_of_range", f"{label} {str(value)[:40]!r} 早于 2000 年，请检查话务平台时钟")
    return parsed


def check(raw: Any, *, now: datetime) -> Checked | Refused:
    if not isinstance(raw, dict):
        return Refused("event_not_object", "事件格式错误：每个事件应为一个 JSON 对象", None, None)
    call_ref, event_id = _ref(raw, "call_id"), _ref(raw, "event_id")
    try:
        if call_ref is None:
            raise _Refuse("call_id_invalid", "缺少或无效的通话标识 call_id（1–64 位字母、数字或 _.:@#-）")
        if event_id is None:
            raise _Refuse("event_id_invalid", "缺少或无效的事件标识 event_id（1–64 位字母、数字或 _.:@#-）")
        kind = raw.get("type")
        if kind not in EventType.__members__.values():
            raise _Refuse("event_type_invalid", f"未知的事件类型 {str(kind)[:30]!r}，应为：{TYPES}")
        at = _time(raw, "at", "事件时间", required=True)
        assert at is not None
        if at > now + CLOCK_SKEW:
            raise _Refuse("event_in_future", "事件时间晚于平台当前时间超过 10 分钟，请检查话务平台时钟")
        sequence = raw.get("sequence")
        if sequence is not None and (not isinstance(sequence, int) or isinstance(sequence, bool)
                                     or not 0 <= sequence <= MAX_SEQUENCE):
            raise _Refuse("sequence_invalid", f"事件序号 sequence 须为 0 至 {MAX_SEQUENCE} 的整数")
        caller = _number(raw, "caller", "主叫号码")
        dialled = _number(raw, "dialled", "被叫号码")
        target = _number(raw, "target", "转接目标号码")
        if kind == EventType.OFFERED and dialled is None:
            raise _Refuse("dialled_missing", "来电事件（offered）须包含被叫号码 dialled")
        if kind == EventType.TRANSFERRED and target is None:
            raise _Refuse("target_missing", "转接事件（transferred）须包含转接目标号码 target")
        offered_at = _time(raw, "offered_at", "来电时间", required=False)
        if offered_at is not None and offered_at > at:
            label = {EventType.ANSWERED: "接听", EventType.ABANDONED: "放弃", EventType.ENDED: "结束"}.get(
                EventType(kind), "事件")
            raise _Refuse("time_order_impossible",
                          f"同一事件中{label}时间早于来电时间（at < offered_at），数据不可能成立")
        three_way = raw.get("three_way", False)
        if not isinstance(three_way, bool):
            raise _Refuse("three_way_invalid", "three_way 须为 true 或 false")
        return Checked(
            call_ref=call_ref, event_id=event_id, type=kind, at=at, sequence=sequence, caller=caller,
            dialled=dialled, queue=_text(raw, "queue", "队列", 32), seat=_text(raw, "seat", "座席", 32),
            operator=_text(raw, "operator", "话务员账号", 64),
            recording_ref=_text(raw, "recording_ref", "录音标识", 300), target=target, three_way=three_way,
        )
    except _Refuse as refusal:
        return Refused(refusal.code, refusal.message, call_ref, event_id)
