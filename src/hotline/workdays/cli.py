"""`hotline calendar show | set | clear`: the years the working-day calendar knows, and entering a year's
official arrangement before the calendar package has it. Errors in Chinese, exit code 2."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli_support import fail, open_session

calendar_app = typer.Typer(help="节假日安排：查看可计算工作日的年份，录入软件包尚未包含的年份", no_args_is_help=True)


@calendar_app.command("show")
def show() -> None:
    """The package's years, the years entered, and what is superseded."""
    from hotline import clock
    from hotline.workdays import service

    _, db = open_session()
    try:
        first, last = clock.package_years()
        typer.echo(f"软件包 chinesecalendar：{first}—{last} 年")
        entered = service.entered_years(db)
        for y in entered:
            state = "（软件包已包含，以软件包为准）" if y.superseded else ""
            typer.echo(f"{y.year} 年{state}：放假 {len(y.holidays)} 天，调休上班 {len(y.workdays)} 天；"
                       f"依据 {y.source}；{y.entered_by} 录入")
            if y.disagreements:
                typer.echo("  与软件包不一致：" + "、".join(d.isoformat() for d in y.disagreements))
            for note in y.warnings:
                typer.echo(f"  提示：{note}")
        if not entered:
            typer.echo("没有人工录入的年份")
        typer.echo(f"可计算工作日至 {clock.known_years()[1]} 年底")
    finally:
        db.close()


@calendar_app.command("set")
def set_year(
    year: Annotated[int, typer.Argument(help="年份，如 2027")],
    holidays: Annotated[str, typer.Option("--holidays", help="放假日期：2027-01-01~2027-01-03,2027-02-06 …")],
    source: Annotated[str, typer.Option("--source", help="依据：国务院办公厅通知的文号或标题")],
    workdays: Annotated[str, typer.Option("--workdays", help="调休上班的周六、周日")] = "",
) -> None:
    """Enter (or replace) the arrangement of a year the calendar package does not know yet."""
    from hotline.cli_support import runtime
    from hotline.errors import DomainError
    from hotline.security.actor import Actor
    from hotline.workdays import service

    settings, db = open_session()
    try:
        notes = service.set_year(db, actor=Actor.system(), now=runtime(settings).clock.now(), year=year,
                                 holidays=service.parse_days(holidays, what="放假日期"),
                                 workdays=service.parse_days(workdays, what="调休上班日期"), source=source)
    except DomainError as exc:
        raise fail(exc.message) from exc
    finally:
        db.close()
    typer.echo(f"已录入 {year} 年节假日安排")
    for note in notes:
        typer.secho(f"提示：{note}", fg=typer.colors.YELLOW, err=True)


@calendar_app.command("clear")
def clear(year: Annotated[int, typer.Argument(help="年份")]) -> None:
    """Remove an entered year (its dates can no longer be used for time limits)."""
    from hotline.cli_support import runtime
    from hotline.errors import DomainError
    from hotline.security.actor import Actor
    from hotline.workdays import service

    settings, db = open_session()
    try:
        service.clear_year(db, actor=Actor.system(), now=runtime(settings).clock.now(), year=year)
    except DomainError as exc:
        raise fail(exc.message) from exc
    finally:
        db.close()
    typer.echo(f"已删除 {year} 年的节假日安排")
