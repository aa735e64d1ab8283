"""Administration of user accounts: listing, creating, editing, enabling/disabling, resetting passwords.

Each change is one transaction and leaves an audit entry naming the administrator."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hotline.errors import DomainError, NotFound
from hotline.org import service
from hotline.org.models import ApiToken, Jurisdiction, Unit, User
from hotline.phones import as_kept
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.passwords import hash_password
from hotline.security.permissions import ensure_role
from hotline.security.roles import LOGIN_ROLES, MACHINE_ROLES, ROLE_LABELS, SCOPE_LABELS, UNIT_ROLES, DataScope, Role


def list_users(
    db: Session, *, actor: Actor, q: str | None = None, role: Role | None = None, page: int = 1, page_size: int = 20,
    login_only: bool = False,
) -> tuple[list[User], int]:
    ensure_role(actor, Role.ADMIN)
    conds = []
    if login_only:  # the user page: machine accounts have their own (org/machines.py)
        conds.append(User.role.not_in([str(r) for r in MACHINE_ROLES]))
    if q:  # any case, and % or _ typed are themselves (they were wildcards)
        text = q.strip()
        conds.append(or_(User.username.icontains(text, autoescape=True),
                         User.display_name.icontains(text, autoescape=True)))
    if role:
        conds.append(User.role == role)
    total = db.execute(select(func.count()).select_from(User).where(*conds)).scalar_one()
    rows = db.execute(
        select(User).where(*conds).order_by(User.id).limit(page_size).offset((max(page, 1) - 1) * page_size)
    )
    return list(rows.unique().scalars()), total


_USERNAME = re.compile(r"[A-Za-z0-9_.\-]{2,64}")
_PHONE = re.compile(r"[0-9+\-]{3,20}")
DISPLAY_NAME_MAX = 64


@dataclass(frozen=True)
class Assignment:
    """What a login account may do and see: its role, unit, data scope and the scope's jurisdiction."""

    role: Role
    unit: Unit | None
    data_scope: DataScope
    scope_jurisdiction: Jurisdiction | None

    def labels(self) -> dict[str, str]:
        """Each part as the audit log says it (Chinese labels, never the codes)."""
        scope = SCOPE_LABELS[self.data_scope]
        if self.scope_jurisdiction is not None:
            scope += f"（{self.scope_jurisdiction.name}）"
        return {"角色": ROLE_LABELS[self.role], "所属单位": self.unit.short_name if self.unit else "无",
                "数据范围": scope}


def assignment(
    db: Session, *, role: Role | str, unit_code: str | None, data_scope: DataScope | str | None,
    scope_jurisdiction_code: str | None,
) -> Assignment:
    """Check a role, unit and data scope together (creating and editing alike) and look them up.

    A unit role (承办单位经办人/负责人) sees its own unit's tickets only: the workflow lets it act on its
    unit's assignments alone, and a wider scope would only open other units' tickets — with the
    requesters' details on every ticket its unit ever handled — to it (QA: a unit handler given 全部
    listed all 3,000 tickets of the city). A jurisdiction goes with 本辖区 only: chosen beside 全部
    it restricted nothing while the list showed 「全部（玄武区）」, so the pair is refused rather than
    silently dropped (the administrator may have meant 本辖区)."""
    role = _login_role(role)
    unit = _unit(db, unit_code) if unit_code else None
    scope_jurisdiction = _jurisdiction(db, scope_jurisdiction_code) if scope_jurisdiction_code else None
    if role in UNIT_ROLES and unit is None:
        raise DomainError("unit_required", "承办单位用户必须指定所属单位")
    if data_scope:
        try:
            scope = DataScope(data_scope)
        except ValueError:
            raise DomainError("data_scope_invalid", "请从列表中选择数据范围", status_code=422) from None
    else:
        scope = DataScope.OWN_UNIT if role in UNIT_ROLES else DataScope.ALL
    if role in UNIT_ROLES and scope != DataScope.OWN_UNIT:
        raise DomainError("unit_role_scope", f"{ROLE_LABELS[role]}只能查看本单位的工单：数据范围请选「本单位」"
                          f"（「{SCOPE_LABELS[scope]}」会让其看到其他单位的工单和诉求人信息）", status_code=422)
    if scope == DataScope.JURISDICTION and scope_jurisdiction is None:
        raise DomainError("scope_jurisdiction_required", "数据范围为「本辖区」时必须选择辖区", status_code=422)
    if scope != DataScope.JURISDICTION and scope_jurisdiction is not None:
        raise DomainError("scope_jurisdiction_unused", f"数据范围为「{SCOPE_LABELS[scope]}」时不按辖区限制：请把辖区"
                          "留空，或把数据范围改为「本辖区」", status_code=422)
    if scope == DataScope.OWN_UNIT and unit is None:
        raise DomainError("scope_unit_required", "数据范围为「本单位」时必须选择所属单位，否则看不到任何工单",
                          status_code=422)
    return Assignment(role=role, unit=unit, data_scope=scope, scope_jurisdiction=scope_jurisdiction)


