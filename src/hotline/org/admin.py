"""Administration of user accounts: listing, creating, enabling/disabling, resetting passwords.

Each change is one transaction and leaves an audit entry naming the administrator."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from hotline.errors import DomainError, NotFound
from hotline.org import service
from hotline.org.models import ApiToken, Jurisdiction, Unit, User
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.passwords import hash_password
from hotline.security.permissions import ensure_role
from hotline.security.roles import MACHINE_ROLES, DataScope, Role


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


def create_user(
    db: Session,
    *,
    actor: Actor,
    now: datetime,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    unit_code: str | None = None,
    data_scope: DataScope | None = None,
    scope_jurisdiction_code: str | None = None,
    phone: str | None = None,
) -> User:
    ensure_role(actor, Role.ADMIN)
    # ASCII only: 张三 or ｕｓｅｒ１ as a login name could not be typed reliably at every hall terminal
    if not _USERNAME.fullmatch(username or ""):
        raise DomainError("username_invalid", "用户名须为 2–64 位英文字母、数字、下划线、点或连字符", status_code=422)
    if db.execute(select(User.id).where(func.lower(User.username) == username.lower())).first():
        raise DomainError("user_exists", f"用户名 {username} 已存在（不区分大小写）", status_code=409)
    if not display_name:
        raise DomainError("display_name_required", "请填写姓名")
    if len(display_name) > 64 or (phone and len(phone) > 20):  # a 500 on PostgreSQL before (too long)
        raise DomainError("value_too_long", "姓名最多 64 个字，电话最多 20 位", status_code=422)
    if not password.strip():
        raise DomainError("password_blank", "密码不能全是空格", status_code=422)
    if role in MACHINE_ROLES:
        raise DomainError("machine_role", "渠道接入、话务系统接口账号请在「接口账号」页面（/admin/machines）创建")
    unit = None
    if unit_code:
        unit = db.execute(select(Unit).where(Unit.code == unit_code)).unique().scalar_one_or_none()
        if unit is None:
            raise DomainError("unknown_unit", f"单位代码 {unit_code} 不存在", status_code=422)
    scope_jurisdiction = None
    if scope_jurisdiction_code:
        scope_jurisdiction = db.execute(
            select(Jurisdiction).where(Jurisdiction.code == scope_jurisdiction_code)
        ).unique().scalar_one_or_none()
        if scope_jurisdiction is None:
            raise DomainError("unknown_jurisdiction", f"属地代码 {scope_jurisdiction_code} 不存在", status_code=422)
    try:
        user = service.add_user(
            db, username=username, password=password, display_name=display_name, role=role, unit=unit,
            data_scope=data_scope, scope_jurisdiction=scope_jurisdiction, phone=phone or None,
        )
        audit.record(db, actor=actor, at=now, action="create_user", object_type="user", object_id=username,
                     detail=f"role={role}")
        db.commit()
    except Exception:
        db.rollback()
        raise
    return user


def set_active(db: Session, *, actor: Actor, now: datetime, user_id: int, active: bool) -> User:
    """Disable (or re-enable) an account; disabling also revokes its API tokens."""
    user = _managed_user(db, actor, user_id)
    if user.id == actor.user_id and not active:
        raise DomainError("disable_self", "不能停用自己的账号")
    user.active = active
    if not active:
        for token in db.execute(select(ApiToken).where(ApiToken.user_id == user.id)).unique().scalars():
            token.revoked = True
    audit.record(db, actor=actor, at=now, action="enable_user" if active else "disable_user", object_type="user",
                 object_id=user.username)
    db.commit()
    return user


def reset_password(db: Session, *, actor: Actor, now: datetime, user_id: int, password: str) -> User:
    user = _managed_user(db, actor, user_id)
    if user.role in MACHINE_ROLES:
        raise DomainError("machine_account", "接口账号没有登录密码，请在「接口账号」页面管理其密钥")
    if len(password) < service.MIN_PASSWORD_LENGTH:
        raise DomainError("password_too_short", f"密码至少{service.MIN_PASSWORD_LENGTH}位")
    user.password_hash = hash_password(password)
    # Reset because the account may be in other hands: what the old password opened is closed too.
    service.bump_session_epoch(db, user_id=user.id)
    for token in db.execute(select(ApiToken).where(ApiToken.user_id == user.id)).unique().scalars():
        token.revoked = True
    audit.record(db, actor=actor, at=now, action="reset_password", object_type="user", object_id=user.username,
                 detail="已同时吊销其访问令牌并结束其页面会话")
    db.commit()
    return user


def _managed_user(db: Session, actor: Actor, user_id: int) -> User:
    ensure_role(actor, Role.ADMIN)
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "用户不存在")
    return user
