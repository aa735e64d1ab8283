"""What the calls API answers (events come in as raw JSON: calls/validation.py checks them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, StringConstraints

from hotline.calls.enums import (
    CALLBACK_OUTCOME_LABELS,
    EVENT_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    TRANSFER_MODE_LABELS,
    CallbackOutcome,
    CallStatus,
    EventType,
    Outcome,
    TransferMode,
)
from hotline.calls.models import Call, CallEvent, CallTransfer
from hotline.security.masking import mask_phone
from hotline.tickets.schemas import TicketSummary


class IngestOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: int
    conflicts: int
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]] = []
    call_ids: dict[str, int]


class CallOut(BaseModel):
    id: int
    call_ref: str
    caller: str | None
    dialled: str | None
    first_line: str | None
    current_line: str | None
    queue: str | None
    seat: str | None
    user_id: int | None
    status: str
    status_label: str
    outcome: str | None
    outcome_label: str | None
    offered_at: datetime | None
    queued_at: datetime | None
    answered_at: datetime | None
    abandoned_at: datetime | None
    ended_at: datetime | None
    wait_seconds: int | None
    talk_seconds: int | None
    recording_ref: str | None
    event_count: int
    rejected_count: int
    anomaly: str | None
    # 坐席未登记: operator logins the adapter named that are no hall user (the call is linked to nobody)
    unregistered_operator: str | None
    ticket_id: int | None
    callback_status: str | None
    callback_attempts: int
    callback_outcome: str | None
    callback_outcome_label: str | None
    callback_note: str | None
    callback_at: datetime | None


def call_out(call: Call, *, masked: bool = False) -> CallOut:
    return CallOut(
        id=call.id, call_ref=call.call_ref, caller=mask_phone(call.caller) if masked else call.caller,
        dialled=call.dialled, first_line=call.first_line, current_line=call.current_line, queue=call.queue,
        seat=call.seat, user_id=call.user_id, status=call.status, status_label=STATUS_LABELS[CallStatus(call.status)],
        outcome=call.outcome, outcome_label=OUTCOME_LABELS[Outcome(call.outcome)] if call.outcome else None,
        offered_at=call.offered_at, queued_at=call.queued_at, answered_at=call.answered_at,
        abandoned_at=call.abandoned_at, ended_at=call.ended_at, wait_seconds=call.wait_seconds,
        talk_seconds=call.talk_seconds, recording_ref=call.recording_ref, event_count=call.event_count,
        rejected_count=call.rejected_count, anomaly=call.anomaly,
        unregistered_operator=call.unregistered_operator, ticket_id=call.ticket_id,
        callback_status=call.callback_status, callback_attempts=call.callback_attempts,
        callback_outcome=call.callback_outcome,
        callback_outcome_label=CALLBACK_OUTCOME_LABELS[CallbackOutcome(call.callback_outcome)]
        if call.callback_outcome else None,
        callback_note=call.callback_note, callback_at=call.callback_at,
    )


class EventOut(BaseModel):
    id: int
    event_id: str | None
    type: str | None
    type_label: str | None
    at: datetime | None
    received_at: datetime
    status: str
    error_code: str | None
    error_message: str | None
    payload: Any


def event_out(e: CallEvent) -> EventOut:
    return EventOut(id=e.id, event_id=e.event_id, type=e.type,
                    type_label=EVENT_LABELS[EventType(e.type)] if e.type else None, at=e.at,
                    received_at=e.received_at, status=e.status, error_code=e.error_code,
                    error_message=e.error_message, payload=e.payload)


class TransferOut(BaseModel):
    id: int
    at: datetime
    target_number: str
    target_kind: str
    target_label: str
    mode: str
    mode_label: str
    reason: str
    source: str
    responsible_line: str | None


def transfer_out(t: CallTransfer) -> TransferOut:
    return TransferOut(id=t.id, at=t.at, target_number=t.target_number, target_kind=t.target_kind,
                       target_label=t.target_label, mode=t.mode, mode_label=TRANSFER_MODE_LABELS[TransferMode(t.mode)],
                       reason=t.reason, source=t.source, responsible_line=t.responsible_line)


class StandingOut(BaseModel):
    available: bool
    listed: bool
    reason: str | None


class ScreenPopOut(BaseModel):
    call: CallOut
    earlier_tickets: list[TicketSummary]
    blacklist: StandingOut
    ticket_number: str | None
    events: list[EventOut]
    transfers: list[TransferOut]


class CallbackIn(BaseModel):
    outcome: CallbackOutcome
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class TransferIn(BaseModel):
    target: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
    # absent: a specialist line as routing hands it over (三方通话 when staffed), anything else blind
    three_way: bool | None = None
    responsibility_unclear: bool = False
    expert_id: int | None = None  # the person on the line's rota who was rung (GET transfer-targets)


class TargetExpertOut(BaseModel):
    id: int
    name: str
    department: str | None
    phone: str


class TargetOut(BaseModel):
    number: str
    kind: str
    label: str
    group: str | None = None
    group_label: str | None = None
    method: str | None = None
    method_label: str | None = None
    reason: str | None = None
    staffed: bool | None = None
    experts: list[TargetExpertOut] = []


def target_out(t: Any) -> TargetOut:
    """A specialist line target (calls/lines.py Target of kind line)."""
    return TargetOut(number=t.number, kind=t.kind, label=t.label, group=t.group, group_label=t.group_label,
                     method=t.method, method_label=t.method_label, reason=t.reason, staffed=t.staffed,
                     experts=[TargetExpertOut(id=e.id, name=e.name, department=e.department, phone=e.phone)
                              for e in t.experts])
