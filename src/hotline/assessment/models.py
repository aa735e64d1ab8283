"""Tables of the assessment: the fact table, its high-water mark, and exemptions (考核豁免)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime

# The fact table's unit key for centre-level indicators (direct-answer rate): not a unit id.
CENTRE_KEY = 0


class AssessmentFact(Base):
    """Numerator and denominator of one indicator for one unit on one local day (Asia/Shanghai).

    unit_id is not a foreign key: CENTRE_KEY (0) holds the centre's own indicators."""

    __tablename__ = "assessment_facts"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(24), primary_key=True)
    num: Mapped[int] = mapped_column(Integer, default=0)
    den: Mapped[int] = mapped_column(Integer, default=0)


class AssessmentState(Base):
    """The high-water mark of the refresh: every ticket event with id <= last_event_id is in the facts.
    Its row is also the lock that serialises refreshes and exemption decisions."""

    __tablename__ = "assessment_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Exemption(Base):
    """A request to take one ticket out of some indicators, decided by a supervisor; an approval may
    later be revoked (status `revoked`), which puts the ticket back into those indicators."""

    __tablename__ = "assessment_exemptions"
    __table_args__ = (Index("ix_assessment_exemptions_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    # The unit that asks (a unit's own request) or the unit concerned (a request by the centre).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    indicators: Mapped[list[str]] = mapped_column(JSON, default=list)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_by_name: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # An approval undone (撤销) by a supervisor or administrator: the decision above stays as history.
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_by_name: Mapped[str | None] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(Text)