def create_user(
    db: Session,
    *,
    actor: Actor,
    now: datetime,
    username: str,
    password: str,
    display_name: str,
    role: Role | str,
    unit_code: str | None = None,
    data_scope: DataScope | str | None = None,
    scope_jurisdiction_code: str | None = None,
    phone: str | None = None,
) -> User:
    ensure_role(actor, Role.ADMIN, Role.SYSTEM)  # the system: `hotline users create` (the first administrator)
    # ASCII only: 张三 or ｕｓｅｒ１ as a login name could not be typed reliably at every hall terminal
    if not _USERNAME.fullmatch(username or ""):
        raise DomainError("username_invalid", "用户名须为 2–64 位英文字母、数字、下划线、点或连字符", status_code=422)
    if db.execute(select(User.id).where(func.lower(User.username) == username.lower())).first():
        raise DomainError("user_exists", f"用户名 {username} 已存在（不区分大小写）", status_code=409)
    display_name, phone = _display_name(display_name), _phone(phone)
    if not password.strip():
        raise DomainError("password_blank", "密码不能全是空格", status_code=422)
    given = assignment(db, role=role, unit_code=unit_code, data_scope=data_scope,
                       scope_jurisdiction_code=scope_jurisdiction_code)
    try:
        user = service.add_user(
            db, username=username, password=password, display_name=display_name, role=given.role, unit=given.unit,
            data_scope=given.data_scope, scope_jurisdiction=given.scope_jurisdiction, phone=phone,
        )
        audit.record(db, actor=actor, at=now, action="create_user", object_type="user", object_id=username,
                     detail="；".join(f"{k}：{v}" for k, v in given.labels().items()))
        db.commit()
    except Exception:
        db.rollback()
        raise
    return user


def update_user(
    db: Session,
    *,
    actor: Actor,
    now: datetime,
    user_id: int,
    display_name: str,
    phone: str | None,
    role: Role | str,
    unit_code: str | None,
    data_scope: DataScope | str | None,
    scope_jurisdiction_code: str | None,
) -> tuple[User, list[str]]:
    """Set a login account's name, phone, role, unit and data scope (the whole of it: what is not
    given is none); the changes as the audit log lists them (empty: nothing changed, nothing written).

    A new role, unit or scope changes what the account may see and do, so its page sessions end and
    its API tokens are revoked as on a password reset: the next request is made with what it has now."""
    user = _managed_user(db, actor, user_id)
    if user.role in {str(r) for r in MACHINE_ROLES}:
        raise DomainError("machine_account", "接口账号请在「接口账号」页面（/admin/machines）管理", status_code=422)
    display_name, phone = _display_name(display_name), _phone(phone)
    given = assignment(db, role=role, unit_code=unit_code, data_scope=data_scope,
                       scope_jurisdiction_code=scope_jurisdiction_code)
    before = Assignment(role=Role(user.role), unit=user.unit, data_scope=DataScope(user.data_scope),
                        scope_jurisdiction=user.scope_jurisdiction if user.data_scope == DataScope.JURISDICTION
                        else None)
    if user.role == Role.ADMIN and given.role != Role.ADMIN:
        _keep_an_admin(db, user)
    changes = [f"姓名：{user.display_name} → {display_name}"] if display_name != user.display_name else []
    if phone != user.phone:
        changes.append(f"手机号：{user.phone or '无'} → {phone or '无'}")
    old, new = before.labels(), given.labels()
    access = [f"{k}：{old[k]} → {new[k]}" for k in new if old[k] != new[k]]
    # A scope's jurisdiction kept beside 全部 before the form refused it goes quietly: it never applied.
    stale = user.scope_jurisdiction_id is not None and given.scope_jurisdiction is None and not access
    if not changes and not access and not stale:
        return user, []
    user.display_name, user.phone = display_name, phone
    user.role, user.data_scope = given.role, given.data_scope
    user.unit_id = given.unit.id if given.unit else None
    user.unit = given.unit
    user.scope_jurisdiction_id = given.scope_jurisdiction.id if given.scope_jurisdiction else None
    user.scope_jurisdiction = given.scope_jurisdiction
    changes += access
    if access:
        _end_access(db, user)
    if changes:
        audit.record(db, actor=actor, at=now, action="update_user", object_type="user", object_id=user.username,
                     detail="；".join(changes) + ("；已结束其页面会话并吊销其访问令牌" if access else ""))
    try:
        db.commit()
    except Exception:
        db.rollback()
        raise
    return user, changes


