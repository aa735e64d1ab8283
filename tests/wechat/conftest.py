"""WeChat fixtures: an app whose official account is configured (a Token), a helper that posts a
message as WeChat does (signed query, XML body), the relay's machine account, and emptying the
WeChat tables after each test (before the root conftest empties the tickets they point to). The
knowledge base's fixtures come along: the account answers from published articles."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from hotline.app import create_app
from hotline.config import Settings
from hotline.wechat.models import WechatMessage, WechatOutbound
from tests.conftest import START
from tests.factories import Org, telephony_token
from tests.knowledge.conftest import _clean_kb, publish  # noqa: F401  (articles to answer from)

TOKEN = "hotline12345token"
ACCOUNT = "gh_0123456789ab"
ALICE = "oAbCdEfGhIjKlMnOpQrStUvWxYz1"
BOB = "oZyXwVuTsRqPoNmLkJiHgFeDcBa2"


@pytest.fixture(autouse=True)
def _clean_wechat(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        conn.execute(delete(WechatOutbound))
        conn.execute(delete(WechatMessage))


@pytest.fixture()
def wx_app(settings: Settings, engine: Engine, clock, org: Org):  # type: ignore[no-untyped-def]
    # The 4-second budget is pinned by test_answer_budget.py with apps of its own; here an answer from the real
    # knowledge base is waited for, so what it says does not depend on the shared machine's load
    # (model_copy does not validate: the setting's 4.5 s ceiling is for deployments).
    return create_app(settings.model_copy(update={"wechat_token": TOKEN, "wechat_answer_seconds": 60.0}),
                      engine=engine, clock=clock)


@pytest.fixture()
def wx(wx_app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(wx_app) as c:
        yield c


def sign(token: str = TOKEN, timestamp: str | None = None, nonce: str = "n0nce") -> dict[str, str]:
    ts = timestamp if timestamp is not None else str(int(START.timestamp()))
    sig = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
    return {"signature": sig, "timestamp": ts, "nonce": nonce}


def xml(msg_type: str = "text", *, openid: str = ALICE, msg_id: str | None = "1001", at: int | None = None,
        **fields: str) -> bytes:
    created = at if at is not None else int((START - timedelta(seconds=5)).timestamp())
    body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>")
    for name, value in fields.items():
        body += f"<{name}><![CDATA[{value}]]></{name}>"
    if msg_id is not None:
        body += f"<MsgId>{msg_id}</MsgId>"
    return (body + "</xml>").encode()


@pytest.fixture()
def send(wx) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """POST one message as WeChat does; returns the response."""

    def post(body: bytes, **query: str) -> Any:
        return wx.post("/wechat/callback", params={**sign(), **query}, content=body,
                       headers={"Content-Type": "text/xml"})

    return post


@pytest.fixture()
def say(send) -> Callable[..., str]:  # type: ignore[no-untyped-def]
    """A follower's text message; returns the reply's Content ("success" when none)."""
    counter = iter(range(5000, 10**6))

    def post(text: str, openid: str = ALICE, msg_id: str | None = None) -> str:
        r = send(xml("text", openid=openid, msg_id=msg_id or str(next(counter)), Content=text))
        assert r.status_code == 200, r.text
        return content_of(r.text)

    return post


def content_of(body: str) -> str:
    if body == "success":
        return body
    import xml.etree.ElementTree as ET

    return ET.fromstring(body).findtext("Content") or ""


@pytest.fixture(scope="session")
def relay_token(engine: Engine, org: Org) -> str:
    return telephony_token(engine, username="wechat-relay", display_name="微信消息中继", now=START + timedelta(days=60))


@pytest.fixture()
def relay(relay_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {relay_token}"}
