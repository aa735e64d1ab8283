"""WeChat retries a message it got no answer to within 5 seconds, also while the first attempt is still
answering it: the message is answered once (one assistant turn, one count against the follower's quota,
one use of the article), the retry gives that answer, and only the answering attempt ever queues it
for the relay. An attempt that failed or died leaves the message to a retry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.app import create_app
from hotline.db import make_session_factory
from hotline.knowledge.models import Article
from hotline.security.models import RateLimit
from hotline.wechat import service
from hotline.wechat.models import WechatMessage, WechatOutbound
from hotline.wechat.protocol import Message
from tests.conftest import START
from tests.wechat.conftest import ACCOUNT, ALICE, TOKEN, content_of, sign, xml

QUESTION = "住房公积金怎么提取？"


@pytest.fixture()
def held(monkeypatch) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The first answer waits at a gate until the test opens it; every call is counted."""
    state: dict[str, Any] = {"calls": 0, "entered": threading.Event(), "gate": threading.Event()}
    answer = service._answer

    def gated(*args: Any, **kwargs: Any) -> Any:
        state["calls"] += 1
        state["entered"].set()
        assert state["gate"].wait(20)
        if state.get("fast"):
            return "请携带身份证办理。", None
        return answer(*args, **kwargs)

    monkeypatch.setattr(service, "_answer", gated)
    yield state
    state["gate"].set()


def post(c: TestClient, msg_id: str, text: str = QUESTION) -> str:
    r = c.post("/wechat/callback", params=sign(), content=xml("text", msg_id=msg_id, Content=text),
               headers={"Content-Type": "text/xml"})
    assert r.status_code == 200, r.text
    return content_of(r.text)


def together(first: Callable[[], str], second: Callable[[], str], held: dict[str, Any],
             release_after: float) -> tuple[str, str]:
    """The first delivery starts answering; the second arrives while it does; the gate opens after
    `release_after` seconds."""
    out: dict[str, str] = {}
    a = threading.Thread(target=lambda: out.__setitem__("a", first()))
    b = threading.Thread(target=lambda: out.__setitem__("b", second()))
    a.start()
    assert held["entered"].wait(20)
    b.start()
    time.sleep(release_after)
    held["gate"].set()
    a.join(30)
    b.join(30)
    return out["a"], out["b"]


def counted(db) -> tuple[int, int, int, list[str]]:  # type: ignore[no-untyped-def]
    """(messages stored, the follower's quota count, the article's uses, the outbox's purposes)."""
    rows = len(db.scalars(select(WechatMessage)).all())
    quota = db.scalar(select(RateLimit.failures).where(RateLimit.key == f"kb-chat-client:wechat:{ALICE}")) or 0
    uses = db.scalar(select(Article.use_count)) or 0
    out = list(db.scalars(select(WechatOutbound.purpose)))
    db.rollback()
    return rows, quota, uses, out


def test_a_retry_while_the_first_answers_gets_that_answer_and_counts_nothing(engine, rt, held, db, publish) -> None:  # type: ignore[no-untyped-def]
    """Two deliveries of one message at once, each in its own session as the callback's threads are (the
    retry waits as long as it likes here: the callback's budget is not what is tested)."""
    publish(key="GJJ-1")
    db.rollback()
    sf = make_session_factory(engine)

    def deliver() -> str:
        with sf() as own:
            got = service.receive(own, rt, msg=_msg("6300000000000000001"), wait=60)
            return f"{got.answered}:{got.reply}"

    first, retry = together(deliver, deliver, held, release_after=0.5)
    reply = first.removeprefix("True:")
    assert "提取住房公积金" in reply and retry == f"False:{reply}"  # the retry waited for the first's answer
    assert held["calls"] == 1  # answered once
    assert counted(db) == (1, 1, 1, [])  # one row, one turn against the quota, one use, nothing for the relay
    [row] = db.scalars(select(WechatMessage)).all()
    assert row.reply == reply and row.turn["key"] == "GJJ-1" and row.answering_at is None
    db.rollback()


def test_the_callbacks_retry_answers_passively_with_the_first_attempts_answer(wx, held, db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    held["fast"] = True  # the answer itself is instant once the gate opens: only the hand-over is timed
    first, retry = together(lambda: post(wx, "6300000000000000005"), lambda: post(wx, "6300000000000000005"),
                            held, release_after=0.5)
    assert first == retry == "请携带身份证办理。" and held["calls"] == 1
    assert counted(db)[0] == 1


@pytest.fixture()
def tight(settings, engine, clock, org) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"wechat_token": TOKEN, "wechat_answer_seconds": 1.0}),
                     engine=engine, clock=clock)
    with TestClient(app) as c:
        yield c


def test_a_late_answer_is_queued_once_by_the_answering_attempt(tight, held, db, publish) -> None:  # type: ignore[no-untyped-def]
    publish(key="GJJ-1")
    db.rollback()
    first, retry = together(lambda: post(tight, "6300000000000000002"), lambda: post(tight, "6300000000000000002"),
                            held, release_after=1.5)  # past both callbacks' 1 s
    assert first == retry == "success"
    for _ in range(200):  # the first attempt's answer, in its own thread, goes to the relay
        if counted(db)[3]:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # (the retry's thread has long given up: it queues nothing)
    assert held["calls"] == 1 and counted(db) == (1, 1, 1, ["late"])


def _msg(key: str) -> Message:
    return Message(account=ACCOUNT, openid=ALICE, msg_type="text", key=key, sent_at=START - timedelta(seconds=5),
                   content=QUESTION)


def test_a_retry_answers_when_the_first_attempt_failed_or_died(db, rt, clock, publish, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    publish(key="GJJ-1")
    db.rollback()
    answer = service._answer

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "_answer", broken)
    with pytest.raises(RuntimeError):
        service.receive(db, rt, msg=_msg("6300000000000000003"))
    monkeypatch.setattr(service, "_answer", answer)
    got = service.receive(db, rt, msg=_msg("6300000000000000003"))  # the failed attempt let go: answered now
    assert got.answered and "提取住房公积金" in got.reply

    # An attempt that died while answering (the process stopped) holds the message: a retry soon after
    # waits and says nothing (the attempt may still answer) …
    row = WechatMessage(account=ACCOUNT, msg_key="6300000000000000004", openid=ALICE, msg_type="text",
                        content=QUESTION, sent_at=START, received_at=START, status="auto", answering_at=START)
    db.add(row)
    db.commit()
    assert service.receive(db, rt, msg=_msg("6300000000000000004"), wait=0.2) == service.Received("", answered=False)
    # … and one after ANSWER_STALE answers in its stead.
    clock.advance(service.ANSWER_STALE + timedelta(seconds=1))
    got = service.receive(db, rt, msg=_msg("6300000000000000004"))
    assert got.answered and "提取住房公积金" in got.reply
    assert service.receive(db, rt, msg=_msg("6300000000000000004")) == service.Received(got.reply, answered=False)
