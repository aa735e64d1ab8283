"""Supervision tables: reminders, supervision orders and their escalations, notifications, meetings and
interviews, findings, and the scheduler's run log and watermarks.

Every row the scheduler creates carries a unique key (reminder: assignment + step + deadline; order:
dedupe_key; escalation: order + level; finding: dedupe_key; daily job: job + local day), so that a
second worker or a re-run after a crash inserts nothing twice (INSERT … ON CONFLICT DO NOTHING, see
upsert.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime
from hotline.org.models import Unit
from hotline.tickets.models import Ticket


class Reminder(Base):
    """One automatic reminder (催办) about one deadline of one unit's assignment."""

    __tablename__ = "supervision_reminders"
    __table_args__ = (UniqueConstraint("assignment_id", "step", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("ticket_assignments.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(16))
    # The deadline this reminder is about: an extended deadline gets its own reminders.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SupervisionOrder(Base):
    """A supervision order (督办单): raised automatically when a ticket is overdue, or by a supervisor."""

    __tablename__ = "supervision_orders"
    __table_args__ = (Index("ix_supervision_orders_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # Indexed: the overdue scan asks "has this assignment an order for this deadline?" per candidate.
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_assignments.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    # overdue:<assignment id>:<deadline> for automatic orders; NULL for manual ones.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    ticket_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_name: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(100))

    ticket: Mapped[Ticket] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)
    escalations: Mapped[list[OrderEscalation]] = relationship(order_by="OrderEscalation.level", lazy="select")

    @property
    def number(self) -> str:
        return f"DB-{self.id:06d}"


class OrderEscalation(Base):
    """One step up the escalation ladder of an order; (order, level) is unique."""

    __tablename__ = "supervision_escalations"
    __table_args__ = (UniqueConstraint("order_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("supervision_orders.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    audience: Mapped[str] = mapped_column(String(16))
    target_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """A message in a unit's inbox (unit_id NULL: the 12345 centre's own inbox)."""

    __tablename__ = "supervision_notifications"
    __table_args__ = (Index("ix_supervision_notifications_inbox", "unit_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    audience: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_orders.id"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_meetings.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by_name: Mapped[str | None] = mapped_column(String(100))

    ticket: Mapped[Ticket | None] = relationship(lazy="joined")


class Meeting(Base):
    """A special coordination meeting (专题协调会) or an interview (约谈), with its outcome."""

    __tablename__ = "supervision_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(Text)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    location: Mapped[str | None] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(100))
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(100))

    units: Mapped[list[Unit]] = relationship(secondary="supervision_meeting_units", lazy="selectin",
                                             order_by="Unit.id")
    tickets: Mapped[list[Ticket]] = relationship(secondary="supervision_meeting_tickets", lazy="selectin",
                                                 order_by="Ticket.id")


class MeetingUnit(Base):
    __tablename__ = "supervision_meeting_units"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("supervision_meetings.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True, index=True)


class MeetingTicket(Base):
    __tablename__ = "supervision_meeting_tickets"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("supervision_meetings.id"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), primary_key=True, index=True)


class Finding(Base):
    """A detected problem of one unit on one ticket (improper return, buck-passing, false reply)."""

    __tablename__ = "supervision_findings"
    __table_args__ = (Index("ix_supervision_findings_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    # When it happened (the event's time), for per-period assessment.
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    detail: Mapped[str] = mapped_column(String(300))
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship(lazy="joined", innerjoin=True)
    unit: Mapped[Unit] = relationship(lazy="joined", innerjoin=True)


class SchedulerRun(Base):
    """One pass of the supervision scheduler: when, where, what it did, what went wrong."""

    __tablename__ = "supervision_scheduler_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)


class SchedulerState(Base):
    """Named watermarks of the scheduler (e.g. the last ticket event the detection has read)."""

    __tablename__ = "supervision_scheduler_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class DailyJob(Base):
    """A scheduler job that runs at most once per local day (the blacklist proposal): the (job, day) key
    is inserted in the job's own transaction, so a second worker, or a second pass the same day, finds
    it taken and does nothing; a run that fails rolls its key back and the next pass tries again."""

    __tablename__ = "supervision_daily_jobs"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime)
    worker: Mapped[str] = mapped_column(String(100))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
