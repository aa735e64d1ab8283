"""The organisation: building the jurisdiction tree, units and users; logins and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session, aliased

from hotline.errors import Conflict, DomainError, NotFound, Unauthenticated
from hotline.org.models import LEVEL_ORDER, ApiToken, Jurisdiction, JurisdictionLevel, Unit, UnitKind, User
from hotline.security import throttle
from hotline.security.actor import Actor
from hotline.security.passwords import hash_password, verify_password
from hotline.security.roles import MACHINE_ROLES, ROLE_LABELS, UNIT_ROLES, DataScope, Role

TOKEN_LIFETIME = timedelta(days=30)
USE_RECORDED_EVERY = timedelta(hours=1)  # how fresh a token's last_used_at is kept
MIN_PASSWORD_LENGTH = 8


def add_jurisdiction(
    db: Session, *, code: str, name: str, level: JurisdictionLevel, parent: Jurisdiction | None
) -> Jurisdiction:
    """Add a node under its parent; a child must be exactly one level below (flush only)."""
    if parent is None and level not in (JurisdictionLevel.PROVINCE, JurisdictionLevel.CITY):
        raise DomainError("jurisdiction_parent_required", "区县、街道、社区必须有上级属地")
    if parent is not None and LEVEL_ORDER.index(level) != LEVEL_ORDER.index(JurisdictionLevel(parent.level)) + 1:
        raise DomainError("jurisdiction_level", f"{name} 的层级与上级 {parent.name} 不衔接")
    if db.execute(select(Jurisdiction.id).where(Jurisdiction.code == code)).first():
        raise Conflict("jurisdiction_exists", f"属地代码 {code} 已存在")
    node = Jurisdiction(code=code, name=name, level=level, parent_id=parent.id if parent else None, path="")
    db.add(node)
    db.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    return node


def add_unit(
    db: Session,
    *,
    code: str,
    name: str,
    short_name: str,
    kind: UnitKind,
    jurisdiction: Jurisdiction,
    parent: Unit | None = None,
) -> Unit:
    if db.execute(select(Unit.id).where(Unit.code == code)).first():
        raise Conflict("unit_exists", f"单位代码 {code} 已存在")
    unit = Unit(code=code, name=name, short_name=short_name, kind=kind, jurisdiction_id=jurisdiction.id,
                parent_id=parent.id if parent else None, active=True)
    unit.jurisdiction = jurisdiction
    db.add(unit)
    db.flush()
    return unit


def add_user(
    db: Session,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    unit: Unit | None = None,
    data_scope: DataScope | None = None,
    scope_jurisdiction: Jurisdiction | None = None,
    phone: str | None = None,
) -> User:
    if role not in set(Role) or role in (Role.REQUESTER, Role.SYSTEM):
        label = ROLE_LABELS[Role(role)] if role in set(Role) else "未知角色"
        raise DomainError("role_invalid", f"「{label}」不是登录账号的角色，不能用于用户", status_code=422)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("password_too_short", f"密码至少{MIN_PASSWORD_LENGTH}位")
    if role in UNIT_ROLES and unit is None:
        raise DomainError("unit_required", "承办单位用户必须指定所属单位")
    scope = data_scope or (DataScope.OWN_UNIT if role in UNIT_ROLES else DataScope.ALL)
    if scope == DataScope.JURISDICTION and scope_jurisdiction is None:
        raise DomainError("scope_jurisdiction_required", "按辖区授权的用户必须指定辖区")
    if db.execute(select(User.id).where(User.username == username)).first():
        raise Conflict("user_exists", f"用户名 {username} 已存在")
    user = User(
        username=username, display_name=display_name, password_hash=hash_password(password), role=role,
        unit_id=unit.id if unit else None, data_scope=scope,
        scope_jurisdiction_id=scope_jurisdiction.id if scope_jurisdiction else None, phone=phone, active=True,
    )
    user.unit = unit
    user.scope_jurisdiction = scope_jurisdiction
    db.add(user)
    db.flush()
    return user


def actor_for(user: User, client: str | None = None) -> Actor:
    name = user.display_name + (f"（{user.unit.short_name}）" if user.unit else "")
    return Actor(
        role=Role(user.role),
        name=name,
        user_id=user.id,
        username=user.username,
        unit_id=user.unit_id,
        data_scope=DataScope(user.data_scope),
        scope_path=user.scope_jurisdiction.path if user.scope_jurisdiction else None,
        client=client,
    )


def authenticate(db: Session, *, username: str, password: str, now: datetime, client: str | None = None) -> User:
    checks = [(f"login:{username}", throttle.LOGIN_PER_USER)]
    if client:
        checks.append((f"login-client:{client}", throttle.LOGIN_PER_CLIENT))
    throttle.ensure_allowed(db, checks=checks, now=now)
    user = db.execute(select(User).where(User.username == username)).unique().scalar_one_or_none()
    # Verify against a dummy hash when the user is unknown, so timing does not reveal usernames.
    valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid:
        throttle.record_failure(db, checks=checks, now=now)
        raise Unauthenticated("login_failed", "用户名或密码错误")
    if not user.active:
        raise Unauthenticated("user_disabled", "该账号已停用，请联系管理员")
    if user.role in MACHINE_ROLES:
        # Other systems act only with the keys an administrator issues: no page session, no login token.
        raise Unauthenticated("machine_account_login", "接口账号不能登录，请使用系统管理员签发的密钥调用接口")
    throttle.clear(db, keys=[f"login:{username}"])
    user.last_login_at = now
    db.commit()
    return user


def issue_token(db: Session, *, user: User, now: datetime, name: str = "") -> str:
    token, _ = add_token(db, user=user, now=now, name=name)
    db.commit()
    return token


def add_token(db: Session, *, user: User, now: datetime, name: str = "") -> tuple[str, ApiToken]:
    """A new token in the caller's transaction (flushed, so its id is known): the plain token and its row."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), name=name[:100], created_at=now,
                   expires_at=now + TOKEN_LIFETIME, revoked=False)
    db.add(row)
    db.flush()
    return token, row


