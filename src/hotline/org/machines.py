"""Machine accounts: the accounts other systems act through (Open311 channel clients, the telephony
adapter, data-sharing readers, a unit's own business system), and their keys (API tokens).

One module for the command line (`hotline open311 account`, `hotline calls feeder`), the admin page and
the API, so that creating an account, issuing, rotating and revoking a key cannot differ between them.
A machine account has a random password nobody knows and never logs in (service.authenticate refuses
its role), no unit (a unit's business system: its unit) and the own-unit scope; it acts only with a key.
Every change is audited and is one transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.org import service
from hotline.org.models import ApiToken, Jurisdiction, Unit, User
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import MACHINE_ROLES, ROLE_LABELS, DataScope, Role

# What the command line always used: the display name when none is given, and the key's note.
DEFAULT_DISPLAY_NAMES = {Role.CHANNEL: "Open311 接入系统", Role.TELEPHONY: "话务平台接口",
                         Role.DATA_SHARING: "数据共享接入系统", Role.UNIT_SYSTEM: "业务系统"}
DEFAULT_KEY_NAMES = {Role.CHANNEL: "open311", Role.TELEPHONY: "telephony adapter", Role.DATA_SHARING: "data feed",
                     Role.UNIT_SYSTEM: "unit system"}
# How the CLI names a role in its refusal ("用户 x 已存在且不是…").
ACCOUNT_NOUNS = {Role.CHANNEL: "渠道接入账号", Role.TELEPHONY: "话务平台接口账号",
                 Role.DATA_SHARING: "数据共享接口账号", Role.UNIT_SYSTEM: "部门业务系统接口账号"}
KEY_NOTICE = "密钥只显示这一次，本系统只保存其摘要，无法再次查看；请立即复制并妥善保存，遗失后只能重新签发。"
STATE_LABELS = {"active": "启用", "no_key": "无有效密钥", "disabled": "停用"}
USERNAME_MAX, DISPLAY_NAME_MAX, KEY_NAME_MAX = 64, 64, 100


@dataclass(frozen=True)
class IssuedKey:
    key: str  # the only time the plain key exists: the database keeps its sha256
    token: ApiToken
    revoked: int  # earlier keys of the account revoked by this issue (a rotation)


@dataclass(frozen=True)
class AccountRow:
    user: User
    active_keys: int
    last_issued_at: datetime | None  # when the newest key was issued
    last_used_at: datetime | None  # when one of its keys last called the API (to the hour)
    keys_expire_at: datetime | None  # the latest expiry among the active keys

    @property
    def state(self) -> str:
        if not self.user.active:
            return "disabled"
        return "active" if self.active_keys else "no_key"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def ensure_manager(actor: Actor) -> None:
    # The command line acts as the system (whoever runs it holds the database); online, administrators only.
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise Forbidden("role_forbidden", "只有系统管理员可以管理接口账号")


def machine_role(value: str) -> Role:
    if value not in {str(r) for r in MACHINE_ROLES}:
        raise DomainError("machine_role_invalid",
                          "请选择接口账号类型：渠道接入接口（Open311）、话务系统接口、数据共享接口或部门业务系统")
    return Role(value)


def list_accounts(
    db: Session, *, actor: Actor, now: datetime, q: str | None = None, role: Role | None = None, page: int = 1,
    page_size: int = 20,
) -> tuple[list[AccountRow], int]:
    ensure_manager(actor)
    conds = [User.role.in_([str(r) for r in MACHINE_ROLES])]
    if q and q.strip():
        # icontains: the same case-insensitive match on SQLite and PostgreSQL; % and _ taken as typed
        text = q.strip()
        conds.append(or_(User.username.icontains(text, autoescape=True),
                         User.display_name.icontains(text, autoescape=True)))
    if role is not None:
        conds.append(User.role == str(role))
    total = db.execute(select(func.count()).select_from(User).where(*conds)).scalar_one()
    users = list(db.execute(
        select(User).where(*conds).order_by(User.id).limit(page_size).offset((max(page, 1) - 1) * page_size)
    ).unique().scalars())
    return _rows(db, users, now), total


def get_account(db: Session, *, actor: Actor, account_id: int) -> User:
    ensure_manager(actor)
    user = db.get(User, account_id)
    if user is None or user.role not in {str(r) for r in MACHINE_ROLES}:
        raise NotFound("machine_account_not_found", "接口账号不存在")
    return user


def account_row(db: Session, user: User, now: datetime) -> AccountRow:
    return _rows(db, [user], now)[0]


def keys_of(db: Session, *, actor: Actor, account_id: int) -> list[ApiToken]:
    user = get_account(db, actor=actor, account_id=account_id)
    return list(db.execute(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
                .unique().scalars())


def create_account(
    db: Session, *, actor: Actor, now: datetime, role: Role, username: str, display_name: str = "",
    key_name: str = "", unit_code: str = "", jurisdiction_code: str = "",
) -> tuple[User, IssuedKey]:
    """A new account and its first key (an account without a key can do nothing). A data-sharing
    account's scope is a unit (its code), a jurisdiction (its code) or, with neither, the whole city."""
    ensure_manager(actor)
    try:
        user = _add(db, actor=actor, now=now, role=role, username=username, display_name=display_name,
                    unit_code=unit_code, jurisdiction_code=jurisdiction_code)
        return user, _issue(db, actor=actor, now=now, user=user, name=key_name, rotate=False)
    except IntegrityError:  # another administrator took the name between the check and the insert
        db.rollback()
        raise Conflict("user_exists", f"用户名 {username.strip()} 已存在，请换一个") from None
    except Exception:
        db.rollback()
        raise


