"""The `hotline` command: serve, demo, db upgrade, users and tokens."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from hotline import cli_errors
from hotline.analytics.cli import analytics_app, import_app
from hotline.assessment.cli import assessment_app
from hotline.blacklist.cli import blacklist_app
from hotline.calls.cli import calls_app
from hotline.config import Settings
from hotline.dispatch.cli import dispatch_app
from hotline.hotlines.cli import hotlines_app
from hotline.knowledge.cli import kb_app
from hotline.open311.cli import open311_app
from hotline.org.unit_system_cli import unit_system_app
from hotline.ratings.cli import ratings_app
from hotline.reports.cli import report_command
from hotline.security.cli import audit_app
from hotline.sharing.cli import share_app
from hotline.supervision.cli import supervision_app, worker
from hotline.workdays.cli import calendar_app
from hotline.workforce.cli import seats_app

app = typer.Typer(help="hotline12345 政务服务便民热线平台", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库：创建与迁移", no_args_is_help=True)
users_app = typer.Typer(help="用户与访问令牌", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(dispatch_app, name="dispatch")
app.add_typer(kb_app, name="kb")
app.add_typer(import_app, name="import")
app.add_typer(analytics_app, name="analytics")
app.add_typer(calls_app, name="calls")
app.add_typer(hotlines_app, name="hotlines")
app.add_typer(supervision_app, name="supervision")
app.command("worker")(worker)
app.add_typer(blacklist_app, name="blacklist")
app.add_typer(seats_app, name="seats")
app.add_typer(assessment_app, name="assessment")
app.add_typer(calendar_app, name="calendar")
app.add_typer(open311_app, name="open311")
app.add_typer(share_app, name="share")
app.add_typer(unit_system_app, name="unit-system")
app.add_typer(audit_app, name="audit")
app.add_typer(ratings_app, name="ratings")
app.command("report")(report_command)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's message names the variable
        typer.secho(f"配置错误：{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Create or migrate the database named by HOTLINE_DATABASE_URL."""
    from hotline.db import make_engine
    from hotline.migrate import current, upgrade

    settings = _settings()
    engine = make_engine(settings)
    upgrade(engine, revision)
    typer.echo(f"数据库已升级到版本 {current(engine)}（{engine.url.render_as_string(hide_password=True)}）")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from hotline.db import make_engine
    from hotline.migrate import current

    typer.echo(current(make_engine(_settings())) or "（空数据库，请先运行 hotline db upgrade）")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="listen address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the web pages and the API."""
    import uvicorn

    if not 1 <= port <= 65535:  # uvicorn would take 99999 modulo 65536 and say nothing
        typer.secho(f"--port 应在 1 到 65535 之间（收到 {port}）", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)

    from hotline.db import make_engine
    from hotline.migrate import behind

    engine = make_engine(_settings())
    try:
        lag = behind(engine)
    finally:
        engine.dispose()
    if lag is not None:  # every page touching a missing table would fail: refuse to start instead
        typer.secho(f"数据库结构不是最新（数据库 {lag[0] or '空'}，程序需要 {lag[1]}）：请先运行 hotline db upgrade",
                    fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    typer.echo(f"hotline12345 正在运行：http://{host}:{port}/  （API 文档 /api/docs）")
    uvicorn.run("hotline.asgi:app", host=host, port=port, workers=workers, log_level="warning")


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="operator, dispatcher, unit_handler, unit_manager, callback_agent, "
                                           "supervisor, analyst, knowledge_editor, admin")],
    name: Annotated[str, typer.Option(help="display name")] = "",
    unit: Annotated[str | None, typer.Option(help="unit code (for unit roles)")] = None,
    password: Annotated[str | None, typer.Option(help="password (asked when omitted)")] = None,
) -> None:
    """Create a login account, with the same checks as the admin page (user name, unique in any case,
    login roles only, password, unit) and an audit entry, made by the system (命令行)."""
    from dataclasses import replace
    from datetime import datetime

    from hotline.db import make_engine, make_session_factory
    from hotline.errors import DomainError
    from hotline.org import admin
    from hotline.security.actor import Actor
    from hotline.security.roles import ROLE_LABELS, Role

    if not username.strip():  # refused before the database is opened
        typer.secho("用户名不能为空", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    if role not in {str(r) for r in Role}:
        typer.secho(f"未知角色 {role}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    settings = _settings()
    db = make_session_factory(make_engine(settings))()
    try:
        secret = password or getpass.getpass("密码：")
        user = admin.create_user(db, actor=replace(Actor.system(), client="命令行"), now=datetime.now().astimezone(),
                                 username=username.strip(), password=secret, display_name=name or username,
                                 role=role, unit_code=unit or None)
        typer.echo(f"已创建用户 {user.username}（{ROLE_LABELS[Role(user.role)]}）")
    except DomainError as exc:
        typer.secho(exc.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    finally:
        db.close()


@app.command()
def workflow() -> None:
    """Print the transition table (the closed loop) as Markdown."""
    from hotline.tickets.workflow import markdown_table

    typer.echo(markdown_table())


@app.command()
def demo(
    tickets: Annotated[int, typer.Option(help="number of tickets to generate")] = 3000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="serve when built")] = True,
    reset: Annotated[bool, typer.Option("--reset", help="wipe the database and build the demo again")] = False,
    host: str = "127.0.0.1",
    port: int = 8000,
    seed: int = 12345,
) -> None:
    """Build a realistic demo city (Nanjing) on the configured database, then serve it."""
    from hotline.demo.builder import DemoRefused, build_demo

    settings = _settings()
    try:
        logins = build_demo(settings, tickets=tickets, seed=seed, reset=reset)
    except DemoRefused as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    typer.echo("")
    typer.secho("演示数据已生成。演示账号（密码均为 demo12345）：", fg=typer.colors.GREEN)
    for username, label in logins:
        typer.echo(f"  {username:<16} {label}")
    if serve_after:
        import os

        from hotline.demo import models as demo_models

        # Served with the demo's own models unless others are configured (the app reads its settings
        # from the environment when it starts, in this process).
        for name, path in demo_models.paths(settings).items():
            os.environ.setdefault("HOTLINE_DISPATCH_MODEL" if name == "category" else "HOTLINE_KIND_MODEL", str(path))
        serve(host=host, port=port, workers=1)


def main() -> None:
    """The `hotline` console script: the app, with the parser's usage errors worded in Chinese."""
    cli_errors.run(app)


if __name__ == "__main__":
    main()
