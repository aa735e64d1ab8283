"""SMS fixtures: the gateway's machine account (the telephony role) and its token, a push helper, and
emptying the SMS tables after each test (before the root conftest empties the tickets they point to)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from hotline.sms.models import SmsInbound, SmsOutbound
from tests.conftest import START
from tests.factories import Org, telephony_token


@pytest.fixture(autouse=True)
def _clean_sms(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        conn.execute(delete(SmsOutbound))
        conn.execute(delete(SmsInbound))


@pytest.fixture(scope="session")
def gateway_token(engine: Engine, org: Org) -> str:
    return telephony_token(engine, username="sms-gateway", display_name="短信网关", now=START + timedelta(days=60))


@pytest.fixture()
def gateway(gateway_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {gateway_token}"}


@pytest.fixture()
def push(client, gateway) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """POST texts (one dict or a list) as the SMS gateway."""

    def post(body: Any) -> Any:
        return client.post("/api/sms/inbound", json=body, headers=gateway)

    return post


def text(gid: str, sender: str = "13912345678", body: str = "小区楼下餐馆每晚营业到凌晨，噪音扰民",
         at: datetime = START - timedelta(minutes=30), **extra: Any) -> dict[str, Any]:
    return {"id": gid, "from": sender, "text": body, "received_at": at.isoformat(), **extra}
