"""Push subscriptions (订阅推送), administered: a data-sharing account's URL and signing secret, pause and
resume, a new secret, the delivery log and a test delivery. One module for the API, the admin page and
the command line; administrators only (the command line acts as the system); every change audited, one
transaction each. The sending itself is delivery.py's."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.errors import Conflict, DomainError, NotFound
from hotline.org import machines
from hotline.org.models import User
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.sharing import addresses, delivery, feed, sealing, signing
from hotline.sharing.enums import PUSH_STATUS_LABELS, PushStatus
from hotline.sharing.models import PushDelivery, PushSubscription
from hotline.sharing.schemas import feed_out

URL_MAX = 500
SECRET_NOTICE = ("签名密钥只显示这一次：请立即配置到接收方系统，用于校验请求头 X-Hotline-Signature；"
                 "遗失后只能重新生成。")


def check_url(url: str, rt: Runtime | None = None) -> str:
    """The receiver's address: http(s), a host, no credentials (the signature proves the sender); with
    `rt`, also a host that resolves to allowed addresses only (addresses.py: no loopback, link-local or
    metadata service by default)."""
    url = (url or "").strip()
    if not url:
        raise DomainError("push_url_required", "请填写推送地址")
    if len(url) > URL_MAX:
        raise DomainError("push_url_too_long", f"推送地址最长 {URL_MAX} 个字符")
    if any(c.isspace() for c in url) or not url.isascii():
        raise DomainError("push_url_invalid", "推送地址不能包含空格或非 ASCII 字符（中文域名请先转换为 xn-- 形式）")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise DomainError("push_url_scheme", "推送地址须以 https:// 或 http:// 开头")
    try:
        parts.port  # noqa: B018 — raises on a port that is not a number in range
    except ValueError:
        raise DomainError("push_url_port", "推送地址的端口无效") from None
    if not parts.hostname:
        raise DomainError("push_url_host", "推送地址缺少主机名")
    if parts.username or parts.password:
        raise DomainError("push_url_credentials", "推送地址不能包含用户名或密码：接收方请以签名校验请求来源")
    if parts.fragment:
        raise DomainError("push_url_fragment", "推送地址不能包含 # 片段")
    if rt is not None:
        addresses.check(url, networks=rt.settings.share_push_networks, resolve=rt.resolve)
    return url


def sharing_account(db: Session, *, actor: Actor, account_id: int) -> User:
    user = machines.get_account(db, actor=actor, account_id=account_id)  # administrators only
    if user.role != Role.DATA_SHARING:
        raise DomainError("push_not_data_sharing", "只有数据共享接口账号可以订阅推送")
    return user


def account_by_username(db: Session, *, actor: Actor, username: str) -> User:
    machines.ensure_manager(actor)
    user = db.execute(select(User).where(func.lower(User.username) == username.strip().lower())
                      ).unique().scalar_one_or_none()
    if user is None:
        raise NotFound("machine_account_not_found", f"接口账号 {username.strip()} 不存在")
    return sharing_account(db, actor=actor, account_id=user.id)


def get(db: Session, *, actor: Actor, account_id: int) -> PushSubscription | None:
    user = sharing_account(db, actor=actor, account_id=account_id)
    return _of(db, user)


def subscription(db: Session, *, actor: Actor, account_id: int) -> tuple[User, PushSubscription]:
    user = sharing_account(db, actor=actor, account_id=account_id)
    sub = _of(db, user)
    if sub is None:
        raise NotFound("push_not_subscribed", f"接口账号 {user.username} 尚未设置订阅推送")
    return user, sub


def subscribe(db: Session, rt: Runtime, *, actor: Actor, account_id: int, url: str, from_now: bool = False,
              seen: str | None = None) -> tuple[PushSubscription, str, bool]:
    """Create the subscription, or replace its URL: (subscription, new secret, created). A new one starts
    at the beginning of the account's history (as a reader's first `after=0`), or with `from_now` at the
    events ready now; a replaced one keeps its cursor unless `from_now`. Either way a new secret, active.

    `seen` is the form's: the fingerprint of the secret it was shown with ("" for none) — see _not_stale."""
    now = rt.clock.now()
    user = sharing_account(db, actor=actor, account_id=account_id)
    if not user.active:
        raise DomainError("machine_account_disabled", f"接口账号 {user.username} 已停用，请先启用再设置订阅推送")
    sub = _of(db, user)
    _not_stale(sub, seen)
    url = check_url(url, rt)
    secret = signing.new_secret()
    created = sub is None
    if sub is None:
        sub = PushSubscription(account_id=user.id, cursor=0, failures=0, delivered_events=0, deliveries_ok=0,
                               deliveries_failed=0, created_at=now)
        db.add(sub)
    if from_now:
        sub.cursor = feed.ready_until(db, now=now)
    sub.url, sub.status, sub.updated_at = url, PushStatus.ACTIVE, now
    sub.sealed_secret = sealing.seal(rt.settings.secret_key, secret)
    _clear_failures(sub)
    start = "从当前已就绪的事件之后开始" if from_now else f"从事件 #{sub.cursor} 之后开始"
    audit.record(db, actor=actor, at=now, action="share_push_subscribe" if created else "share_push_replace",
                 object_type="machine_account", object_id=user.username, detail=f"推送地址 {url}；{start}")
    db.commit()
    return sub, secret, created


