"""WeChat gives a passive reply 5 seconds: an answer not ready within `wechat_answer_seconds` is not
waited for. The callback says `success` (no retry, no "service unavailable" shown to the follower)
and the answer, when ready, is queued for the relay as a customer-service message — sent one way,
never neither, never both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.app import create_app
from hotline.wechat import service
from hotline.wechat.models import WechatMessage, WechatOutbound
from tests.wechat.conftest import TOKEN, content_of, sign, xml


@pytest.fixture()
def slow(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every answer takes 2.5 s more (a cold index, a busy machine)."""
    answer = service._answer

    def late(*args: Any, **kwargs: Any) -> Any:
        time.sleep(2.5)
        return answer(*args, **kwargs)

    monkeypatch.setattr(service, "_answer", late)


@pytest.fixture()
def tight(settings, engine, clock, org) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"wechat_token": TOKEN, "wechat_answer_seconds": 1.0}),
                     engine=engine, clock=clock)
    with TestClient(app) as c:
        yield c


def post(c: TestClient, msg_id: str, text: str) -> str:
    r = c.post("/wechat/callback", params=sign(), content=xml("text", msg_id=msg_id, Content=text),
               headers={"Content-Type": "text/xml"})
    assert r.status_code == 200, r.text
    return content_of(r.text)


def outbox(db) -> list[tuple[str, str, int | None, str, str]]:  # type: ignore[no-untyped-def]
    """The outbox as it is now: (purpose, status, message, openid, text). Read, then rolled back, so the
    test never holds SQLite while the app writes."""
    rows = [(o.purpose, o.status, o.message_id, o.openid, o.text)
            for o in db.execute(select(WechatOutbound).order_by(WechatOutbound.id)).scalars()]
    db.rollback()
    return rows


def test_a_late_answer_goes_out_through_the_relay(tight, slow, db, publish) -> None:  # type: ignore[no-untyped-def]
    assert post(tight, "7001", "你好") == "success"  # not waited for
    for _ in range(300):  # the answer finishes in its own thread
        if outbox(db):
            break
        time.sleep(0.05)
    (late,) = outbox(db)
    stored = db.execute(select(WechatMessage).where(WechatMessage.msg_key == "7001")).scalar_one()
    assert late == ("late", "queued", stored.id, stored.openid, stored.reply) and stored.reply  # a retry's answer
    reply = stored.reply
    db.rollback()  # SQLite: the test's reader must not hold the database while the app answers
    assert post(tight, "7001", "你好") == reply  # WeChat's retry, if any: the stored answer, passive
    time.sleep(0.1)
    assert len(outbox(db)) == 1  # …and nothing queued twice


def test_an_answer_in_time_is_passive_and_queues_nothing(wx, db, publish) -> None:  # type: ignore[no-untyped-def]
    reply = post(wx, "7002", "你好")  # the default budget, 4 s
    assert reply != "success" and reply
    time.sleep(0.1)
    assert outbox(db) == []


def test_the_relay_lists_the_late_answer(tight, slow, db, relay, publish) -> None:  # type: ignore[no-untyped-def]
    post(tight, "7003", "你好")
    for _ in range(300):
        if outbox(db):
            break
        time.sleep(0.05)
    text = outbox(db)[0][4]
    items = tight.get("/api/wechat/outbox", headers=relay).json()["items"]
    assert len(items) == 1 and items[0]["text"] == text