def get_user(db: Session, *, actor: Actor, user_id: int) -> User:
    """A login account. A machine account is read where it is managed (QA: GET /users/{id} answered one
    as a user — no key, no sign it was one — though the list and every change refuse them)."""
    user = _managed_user(db, actor, user_id)
    if user.role in {str(r) for r in MACHINE_ROLES}:
        raise DomainError("machine_account", f"该账号是接口账号，请在「接口账号」页面（/admin/machines）或 "
                                             f"/api/v1/machine-accounts/{user.id} 查看和管理", status_code=422)
    return user


def editable(user: User) -> dict[str, str | None]:
    """The account as `update_user` takes it: what the edit form starts from. A jurisdiction stored
    beside another scope (allowed before) never applied and is left out."""
    scoped = user.scope_jurisdiction if user.data_scope == DataScope.JURISDICTION else None
    return {"display_name": user.display_name, "phone": user.phone, "role": user.role,
            "unit_code": user.unit.code if user.unit else None, "data_scope": user.data_scope,
            "scope_jurisdiction_code": scoped.code if scoped else None}


def patched(user: User, sent: dict[str, object]) -> dict[str, object]:
    """The account with the fields an API client sent (a PATCH). A role moved between the centre and a
    unit without a scope takes the new role's default; a scope other than 本辖区 without a jurisdiction
    drops the old one — rather than refusing what the client plainly meant."""
    values: dict[str, object] = {**editable(user), **sent}
    role, scope = sent.get("role"), sent.get("data_scope")
    if "role" in sent and "data_scope" not in sent and role is not None \
            and (role in UNIT_ROLES) != (user.role in {str(r) for r in UNIT_ROLES}):
        values["data_scope"] = None
        scope = DataScope.OWN_UNIT if role in UNIT_ROLES else DataScope.ALL
    if scope is not None and scope != DataScope.JURISDICTION and "scope_jurisdiction_code" not in sent:
        values["scope_jurisdiction_code"] = None
    return values


def set_active(db: Session, *, actor: Actor, now: datetime, user_id: int, active: bool) -> User:
    """Disable (or re-enable) an account; disabling also revokes its API tokens."""
    user = _managed_user(db, actor, user_id)
    if user.role in {str(r) for r in MACHINE_ROLES}:  # its own action (停用接口账号) and page
        raise DomainError("machine_account", "接口账号请在「接口账号」页面（/admin/machines）停用或启用",
                          status_code=422)
    if user.id == actor.user_id and not active:
        raise DomainError("disable_self", "不能停用自己的账号")
    if user.active == active:  # a second tab, a form sent twice: nothing to do, nothing to audit (QA)
        return user
    if not active and user.role == Role.ADMIN:
        _keep_an_admin(db, user)
    user.active = active
    if not active:
        _revoke_tokens(db, user)
    audit.record(db, actor=actor, at=now, action="enable_user" if active else "disable_user", object_type="user",
                 object_id=user.username)
    db.commit()
    return user


