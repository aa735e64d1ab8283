"""Login for API clients, the current user, and the organisation's reference lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hotline.clock import to_local
from hotline.deps import DB, RT, ApiActor, QueryTime, client_of
from hotline.errors_http import route_labels
from hotline.org import admin, service
from hotline.org.models import LEVEL_LABELS, UNIT_KIND_LABELS, JurisdictionLevel, UnitKind, User
from hotline.security import audit, audit_export
from hotline.security.roles import ROLE_LABELS, SCOPE_LABELS, DataScope, Role
from hotline.tickets.categories import catalogue
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["organisation"])
# The account fields in Chinese, with the Chinese names of the roles and scopes (QA: "phone格式不正确",
# "role取值无效，可选：operator…")
route_labels("/api/v1/users", {"phone": "手机号", "display_name": "姓名", "data_scope": "数据范围",
                               "scope_jurisdiction_code": "辖区代码", "active": "是否启用"},
             choices={"role": {str(r): ROLE_LABELS[r] for r in Role},
                      "data_scope": {str(s): SCOPE_LABELS[s] for s in DataScope}})


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


# ---- administration -------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    unit: str | None
    unit_code: str | None
    data_scope: str
    data_scope_label: str
    scope_jurisdiction_code: str | None = Field(description="数据范围为本辖区时的辖区代码")
    phone: str | None
    active: bool


class UserCreate(BaseModel):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64)]
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=8, max_length=128)]
    role: Role
    unit_code: str | None = None
    data_scope: DataScope | None = None
    scope_jurisdiction_code: str | None = None
    # checked and normalised by the service, as on the page (139 1234 5678, full-width digits: QA)
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None


class UserUpdate(BaseModel):
    """Only the fields sent change; null clears phone, unit_code and scope_jurisdiction_code."""

    model_config = ConfigDict(extra="forbid")
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    role: Role | None = Field(None, description="改变角色、单位或数据范围会结束该用户的页面会话并吊销其访问令牌")
    unit_code: Annotated[str, StringConstraints(max_length=64)] | None = None
    data_scope: DataScope | None = Field(None, description="不传而角色在承办单位与中心之间改变时，取新角色的默认范围")
    scope_jurisdiction_code: Annotated[str, StringConstraints(max_length=32)] | None = None


class ActiveIn(BaseModel):
    active: bool


class PasswordIn(BaseModel):
    password: Annotated[str, StringConstraints(min_length=8, max_length=128)]


class AuditOut(BaseModel):
    at: datetime
    username: str
    role: str
    action: str
    object_type: str
    object_id: str
    detail: str | None
    client: str | None


def _user_out(u: User) -> UserOut:
    scoped = u.scope_jurisdiction if u.data_scope == DataScope.JURISDICTION else None
    return UserOut(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                   role_label=ROLE_LABELS[Role(u.role)], unit=u.unit.short_name if u.unit else None,
                   unit_code=u.unit.code if u.unit else None, data_scope=u.data_scope,
                   data_scope_label=SCOPE_LABELS[DataScope(u.data_scope)],
                   scope_jurisdiction_code=scoped.code if scoped else None, phone=u.phone, active=u.active)


@router.get("/users", response_model=Page[UserOut], tags=["admin"],
            summary="登录用户列表（系统管理员；接口账号见 /machine-accounts）")
def users(db: DB, actor: ApiActor, q: Annotated[str | None, Query(max_length=64)] = None, role: Role | None = None,
          page: Annotated[int, Query(ge=1)] = 1,
          page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[UserOut]:
    # login accounts, as the page lists them: machine accounts are /machine-accounts' (QA: listed here,
    # then refused by every call on them — 接口账号请在「接口账号」页面管理)
    found, total = admin.list_users(db, actor=actor, q=q, role=role, page=page, page_size=page_size,
                                    login_only=True)
    return Page(items=[_user_out(u) for u in found], total=total, page=page, page_size=page_size)


@router.post("/users", response_model=UserOut, status_code=201, tags=["admin"], summary="创建用户")
def create_user(data: UserCreate, db: DB, rt: RT, actor: ApiActor) -> UserOut:
    user = admin.create_user(db, actor=actor, now=rt.clock.now(), **data.model_dump())
    return _user_out(user)


@router.get("/users/{user_id}", response_model=UserOut, tags=["admin"], summary="用户详情")
def get_user(user_id: int, db: DB, actor: ApiActor) -> UserOut:
    return _user_out(admin.get_user(db, actor=actor, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserOut, tags=["admin"],
              summary="修改用户（姓名、手机号、角色、单位、数据范围、辖区）",
              description="只改传入的字段。改变角色、所属单位或数据范围会结束该用户的页面会话并吊销其访问令牌；"
                          "接口账号不能在此修改；不能取消唯一一名启用的系统管理员的角色。")
def update_user(user_id: int, data: UserUpdate, db: DB, rt: RT, actor: ApiActor) -> UserOut:
    user = admin.get_user(db, actor=actor, user_id=user_id)
    values = admin.patched(user, data.model_dump(exclude_unset=True))
    updated, _ = admin.update_user(db, actor=actor, now=rt.clock.now(), user_id=user_id, **values)
    return _user_out(updated)


@router.post("/users/{user_id}/active", response_model=UserOut, tags=["admin"], summary="启用或停用用户")
def set_user_active(user_id: int, data: ActiveIn, db: DB, rt: RT, actor: ApiActor) -> UserOut:
    return _user_out(admin.set_active(db, actor=actor, now=rt.clock.now(), user_id=user_id, active=data.active))


@router.post("/users/{user_id}/password", response_model=UserOut, tags=["admin"], summary="重置密码")
def reset_user_password(user_id: int, data: PasswordIn, db: DB, rt: RT, actor: ApiActor) -> UserOut:
    return _user_out(admin.reset_password(db, actor=actor, now=rt.clock.now(), user_id=user_id,
                                          password=data.password))


AuditUsername = Annotated[str | None, Query(max_length=64)]
AuditAction = Annotated[str | None, Query(max_length=40)]
AuditObject = Annotated[str | None, Query(max_length=64)]


@router.get("/audit", response_model=Page[AuditOut], tags=["admin"], summary="审计日志（系统管理员、督办员）",
            description="since/until 为时间（不带时区按北京时间）；无法解析或 until 不晚于 since 时返回 422。")
def audit_log(db: DB, actor: ApiActor, username: AuditUsername = None, action: AuditAction = None,
              object_id: AuditObject = None, since: QueryTime | None = None, until: QueryTime | None = None,
              page: Annotated[int, Query(ge=1)] = 1,
              page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> Page[AuditOut]:
    entries, total = audit.search(db, actor=actor, username=username, action=action, object_id=object_id,
                                  since=since, until=until, page=page, page_size=page_size)
    return Page(items=[AuditOut.model_validate(e, from_attributes=True) for e in entries], total=total, page=page,
                page_size=page_size)


@router.get("/audit.xlsx", tags=["admin"], summary="按查询条件导出审计日志（Excel，最多 10000 条）",
            response_class=Response, responses={200: {"content": {audit_export.XLSX: {}}}},
            description="条件与 GET /audit 相同；导出本身记入审计日志（导出审计日志）。")
def export_audit_log(db: DB, rt: RT, actor: ApiActor, username: AuditUsername = None, action: AuditAction = None,
                     object_id: AuditObject = None, since: QueryTime | None = None,
                     until: QueryTime | None = None) -> Response:
    now = rt.clock.now()
    label = audit.filters_label(username=username, action=action, object_id=object_id,
                                day_from=f"{to_local(since):%Y-%m-%d %H:%M}" if since else None,
                                day_to=f"{to_local(until):%Y-%m-%d %H:%M}" if until else None)
    rows, total = audit.export_rows(db, actor=actor, at=now, limit=audit_export.MAX_ROWS, username=username,
                                    action=action, object_id=object_id, since=since, until=until, filters_label=label)
    return Response(audit_export.audit_workbook(rows, total=total), media_type=audit_export.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="audit-{to_local(now):%Y%m%d-%H%M}.xlsx"'})
