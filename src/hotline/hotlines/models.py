"""Tables of the hotline registry: the lines and the history of every change made to them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime
from hotline.org.models import Jurisdiction, Unit


class HotlineLine(Base):
    """One telephone line known to the platform: 12345 itself, a department hotline and how it is
    consolidated, or an emergency / utility line linked to 12345. A number is unique within its city
    (national numbers such as 12336 exist in every city)."""

    __tablename__ = "hotline_lines"
    __table_args__ = (
        UniqueConstraint("city", "number"),
        Index("ix_hotline_lines_city_kind", "city", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    city: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    merge_mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    seat_arrangement: Mapped[str] = mapped_column(String(16))
    # For a utility line: water / power / gas / heating.
    service: Mapped[str | None] = mapped_column(String(16))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # The responsible unit as the consolidation list names it (kept when no unit row matches).
    owner_name: Mapped[str | None] = mapped_column(String(100))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    transition_prompt: Mapped[str | None] = mapped_column(Text)
    transition_start: Mapped[date | None] = mapped_column(Date)
    transition_end: Mapped[date | None] = mapped_column(Date)
    # A new department hotline is registered only with an approval (文号 + 批准人) recorded by an admin.
    approval_document: Mapped[str | None] = mapped_column(String(100))
    approval_by: Mapped[str | None] = mapped_column(String(64))
    approval_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approval_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The document the line's consolidation comes from (e.g. 宁政办发〔2021〕57号).
    source: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner_unit: Mapped[Unit | None] = relationship(lazy="joined")
    jurisdiction: Mapped[Jurisdiction | None] = relationship(lazy="joined")


class HotlineChange(Base):
    """Who changed what on a line, when, from what to what, and why: the line's history."""

    __tablename__ = "hotline_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("hotline_lines.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    field: Mapped[str] = mapped_column(String(16))
    from_value: Mapped[str | None] = mapped_column(String(500))
    to_value: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))


class HotlineExpert(Base):
    """One person on a line's expert seats (专家座席) or business zone (业务专区) rota: who, from which
    department, where to ring them, and their weekly duty slots (hotlines/duty.py). Never deleted: an
    expert who leaves the rota is marked inactive, so that transfers made to them still name them."""

    __tablename__ = "hotline_experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("hotline_lines.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(100))
    # a direct number or an extension of the line's switch, digits only
    phone: Mapped[str] = mapped_column(String(20))
    duty: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
