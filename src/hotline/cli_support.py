"""What every `hotline` sub-command needs: a clear failure (Chinese message, exit code 2), the
settings, and a database session on whatever database HOTLINE_DATABASE_URL names."""

from __future__ import annotations

from typing import Any

import typer


def fail(message: str) -> typer.Exit:
    """Print the message in red on stderr; `raise fail(...)` ends the command with exit code 2."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(2)


def load_settings() -> Any:
    from hotline.config import Settings

    try:
        return Settings()
    except Exception as exc:  # pydantic's message names the variable
        raise fail(f"配置错误：{exc}") from exc


def open_session() -> tuple[Any, Any]:
    """(settings, session); an empty database gets its tables first, as `hotline db upgrade` would."""
    from hotline.db import make_engine, make_session_factory
    from hotline.migrate import current, upgrade

    settings = load_settings()
    engine = make_engine(settings)
    if current(engine) is None:
        typer.echo("数据库为空，正在创建表结构（hotline db upgrade）…", err=True)
        upgrade(engine)
    return settings, make_session_factory(engine)()


def runtime(settings: Any) -> Any:
    from hotline.runtime import Runtime

    return Runtime.from_settings(settings)
