"""Throttling of guessable secrets: failed logins and failed public progress lookups.

A failure is counted per key (e.g. the username, the ticket number, the client address) in a fixed
window; at the limit, further attempts are refused with 429 until the window ends. Counts live in
the database so that every worker process shares them.
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


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, minutes: int) -> None:
        super().__init__("too_many_attempts", f"尝试次数过多，请 {minutes} 分钟后再试")


def ensure_allowed(db: Session, *, checks: list[tuple[str, Rule]], now: datetime) -> None:
    for key, rule in checks:
        row = db.get(RateLimit, key[:200])
        if row is not None and now < row.window_start + rule.window and row.failures >= rule.limit:
            remaining = row.window_start + rule.window - now
            raise TooManyAttempts(max(1, int(remaining.total_seconds() // 60) + 1))


def record_failure(db: Session, *, checks: list[tuple[str, Rule]], now: datetime) -> None:
    """Count one failure under every key, in its own commit (the caller's work is being refused)."""
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
