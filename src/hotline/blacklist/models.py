"""Tables of the blacklist: entries (one caller, one ground), their evidence and history, appeals,
the verdicts that mark a request as unfounded, abuse reports and their police referrals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime


class BlacklistEntry(Base):
    """One caller on one ground: proposed → confirmed / rejected; a confirmed entry runs until
    `expires_at` or until revoked (by a supervisor, or when an appeal is granted)."""

    __tablename__ = "blacklist_entries"
    __table_args__ = (
        # standing(): a phone's confirmed entries.
        Index("ix_blacklist_entries_phone_status", "phone", "status"),
        Index("ix_blacklist_entries_status_proposed_at", "status", "proposed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    ground: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16))
    # What the rule (or the reporter) found, in words an official reads.
    summary: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # rule / report / manual
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_by_name: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_by_name: Mapped[str | None] = mapped_column(String(100))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    appeal_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    evidence: Mapped[list[BlacklistEvidence]] = relationship(
        back_populates="entry", order_by="BlacklistEvidence.id", lazy="select"
    )


class BlacklistEvidence(Base):
    """A fact behind an entry: a ticket, a call or an abuse report (`ref` like "ticket:12")."""

    __tablename__ = "blacklist_evidence"
    __table_args__ = (UniqueConstraint("entry_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # Plain integer: the call records live in another package's table.
    call_id: Mapped[int | None] = mapped_column(Integer)
    abuse_report_id: Mapped[int | None] = mapped_column(ForeignKey("blacklist_abuse_reports.id"))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(300))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    entry: Mapped[BlacklistEntry] = relationship(back_populates="evidence")


class BlacklistEvent(Base):
    """Who did what to an entry, when and why: the entry's history."""

    __tablename__ = "blacklist_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class BlacklistAppeal(Base):
    """The caller's appeal, written down by staff, and the supervisor's decision."""

    __tablename__ = "blacklist_appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_name: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(100))


class TicketVerdict(Base):
    """A unit's or the closer's finding that a request was unfounded (诉求不实) — the ticket model
    has no such mark, so the blacklist keeps it. One row per ticket; changes are audited."""

    __tablename__ = "blacklist_verdicts"
    __table_args__ = (Index("ix_blacklist_verdicts_phone_verdict", "phone", "verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    # The requester's phone, copied when the verdict is given (the candidate rule groups by it).
    phone: Mapped[str | None] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str] = mapped_column(String(100))
    by_role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))


class AbuseReport(Base):
    """An operator's report that a caller abused staff on a call or ticket."""

    __tablename__ = "blacklist_abuse_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    call_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    description: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_by_name: Mapped[str] = mapped_column(String(100))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)

    referrals: Mapped[list[PoliceReferral]] = relationship(order_by="PoliceReferral.id", lazy="selectin")


class PoliceReferral(Base):
    """警情移交: abuse handed to the police — when, by whom, to which office, under which reference."""

    __tablename__ = "blacklist_police_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    abuse_report_id: Mapped[int] = mapped_column(ForeignKey("blacklist_abuse_reports.id"), index=True)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    referred_by_name: Mapped[str] = mapped_column(String(100))
    police_unit: Mapped[str] = mapped_column(String(100))
    reference: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
