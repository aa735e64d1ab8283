"""Push delivery (订阅推送): the scheduler job that POSTs each active subscription's next pages of the
feed to its URL, signed (signing.py), in order, at least once.

A page is read exactly as the pull API reads it for the same account (feed.read: its scope, masking,
lag and barrier), from the subscription's cursor. The cursor moves to the page's next_after only when
the receiver answered 2xx, so a failed or lost answer sends the same events again, never skips one;
the next page is read only after that. A failure waits RETRY_DELAYS before the next try; a
subscription failing for STOP_AFTER (and at least STOP_MIN_FAILURES times) is stopped (已停用) and
audited, until an administrator resumes it. A worker takes a lease on the subscription before
sending, so two workers never send one subscription's pages side by side.

A pass has a time budget (`share_push_budget_seconds`): spent, it stops before its next POST — between
two pages of one subscription as well — and releases the subscription; the cursor is where the last
accepted page left it, so the next pass goes on from there (nothing skipped, nothing sent twice). The
subscriptions not tried longest go first (`due`), so receivers reached late in one pass are not the ones
left out again."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.clock import to_local
from hotline.errors import DomainError
from hotline.org.models import User
from hotline.org.service import actor_for
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.sharing import addresses, feed, sealing, signing
from hotline.sharing.enums import PushStatus
from hotline.sharing.models import PushDelivery, PushSubscription
from hotline.sharing.schemas import feed_out

log = logging.getLogger(__name__)
# After the n-th consecutive failure the next try waits RETRY_DELAYS[n - 1], the last one from then on.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=1))
STOP_AFTER, STOP_MIN_FAILURES = timedelta(hours=24), 5
PAGE_LIMIT = 100  # events per POST
MAX_PAGES = 20  # per subscription per pass: one receiver far behind does not hold the others back
LEASE = timedelta(minutes=5)  # > MAX_PAGES POSTs at TIMEOUT (20 × 10 s): never lapses while a worker sends
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "hotline12345-share-push/1"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    http_status: int | None
    error: str | None
    duration_ms: int


def retry_delay(failures: int) -> timedelta:
    return RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1]


def client(rt: Runtime) -> httpx.Client:
    """A client for one receiver's host (its pooled connections were opened, and their certificates
    verified, for that host name only: one client per subscription). Redirects are not followed: a
    receiver that moved is told to us as a failure, not silently obeyed. No proxy from the environment
    (trust_env off): a proxy would resolve the name itself, past the address check."""
    return httpx.Client(transport=rt.transport, timeout=TIMEOUT, follow_redirects=False, trust_env=False,
                        headers={"User-Agent": USER_AGENT})


def post(http: httpx.Client, rt: Runtime, *, url: str, sealed_secret: str, body: bytes, now: datetime,
         delivery_id: str, kind: str, event_range: str) -> Outcome:
    """One signed POST. The receiver's host is checked again first (addresses.py: its name may resolve
    elsewhere since the URL was saved), and the secret unsealed; either failing is a failed delivery.
    The connection goes to an address that check allowed, never to the name resolved again (DNS
    rebinding): the first, or the next ones when it cannot be connected to."""
    t0 = time.perf_counter()
    try:
        checked = addresses.check(url, networks=rt.settings.share_push_networks, resolve=rt.resolve)
        secret = sealing.unseal(rt.settings.secret_key, sealed_secret)
    except (DomainError, sealing.SealError) as exc:
        error = exc.message if isinstance(exc, DomainError) else sealing.UNREADABLE
        return Outcome(ok=False, http_status=None, error=error[:200],
                       duration_ms=int((time.perf_counter() - t0) * 1000))
    timestamp = int(now.timestamp())
    headers = {"Content-Type": "application/json", signing.TIMESTAMP_HEADER: str(timestamp),
               signing.SIGNATURE_HEADER: signing.sign(secret, timestamp, body),
               signing.DELIVERY_HEADER: delivery_id, signing.EVENT_HEADER: kind, signing.RANGE_HEADER: event_range}
    status: int | None = None
    try:
        status = _post_pinned(http, url, checked, body=body, headers=headers)
        error = None if 200 <= status < 300 else f"接收方返回 HTTP {status}"
    except httpx.TimeoutException:
        error = f"接收方未在 {TIMEOUT.read:.0f} 秒内响应（超时）"
    except httpx.HTTPError as exc:
        error = f"无法连接接收方：{type(exc).__name__}: {exc}"[:200]
    return Outcome(ok=error is None, http_status=status, error=error,
                   duration_ms=int((time.perf_counter() - t0) * 1000))


def _post_pinned(http: httpx.Client, url: str, checked: list[str], *, body: bytes, headers: dict[str, str]) -> int:
    """The receiver's status. Its body is never read (the status says it all): a receiver dripping a body byte
    by byte, each within the read timeout, would otherwise hold the pass past its budget; the connection is
    closed with the body unread."""
    for i, address in enumerate(checked):
        target = addresses.pinned(url, address)
        try:
            with http.stream("POST", target.url, content=body, headers={**headers, "Host": target.host},
                             extensions=target.extensions) as response:
                return response.status_code
        except httpx.ConnectError:
            if i == len(checked) - 1:
                raise
    raise AssertionError("check() returns at least one address")


def log_delivery(db: Session, *, sub: PushSubscription, at: datetime, kind: str, after: int, page: feed.FeedPage | None,
                 outcome: Outcome, delivery_id: str) -> PushDelivery:
    row = PushDelivery(subscription_id=sub.id, delivery_id=delivery_id, kind=kind, at=at, after=after,
                       first_event_id=page.events[0].id if page and page.events else None,
                       last_event_id=page.events[-1].id if page and page.events else None,
                       events=len(page.events) if page else 0, ok=outcome.ok, http_status=outcome.http_status,
                       duration_ms=outcome.duration_ms, error=outcome.error)
    db.add(row)
    return row


@dataclass(frozen=True)
class PassResult:
    delivered: int  # events delivered (2xx)
    out_of_time: bool  # the budget ran out: some due subscriptions wait for the next pass


def due(db: Session, now: datetime) -> list[int]:
    """Active subscriptions of enabled accounts whose next try has come and that no worker holds, the
    ones not tried longest first (never tried before any)."""
    return list(db.execute(
        select(PushSubscription.id).join(User, User.id == PushSubscription.account_id)
        .where(PushSubscription.status == PushStatus.ACTIVE, User.active.is_(True),
               or_(PushSubscription.next_attempt_at.is_(None), PushSubscription.next_attempt_at <= now),
               or_(PushSubscription.lease_until.is_(None), PushSubscription.lease_until < now))
        # `is not None` sorts false (never tried) first on both databases, without NULLS FIRST
        .order_by(PushSubscription.last_attempt_at.is_not(None), PushSubscription.last_attempt_at,
                  PushSubscription.id)).scalars())


def deliver_due(sf: sessionmaker[Session], rt: Runtime, *, limit: int = PAGE_LIMIT, max_pages: int = MAX_PAGES,
                budget: float | None = None) -> int:
    """Every due subscription's next pages; the number of events delivered (2xx)."""
    return deliver_pass(sf, rt, limit=limit, max_pages=max_pages, budget=budget).delivered


