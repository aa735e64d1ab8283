"""`hotline blacklist propose | list | standing` against the test database."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hotline.blacklist import service
from hotline.blacklist.enums import Verdict
from hotline.cli import app as cli_app
from hotline.config import Settings
from hotline.runtime import Runtime
from hotline.tickets.models import Ticket
from tests.factories import Org


def test_cli_propose_list_standing(db: Session, rt: Runtime, org: Org, settings: Settings,
                                   answered: Callable[..., Ticket], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    for _ in range(3):
        t = answered("13700001111")
        service.record_verdict(db, rt, actor=org.actor("dispatcher"), ticket_id=t.id, verdict=Verdict.UNFOUNDED,
                               note="现场核实无此情况")
    db.rollback()
    runner = CliRunner()
    r = runner.invoke(cli_app, ["blacklist", "propose", "--json"])
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["created"]) == 1
    r = runner.invoke(cli_app, ["blacklist", "list", "--state", "proposed", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["items"][0]["phone"] == "13700001111"
    r = runner.invoke(cli_app, ["blacklist", "list", "--state", "bogus"])
    assert r.exit_code == 2 and "状态 bogus 无效" in r.output
    r = runner.invoke(cli_app, ["blacklist", "standing", "13700001111"])
    assert r.exit_code == 0 and "未列入黑名单" in r.output
    r = runner.invoke(cli_app, ["blacklist", "propose", "--false-min", "0"])
    assert r.exit_code == 2 and "正整数" in r.output


def test_cli_standing_refuses_what_is_no_number(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA: `standing abc` answered 未列入黑名单, as if a number had been looked up."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    for typed in ("abc", "1370000111a", "", "123"):
        r = runner.invoke(cli_app, ["blacklist", "standing", typed])
        assert r.exit_code == 2 and "格式不正确：请填写 5—20 位数字" in r.output, (typed, r.output)
        assert "未列入黑名单" not in r.output
    r = runner.invoke(cli_app, ["blacklist", "standing", "+86 137-0000-1111"])
    assert r.exit_code == 0 and "未列入黑名单" in r.output
