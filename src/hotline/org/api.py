"""Login for API clients, the current user, and the organisation's reference lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, StringConstraints

from hotline.deps import DB, RT, ApiActor, client_of
from hotline.org import service
from hotline.org.models import LEVEL_LABELS, UNIT_KIND_LABELS, JurisdictionLevel, UnitKind
from hotline.security.roles import ROLE_LABELS, SCOPE_LABELS
from hotline.tickets.categories import catalogue

router = APIRouter(prefix="/api/v1", tags=["organisation"])


class TokenIn(BaseModel):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    name: Annotated[str, StringConstraints(max_length=100)] = ""


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class MeOut(BaseModel):
    id: int | None
    username: str
    name: str
    role: str
    role_label: str
    unit_id: int | None
    data_scope: str
    data_scope_label: str


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    kind_label: str
    jurisdiction: str


class JurisdictionOut(BaseModel):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    parent_id: int | None


class CategoryOut(BaseModel):
    code: str
    name: str
    parent_code: str | None
    level: int


@router.post("/auth/token", response_model=TokenOut, tags=["auth"], summary="用户名密码换取访问令牌")
def login(data: TokenIn, request: Request, db: DB, rt: RT) -> TokenOut:
    now = rt.clock.now()
    user = service.authenticate(db, username=data.username, password=data.password, now=now,
                                client=client_of(request))
    token = service.issue_token(db, user=user, now=now, name=data.name)
    return TokenOut(access_token=token, expires_at=now + service.TOKEN_LIFETIME)


@router.post("/auth/logout", status_code=204, tags=["auth"], summary="注销访问令牌")
def logout(request: Request, db: DB, actor: ApiActor) -> None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        service.revoke_token(db, token=header[7:].strip())


@router.get("/me", response_model=MeOut, tags=["auth"], summary="当前用户")
def me(actor: ApiActor) -> MeOut:
    return MeOut(id=actor.user_id, username=actor.username, name=actor.name, role=actor.role,
                 role_label=ROLE_LABELS[actor.role], unit_id=actor.unit_id, data_scope=actor.data_scope,
                 data_scope_label=SCOPE_LABELS[actor.data_scope])


@router.get("/units", response_model=list[UnitOut], summary="承办单位")
def units(db: DB, actor: ApiActor) -> list[UnitOut]:
    return [
        UnitOut(id=u.id, code=u.code, name=u.name, short_name=u.short_name, kind=u.kind,
                kind_label=UNIT_KIND_LABELS[UnitKind(u.kind)], jurisdiction=u.jurisdiction.name)
        for u in service.list_units(db)
    ]


@router.get("/jurisdictions", response_model=list[JurisdictionOut], summary="属地（行政区划树）")
def jurisdictions(db: DB, actor: ApiActor) -> list[JurisdictionOut]:
    return [
        JurisdictionOut(id=j.id, code=j.code, name=j.name, level=j.level,
                        level_label=LEVEL_LABELS[JurisdictionLevel(j.level)], parent_id=j.parent_id)
        for j in service.list_jurisdictions(db)
    ]


@router.get("/categories", response_model=list[CategoryOut], summary="诉求分类")
def categories() -> list[CategoryOut]:
    return [CategoryOut(code=c.code, name=c.name, parent_code=c.parent_code, level=c.level)
            for c in catalogue().values()]
