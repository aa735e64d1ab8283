"""`hotline assessment refresh | verify | ranking` on the test database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import Settings
from tests.assessment.conftest import Flow


@pytest.fixture()
def runner(settings: Settings, engine: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "test")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    return CliRunner()


def test_refresh_verify_and_ranking(runner: CliRunner, flow: Flow, db) -> None:  # type: ignore[no-untyped-def]
    tid = flow.new()
    flow.handle(tid)
    flow.callback(tid)
    db.rollback()
    r = runner.invoke(app, ["assessment", "verify", "--from", "2026-11"])
    assert r.exit_code == 1 and "不一致" in r.output
    r = runner.invoke(app, ["assessment", "verify", "--from", "2026-xx"])  # exit 2: 1 means the facts differ
    assert r.exit_code == 2 and "月份格式应为 YYYY-MM" in r.output
    r = runner.invoke(app, ["assessment", "refresh", "--batch-size", "3"])
    assert r.exit_code == 0, r.output
    assert "已处理 6 个事件（2 批" in r.output
    r = runner.invoke(app, ["assessment", "refresh"])
    assert "已处理 0 个事件" in r.output
    # after a change of definition the facts are counted again from every event, to the same figures here
    r = runner.invoke(app, ["assessment", "refresh", "--rebuild"])
    assert r.exit_code == 0 and "已处理 6 个事件" in r.output
    r = runner.invoke(app, ["assessment", "verify", "--from", "2026-11"])
    assert r.exit_code == 0 and "一致" in r.output
    r = runner.invoke(app, ["assessment", "ranking", "--from", "2026-11", "--json"])
    rows = json.loads(r.output)
    assert rows[0]["unit_name"] == "市房产局" and rows[0]["score"] == 100.0
    r = runner.invoke(app, ["assessment", "ranking", "--from", "2026-13"])
    assert r.exit_code == 2 and "YYYY-MM" in r.output
