"""`hotline report --period 2026-10 --format pdf|xlsx --out FILE`: a whole-city report from the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def report_command(
    period: Annotated[str, typer.Option(help="2026-10 (month) or 2026-W44 (ISO week)")],
    format: Annotated[str, typer.Option("--format", help="pdf or xlsx")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="output file (default report-<period>.<format>)")] = None,
) -> None:
    """Generate the periodic analysis report (周报/月报) for the whole city."""
    from hotline.config import Settings
    from hotline.db import make_engine, make_session_factory
    from hotline.errors import DomainError
    from hotline.migrate import current
    from hotline.reports import service
    from hotline.runtime import Runtime
    from hotline.security.actor import Actor

    settings = Settings()
    engine = make_engine(settings)
    if current(engine) is None:
        typer.secho("数据库尚未初始化：请先运行 hotline db upgrade", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    db = make_session_factory(engine)()
    try:
        rt = Runtime.from_settings(settings)
        # whoever runs the command has the database itself: the whole city, as an administrator reads it
        # (as the system it got no hotspot table, which the analysis refuses the system)
        actor = Actor.command_line()
        report = service.make_report(db, rt, actor=actor, period=period)
        body, _media, name = service.render(report, format)
        target = out or Path(name)
        target.write_bytes(body)
        service.record_download(db, rt, actor=actor, report=report, fmt=format)
    except DomainError as exc:
        typer.secho(exc.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    finally:
        db.close()
    typer.echo(f"已生成 {report.title}：{target}（{len(body):,} 字节）")
