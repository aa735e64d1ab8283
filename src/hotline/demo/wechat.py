"""The demo's 微信受理: a few messages to the 12345 official account, taken through the callback's own
path (`wechat.service.receive`) — a new follower's welcome, two followers asking for a person and
describing their matter, and one greeting the account answers itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hotline.runtime import Runtime
from hotline.wechat import service
from hotline.wechat.protocol import Message

ACCOUNT = "gh_12345demo0001"
# (minutes before the end, openid, MsgType, text or event)
MESSAGES = [
    (44, "oDemoFollower00000000000001", "event", "subscribe"),
    (43, "oDemoFollower00000000000001", "text", "人工"),
    (42, "oDemoFollower00000000000001", "text", "锁金村街道锁金新村12栋旁边的路灯坏了一个多月，晚上很黑"),
    (41, "oDemoFollower00000000000001", "text", "老人晚上出门不方便，希望尽快修好"),
    (25, "oDemoFollower00000000000002", "text", "转人工"),
    (24, "oDemoFollower00000000000002", "text", "东山街道竹山路小区门口的路面有个大坑，电动车容易摔倒"),
    (10, "oDemoFollower00000000000003", "text", "你好"),
]


def build(db: Session, rt: Runtime, *, end: datetime) -> int:
    """Returns the number of messages waiting for an operator."""
    for i, (minutes, openid, kind, text) in enumerate(MESSAGES):
        event = text if kind == "event" else None
        at = end - timedelta(minutes=minutes)
        key = f"ev:{openid}:{int(at.timestamp())}:{event}" if event else str(7_000_000_000 + i)
        service.receive(db, rt, msg=Message(account=ACCOUNT, openid=openid, msg_type=kind, key=key, sent_at=at,
                                            content=f"{event} " if event else text, event=event))
    return service.counts(db)[0]
