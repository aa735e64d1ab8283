"""One row per request passed out to a linked platform or passed in by one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime
from hotline.hotlines.models import HotlineLine


class TicketLinkage(Base):
    """A ticket passed to a linked platform (direction `out`: waiting for its answer, answered, returned,
    withdrawn) or received from one (direction `in`: the answer owed to it, then reported back). The
    platform's name and number are copied: the registry may rename a line later, the record stays as sent."""

    __tablename__ = "ticket_linkages"
    __table_args__ = (Index("ix_ticket_linkages_direction_status_sent_at", "direction", "status", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    line_id: Mapped[int] = mapped_column(ForeignKey("hotline_lines.id"), index=True)
    line_name: Mapped[str] = mapped_column(String(200))
    line_number: Mapped[str] = mapped_column(String(20))
    line_city: Mapped[str] = mapped_column(String(20))
    # The other platform's own number for the request (对方工单编号): given when it is known.
    external_ref: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Out: the platform's answer (or why it returned the request); in: what was reported back to it.
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # When the centre was told the answer is late (out) or still owed back (in): once (linkage/watch.py).
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[HotlineLine] = relationship(lazy="joined")