def deliver_pass(sf: sessionmaker[Session], rt: Runtime, *, limit: int = PAGE_LIMIT, max_pages: int = MAX_PAGES,
                 budget: float | None = None) -> PassResult:
    """The job: due subscriptions get their next pages until `budget` seconds (the setting's by default)
    are spent. Measured on the monotonic clock, not rt.clock: it bounds real time the pass takes."""
    with sf() as db:
        ids = due(db, rt.clock.now())
    deadline = time.monotonic() + (rt.settings.share_push_budget_seconds if budget is None else budget)
    delivered = 0
    for sid in ids:
        if time.monotonic() >= deadline:
            return PassResult(delivered, out_of_time=True)
        try:
            with client(rt) as http:
                sent, stopped = _deliver(sf, rt, http, sid, limit=limit, max_pages=max_pages, deadline=deadline)
            delivered += sent
            if stopped:
                return PassResult(delivered, out_of_time=True)
        except Exception:  # one subscription's fault (a bug, the database) must not starve the others
            log.exception("share push: subscription %s failed", sid)
    return PassResult(delivered, out_of_time=False)


def deliver(sf: sessionmaker[Session], rt: Runtime, http: httpx.Client, subscription_id: int, *,
            limit: int = PAGE_LIMIT, max_pages: int = MAX_PAGES) -> int:
    """Up to `max_pages` pages for one subscription, each only after the one before it was accepted."""
    return _deliver(sf, rt, http, subscription_id, limit=limit, max_pages=max_pages, deadline=None)[0]


