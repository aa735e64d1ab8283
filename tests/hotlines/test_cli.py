"""`hotline hotlines import | route` on the test database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import Settings


@pytest.fixture()
def runner(settings: Settings, engine: object, org: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "test")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    return CliRunner()


def test_import_is_idempotent_and_prints_a_summary(runner: CliRunner) -> None:
    r = runner.invoke(app, ["hotlines", "import", "--city", "南京市"])
    assert r.exit_code == 0, r.output
    assert "新登记 32 条" in r.output and "+ 南京市 12366 全国税务系统统一电话" in r.output
    assert "待管理员补充登记" in r.output and "供水服务热线" in r.output
    r = runner.invoke(app, ["hotlines", "import", "--city", "南京市"])
    assert r.exit_code == 0 and "新登记 0 条" in r.output and "没有任何改动" in r.output
    r = runner.invoke(app, ["hotlines", "import"])
    assert "新登记 15 条" in r.output and "已存在未改动 32 条" in r.output


def test_import_errors_in_chinese(runner: CliRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = runner.invoke(app, ["hotlines", "import", "--city", "北京市"])
    assert r.exit_code == 2 and "清单中没有北京市" in r.output
    r = runner.invoke(app, ["hotlines", "import", "--file", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "无法读取热线清单文件" in r.output
    empty = tmp_path / "empty.json"
    empty.write_text('{"cities": []}', encoding="utf-8")
    r = runner.invoke(app, ["hotlines", "import", "--file", str(empty)])
    assert r.exit_code == 2 and "清单中没有任何城市的热线" in r.output


def test_route_dry_run(runner: CliRunner) -> None:
    runner.invoke(app, ["hotlines", "import"])
    r = runner.invoke(app, ["hotlines", "route", "12333", "--city", "宿迁市", "--zone", "12333"])
    assert r.exit_code == 0, r.output
    assert "business_zone:12333" in r.output and "业务专区有人值守" in r.output
    r = runner.invoke(app, ["hotlines", "route", "12345", "--blacklisted", "--new-matter"])
    assert "12345综合座席" in r.output and "新诉求" in r.output


def test_route_dry_run_reads_the_rota(runner: CliRunner, db, rt) -> None:  # type: ignore[no-untyped-def]
    """Without --expert the rota says who is on duty (the dry run's time is the real now: every day, all day)."""
    from hotline.hotlines import roster, service
    from hotline.security.actor import Actor

    service.import_reference(db, rt, actor=Actor.system(), cities=["南京市"])
    roster.seed(db, rt, actor=Actor.system(), city="南京市",
                people=[("12348", "陈立新", "市法律援助中心", "8101", "每天 00:00-24:00")])
    db.rollback()
    r = runner.invoke(app, ["hotlines", "route", "12348", "--city", "南京市"])
    assert r.exit_code == 0, r.output
    assert "dual_expert_seats" in r.output and "在岗：陈立新（市法律援助中心 8101）" in r.output
    r = runner.invoke(app, ["hotlines", "route", "12348", "--city", "南京市", "--zone", "12313"])
    assert "dual_expert_seats" in r.output  # --zone overrides only the business zones


def test_route_reads_numbers_as_the_api_does(runner: CliRunner) -> None:
    """QA: `route abc` was routed as an unknown number, and a full-width 12333 was not found, while
    POST /api/v1/hotlines/route refuses the one and finds the other."""
    runner.invoke(app, ["hotlines", "import", "--city", "南京市"])
    r = runner.invoke(app, ["hotlines", "route", "abc"])
    assert r.exit_code == 2 and "被叫号码格式不正确" in r.output and "去向" not in r.output
    r = runner.invoke(app, ["hotlines", "route", ""])
    assert r.exit_code == 2 and "请填写被叫号码" in r.output
    r = runner.invoke(app, ["hotlines", "route", "12333", "--zone", "业务专区"])
    assert r.exit_code == 2 and "在岗的业务专区号码格式不正确" in r.output
    r = runner.invoke(app, ["hotlines", "route", "１２３３３"])  # typed on a Chinese keyboard
    assert r.exit_code == 0 and "12333" in r.output and "unknown_number" not in r.output