def reset_password(db: Session, *, actor: Actor, now: datetime, user_id: int, password: str) -> User:
    user = _managed_user(db, actor, user_id)
    if user.role in MACHINE_ROLES:
        raise DomainError("machine_account", "接口账号没有登录密码，请在「接口账号」页面管理其密钥")
    if not password.strip():  # refused on creating; a reset to eight spaces went through (QA)
        raise DomainError("password_blank", "密码不能全是空格", status_code=422)
    if len(password) < service.MIN_PASSWORD_LENGTH:
        raise DomainError("password_too_short", f"密码至少{service.MIN_PASSWORD_LENGTH}位")
    user.password_hash = hash_password(password)
    # Reset because the account may be in other hands: what the old password opened is closed too.
    _end_access(db, user)
    audit.record(db, actor=actor, at=now, action="reset_password", object_type="user", object_id=user.username,
                 detail="已同时吊销其访问令牌并结束其页面会话")
    db.commit()
    return user


def _end_access(db: Session, user: User) -> None:
    """Every page session of the account ends and every API token stops working (in this transaction)."""
    service.bump_session_epoch(db, user_id=user.id)
    _revoke_tokens(db, user)


def _revoke_tokens(db: Session, user: User) -> None:
    db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
               .values(revoked=True).execution_options(synchronize_session="fetch"))


def _keep_an_admin(db: Session, user: User) -> None:
    """Refuse to take the last active administrator away: nobody could manage accounts any more. The
    active administrators are locked (PostgreSQL) so that two administrators demoting each other at the
    same moment cannot both pass."""
    admins = db.execute(select(User.id).where(User.role == str(Role.ADMIN), User.active.is_(True))
                        .with_for_update()).scalars().all()
    if set(admins) <= {user.id}:
        raise DomainError("last_admin", "系统至少要保留一名启用的系统管理员：请先为其他账号设置系统管理员角色，"
                          "再更改此账号", status_code=409)


def _login_role(value: Role | str) -> Role:
    try:
        role = Role(value)
    except ValueError:
        raise DomainError("role_invalid", "请从列表中选择角色", status_code=422) from None
    if role in MACHINE_ROLES:
        raise DomainError("machine_role", "接口账号（渠道接入、话务系统、数据共享、部门业务系统）"
                                          "请在「接口账号」页面（/admin/machines）创建")
    if role not in LOGIN_ROLES:
        raise DomainError("role_invalid", f"「{ROLE_LABELS[role]}」不是登录账号的角色，请从列表中选择角色",
                          status_code=422)
    return role


def _unit(db: Session, code: str) -> Unit:
    unit = db.execute(select(Unit).where(Unit.code == code)).unique().scalar_one_or_none()
    if unit is None:
        raise DomainError("unknown_unit", f"单位代码 {code} 不存在", status_code=422)
    return unit


def _jurisdiction(db: Session, code: str) -> Jurisdiction:
    node = db.execute(select(Jurisdiction).where(Jurisdiction.code == code)).unique().scalar_one_or_none()
    if node is None:
        raise DomainError("unknown_jurisdiction", f"属地代码 {code} 不存在", status_code=422)
    return node


def _display_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("display_name_required", "请填写姓名", status_code=422)
    if len(value) > DISPLAY_NAME_MAX:  # a 500 on PostgreSQL before (too long for the column)
        raise DomainError("value_too_long", f"姓名最多 {DISPLAY_NAME_MAX} 个字", status_code=422)
    return value


def _phone(value: str | None) -> str | None:
    """A staff phone or extension as kept (full-width digits and spaces read as typed meant), or None."""
    value = as_kept(value or "")
    if not value:
        return None
    if not _PHONE.fullmatch(value):
        raise DomainError("phone_invalid", "手机号只能包含数字、+ 和 -，3–20 位", status_code=422)
    return value


def _managed_user(db: Session, actor: Actor, user_id: int) -> User:
    ensure_role(actor, Role.ADMIN)
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "用户不存在")
    return user