def issue_key(
    db: Session, *, actor: Actor, now: datetime, account_id: int, name: str = "", rotate: bool = False,
    after_key: int | None = None,
) -> IssuedKey:
    """A new key; with `rotate`, the account's earlier keys stop working in the same transaction.

    `after_key` is the newest key id the form was shown with (0: none): a form sent again — a
    refreshed page re-posting it — finds a newer key and issues nothing, so the key just shown
    is not rotated away by accident."""
    user = get_account(db, actor=actor, account_id=account_id)
    if after_key is not None:
        newest = db.scalar(select(func.max(ApiToken.id)).where(ApiToken.user_id == user.id)) or 0
        if newest != after_key:
            raise Conflict("stale_key_form", "此页面打开后已签发过新密钥（可能是刷新页面重复提交了表单），本次未签发。"
                                             "如仍需新密钥，请在下方重新提交。")
    try:
        return _issue(db, actor=actor, now=now, user=user, name=name, rotate=rotate)
    except Exception:
        db.rollback()
        raise


def provision(
    db: Session, *, actor: Actor, now: datetime, role: Role, username: str, display_name: str = "",
    rotate: bool = False, unit_code: str = "", jurisdiction_code: str = "",
) -> tuple[User, IssuedKey, bool]:
    """The command line's step: the account (created if missing) and a new key; (user, key, created)."""
    ensure_manager(actor)
    role = machine_role(str(role))
    existing = db.execute(select(User).where(func.lower(User.username) == username.strip().lower())
                          ).unique().scalar_one_or_none()
    if existing is None:
        user, issued = create_account(db, actor=actor, now=now, role=role, username=username,
                                      display_name=display_name, unit_code=unit_code,
                                      jurisdiction_code=jurisdiction_code)
        return user, issued, True
    if existing.role != role:
        raise Conflict("not_machine_account", f"用户 {existing.username} 已存在且不是{ACCOUNT_NOUNS[role]}")
    if role == Role.UNIT_SYSTEM and unit_code and scope_of(existing) != _scope_words(db, unit_code, ""):
        raise Conflict("machine_scope_fixed", f"接口账号 {existing.username} 已存在，所属单位为"
                                              f"「{scope_of(existing)[4:]}」，不能改变；其他单位的业务系统请另建账号")
    if (unit_code or jurisdiction_code) and scope_of(existing) != _scope_words(db, unit_code, jurisdiction_code):
        # Issuing a key never changes what the account reads: a scope is changed on purpose (change_scope).
        raise Conflict("machine_scope_fixed", f"接口账号 {existing.username} 已存在，数据范围为"
                                              f"「{scope_of(existing)}」，签发密钥时不能改变；如需更改数据范围，"
                                              f"请使用 hotline share scope 或接口账号页面")
    return existing, issue_key(db, actor=actor, now=now, account_id=existing.id, rotate=rotate), False