def _deliver(sf: sessionmaker[Session], rt: Runtime, http: httpx.Client, subscription_id: int, *,
             limit: int, max_pages: int, deadline: float | None) -> tuple[int, bool]:
    """deliver's, and none begun once `deadline` (time.monotonic) has passed: (events delivered,
    stopped by the deadline with pages perhaps left)."""
    if not _claim(sf, subscription_id, rt.clock.now()):
        return 0, False  # another worker holds it, or it was paused meanwhile
    delivered = 0
    try:
        for _ in range(max_pages):
            if deadline is not None and time.monotonic() >= deadline:
                return delivered, True  # the pass's time is spent: the cursor waits for the next pass
            with sf() as db:
                sub = db.get(PushSubscription, subscription_id)
                user = db.get(User, sub.account_id) if sub else None
                if sub is None or user is None or sub.status != PushStatus.ACTIVE or not user.active:
                    return delivered, False
                actor = actor_for(user)
                after, url, sealed, username = sub.cursor, sub.url, sub.sealed_secret, user.username
                page = feed.read(db, rt, actor=actor, after=after, limit=limit, audited=False)
                db.rollback()  # no transaction held open while the receiver answers
            if not page.events:
                # Nothing of its scope ready: the cursor moves past other scopes' events, nothing is sent.
                if page.next_after > after:
                    _move_cursor(sf, subscription_id, after, page.next_after)
                return delivered, False
            now = rt.clock.now()
            delivery_id = str(uuid.uuid4())
            outcome = post(http, rt, url=url, sealed_secret=sealed, body=feed_out(page).model_dump_json().encode(),
                           now=now, delivery_id=delivery_id, kind="events",
                           event_range=f"{page.events[0].id}-{page.events[-1].id}")
            with sf() as db:
                sub = db.get(PushSubscription, subscription_id)
                if sub is None:
                    return delivered, False
                log_delivery(db, sub=sub, at=now, kind="events", after=after, page=page, outcome=outcome,
                             delivery_id=delivery_id)
                sub.last_attempt_at = now
                if outcome.ok:
                    _succeeded(db, sub, actor=actor, now=now, after=after, page=page)
                else:
                    _failed(db, sub, account=username, now=now, error=outcome.error or "")
                db.commit()
            if not outcome.ok:
                return delivered, False
            delivered += len(page.events)
            if not page.has_more:
                return delivered, False
        return delivered, False  # MAX_PAGES sent: the rest next pass, by design rather than for time
    finally:
        _release(sf, subscription_id)


def prune_log(sf: sessionmaker[Session], rt: Runtime) -> int:
    """Delete delivery log rows older than `share_push_log_days` (the scheduler job's, each pass, as the
    run log is pruned): a page a minute per subscription is half a million rows a year. The totals stay
    on the subscription (delivered_events, deliveries_ok/failed); the rows deleted."""
    cutoff = rt.clock.now() - timedelta(days=rt.settings.share_push_log_days)
    with sf() as db:
        gone = db.execute(delete(PushDelivery).where(PushDelivery.at < cutoff)
                          .execution_options(synchronize_session=False)).rowcount
        db.commit()
    return gone


def _claim(sf: sessionmaker[Session], sid: int, now: datetime) -> bool:
    with sf() as db:
        claimed = db.execute(
            update(PushSubscription)
            .where(PushSubscription.id == sid, PushSubscription.status == PushStatus.ACTIVE,
                   or_(PushSubscription.lease_until.is_(None), PushSubscription.lease_until < now))
            .values(lease_until=now + LEASE).execution_options(synchronize_session=False)).rowcount
        db.commit()
    return claimed == 1


def _release(sf: sessionmaker[Session], sid: int) -> None:
    with sf() as db:
        db.execute(update(PushSubscription).where(PushSubscription.id == sid).values(lease_until=None)
                   .execution_options(synchronize_session=False))
        db.commit()


def _move_cursor(sf: sessionmaker[Session], sid: int, old: int, new: int) -> None:
    # Compare-and-swap: an administrator who reset the cursor meanwhile (a new subscription) wins.
    with sf() as db:
        db.execute(update(PushSubscription).where(PushSubscription.id == sid, PushSubscription.cursor == old)
                   .values(cursor=new).execution_options(synchronize_session=False))
        db.commit()


def _succeeded(db: Session, sub: PushSubscription, *, actor: Actor, now: datetime, after: int,
               page: feed.FeedPage) -> None:
    if sub.cursor == after:  # not reset by an administrator while the POST was on its way
        sub.cursor = page.next_after
    sub.failures, sub.failing_since, sub.next_attempt_at = 0, None, None
    sub.last_success_at = now
    sub.deliveries_ok += 1
    sub.delivered_events += len(page.events)
    feed.record_read(db, actor=actor, at=now, page=page, action="share_push")


def _failed(db: Session, sub: PushSubscription, *, account: str, now: datetime, error: str) -> None:
    sub.failures += 1
    sub.deliveries_failed += 1
    sub.failing_since = sub.failing_since or now
    sub.last_error = error[:200]
    if sub.failures >= STOP_MIN_FAILURES and now - sub.failing_since >= STOP_AFTER:
        sub.status, sub.next_attempt_at = PushStatus.STOPPED, None
        since = to_local(sub.failing_since).strftime("%m月%d日 %H:%M")
        audit.record(db, actor=Actor.system(), at=now, action="share_push_stop", object_type="machine_account",
                     object_id=account, detail=f"连续失败 {sub.failures} 次（自 {since} 起），最近一次：{error}"[:500])
    else:
        sub.next_attempt_at = now + retry_delay(sub.failures)
