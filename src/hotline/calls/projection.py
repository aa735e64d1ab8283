"""A call's state derived from its events, whatever order they arrived in: a pure function.

Events are sorted by (time, sequence, arrival); the first offer, queue entry, answer and
abandonment count, the last end closes the call. A late-arriving event therefore changes the
result exactly as if it had arrived in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hotline.calls.enums import CallStatus, EventType, Outcome
from hotline.clock import to_local


@dataclass(frozen=True)
class EventFacts:
    id: int
    type: str
    at: datetime
    sequence: int | None = None
    caller: str | None = None
    dialled: str | None = None
    queue: str | None = None
    seat: str | None = None
    user_id: int | None = None
    operator: str | None = None  # the login as the adapter sent it (user_id is None when it is no hall user)
    recording_ref: str | None = None
    target: str | None = None


def _first(events: list[EventFacts], kind: EventType) -> EventFacts | None:
    return next((e for e in events if e.type == kind), None)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds()))


def project(events: list[EventFacts]) -> dict[str, Any]:
    """The Call columns that follow from these (applied) events."""
    ordered = sorted(events, key=lambda e: (e.at, e.sequence if e.sequence is not None else 0, e.id))
    offered = _first(ordered, EventType.OFFERED)
    queued = _first(ordered, EventType.QUEUED)
    answered = _first(ordered, EventType.ANSWERED)
    abandoned = _first(ordered, EventType.ABANDONED)
    ends = [e for e in ordered if e.type == EventType.ENDED]
    transfers = [e for e in ordered if e.type == EventType.TRANSFERRED]

    start = offered.at if offered else (ordered[0].at if ordered else None)
    # An abandonment ends an unanswered call even when the adapter sends no `ended` after it.
    ended_at = ends[-1].at if ends else (abandoned.at if abandoned and not answered else None)

    def last(attr: str) -> Any:
        return next((getattr(e, attr) for e in reversed(ordered) if getattr(e, attr)), None)

    def earliest(attr: str) -> Any:
        return next((getattr(e, attr) for e in ordered if getattr(e, attr)), None)

    if answered:
        outcome: str | None = Outcome.ANSWERED
    elif abandoned:
        outcome = Outcome.ABANDONED
    elif ends:
        outcome = Outcome.MISSED
    else:
        outcome = None
    if ended_at is not None and outcome is not None:
        status = CallStatus.ENDED
    elif answered:
        status = CallStatus.TALKING
    elif queued:
        status = CallStatus.QUEUED
    else:
        status = CallStatus.RINGING

    anomalies = []
    if offered and answered and answered.at < offered.at:
        anomalies.append("接听时间早于来电时间")
    if answered and abandoned:
        anomalies.append("同一通话既有接听又有放弃")
    if not offered and ordered:
        anomalies.append("缺少来电事件")

    unregistered = list(dict.fromkeys(e.operator for e in ordered if e.operator and e.user_id is None))

    first_line = offered.dialled if offered and offered.dialled else earliest("dialled")
    current_line = transfers[-1].target if transfers and transfers[-1].target else first_line
    wait_end = answered.at if answered else (abandoned.at if abandoned else (ends[-1].at if ends else None))
    local = to_local(start) if start else None
    return {
        "caller": earliest("caller"),
        "dialled": first_line,
        "first_line": first_line,
        "current_line": current_line,
        "queue": last("queue"),
        "seat": last("seat"),
        "first_seat": answered.seat if answered else None,
        # the operator on the call now: the latest `answered` (a hand-over inside the hall moves it on, and
        # the screen pop follows it through the (user_id, status) index)
        "user_id": next((e.user_id for e in reversed(ordered) if e.type == EventType.ANSWERED), None),
        "status": status,
        "outcome": outcome,
        "offered_at": start,
        "queued_at": queued.at if queued else None,
        "answered_at": answered.at if answered else None,
        "abandoned_at": abandoned.at if abandoned and not answered else None,
        "ended_at": ended_at,
        "offered_day": local.date() if local else None,
        "offered_slot": (local.hour * 2 + local.minute // 30) if local else None,
        "wait_seconds": _seconds(start, wait_end),
        "talk_seconds": _seconds(answered.at, ends[-1].at) if answered and ends else None,
        "recording_ref": last("recording_ref"),
        "event_count": len(ordered),
        "transfer_count": len(transfers),
        "anomaly": "；".join(anomalies) or None,
        "unregistered_operator": "、".join(unregistered)[:200] or None,
    }
