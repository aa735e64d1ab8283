"""Tables of calls: one row per call (the projection), its raw events, and its transfers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime


class Call(Base):
    """One call, derived from its events (calls/projection.py); callback and ticket fields are the hall's."""

    __tablename__ = "calls"
    __table_args__ = (
        Index("ix_calls_offered_day_dialled", "offered_day", "dialled"),
        Index("ix_calls_callback_status_offered_at", "callback_status", "offered_at"),
        Index("ix_calls_user_id_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The telephony adapter's own id of the call.
    call_ref: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str | None] = mapped_column(String(20), index=True)
    dialled: Mapped[str | None] = mapped_column(String(20))
    # The line that took the call first keeps it (首接负责), whatever transfers follow.
    first_line: Mapped[str | None] = mapped_column(String(20))
    current_line: Mapped[str | None] = mapped_column(String(20))
    queue: Mapped[str | None] = mapped_column(String(32))
    seat: Mapped[str | None] = mapped_column(String(32))
    first_seat: Mapped[str | None] = mapped_column(String(32))
    # The operator who answered first (the first receiver).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Local (Asia/Shanghai) day and half-hour (0..47) of the offer: hall figures group on plain columns.
    offered_day: Mapped[date | None] = mapped_column(Date)
    offered_slot: Mapped[int | None] = mapped_column(SmallInteger)
    wait_seconds: Mapped[int | None] = mapped_column(Integer)
    talk_seconds: Mapped[int | None] = mapped_column(Integer)
    recording_ref: Mapped[str | None] = mapped_column(String(300))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    # Events whose times contradict each other (e.g. answered before offered): shown, kept, counted.
    anomaly: Mapped[str | None] = mapped_column(String(200))
    # Operator logins named by the adapter that are no hall user (坐席未登记): the call is kept, not linked
    # to anybody, and flagged until the account exists and the call is re-derived.
    unregistered_operator: Mapped[str | None] = mapped_column(String(200))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # 漏接回拨: set pending when the call ends unanswered with a caller number.
    callback_status: Mapped[str | None] = mapped_column(String(16))
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    callback_outcome: Mapped[str | None] = mapped_column(String(32))
    callback_note: Mapped[str | None] = mapped_column(String(500))
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CallEvent(Base):
    """An event as the adapter sent it; a repeat (same call_ref + event_id) is never stored twice."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("call_ref", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    call_ref: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(64))
    sequence: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str | None] = mapped_column(String(16))
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    caller: Mapped[str | None] = mapped_column(String(20))
    dialled: Mapped[str | None] = mapped_column(String(20))
    queue: Mapped[str | None] = mapped_column(String(32))
    seat: Mapped[str | None] = mapped_column(String(32))
    operator: Mapped[str | None] = mapped_column(String(64))
    recording_ref: Mapped[str | None] = mapped_column(String(300))
    target: Mapped[str | None] = mapped_column(String(20))
    three_way: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[Any] = mapped_column(JSON)


class CallTransfer(Base):
    __tablename__ = "call_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    target_number: Mapped[str] = mapped_column(String(20))
    target_kind: Mapped[str] = mapped_column(String(16))  # emergency, utility, line, other
    target_label: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("call_events.id"))
    # The line that keeps responsibility (首接负责): the call's first line.
    responsible_line: Mapped[str | None] = mapped_column(String(20))