def actor_for_token(db: Session, *, token: str, now: datetime, client: str | None = None) -> Actor:
    """The actor behind a bearer token (what actor_for(user) gives), checked against the database on every
    request: a revoked token or a disabled account is refused at once, in every worker process.

    One Core query of the eleven columns needed, not the ORM load of the token with its user, unit and
    jurisdictions (~50 columns and four ORM objects): every API request pays for this (docs/benchmarks.md)."""
    row = db.execute(_TOKEN_ACTOR, {"token_hash": _digest(token)}).first()
    if row is None or row.revoked or row.expires_at < now or not row.active:
        raise Unauthenticated("token_invalid", "访问令牌无效或已过期，请重新登录")
    if row.last_used_at is None or row.last_used_at <= now - USE_RECORDED_EVERY:
        _record_use(db, token_id=row.token_id, now=now)
    return Actor(
        role=Role(row.role),
        name=row.display_name + (f"（{row.unit_short_name}）" if row.unit_short_name is not None else ""),
        user_id=row.id,
        username=row.username,
        unit_id=row.unit_id,
        data_scope=DataScope(row.data_scope),
        scope_path=row.scope_path,
        client=client,
    )


_scope = aliased(Jurisdiction)
# Built once: a select built per call costs more CPU than its execution (SQLAlchemy caches the compiled form
# by the statement's structure, but building and hashing that structure is redone every time).
_TOKEN_ACTOR = (
    select(ApiToken.id.label("token_id"), ApiToken.last_used_at, ApiToken.revoked, ApiToken.expires_at, User.id,
           User.username, User.display_name, User.role,
           User.unit_id, User.data_scope, User.active, Unit.short_name.label("unit_short_name"),
           _scope.path.label("scope_path"))
    .join(User, User.id == ApiToken.user_id)
    .outerjoin(Unit, Unit.id == User.unit_id)
    .outerjoin(_scope, _scope.id == User.scope_jurisdiction_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def _record_use(db: Session, *, token_id: int, now: datetime) -> None:
    """At most once an hour per token, committed at once: the request's own transaction has written
    nothing yet (authentication comes first), and a read-only request would never commit it. The
    condition is repeated in the statement so that concurrent requests write it once."""
    db.execute(update(ApiToken).where(ApiToken.id == token_id, or_(
        ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_RECORDED_EVERY)).values(last_used_at=now))
    db.commit()


def find_token(db: Session, *, token: str) -> ApiToken | None:
    return db.execute(select(ApiToken).where(ApiToken.token_hash == _digest(token))).unique().scalar_one_or_none()


def end_page_sessions(db: Session, *, user_id: int) -> None:
    """Every page session of the user ends (users.session_epoch moves on; deps.session_is_current)."""
    bump_session_epoch(db, user_id=user_id)
    db.commit()


def bump_session_epoch(db: Session, *, user_id: int) -> None:
    """`end_page_sessions` inside the caller's transaction (one statement, so concurrent bumps add up)."""
    db.execute(update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1))


def revoke_token(db: Session, *, token: str) -> None:
    row = find_token(db, token=token)
    if row is not None:
        row.revoked = True
        db.commit()


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", "用户不存在")
    return user


def list_units(db: Session, *, include_inactive: bool = False) -> list[Unit]:
    query = select(Unit).order_by(Unit.kind, Unit.id)
    if not include_inactive:
        query = query.where(Unit.active.is_(True))
    return list(db.execute(query).unique().scalars())


def list_jurisdictions(db: Session) -> list[Jurisdiction]:
    """The tree depth first, each level in the order of its codes (玄武区 320102 before 秦淮区 320104;
    the ids in the paths follow creation, not codes)."""
    rows = list(db.execute(select(Jurisdiction)).unique().scalars())
    code = {j.id: j.code for j in rows}
    return sorted(rows, key=lambda j: [code.get(int(i), "") for i in j.path.strip("/").split("/") if i.isdecimal()])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_DUMMY_HASH = hash_password("not-a-real-password")
