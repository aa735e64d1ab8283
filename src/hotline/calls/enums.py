"""Codes stored in the calls tables, their Chinese labels, and the lines a call may be transferred to."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    OFFERED = "offered"  # the call reached the platform on a dialled number
    QUEUED = "queued"  # waiting in a queue for a free seat
    ANSWERED = "answered"  # an operator took it at a seat
    TRANSFERRED = "transferred"  # handed to another line (blind or three-way)
    ABANDONED = "abandoned"  # the caller hung up before an answer
    ENDED = "ended"  # the call is over (after an answer, or unanswered: no seat, timeout)


EVENT_LABELS = {
    EventType.OFFERED: "来电", EventType.QUEUED: "排队", EventType.ANSWERED: "接听",
    EventType.TRANSFERRED: "转接", EventType.ABANDONED: "放弃", EventType.ENDED: "结束",
}


class CallStatus(StrEnum):
    RINGING = "ringing"
    QUEUED = "queued"
    TALKING = "talking"
    ENDED = "ended"


STATUS_LABELS = {CallStatus.RINGING: "振铃", CallStatus.QUEUED: "排队中", CallStatus.TALKING: "通话中",
                 CallStatus.ENDED: "已结束"}


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"  # caller hung up while waiting
    MISSED = "missed"  # ended unanswered by the platform (no seat, overflow, timeout)


OUTCOME_LABELS = {Outcome.ANSWERED: "已接听", Outcome.ABANDONED: "放弃", Outcome.MISSED: "未接"}


class EventStatus(StrEnum):
    APPLIED = "applied"
    REJECTED = "rejected"  # kept as received, flagged, not used for the call's state


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"


class CallbackOutcome(StrEnum):
    REACHED = "reached"  # spoke to the caller
    NO_ANSWER = "no_answer"  # stays on the list until MAX_CALLBACK_ATTEMPTS
    INVALID_NUMBER = "invalid_number"
    CALLED_AGAIN = "called_again"  # the caller has since got through


CALLBACK_OUTCOME_LABELS = {
    CallbackOutcome.REACHED: "已联系上", CallbackOutcome.NO_ANSWER: "无人接听",
    CallbackOutcome.INVALID_NUMBER: "空号/号码无效", CallbackOutcome.CALLED_AGAIN: "来电人已再次来电接通",
}
MAX_CALLBACK_ATTEMPTS = 3


class TransferMode(StrEnum):
    BLIND = "blind"  # handed over; the hall leaves the call
    THREE_WAY = "three_way"  # operator stays on: caller + operator + the other line (三方通话)


TRANSFER_MODE_LABELS = {TransferMode.BLIND: "直接转接", TransferMode.THREE_WAY: "三方通话"}


class TransferSource(StrEnum):
    OPERATOR = "operator"  # one click on the operator's page (or the API)
    ADAPTER = "adapter"  # reported by the telephony platform


# Emergency lines are never merged into 12345: linked by one-click transfer (GB/T 33358, the seeds).
EMERGENCY_LINES: dict[str, tuple[str, str]] = {
    "110": ("police", "110 公安报警"),
    "119": ("fire", "119 消防救援"),
    "120": ("ambulance", "120 医疗急救"),
    "122": ("traffic", "122 交通事故报警"),
}
# Utility lines (水电气热): linked, not merged. Their numbers come from the hotline registry when it
# is installed (calls/lines.py); these are the kinds and their labels.
UTILITY_KINDS: dict[str, str] = {"water": "供水", "power": "供电", "gas": "燃气", "heating": "供热"}
