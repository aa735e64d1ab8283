"""`hotline ratings report --from --to [--unit] [--json]` on the test database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import Settings


@pytest.fixture()
def runner(settings: Settings, engine: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "test")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    return CliRunner()


def test_report_text_and_json(runner: CliRunner, client, as_user, org, rated, db) -> None:  # type: ignore[no-untyped-def]
    noisy = rated("housing", "very_unsatisfied", "答复敷衍")
    shop = rated("market", "unsatisfied", "缺斤少两")
    rated("housing", "satisfied")
    rated("market", "very_satisfied")
    assert client.post(f"/api/v1/ratings/bad/{noisy['id']}/followups", headers=as_user("supervisor"),
                       json={"conclusion": "fixed", "note": "单位已整改，复查达标"}).status_code == 201
    db.rollback()

    r = runner.invoke(app, ["ratings", "report", "--from", "2026-11-01", "--to", "2026-11-30"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "好差评 2026-11-01 至 2026-11-30（全市）"
    assert lines[1] == "公众评价 4 件：好评 2 件，差评 2 件，好评率 50.0%"
    assert lines[2] == "差评核实：已核实 1 件，待核实 1 件（已核实整改 1 件）"
    assert "  市房产局  2 / 1 / 1 / 50.0% / 0" in lines and "  市市场监管局  2 / 1 / 1 / 50.0% / 1" in lines
    assert "差评（评价时间新者在前，共 2 件）：" in lines
    listed = [line for line in lines if line.startswith("  NJ")]
    assert [line.split()[0] for line in listed] == [shop["number"], noisy["number"]]
    assert "已核实整改" in listed[1] and "待核实" in listed[0] and "缺斤少两" in listed[0]

    r = runner.invoke(app, ["ratings", "report", "--from", "2026-11-01", "--to", "2026-11-30",
                            "--unit", str(org.units["market"].id), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["unit"] == {"id": org.units["market"].id, "name": "市市场监管局"}
    assert (out["rated"], out["good"], out["bad"], out["good_rate"], out["bad_open"], out["bad_followed_up"]) == (
        2, 1, 1, 50.0, 1, 0)
    assert [b["ticket_number"] for b in out["bad_ratings"]] == [shop["number"]] and out["bad_ratings_total"] == 1
    assert out["bad_ratings"][0]["conclusion"] is None and [u["name"] for u in out["units"]] == ["市市场监管局"]
    whole = json.loads(runner.invoke(app, ["ratings", "report", "--from", "2026-11-01", "--to", "2026-11-30",
                                           "--json"]).output)
    assert whole["bad_by_conclusion"] == {"已核实整改": 1} and whole["unit"] is None

    quiet = runner.invoke(app, ["ratings", "report", "--from", "2026-10-01", "--to", "2026-10-31"])
    assert quiet.exit_code == 0 and "该时段没有公众评价。" in quiet.output
    empty = json.loads(runner.invoke(app, ["ratings", "report", "--from", "2026-10-01", "--to", "2026-10-31",
                                           "--json"]).output)
    assert (empty["rated"], empty["good_rate"], empty["units"], empty["bad_ratings"]) == (0, None, [], [])


def test_report_says_what_is_wrong_in_chinese(runner: CliRunner, engine: object) -> None:
    r = runner.invoke(app, ["ratings", "report", "--from", "2026-13-01", "--to", "2026-11-30"])
    assert r.exit_code == 2 and "--from“2026-13-01”不是有效日期，请按 YYYY-MM-DD 填写" in r.output
    r = runner.invoke(app, ["ratings", "report", "--from", "2026-11-01", "--to", "11月30日"])
    assert r.exit_code == 2 and "--to“11月30日”不是有效日期" in r.output
    r = runner.invoke(app, ["ratings", "report", "--from", "2026-11-30", "--to", "2026-11-01"])
    assert r.exit_code == 2 and "结束日期 2026-11-01 早于起始日期 2026-11-30" in r.output
    r = runner.invoke(app, ["ratings", "report", "--from", "2026-11-01", "--to", "2026-11-30", "--unit", "999999"])
    assert r.exit_code == 2 and "承办单位 ID 999999 不存在" in r.output
    r = runner.invoke(app, ["ratings", "report", "--to", "2026-11-30"])
    assert r.exit_code == 2 and "--from" in r.output
