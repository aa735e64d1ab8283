"""Tables of the SMS channel: texts received from the gateway, and texts queued for it to send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.channels.models import Handled
from hotline.db import Base, UTCDateTime


class SmsInbound(Handled, Base):
    """One text a citizen sent to 12345, as the gateway pushed it; handled once (registered or ignored)."""

    __tablename__ = "sms_inbound"
    # The gateway's message id is its idempotency key, per gateway account: a re-push is no second text.
    __table_args__ = (
        UniqueConstraint("account_id", "gateway_id"),
        Index("ix_sms_inbound_status_received_at", "status", "received_at"),
        Index("ix_sms_inbound_sender_received_at", "sender", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    gateway_id: Mapped[str] = mapped_column(String(64))
    # As tickets keep phones (hotline.phones.as_kept), so that earlier tickets and texts are found.
    sender: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the gateway received it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it reached the platform


class SmsOutbound(Base):
    """A text for the gateway to send (a reply, or the automatic 已受理 text), and what became of it."""

    __tablename__ = "sms_outbound"
    __table_args__ = (
        Index("ix_sms_outbound_status_created_at", "status", "created_at"),
        Index("ix_sms_outbound_phone_created_at", "phone", "created_at"),  # the texts sent to one number
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("sms_inbound.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Reported by the gateway: its own message id, when it was sent, why it failed.
    gateway_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_reason: Mapped[str | None] = mapped_column(String(200))  # why it failed for good
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Retries (docs/sms.md, "Retries"): the attempts the gateway reported, the last error it gave, and
    # when the outbox may hand the text out again after a temporary failure (None: at once).
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A failed text sent again by an operator (重发) is a new text pointing at it; unique: resent once.
    resend_of_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbound.id"), unique=True)
