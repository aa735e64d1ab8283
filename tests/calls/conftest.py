"""Calls fixtures: the telephony adapter's machine account and token, event builders, and emptying
the calls tables after each test (before the root conftest empties tickets they point to)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from hotline.calls.models import Call, CallEvent, CallTransfer
from tests.conftest import START
from tests.factories import Org, telephony_token


@pytest.fixture(autouse=True)
def _clean_calls(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        for table in (CallTransfer, CallEvent, Call):
            conn.execute(delete(table))


@pytest.fixture(scope="session")
def feeder_token(engine: Engine, org: Org) -> str:
    return telephony_token(engine, username="pbx", display_name="话务平台", now=START + timedelta(days=60))


@pytest.fixture()
def feed(client, feeder_token: str) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """POST events (one dict or a list) as the telephony adapter."""

    def post(body: Any) -> Any:
        return client.post("/api/calls/events", json=body, headers={"Authorization": f"Bearer {feeder_token}"})

    return post


def event(call: str, seq: int, kind: str, at: datetime, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"call_id": call, "event_id": f"{call}-{seq}", "sequence": seq, "type": kind,
                            "at": at.isoformat()}
    body.update(extra)
    return body


def answered_call(call: str, start: datetime, *, caller: str = "13912345678", wait: int = 10, talk: int = 120,
                  operator: str = "operator", line: str = "12345", queue: str = "general") -> list[dict[str, Any]]:
    """offered → queued → answered → ended."""
    t = start
    return [
        event(call, 1, "offered", t, caller=caller, dialled=line),
        event(call, 2, "queued", t + timedelta(seconds=1), queue=queue),
        event(call, 3, "answered", t + timedelta(seconds=wait), seat="A-01", operator=operator, queue=queue,
              recording_ref=f"rec/{call}.wav"),
        event(call, 4, "ended", t + timedelta(seconds=wait + talk)),
    ]


def abandoned_call(call: str, start: datetime, *, caller: str = "13800001111", wait: int = 40,
                   line: str = "12345", queue: str = "general") -> list[dict[str, Any]]:
    return [
        event(call, 1, "offered", start, caller=caller, dialled=line),
        event(call, 2, "queued", start + timedelta(seconds=1), queue=queue),
        event(call, 3, "abandoned", start + timedelta(seconds=wait)),
    ]
