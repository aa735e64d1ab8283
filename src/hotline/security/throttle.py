"""Throttling of guessable secrets (failed logins, failed public progress lookups) and quotas of
what anyone may do without an account (public submissions).

A failure, or a use, is counted per key (e.g. the username, the ticket number, the client address,
a phone's hash) in a fixed window; at the limit, further attempts are refused with 429 until the
window ends. Counts live in the database so that every worker process shares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.errors import DomainError
from hotline.security.models import RateLimit


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta


LOGIN_PER_USER = Rule(limit=10, window=timedelta(minutes=15))
LOGIN_PER_CLIENT = Rule(limit=50, window=timedelta(minutes=15))
LOOKUP_PER_TICKET = Rule(limit=10, window=timedelta(hours=1))
LOOKUP_PER_CLIENT = Rule(limit=30, window=timedelta(hours=1))
# Requests submitted without an account (portal page and public API): one citizen's real matters in a
# day fit well under the phone's quota, and a service hall's kiosks behind one address under the
# client's; a script flooding the centre with tickets does not.
SUBMIT_PER_PHONE = Rule(limit=10, window=timedelta(days=1))
SUBMIT_PER_CLIENT = Rule(limit=30, window=timedelta(hours=1))


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, minutes: int) -> None:
        super().__init__("too_many_attempts", f"尝试次数过多，请 {minutes} 分钟后再试")


class QuotaReached(DomainError):
    status_code = 429

    def __init__(self, message: str) -> None:
        super().__init__("quota_reached", message)


def _minutes_left(row: RateLimit, rule: Rule, now: datetime) -> int | None:
    """Minutes until the key's window ends, when its count has reached the limit; else None."""
    if row is None or now >= row.window_start + rule.window or row.failures < rule.limit:
        return None
    remaining = row.window_start + rule.window - now
    return max(1, int(remaining.total_seconds() // 60) + 1)


def ensure_allowed(db: Session, *, checks: list[tuple[str, Rule]], now: datetime) -> None:
    for key, rule in checks:
        minutes = _minutes_left(db.get(RateLimit, key[:200]), rule, now)
        if minutes is not None:
            raise TooManyAttempts(minutes)


def take(db: Session, *, checks: list[tuple[str, Rule, str]], now: datetime) -> None:
    """Count one use under every key inside the caller's transaction (a request refused later is
    rolled back with its count); at a key's limit, QuotaReached with that key's message, in which
    "{minutes}" is the wait."""
    rows = []
    for key, rule, message in checks:
        row = _locked(db, key[:200], now)
        minutes = _minutes_left(row, rule, now)
        if minutes is not None:
            raise QuotaReached(message.format(minutes=minutes))
        rows.append((row, rule))
    for row, rule in rows:
        if now >= row.window_start + rule.window:
            row.window_start, row.failures = now, 0
        row.failures += 1
    db.flush()


def _locked(db: Session, key: str, now: datetime) -> RateLimit:
    """The key's row, locked for this transaction (created with a zero count when new)."""
    row = db.execute(select(RateLimit).where(RateLimit.key == key).with_for_update()).scalar_one_or_none()
    if row is not None:
        return row
    try:
        with db.begin_nested():
            row = RateLimit(key=key, window_start=now, failures=0)
            db.add(row)
        return row
    except IntegrityError:  # another request created it first
        return db.execute(select(RateLimit).where(RateLimit.key == key).with_for_update()).scalar_one()


def record_failure(db: Session, *, checks: list[tuple[str, Rule]], now: datetime) -> None:
    """Count one failure under every key, in its own commit (the caller's work is being refused). Uses
    that count against a quota go through `take`, inside the work they count."""
    db.rollback()
    for key, rule in checks:
        key = key[:200]
        row = db.execute(select(RateLimit).where(RateLimit.key == key).with_for_update()).scalar_one_or_none()
        if row is None:
            try:
                with db.begin_nested():
                    db.add(RateLimit(key=key, window_start=now, failures=1))
                continue
            except IntegrityError:
                row = db.execute(select(RateLimit).where(RateLimit.key == key).with_for_update()).scalar_one()
        if now >= row.window_start + rule.window:
            row.window_start, row.failures = now, 1
        else:
            row.failures += 1
    db.commit()


def clear(db: Session, *, keys: list[str]) -> None:
    """A success forgives earlier failures under these keys (flush only)."""
    for key in keys:
        row = db.get(RateLimit, key[:200])
        if row is not None:
            db.delete(row)
