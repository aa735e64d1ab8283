"""Tables of push delivery (订阅推送): a data-sharing account's subscription, and the log of its deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime


class PushSubscription(Base):
    """Where the feed of one data-sharing account is pushed, and how far it has got.

    `cursor` is the feed's `after` for this account: moved only when the receiver answered 2xx.
    `lease_until` is held by the worker delivering it, so that two workers never send one account's
    pages side by side (out of order)."""

    __tablename__ = "share_push_subscriptions"
    __table_args__ = (Index("ix_share_push_subscriptions_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    # The signing key: the receiver holds the same (shown once); kept to sign, never shown again, and
    # stored sealed (sealing.py: encrypted with a key derived from the app's secret_key).
    sealed_secret: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # PushStatus
    cursor: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: due now
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed deliveries
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first of them
    last_error: Mapped[str | None] = mapped_column(String(200))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_events: Mapped[int] = mapped_column(Integer, default=0)
    deliveries_ok: Mapped[int] = mapped_column(Integer, default=0)
    deliveries_failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PushDelivery(Base):
    """One POST to a subscriber (a page of events, or a test), whatever its outcome."""

    __tablename__ = "share_push_deliveries"
    __table_args__ = (Index("ix_share_push_deliveries_subscription_id_id", "subscription_id", "id"),
                      Index("ix_share_push_deliveries_at", "at"))  # the log's pruning (delivery.prune_log)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("share_push_subscriptions.id"))
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)  # X-Hotline-Delivery
    kind: Mapped[str] = mapped_column(String(8))  # events | test
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    after: Mapped[int] = mapped_column(Integer)  # the cursor the page was read from
    first_event_id: Mapped[int | None] = mapped_column(Integer)
    last_event_id: Mapped[int | None] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool]
    http_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