def revoke_key(db: Session, *, actor: Actor, now: datetime, account_id: int, key_id: int) -> ApiToken:
    user = get_account(db, actor=actor, account_id=account_id)
    token = db.get(ApiToken, key_id)
    if token is None or token.user_id != user.id:
        raise NotFound("machine_key_not_found", "该接口账号没有这个密钥")
    if token.revoked:
        raise Conflict("machine_key_revoked", "该密钥已经吊销")
    token.revoked = True
    audit.record(db, actor=actor, at=now, action="machine_key_revoke", object_type="machine_account",
                 object_id=user.username, detail=f"密钥 #{token.id}（{token.name or '无备注'}）")
    db.commit()
    return token


def set_active(db: Session, *, actor: Actor, now: datetime, account_id: int, active: bool) -> User:
    """Disable (every key revoked at once) or enable again (a new key must then be issued)."""
    user = get_account(db, actor=actor, account_id=account_id)
    if user.active == active:  # sent twice: nothing to do, nothing to audit (QA)
        return user
    revoked = 0
    if not active:
        revoked = _revoke_all(db, user)
    user.active = active
    audit.record(db, actor=actor, at=now, action="machine_account_enable" if active else "machine_account_disable",
                 object_type="machine_account", object_id=user.username,
                 detail=None if active else f"吊销密钥 {revoked} 个")
    db.commit()
    return user


def change_scope(db: Session, *, actor: Actor, now: datetime, account_id: int, unit_code: str = "",
                 jurisdiction_code: str = "", whole_city: bool = False) -> User:
    """A data-sharing account reads another unit's, jurisdiction's or the whole city's tickets from now on.
    Exactly one of the three is given (the whole city is never chosen by leaving both codes empty: a
    mistake there would open every ticket). Audited with the scope before and after.

    The feed position is the reader's (pull) or the subscription's cursor (push) and is not touched:
    events at or before it stay delivered, whatever the new scope; every event after it is read with
    the new scope — a widened scope does not go back before the cursor, a narrowed one sends nothing
    more of what it no longer covers, even events written before the change but not yet delivered."""
    user = get_account(db, actor=actor, account_id=account_id)
    if user.role != Role.DATA_SHARING:
        raise DomainError("machine_scope_not_applicable", "只有数据共享接口账号有数据范围")
    unit_code, jurisdiction_code = (unit_code or "").strip(), (jurisdiction_code or "").strip()
    if whole_city and (unit_code or jurisdiction_code):
        raise DomainError("machine_scope_both", "数据共享范围请在单位、辖区和全市中选其一")
    if not (whole_city or unit_code or jurisdiction_code):
        raise DomainError("machine_scope_required", "请选择新的数据范围：填写单位代码或辖区代码，或选择全市")
    unit, jurisdiction = _scope(db, Role.DATA_SHARING, unit_code, jurisdiction_code)
    before = scope_of(user)
    user.unit, user.scope_jurisdiction = unit, jurisdiction
    user.data_scope = DataScope.OWN_UNIT if unit else DataScope.JURISDICTION if jurisdiction else DataScope.ALL
    after = scope_of(user)
    if after == before:  # sent twice, or the scope it has: nothing to do, nothing to audit
        db.rollback()
        return user
    audit.record(db, actor=actor, at=now, action="machine_scope_change", object_type="machine_account",
                 object_id=user.username,
                 detail=f"数据范围：{before} → {after}（已送达的事件不变，此后的事件按新范围读取）")
    db.commit()
    return user


