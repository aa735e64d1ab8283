"""The follow-up (核实) of a 差评: who looked into it, when, and what they found. A 差评 may have
several (已联系诉求人, then 已核实整改); the newest is its standing conclusion."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime


class RatingFollowup(Base):
    __tablename__ = "rating_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    conclusion: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
