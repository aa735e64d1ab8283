"""Tables of the work order: tickets, unit assignments, the event history, attachments, idempotency."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime
from hotline.linkage.models import TicketLinkage
from hotline.org.models import Jurisdiction, Unit


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_state_due_at", "state", "due_at"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_requester_phone", "requester_phone"),
        # 回头看: the finished tickets' outcome, covered, in finish order (migration 0039).
        Index("ix_tickets_revisit", "state", "finished_at", "solved", "satisfaction", "review_conclusion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    category_code: Mapped[str | None] = mapped_column(String(16), index=True)
    urgency: Mapped[str] = mapped_column(String(16))
    is_enterprise: Mapped[bool] = mapped_column(Boolean, default=False)
    is_complex: Mapped[bool] = mapped_column(Boolean, default=False)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)

    # 受理五要素 — who, when, where, what, how.
    requester_name: Mapped[str | None] = mapped_column(String(64))
    requester_phone: Mapped[str | None] = mapped_column(String(20))
    requester_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    requester_org: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    occurred_desc: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    # Copy of the jurisdiction's path: a subtree filter without a join.
    jurisdiction_path: Mapped[str | None] = mapped_column(String(255), index=True)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    circumstances: Mapped[str | None] = mapped_column(Text)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # 派单时限: how long the ticket may wait in the centre's 待派单 queue (policy.dispatch, from registration),
    # when that turns 即将派单超时, and when the centre was told it had passed (once: the scheduler's guard).
    dispatch_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatch_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatch_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The current lead unit, copied from its assignment for fast lists.
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a ticket still waiting for its lead unit's acknowledgement turns 即将签收超时 (deadlines.warn_at).
    ack_warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the running deadline turns "about to expire" (deadlines.warn_at).
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_limit_label: Mapped[str | None] = mapped_column(String(40))
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    extension_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    extension_requested_days: Mapped[int | None] = mapped_column(Integer)
    extension_days_used: Mapped[int] = mapped_column(Integer, default=0)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_content: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Unanswered callback calls (回访未接通) since the ticket was last closed: how many, on how many
    # different local days, and the last one (the callback list puts tickets tried today last).
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    callback_attempt_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    callback_attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_source: Mapped[str | None] = mapped_column(String(300))

    remind_count: Mapped[int] = mapped_column(Integer, default=0)
    supervise_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    # The conclusion of the latest 审核研判 (回头看) since the ticket last finished: NULL while not reviewed;
    # cleared when 再办理 sends it back (the reviews themselves stay in ticket_reviews and the history).
    review_conclusion: Mapped[str | None] = mapped_column(String(24))
    # Indexed: 差评 are few, and the 好差评 list and the search by rating look for them (ratings/).
    public_rating: Mapped[str | None] = mapped_column(String(24), index=True)
    public_comment: Mapped[str | None] = mapped_column(String(500))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # Historical messages imported from another system (hotline import messages): their id there.
    external_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Public support (likes) a message collected on the platform it came from.
    support: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    jurisdiction: Mapped[Jurisdiction | None] = relationship(lazy="joined")
    lead_unit: Mapped[Unit | None] = relationship(lazy="joined")
    assignments: Mapped[list[TicketAssignment]] = relationship(
        back_populates="ticket", order_by="TicketAssignment.id", lazy="selectin"
    )
    # Loaded when shown, not on every workflow action.
    attachments: Mapped[list[TicketAttachment]] = relationship(order_by="TicketAttachment.id", lazy="select")
    parent: Mapped[Ticket | None] = relationship(remote_side="Ticket.id")
    # The tickets merged into this one (并单): read by the ticket's page and detail, not by lists.
    merged: Mapped[list[Ticket]] = relationship(order_by="Ticket.id", viewonly=True, lazy="select")
    # 联动转办 (linkage/models.py): passed out to a linked platform or in from one; read by the ticket's page
    # and the linkage actions' guards, not by lists.
    linkages: Mapped[list[TicketLinkage]] = relationship(order_by="TicketLinkage.id", viewonly=True, lazy="select")

    def linkage(self, direction: str, *statuses: str) -> TicketLinkage | None:
        """The latest linkage in that direction, in one of those statuses (any, when none are given)."""
        found = [x for x in self.linkages if x.direction == direction and (not statuses or x.status in statuses)]
        return found[-1] if found else None


class TicketAssignment(Base):
    """One unit's part in a ticket: the lead unit or an assisting unit, in one dispatch round."""

    __tablename__ = "ticket_assignments"
    __table_args__ = (
        # The unit's queue: its open assignments by deadline.
        Index("ix_ticket_assignments_queue", "unit_id", "is_open", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_content: Mapped[str | None] = mapped_column(Text)
    return_reason: Mapped[str | None] = mapped_column(Text)

    ticket: Mapped[Ticket] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship(lazy="joined")


class TicketEvent(Base):
    """One step of a ticket's history: the source of truth for what happened."""

    __tablename__ = "ticket_events"
    # A period's events of a few actions (接诉即答率, the report's counts): migration 0039.
    __table_args__ = (Index("ix_ticket_events_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    unit: Mapped[Unit | None] = relationship(lazy="joined")


class TicketReview(Base):
    """One 审核研判 of a finished ticket (回头看 of unsatisfied tickets): the conclusion, the opinion (a legal
    adviser's, say), who and when, and the finish it reviewed (a ticket re-handled and finished again is
    reviewed again)."""

    __tablename__ = "ticket_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    conclusion: Mapped[str] = mapped_column(String(24))
    opinion: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewer_name: Mapped[str] = mapped_column(String(100))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketAttachment(Base):
    """Metadata of a file attached to a ticket (the bytes live in object storage)."""

    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    storage_ref: Mapped[str | None] = mapped_column(String(500))
    # True only for files received by the upload route; metadata a client declared at registration
    # is never served, whatever hash or type it claims.
    uploaded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who uploaded it (NULL for metadata declared at registration and for files from before 0020).
    uploaded_by_name: Mapped[str | None] = mapped_column(String(100))
    uploaded_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    uploaded_by_unit: Mapped[Unit | None] = relationship(lazy="joined")


class TicketCounter(Base):
    """Daily sequence behind human-readable ticket numbers. On PostgreSQL it is bumped in its own
    autocommitted statement (tickets.service._next_number): never repeated, but a registration that
    fails afterwards leaves a gap."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(Base):
    """A client's Idempotency-Key and what its request did: a retried request gets the same answer.

    A registration's key names the ticket it created (and never expires); an action's key
    (tickets.idempotency) keeps the action's first answer (`response`, JSON) until `expires_at`."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key", name="uq_idempotency_keys_owner_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