def scope_of(user: User) -> str:
    """An account's data scope in words, as the pages and the audit log say it."""
    if user.role == Role.UNIT_SYSTEM:
        return f"本单位：{user.unit.name}" if user.unit is not None else "—"
    if user.role != Role.DATA_SHARING:
        return "—"
    if user.data_scope == DataScope.OWN_UNIT and user.unit is not None:
        return f"本单位：{user.unit.name}"
    if user.data_scope == DataScope.JURISDICTION and user.scope_jurisdiction is not None:
        return f"本辖区：{user.scope_jurisdiction.name}"
    return "全市"


def _scope_words(db: Session, unit_code: str, jurisdiction_code: str) -> str:
    unit, jurisdiction = _scope(db, Role.DATA_SHARING, unit_code, jurisdiction_code)
    return f"本单位：{unit.name}" if unit else f"本辖区：{jurisdiction.name}" if jurisdiction else "全市"


def _scope(db: Session, role: Role, unit_code: str, jurisdiction_code: str) -> tuple[Unit | None, Jurisdiction | None]:
    """The unit or jurisdiction a data-sharing account reads (neither: the whole city); the one unit a
    unit's business system works for (required: it acts for no one else)."""
    unit_code, jurisdiction_code = (unit_code or "").strip(), (jurisdiction_code or "").strip()
    if role == Role.UNIT_SYSTEM:
        if jurisdiction_code:
            raise DomainError("machine_scope_not_applicable", "部门业务系统只能绑定一个承办单位，不能指定辖区")
        if not unit_code:
            raise DomainError("unit_required", "请填写部门业务系统所属承办单位的单位代码")
    elif not unit_code and not jurisdiction_code:
        return None, None
    elif role != Role.DATA_SHARING:
        raise DomainError("machine_scope_not_applicable", "只有数据共享接口账号可以指定单位或辖区")
    if unit_code and jurisdiction_code:
        raise DomainError("machine_scope_both", "数据共享范围请在单位和辖区中选其一（都不填则为全市）")
    if unit_code:
        unit = db.execute(select(Unit).where(Unit.code == unit_code)).unique().scalar_one_or_none()
        if unit is None:
            raise DomainError("unit_not_found", f"没有代码为 {unit_code} 的单位")
        if not unit.active:
            raise DomainError("unit_inactive", f"单位 {unit.name} 已停用，不能为其开通"
                                               + ("业务系统接口" if role == Role.UNIT_SYSTEM else "数据共享"))
        return unit, None
    jurisdiction = db.execute(select(Jurisdiction).where(Jurisdiction.code == jurisdiction_code)).scalar_one_or_none()
    if jurisdiction is None:
        raise DomainError("jurisdiction_not_found", f"没有代码为 {jurisdiction_code} 的辖区")
    return None, jurisdiction


