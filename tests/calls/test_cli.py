"""`hotline calls feeder | simulate` on the test database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hotline.calls.cli import base_url
from hotline.calls.models import Call
from hotline.cli import app
from hotline.config import Settings
from tests.calls.conftest import event
from tests.conftest import START


@pytest.fixture()
def runner(settings: Settings, engine: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "test")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    return CliRunner()


def test_feeder_issues_a_token_that_feeds_events(runner, client, as_user) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["calls", "feeder", "--username", "pbx-cli"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    r = client.post("/api/calls/events", json=event("cli1", 1, "offered", START, dialled="12345"),
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["accepted"] == 1
    # The machine account reaches nothing but its own routes, and has no pages.
    r = client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and r.json()["code"] == "machine_account"
    again = runner.invoke(app, ["calls", "feeder", "--username", "operator"])
    assert again.exit_code == 2 and "不是话务平台接口账号" in again.output


def test_simulate_writes_and_loads_a_stream(runner, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["calls", "simulate", "--days", "1", "--calls-per-day", "40", "--start", "2026-11-01",
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert events and {e["type"] for e in events} >= {"offered", "queued", "answered", "ended"}
    loaded = runner.invoke(app, ["calls", "simulate", "--days", "1", "--calls-per-day", "40", "--start",
                                 "2026-11-01", "--direct", "--messy"])
    assert loaded.exit_code == 0, loaded.output
    assert "拒收 0" in loaded.output
    calls = db.execute(select(func.count()).select_from(Call)).scalar_one()
    db.rollback()
    assert calls == len({e["call_id"] for e in events})
    refused = runner.invoke(app, ["calls", "simulate", "--days", "1"])
    assert refused.exit_code == 2 and "--post" in refused.output
    for url in ("http://127.0.0.1:1", "not a url"):  # nothing listening / no scheme: said, not a traceback
        unreachable = runner.invoke(app, ["calls", "simulate", "--days", "1", "--calls-per-day", "5",
                                          "--post", url, "--token", "t"])
        assert unreachable.exit_code == 2 and f"无法连接 {url}" in unreachable.output, unreachable.output


def test_the_post_address_may_be_the_events_endpoint_itself() -> None:
    """QA: --post http://host:8000/api/calls/events posted to …/api/calls/events/api/calls/events (404)."""
    for url in ("http://127.0.0.1:8000", "http://127.0.0.1:8000/", "http://127.0.0.1:8000/api/calls/events",
                " http://127.0.0.1:8000/api/calls/events/ "):
        assert base_url(url) == "http://127.0.0.1:8000", url
    assert base_url("https://pbx.example/hotline") == "https://pbx.example/hotline"  # a platform under a path
