"""The access review's second table: how the data-sharing accounts (数据共享接口) took the ticket feed,
pulled (share_read) or pushed to their receiver (share_push).

A department's system reads the feed with a key; a key that leaks reads just as well from elsewhere.
What the audit log can tell is where each read came from: an address the account had not used in
the LOOKBACK_DAYS before the period is flagged (not for an account with no earlier reads: everything
is new to a new account).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from hotline.security.models import AuditEntry

PULL, PUSH = "share_read", "share_push"
LOOKBACK_DAYS = 90


@dataclass
class FeedReads:
    user_id: int
    username: str
    pages: int  # feed pages pulled that returned events (each one an audit entry)
    pushed: int  # pages delivered to the account's receiver (订阅推送)
    clients: list[str]
    first_at: datetime
    last_at: datetime
    new_clients: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def feed_reads(db: Session, *, since: datetime, until: datetime) -> list[FeedReads]:
    in_period = (AuditEntry.at >= since, AuditEntry.at < until, AuditEntry.user_id.is_not(None))
    pulled = AuditEntry.action == PULL
    readers = {r[0]: FeedReads(user_id=r[0], username=r[1], pages=int(r[2] or 0), pushed=int(r[3] or 0),
                               clients=[], first_at=r[4], last_at=r[5])
               for r in db.execute(select(AuditEntry.user_id, func.max(AuditEntry.username),
                                          func.sum(case((pulled, 1), else_=0)),
                                          func.sum(case((pulled, 0), else_=1)),
                                          func.min(AuditEntry.at), func.max(AuditEntry.at))
                                   .where(AuditEntry.action.in_((PULL, PUSH)), *in_period)
                                   .group_by(AuditEntry.user_id))}
    if not readers:
        return []
    # Where the pulls came from (a push has no client: the platform sends it).
    for user_id, client in db.execute(select(AuditEntry.user_id, AuditEntry.client).where(
            pulled, *in_period, AuditEntry.client.is_not(None)).group_by(AuditEntry.user_id, AuditEntry.client)
            .order_by(AuditEntry.client)):
        readers[user_id].clients.append(client)
    known: dict[int, set[str | None]] = {}
    for user_id, client in db.execute(select(AuditEntry.user_id, AuditEntry.client).where(
            AuditEntry.action.in_((PULL, PUSH)), AuditEntry.at >= since - timedelta(days=LOOKBACK_DAYS),
            AuditEntry.at < since, AuditEntry.user_id.in_(list(readers)))
            .group_by(AuditEntry.user_id, AuditEntry.client)):
        known.setdefault(user_id, set()).add(client)
    for reader in readers.values():
        earlier = known.get(reader.user_id)
        if earlier is None:
            continue  # nothing taken in the lookback: a new account, every address is new (an account that
            # only had pushes before has no address yet: its first pull from anywhere is flagged)
        reader.new_clients = [c for c in reader.clients if c not in earlier]
        if reader.new_clients:
            reader.flags.append(f"使用了此前 {LOOKBACK_DAYS} 天未用过的来源地址：{'、'.join(reader.new_clients)}")
    return sorted(readers.values(), key=lambda r: (-len(r.flags), -(r.pages + r.pushed), r.username))
