"""`hotline import messages` and `hotline analytics hotspots | volume`: the Typer sub-apps of analysis.
Bad input → a Chinese message on stderr and exit code 2."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from hotline.cli_support import fail as _fail
from hotline.cli_support import load_settings

import_app = typer.Typer(help="导入历史数据", no_args_is_help=True)
analytics_app = typer.Typer(help="数据分析：热点、预警、每月一题、诉求量", no_args_is_help=True)


def _session() -> Any:
    from hotline.db import make_engine, make_session_factory
    from hotline.runtime import Runtime

    settings = load_settings()
    return make_session_factory(make_engine(settings))(), Runtime.from_settings(settings)


def _cli_actor() -> Any:
    from hotline.security.actor import Actor

    return Actor.command_line()


class _Bar:
    def __init__(self, progress: Any) -> None:
        self._p = progress
        self._task: Any = None

    def start(self, total: int) -> None:
        self._task = self._p.add_task("导入", total=max(total, 1))

    def advance(self, n: int) -> None:
        self._p.advance(self._task, n)


@import_app.command("messages")
def import_messages(
    input: Annotated[Path, typer.Option("--input", help="CSV file (UTF-8 or GB18030)")],
    id_col: Annotated[str, typer.Option("--id-col", help="id column (kept as the ticket's external key)")],
    title_col: Annotated[str, typer.Option("--title-col", help="title column")],
    content_col: Annotated[str, typer.Option("--content-col", help="content column")],
    time_col: Annotated[str, typer.Option("--time-col", help="message time column (China time)")],
    votes_col: Annotated[str | None, typer.Option("--votes-col", help="likes column (public support)")] = None,
    reply_col: Annotated[str | None, typer.Option("--reply-col", help="official reply column")] = None,
    reply_time_col: Annotated[str | None, typer.Option("--reply-time-col", help="reply time column")] = None,
    key_prefix: Annotated[str, typer.Option("--key-prefix", help="prefix for the external keys")] = "",
    batch: Annotated[int, typer.Option("--batch", min=1, max=20000, help="rows per INSERT and commit")] = 1000,
) -> None:
    """Import historical messages as closed tickets (idempotent: keys already present are skipped)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from hotline.analytics.importer import Columns, ImportFailed
    from hotline.analytics.importer import import_messages as run

    db, rt = _session()
    cols = Columns(id=id_col, title=title_col, content=content_col, time=time_col, votes=votes_col,
                   reply=reply_col, reply_time=reply_time_col)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=Console(stderr=True)) as bar:
            report = run(db, rt, path=input, columns=cols, batch_size=batch, key_prefix=key_prefix,
                         progress=_Bar(bar))
    except ImportFailed as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    for bad in report.bad[:50]:
        typer.secho(f"第 {bad.row} 条记录（编号 {bad.key or '—'}）未导入：{bad.reason}", fg=typer.colors.YELLOW,
                    err=True)
    if len(report.bad) > 50:
        typer.secho(f"……另有 {len(report.bad) - 50} 条错误记录未列出", fg=typer.colors.YELLOW, err=True)
    typer.echo(f"共 {report.total} 条：导入 {report.imported} 条，已存在跳过 {report.skipped_existing} 条，"
               f"文件内重复 {report.duplicates_in_file} 条，错误 {len(report.bad)} 条")
    if report.bad and not report.imported and not report.skipped_existing:
        raise typer.Exit(2)


def _day(value: str | None, option: str) -> datetime | None:
    if not value:
        return None
    from hotline.clock import CHINA_TZ

    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=CHINA_TZ)
    except ValueError:
        raise _fail(f"{option} 应为日期 YYYY-MM-DD：{value}") from None


def _days(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    start, end = _day(since, "--since"), _day(until, "--until")
    if start and end and end < start:  # said, as the API says it (it printed nothing, exit 0)
        raise _fail("结束日期不能早于开始日期（--until 早于 --since）")
    return start, end


@analytics_app.command("hotspots")
def hotspots_cmd(
    top: Annotated[int, typer.Option("--top", min=1, help="how many clusters to print")] = 20,
    since: Annotated[str | None, typer.Option("--since", help="from this day (YYYY-MM-DD, inclusive)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="to this day (YYYY-MM-DD, inclusive)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    window: Annotated[int, typer.Option("--window", min=1, help="growth window in days")] = 30,
) -> None:
    """Hotspots of the period, hottest first: size, support, keywords, titles, external ids."""
    from hotline.analytics import service
    from hotline.analytics.hotspots import Params

    start, end_day = _days(since, until)
    end = end_day + timedelta(days=1) if end_day else None
    db, rt = _session()
    try:
        result = service.hotspots(db, rt, actor=_cli_actor(), since=start, until=end,
                                  params=Params(window_days=window))
    finally:
        db.close()
    clusters = result.clusters[:top]
    if as_json:
        typer.echo(json.dumps([service.cluster_out(c, result.docs) for c in clusters], ensure_ascii=False, indent=1))
        return
    typer.echo(f"{result.tickets} 张工单，{len(result.clusters)} 个热点（读取 {result.seconds_read:.1f} 秒，"
               f"聚类 {result.seconds_cluster:.1f} 秒）")
    for rank, c in enumerate(clusters, start=1):
        flag = " ⚠预警" if c.growth and c.growth.warning else ""
        typer.echo(f"{rank:>3}. {c.label or c.place or '、'.join(c.keywords[:3])}  {c.size} 件  点赞 {c.support}  "
                   f"增长 {c.growth.ratio if c.growth else 0:.2f}{flag}")
        for t in c.titles[:3]:
            typer.echo(f"       · {t}")


@analytics_app.command("volume")
def volume_cmd(
    by: Annotated[str, typer.Option("--by", help="kind, category, channel, district or time")] = "category",
    since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option("--until", help="YYYY-MM-DD (inclusive)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Ticket volume by one dimension."""
    from hotline.analytics import service
    from hotline.errors import DomainError

    start, end_day = _days(since, until)
    db, rt = _session()
    try:
        rows = service.volume(db, rt, actor=_cli_actor(), dimension=by, since=start,
                              until=end_day + timedelta(days=1) if end_day else None)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps([{"key": b.key, "label": b.label, "count": b.count} for b in rows], ensure_ascii=False))
        return
    for b in rows:
        typer.echo(f"{b.label:<16} {b.count}")
