"""The `hotline` console script words the parser's usage errors in Chinese, with exit code 2."""

from __future__ import annotations

import pytest

from hotline.cli import app
from hotline.cli_errors import run


def failure(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        run(app, args)
    return exit_.value.code, capsys.readouterr().err


@pytest.mark.parametrize(("args", "said"), [
    (["kb", "search", "x", "--limit", "abc"], "错误：--limit 的值无效：应为整数（收到 'abc'）"),
    (["kb", "search", "x", "--limit", "2.5"], "应为整数"),
    (["kb", "search", "x", "--bogus"], "错误：没有选项 --bogus"),
    (["kb", "nosuch"], "错误：没有命令 nosuch"),
    (["kb", "import"], "错误：缺少选项 --input"),
    (["kb", "search", "x", "y"], "错误：多余的参数：y"),
])
def test_usage_errors_are_worded_in_chinese(capsys: pytest.CaptureFixture[str], args: list[str], said: str) -> None:
    code, err = failure(capsys, *args)
    assert code == 2
    assert said in err
    assert "用法：" in err and f"查看帮助：{err.split('用法：')[1].split(' [')[0]} --help" in err
    assert "Invalid value" not in err and "Missing option" not in err and "No such" not in err


def test_help_and_success_keep_their_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(app, ["kb", "--help"])
    assert exit_.value.code == 0 and "知识库" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        run(app, ["workflow"])
    assert exit_.value.code == 0 and "|" in capsys.readouterr().out


def test_other_errors_are_not_swallowed() -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError, match="boom"):
        run(broken, [])


@pytest.mark.parametrize(("url", "said"), [
    ("not a url", "数据库地址（HOTLINE_DATABASE_URL）无法识别"),
    ("sqlite:////nonexistent-dir-for-test/x.db", "无法连接或打开数据库"),
])
def test_a_database_that_cannot_be_named_or_reached_is_said_in_chinese(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, said: str) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    code, err = failure(capsys, "db", "current")
    assert code == 2 and said in err and "Traceback" not in err


def test_a_database_never_migrated_says_to_upgrade(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    code, err = failure(capsys, "supervision", "runs")
    assert code == 2 and "数据库尚未初始化：请先运行 hotline db upgrade" in err


def test_a_close_command_is_suggested_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = failure(capsys, "dbx")
    assert code == 2 and "错误：没有命令 dbx，您是不是想用 db" in err
    code, err = failure(capsys, "reports")  # several close ones, said as a list (it read "report', 'import")
    assert code == 2 and "您是不是想用 report、import" in err and "'" not in err.splitlines()[-1]


@pytest.mark.parametrize(("args", "said"), [
    (["serve", "--port", "99999"], "--port 应在 1 到 65535 之间"),
    (["worker", "--interval", "0", "--once"], "--interval 至少为 0.1 秒"),
    (["users", "create", " ", "--role", "admin", "--password", "a-long-password-1"], "用户名不能为空"),
    # QA: 0 said 暂无运行记录 where there were runs; -1 listed them all on SQLite and failed on PostgreSQL
    (["supervision", "runs", "--limit", "0"], "--limit 的值无效：不能小于 1"),
    (["supervision", "runs", "--limit", "-1"], "--limit 的值无效：不能小于 1"),
])
def test_values_no_command_could_use_are_refused_before_anything_runs(
        capsys: pytest.CaptureFixture[str], args: list[str], said: str) -> None:
    code, err = failure(capsys, *args)
    assert code == 2 and said in err


def test_a_one_shot_worker_pass_that_fails_exits_1(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """QA: `worker --once` exited 0 after a failed pass, so cron could not tell."""
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'never-migrated.db'}")
    with pytest.raises(SystemExit) as exit_:
        run(app, ["worker", "--once"])
    assert exit_.value.code == 1


def test_an_output_path_that_cannot_be_written_is_said_in_chinese(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, err = failure(capsys, "seats", "plan", "--demo-week", "--aht", "240", "--xlsx", str(tmp_path))
    assert code == 2 and f"无法读写文件 {tmp_path}：这是一个目录" in err and "Traceback" not in err
    code, err = failure(capsys, "seats", "plan", "--demo-week", "--aht", "240",
                        "--xlsx", str(tmp_path / "no" / "x.xlsx"))
    assert code == 2 and "文件或其所在目录不存在" in err


def test_an_option_given_twice_is_refused_not_half_used(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = failure(capsys, "kb", "import", "--input", "a.csv", "--input=b.csv", "--question-col", "q",
                        "--answer-col", "a")
    assert code == 2 and "选项 --input 只能给一次（给了 2 次）" in err
    # Flags and an option given once are not refused (the parser goes on to its own checks).
    code, err = failure(capsys, "kb", "search", "x", "--limit", "3", "--limit", "4")
    assert code == 2 and "--limit 只能给一次" in err
    code, err = failure(capsys, "kb", "search", "--help")
    assert code == 0 and "只能给一次" not in err


def test_a_reversed_period_is_refused_by_the_analysis_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """QA: hotline analytics volume --since 2026-11-01 --until 2026-10-01 printed nothing, exit 0."""
    code, err = failure(capsys, "analytics", "volume", "--since", "2026-11-01", "--until", "2026-10-01")
    assert code == 2 and "结束日期不能早于开始日期" in err