def _add(db: Session, *, actor: Actor, now: datetime, role: Role, username: str, display_name: str,
         unit_code: str = "", jurisdiction_code: str = "") -> User:
    role = machine_role(str(role))
    unit, jurisdiction = _scope(db, role, unit_code, jurisdiction_code)
    # A unit's business system is named after its unit unless told otherwise: its acts in the ticket
    # history read as that system's (市房产局业务系统), not a person's.
    default_name = f"{unit.short_name}{DEFAULT_DISPLAY_NAMES[role]}" if role == Role.UNIT_SYSTEM and unit \
        else DEFAULT_DISPLAY_NAMES[role]
    username, display_name = username.strip(), display_name.strip() or default_name
    if not username:
        raise DomainError("username_required", "请填写接口账号的用户名")
    if len(username) > USERNAME_MAX:
        raise DomainError("username_too_long", f"用户名最多 {USERNAME_MAX} 个字符")
    if not username.replace("_", "").replace("-", "").replace(".", "").isalnum() or not username.isascii():
        raise DomainError("username_invalid", "用户名只能包含英文字母、数字、下划线、点和连字符")
    if len(display_name) > DISPLAY_NAME_MAX:
        raise DomainError("display_name_too_long", f"接入系统名称最多 {DISPLAY_NAME_MAX} 个字符")
    # in any case, as for login accounts (QA: a machine account ADMIN beside admin signed the audit log alike)
    if db.execute(select(User.id).where(func.lower(User.username) == username.lower())).first():
        raise Conflict("user_exists", f"用户名 {username} 已存在（不区分大小写），请换一个")
    # Other machine accounts read no tickets: no unit and the own-unit scope. A data-sharing account
    # reads its unit's, its jurisdiction's or (neither) the whole city's.
    scope = (DataScope.OWN_UNIT if unit or role != Role.DATA_SHARING
             else DataScope.JURISDICTION if jurisdiction else DataScope.ALL)
    user = service.add_user(db, username=username, password=secrets.token_urlsafe(24), display_name=display_name,
                            role=role, unit=unit, data_scope=scope, scope_jurisdiction=jurisdiction)
    user.created_at = now
    audit.record(db, actor=actor, at=now, action="machine_account_create", object_type="machine_account",
                 object_id=username, detail=f"{ROLE_LABELS[role]}：{display_name}"
                 + (f"；数据范围：{scope_of(user)}" if role == Role.DATA_SHARING else "")
                 + (f"；所属单位：{unit.name}" if role == Role.UNIT_SYSTEM and unit else ""))
    return user


def _issue(db: Session, *, actor: Actor, now: datetime, user: User, name: str, rotate: bool) -> IssuedKey:
    if not user.active:
        raise DomainError("machine_account_disabled", f"接口账号 {user.username} 已停用，请先启用再签发密钥")
    name = name.strip() or DEFAULT_KEY_NAMES[Role(user.role)]
    if len(name) > KEY_NAME_MAX:
        raise DomainError("key_name_too_long", f"密钥备注最多 {KEY_NAME_MAX} 个字符")
    revoked = _revoke_all(db, user) if rotate else 0
    key, token = service.add_token(db, user=user, now=now, name=name)
    # The key's number, as the account page lists it: which key a later revoke or leak is about.
    audit.record(db, actor=actor, at=now, action="machine_key_rotate" if rotate else "machine_key_issue",
                 object_type="machine_account", object_id=user.username,
                 detail=f"密钥 #{token.id}（备注：{name}）" + (f"；吊销旧密钥 {revoked} 个" if rotate else ""))
    db.commit()
    return IssuedKey(key=key, token=token, revoked=revoked)


def _revoke_all(db: Session, user: User) -> int:
    result = db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                        .values(revoked=True).execution_options(synchronize_session="fetch"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _rows(db: Session, users: list[User], now: datetime) -> list[AccountRow]:
    """Key figures for a page of accounts in one grouped query."""
    if not users:
        return []
    live = (ApiToken.revoked.is_(False)) & (ApiToken.expires_at > now)
    stats = {
        row.user_id: row for row in db.execute(
            select(ApiToken.user_id, func.count(case((live, 1))).label("active"),
                   func.max(ApiToken.created_at).label("last_issued"),
                   func.max(ApiToken.last_used_at).label("last_used"),
                   func.max(case((live, ApiToken.expires_at))).label("expires"))
            .where(ApiToken.user_id.in_([u.id for u in users])).group_by(ApiToken.user_id)
        )
    }
    out = []
    for user in users:
        row = stats.get(user.id)
        out.append(AccountRow(user=user, active_keys=int(row.active) if row else 0,
                              last_issued_at=row.last_issued if row else None,
                              last_used_at=row.last_used if row else None,
                              keys_expire_at=row.expires if row else None))
    return out
