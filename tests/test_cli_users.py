"""`hotline users create` on the test database: the admin page's checks, and an audit entry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from hotline.cli import app
from hotline.config import Settings
from hotline.org.models import User
from hotline.security.models import AuditEntry
from tests.factories import drop_accounts


@pytest.fixture()
def runner(settings: Settings, engine: Engine, org: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "test")
    monkeypatch.setenv("HOTLINE_SECRET_KEY", "test-secret")
    yield CliRunner()
    drop_accounts(engine, "cli")


def test_a_user_made_on_the_command_line_is_audited(runner: CliRunner, db) -> None:  # type: ignore[no-untyped-def]
    r = runner.invoke(app, ["users", "create", "cli_admin", "--role", "admin", "--name", "管理员",
                            "--password", "secret-123"])
    assert r.exit_code == 0, r.output
    assert "已创建用户 cli_admin（系统管理员）" in r.output
    entry = db.execute(select(AuditEntry).where(AuditEntry.action == "create_user",
                                                AuditEntry.object_id == "cli_admin")).scalar_one()
    assert entry.client == "命令行" and "系统管理员" in (entry.detail or "")


@pytest.mark.parametrize(("args", "said"), [
    # QA: each of these was created as asked: a second admin differing in case, a Chinese login
    # name, a channel (machine) account with a password, a unit handler with no unit
    (["CLI_ADMIN", "--role", "admin"], "已存在（不区分大小写）"),
    (["cli张三", "--role", "operator"], "用户名须为 2–64 位英文字母"),
    (["cli_app", "--role", "channel"], "接口账号"),
    (["cli_handler", "--role", "unit_handler"], "必须指定所属单位"),
    (["cli_handler", "--role", "unit_handler", "--unit", "nosuch"], "单位代码 nosuch 不存在"),
    (["cli_long", "--role", "operator", "--name", "长" * 65], "姓名最多 64 个字"),
    (["cli_bogus", "--role", "bogus"], "未知角色 bogus"),
])
def test_the_command_line_keeps_the_admin_pages_rules(runner: CliRunner, db, args: list[str],  # type: ignore[no-untyped-def]
                                                     said: str) -> None:
    first = runner.invoke(app, ["users", "create", "cli_admin", "--role", "admin", "--password", "secret-123"])
    assert first.exit_code == 0, first.output
    r = runner.invoke(app, ["users", "create", *args, "--password", "secret-123"])
    assert r.exit_code == 2 and said in r.output, r.output
    names = set(db.execute(select(User.username).where(User.username.like("cli%"))).scalars())
    assert names == {"cli_admin"}
