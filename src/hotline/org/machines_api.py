"""Machine accounts API (administrators): list, create, issue / rotate / revoke keys, disable.

A key is in the response of the call that issues it and nowhere else, ever (sent with no-store)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from hotline.deps import DB, RT, ApiActor
from hotline.org import machines
from hotline.org.models import ApiToken
from hotline.security.roles import ROLE_LABELS, Role
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/machine-accounts", tags=["admin"])
MachineRole = Literal["channel", "telephony", "data_sharing", "unit_system"]
NO_STORE = {"Cache-Control": "no-store"}


class MachineAccountOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    unit: str | None
    data_scope: str = Field(description="数据共享接口账号读取的范围：本单位：… / 本辖区：… / 全市；"
                                        "部门业务系统为本单位：…；其他账号为 —")
    created_at: datetime
    active: bool
    state: str = Field(description="active 启用 / no_key 无有效密钥 / disabled 停用")
    state_label: str
    active_keys: int = Field(description="未吊销且未过期的密钥数")
    last_issued_at: datetime | None = Field(description="最近一次签发密钥的时间")
    last_used_at: datetime | None = Field(description="密钥最近一次调用接口的时间（精确到小时以内；从未使用为 null）")
    keys_expire_at: datetime | None = Field(description="有效密钥中最晚的到期时间")


class MachineKeyOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked: bool
    last_used_at: datetime | None = Field(description="最近一次调用接口的时间（每小时至多记录一次）")


class MachineAccountDetail(MachineAccountOut):
    keys: list[MachineKeyOut]


class MachineAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, StringConstraints(strip_whitespace=True, max_length=machines.USERNAME_MAX)]
    role: MachineRole = Field(description="channel 渠道接入接口（Open311）/ telephony 话务系统接口 / "
                                          "data_sharing 数据共享接口 / unit_system 部门业务系统")
    display_name: Annotated[str, StringConstraints(strip_whitespace=True,
                                                   max_length=machines.DISPLAY_NAME_MAX)] = ""
    key_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=machines.KEY_NAME_MAX)] = ""
    unit_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        "", description="数据共享接口账号：读取该单位的工单（与 jurisdiction_code 二选一，都不填为全市）；"
                        "部门业务系统：所属承办单位（必填）")
    jurisdiction_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = Field(
        "", description="数据共享接口账号：读取该辖区的工单")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=machines.KEY_NAME_MAX)] = ""


class ScopeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] = Field(
        "", description="读取该单位的工单")
    jurisdiction_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = Field(
        "", description="读取该辖区的工单")
    whole_city: bool = Field(False, description="true：读取全市工单（三者选其一，全市须明确指定）")


class ActiveIn(BaseModel):
    active: bool


class IssuedKeyOut(BaseModel):
    key: str = Field(description="密钥明文：只在本次响应中出现")
    notice: str = machines.KEY_NOTICE
    key_id: int
    expires_at: datetime
    revoked_keys: int = Field(description="本次同时吊销的旧密钥数（轮换）")
    account: MachineAccountOut


def _account_out(row: machines.AccountRow) -> MachineAccountOut:
    u = row.user
    return MachineAccountOut(
        id=u.id, username=u.username, display_name=u.display_name, role=u.role, role_label=ROLE_LABELS[Role(u.role)],
        unit=u.unit.short_name if u.unit else None, data_scope=machines.scope_of(u), created_at=u.created_at,
        active=u.active, state=row.state,
        state_label=row.state_label, active_keys=row.active_keys, last_issued_at=row.last_issued_at,
        last_used_at=row.last_used_at,
        keys_expire_at=row.keys_expire_at)


def _key_out(t: ApiToken) -> MachineKeyOut:
    return MachineKeyOut(id=t.id, name=t.name, created_at=t.created_at, expires_at=t.expires_at, revoked=t.revoked,
                         last_used_at=t.last_used_at)


def _issued_out(db: Session, issued: machines.IssuedKey, now: datetime, response: Response) -> IssuedKeyOut:
    response.headers.update(NO_STORE)
    return IssuedKeyOut(key=issued.key, key_id=issued.token.id, expires_at=issued.token.expires_at,
                        revoked_keys=issued.revoked,
                        account=_account_out(machines.account_row(db, issued.token.user, now)))


@router.get("", response_model=Page[MachineAccountOut], summary="接口账号列表（系统管理员）")
def list_accounts(db: DB, rt: RT, actor: ApiActor, q: Annotated[str | None, Query(max_length=64)] = None,
                  role: MachineRole | None = None, page: Annotated[int, Query(ge=1)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> Page[MachineAccountOut]:
    rows, total = machines.list_accounts(db, actor=actor, now=rt.clock.now(), q=q, role=Role(role) if role else None,
                                         page=page, page_size=page_size)
    return Page(items=[_account_out(r) for r in rows], total=total, page=page, page_size=page_size)


@router.post("", response_model=IssuedKeyOut, status_code=201, summary="创建接口账号并签发第一个密钥")
def create_account(data: MachineAccountCreate, db: DB, rt: RT, actor: ApiActor, response: Response) -> IssuedKeyOut:
    now = rt.clock.now()
    _, issued = machines.create_account(db, actor=actor, now=now, role=Role(data.role), username=data.username,
                                        display_name=data.display_name, key_name=data.key_name,
                                        unit_code=data.unit_code, jurisdiction_code=data.jurisdiction_code)
    return _issued_out(db, issued, now, response)


@router.get("/{account_id}", response_model=MachineAccountDetail, summary="接口账号及其密钥（不含明文）")
def get_account(account_id: int, db: DB, rt: RT, actor: ApiActor) -> MachineAccountDetail:
    user = machines.get_account(db, actor=actor, account_id=account_id)
    keys = machines.keys_of(db, actor=actor, account_id=account_id)
    out = _account_out(machines.account_row(db, user, rt.clock.now()))
    return MachineAccountDetail(**out.model_dump(), keys=[_key_out(k) for k in keys])


@router.post("/{account_id}/keys", response_model=IssuedKeyOut, status_code=201,
             summary="签发新密钥（旧密钥继续有效）")
def issue_key(account_id: int, data: KeyIn, db: DB, rt: RT, actor: ApiActor, response: Response) -> IssuedKeyOut:
    now = rt.clock.now()
    issued = machines.issue_key(db, actor=actor, now=now, account_id=account_id, name=data.name)
    return _issued_out(db, issued, now, response)


@router.post("/{account_id}/rotate", response_model=IssuedKeyOut, status_code=201,
             summary="轮换密钥：签发新密钥并立即吊销全部旧密钥")
def rotate_key(account_id: int, data: KeyIn, db: DB, rt: RT, actor: ApiActor, response: Response) -> IssuedKeyOut:
    now = rt.clock.now()
    issued = machines.issue_key(db, actor=actor, now=now, account_id=account_id, name=data.name, rotate=True)
    return _issued_out(db, issued, now, response)


@router.post("/{account_id}/keys/{key_id}/revoke", response_model=MachineKeyOut, summary="吊销一个密钥")
def revoke_key(account_id: int, key_id: int, db: DB, rt: RT, actor: ApiActor) -> MachineKeyOut:
    return _key_out(machines.revoke_key(db, actor=actor, now=rt.clock.now(), account_id=account_id, key_id=key_id))


@router.post("/{account_id}/active", response_model=MachineAccountOut,
             summary="停用（同时吊销全部密钥）或重新启用接口账号")
def set_active(account_id: int, data: ActiveIn, db: DB, rt: RT, actor: ApiActor) -> MachineAccountOut:
    now = rt.clock.now()
    user = machines.set_active(db, actor=actor, now=now, account_id=account_id, active=data.active)
    return _account_out(machines.account_row(db, user, now))


@router.put("/{account_id}/scope", response_model=MachineAccountOut,
            summary="更改数据共享接口账号的数据范围（已送达的事件不变，此后按新范围读取）")
def change_scope(account_id: int, data: ScopeIn, db: DB, rt: RT, actor: ApiActor) -> MachineAccountOut:
    now = rt.clock.now()
    user = machines.change_scope(db, actor=actor, now=now, account_id=account_id, unit_code=data.unit_code,
                                 jurisdiction_code=data.jurisdiction_code, whole_city=data.whole_city)
    return _account_out(machines.account_row(db, user, now))
