"""Tables of the WeChat channel: every message WeChat forwarded (with the reply the account gave, so
that a retry gets the same one), and the messages queued for the relay to send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.channels.models import Handled
from hotline.db import Base, UTCDateTime


class WechatMessage(Handled, Base):
    """One message (or event) a follower sent the official account, as WeChat forwarded it."""

    __tablename__ = "wechat_message"
    # WeChat retries a message it got no answer to (up to 3 times): MsgId, or for an event the sender
    # and CreateTime (as WeChat documents), is the idempotency key within the account.
    __table_args__ = (
        UniqueConstraint("account", "msg_key"),
        Index("ix_wechat_message_status_sent_at", "status", "sent_at"),
        Index("ix_wechat_message_openid_sent_at", "openid", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64))  # ToUserName: the account's original id (gh_…)
    msg_key: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(64))  # FromUserName: the follower, personal data
    msg_type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(String(2000))  # the text; for other types what can be shown of them
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)  # CreateTime: when the follower sent it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it reached the platform
    # The passive reply given ("" = nothing to say, answered "success"); None while being answered.
    reply: Mapped[str | None] = mapped_column(String(2000))
    # the assistant's turn (hotline.knowledge.chat.Turn): a follow-up is read against the recent ones
    turn: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # When the attempt that answers this message took it on (a compare-and-swap): WeChat's retry of a
    # message still being answered waits for that answer instead of answering (and counting) it again.
    answering_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WechatOutbound(Base):
    """A customer-service message for the relay to send (the 已受理 notice, an operator's reply, a late
answer), and its fate."""

    __tablename__ = "wechat_outbound"
    __table_args__ = (Index("ix_wechat_outbound_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(600))
    purpose: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_message.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    relay_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_reason: Mapped[str | None] = mapped_column(String(200))
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 重发: the failed message this one sends again; unique, so two operators at once resend it once
    resend_of_id: Mapped[int | None] = mapped_column(ForeignKey("wechat_outbound.id"), unique=True)
