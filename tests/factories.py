"""Test data built through the real services: a small city and its named personas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.org import service as org_service
from hotline.org.models import ApiToken, Jurisdiction, JurisdictionLevel, Unit, UnitKind, User
from hotline.security.actor import Actor
from hotline.security.roles import DataScope, Role

PASSWORD = "test-pass-123"


@dataclass
class Org:
    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        return self.actors[name]


def build_org(db: Session) -> Org:
    o = Org()
    add_j = org_service.add_jurisdiction
    province = add_j(db, code="320000", name="江苏省", level=JurisdictionLevel.PROVINCE, parent=None)
    city = add_j(db, code="320100", name="南京市", level=JurisdictionLevel.CITY, parent=province)
    xuanwu = add_j(db, code="320102", name="玄武区", level=JurisdictionLevel.DISTRICT, parent=city)
    qinhuai = add_j(db, code="320104", name="秦淮区", level=JurisdictionLevel.DISTRICT, parent=city)
    xiaolingwei = add_j(db, code="320102001", name="孝陵卫街道", level=JurisdictionLevel.STREET, parent=xuanwu)
    o.jurisdictions.update(city=city, xuanwu=xuanwu, qinhuai=qinhuai, xiaolingwei=xiaolingwei)
    add_u = org_service.add_unit
    o.units["centre"] = add_u(db, code="center", name="南京市12345热线中心", short_name="12345中心",
                              kind=UnitKind.HOTLINE_CENTER, jurisdiction=city)
    o.units["housing"] = add_u(db, code="fcj", name="南京市住房保障和房产局", short_name="市房产局",
                               kind=UnitKind.DEPARTMENT, jurisdiction=city)
    o.units["market"] = add_u(db, code="scjgj", name="南京市市场监督管理局", short_name="市市场监管局",
                              kind=UnitKind.DEPARTMENT, jurisdiction=city)
    o.units["street"] = add_u(db, code="xlw", name="玄武区孝陵卫街道办事处", short_name="孝陵卫街道",
                              kind=UnitKind.STREET_OFFICE, jurisdiction=xiaolingwei)
    o.units["water"] = add_u(db, code="water", name="南京水务集团有限公司", short_name="南京水务",
                             kind=UnitKind.UTILITY, jurisdiction=city)
    personas: list[tuple[str, Role, str | None, dict[str, Any]]] = [
        ("operator", Role.OPERATOR, "centre", {}),
        ("dispatcher", Role.DISPATCHER, "centre", {}),
        ("callback", Role.CALLBACK_AGENT, "centre", {}),
        ("supervisor", Role.SUPERVISOR, "centre", {}),
        ("analyst", Role.ANALYST, "centre", {}),
        ("editor", Role.KNOWLEDGE_EDITOR, "centre", {}),
        ("admin", Role.ADMIN, "centre", {}),
        ("housing_handler", Role.UNIT_HANDLER, "housing", {}),
        ("housing_manager", Role.UNIT_MANAGER, "housing", {}),
        ("market_handler", Role.UNIT_HANDLER, "market", {}),
        ("market_manager", Role.UNIT_MANAGER, "market", {}),
        ("street_handler", Role.UNIT_HANDLER, "street", {}),
        ("water_handler", Role.UNIT_HANDLER, "water", {}),
        ("xuanwu_viewer", Role.SUPERVISOR, None,
         {"data_scope": DataScope.JURISDICTION, "scope_jurisdiction": xuanwu}),
    ]
    for username, role, unit_key, extra in personas:
        user = org_service.add_user(db, username=username, password=PASSWORD, display_name=username, role=role,
                                    unit=o.units[unit_key] if unit_key else None, **extra)
        o.users[username] = user
    db.commit()
    for username, user in o.users.items():
        o.actors[username] = org_service.actor_for(user)
    return o


def intake(**overrides: Any) -> dict[str, Any]:
    """A complete complaint with all five intake elements."""
    data: dict[str, Any] = {
        "channel": "phone",
        "kind": "complaint",
        "category_code": None,
        "urgency": "normal",
        "requester_name": "张三",
        "requester_phone": "13912345678",
        "occurred_desc": "近一周每晚十点后",
        "address": "玄武区孝陵卫街道钟灵街50号",
        "jurisdiction_code": "320102001",
        "title": "小区楼下餐馆夜间噪音扰民",
        "content": "小区楼下餐馆每晚营业到凌晨，排风扇噪音很大，影响休息，请求处理。",
        "circumstances": "多次与店家沟通无果。",
    }
    data.update(overrides)
    return data


def workbook(rows: list[list[object]]) -> bytes:
    """An .xlsx file of these rows (the first one the header), as an upload's content."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def drop_accounts(engine: Engine, prefix: str) -> None:
    """Remove the accounts (and their API keys) a test module made, named with its prefix."""
    with engine.begin() as conn:
        ids = select(User.id).where(User.username.like(f"{prefix}%")).scalar_subquery()
        conn.execute(delete(ApiToken).where(ApiToken.user_id.in_(ids)))
        conn.execute(delete(User).where(User.username.like(f"{prefix}%")))


def telephony_token(engine: Engine, *, username: str, display_name: str, now: Any) -> str:
    """A machine account of the telephony role (the PBX adapter, the SMS gateway) and its API token."""
    from hotline.db import make_session_factory

    db = make_session_factory(engine)()
    try:
        user = org_service.add_user(db, username=username, password="machine-pass-123", display_name=display_name,
                                    role=Role.TELEPHONY, data_scope=DataScope.OWN_UNIT)
        db.commit()
        return org_service.issue_token(db, user=user, now=now)
    finally:
        db.close()
