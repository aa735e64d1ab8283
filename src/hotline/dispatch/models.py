"""The dispatch catalogue (派单目录 / 权责清单): which unit leads — and which assist — for a
category of request, in a place, of a kind. Rules are data, edited by dispatchers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime
from hotline.org.models import Jurisdiction, Unit


class DispatchRule(Base):
    __tablename__ = "dispatch_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "category|jurisdiction id|kind" with empty parts for "any": one rule per combination, on every
    # database (a unique constraint over nullable columns would let NULLs repeat).
    rule_key: Mapped[str] = mapped_column(String(64), unique=True)
    category_prefix: Mapped[str | None] = mapped_column(String(16))  # None: any category
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))  # None: anywhere
    jurisdiction_path: Mapped[str | None] = mapped_column(String(255))  # the subtree the rule covers
    kind: Mapped[str | None] = mapped_column(String(16))  # None: any kind
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    assisting_unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    lead_unit: Mapped[Unit] = relationship(lazy="joined")
    jurisdiction: Mapped[Jurisdiction | None] = relationship(lazy="joined")


def rule_key(category_prefix: str | None, jurisdiction_id: int | None, kind: str | None) -> str:
    return f"{category_prefix or ''}|{jurisdiction_id or ''}|{kind or ''}"


class PlaceName(Base):
    """A place name below the jurisdiction tree (地名库: an estate, a road, a river, a landmark) and
    the jurisdiction it lies in: the place reader reads it as one more name of that jurisdiction.
    Added by hand, imported from Excel, or learned from closed tickets (place_names.learn)."""

    __tablename__ = "place_names"
    __table_args__ = (UniqueConstraint("name", "jurisdiction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # place_names.KINDS
    source: Mapped[str] = mapped_column(String(16))  # manual | import | learned
    support: Mapped[int | None] = mapped_column(Integer)  # learned: closed tickets under the place naming it
    total: Mapped[int | None] = mapped_column(Integer)  # learned: closed tickets naming it
    note: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    jurisdiction: Mapped[Jurisdiction] = relationship(lazy="joined")