def set_paused(db: Session, *, actor: Actor, now: datetime, account_id: int, paused: bool) -> PushSubscription:
    """暂停 (the cursor waits where it is) or resume (启用 again — also a subscription stopped after
    failures, which is then tried at once)."""
    user, sub = subscription(db, actor=actor, account_id=account_id)
    wanted = PushStatus.PAUSED if paused else PushStatus.ACTIVE
    if sub.status == wanted:  # sent twice: nothing to do, nothing to audit
        return sub
    if not paused and not user.active:
        raise DomainError("machine_account_disabled", f"接口账号 {user.username} 已停用，请先启用")
    before = PUSH_STATUS_LABELS[PushStatus(sub.status)]
    sub.status, sub.updated_at = wanted, now
    if not paused:
        _clear_failures(sub)
    audit.record(db, actor=actor, at=now, action="share_push_pause" if paused else "share_push_resume",
                 object_type="machine_account", object_id=user.username,
                 detail=f"{before} → {PUSH_STATUS_LABELS[wanted]}；游标 #{sub.cursor}")
    db.commit()
    return sub


def rotate_secret(db: Session, rt: Runtime, *, actor: Actor, account_id: int,
                  seen: str | None = None) -> tuple[PushSubscription, str]:
    """A new signing secret, used from the next delivery on (the old one stops at once). `seen`: as in
    subscribe."""
    now = rt.clock.now()
    user, sub = subscription(db, actor=actor, account_id=account_id)
    _not_stale(sub, seen)
    secret = signing.new_secret()
    sub.sealed_secret, sub.updated_at = sealing.seal(rt.settings.secret_key, secret), now
    audit.record(db, actor=actor, at=now, action="share_push_rotate_secret", object_type="machine_account",
                 object_id=user.username, detail="签名密钥已更换，旧密钥立即失效")
    db.commit()
    return sub, secret


def deliveries(db: Session, *, actor: Actor, account_id: int, page: int = 1,
               page_size: int = 20) -> tuple[list[PushDelivery], int]:
    """The delivery log, newest first."""
    _, sub = subscription(db, actor=actor, account_id=account_id)
    total = db.execute(select(func.count()).select_from(PushDelivery)
                       .where(PushDelivery.subscription_id == sub.id)).scalar_one()
    rows = list(db.execute(select(PushDelivery).where(PushDelivery.subscription_id == sub.id)
                           .order_by(PushDelivery.id.desc()).limit(page_size)
                           .offset((max(page, 1) - 1) * page_size)).scalars())
    return rows, total


def send_test(db: Session, rt: Runtime, *, actor: Actor, account_id: int) -> PushDelivery:
    """A signed POST of an empty page (no events; X-Hotline-Event: test): checks the address and the
    receiver's signature check, whatever the subscription's status (a stopped one before resuming it).
    Logged, audited; the cursor and the failure count are not touched."""
    user, sub = subscription(db, actor=actor, account_id=account_id)
    now = rt.clock.now()
    empty = feed.FeedPage(events=[], tickets={}, next_after=sub.cursor, has_more=False,
                          complete_until=now - feed.FEED_LAG)
    delivery_id = str(uuid.uuid4())
    url, sealed, cursor = sub.url, sub.sealed_secret, sub.cursor
    db.rollback()  # no transaction held open while the receiver answers
    with delivery.client(rt) as http:
        outcome = delivery.post(http, rt, url=url, sealed_secret=sealed,
                                body=feed_out(empty).model_dump_json().encode(), now=now, delivery_id=delivery_id,
                                kind="test", event_range="")
    sub = db.get(PushSubscription, sub.id)
    assert sub is not None
    row = delivery.log_delivery(db, sub=sub, at=now, kind="test", after=cursor, page=None, outcome=outcome,
                                delivery_id=delivery_id)
    audit.record(db, actor=actor, at=now, action="share_push_test", object_type="machine_account",
                 object_id=user.username,
                 detail=f"测试推送到 {url}：" + ("成功" if outcome.ok else f"失败（{outcome.error}）"))
    db.commit()
    return row


def _of(db: Session, user: User) -> PushSubscription | None:
    return db.execute(select(PushSubscription).where(PushSubscription.account_id == user.id)).scalar_one_or_none()


def fingerprint(sub: PushSubscription | None) -> str:
    """What a page's push forms carry: the current secret's fingerprint, "" when there is no subscription."""
    return sealing.fingerprint(sub.sealed_secret) if sub is not None else ""


def _not_stale(sub: PushSubscription | None, seen: str | None) -> None:
    # A form re-posted (a refreshed answer page) was shown with the secret its first post replaced: it
    # makes and rotates nothing, so the secret just shown is not silently rotated away.
    if seen is not None and seen != fingerprint(sub):
        raise Conflict("stale_push_form", "此页面打开后签名密钥已更换过（可能是刷新页面重复提交了表单），本次未作更改。"
                                          "如仍需更改，请在下方重新提交。")


def _clear_failures(sub: PushSubscription) -> None:
    # The lease stays: a worker sending now finishes its page before another may start.
    sub.failures, sub.failing_since, sub.next_attempt_at = 0, None, None
