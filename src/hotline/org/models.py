"""Tables of the organisation: jurisdictions (a tree), handling units, users and API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime, utcnow


class JurisdictionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


LEVEL_ORDER = list(JurisdictionLevel)
LEVEL_LABELS = {
    JurisdictionLevel.PROVINCE: "省",
    JurisdictionLevel.CITY: "市",
    JurisdictionLevel.DISTRICT: "区县",
    JurisdictionLevel.STREET: "街道/镇",
    JurisdictionLevel.COMMUNITY: "社区/村",
}


class UnitKind(StrEnum):
    HOTLINE_CENTER = "hotline_center"  # the 12345 centre itself
    DEPARTMENT = "department"  # city department
    DISTRICT_GOVERNMENT = "district_government"
    STREET_OFFICE = "street_office"
    SUB_CENTER = "sub_center"
    UTILITY = "utility"


UNIT_KIND_LABELS = {
    UnitKind.HOTLINE_CENTER: "12345热线中心",
    UnitKind.DEPARTMENT: "市级部门",
    UnitKind.DISTRICT_GOVERNMENT: "区政府",
    UnitKind.STREET_OFFICE: "街道/镇",
    UnitKind.SUB_CENTER: "分中心",
    UnitKind.UTILITY: "公共事业单位",
}


class Jurisdiction(Base):
    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    # Materialised path of ids ("/1/4/17/") so that a subtree is one indexed prefix match.
    path: Mapped[str] = mapped_column(String(255), index=True)

    parent: Mapped[Jurisdiction | None] = relationship(remote_side="Jurisdiction.id")


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(32))
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship(lazy="joined")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    data_scope: Mapped[str] = mapped_column(String(16))
    scope_jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Page sessions are signed cookies kept by the browser: each carries the epoch it was opened in, and
    # logging out or a password reset moves the epoch on, so a copied cookie ends with them.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    scope_jurisdiction: Mapped[Jurisdiction | None] = relationship(lazy="joined")


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # sha256 of the token: a leaked database does not leak usable tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the token last called the API, to the hour (org.service.USE_RECORDED_EVERY): written at most
    # once an hour per token, so the check every request makes stays a read.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
