"""`hotline worker` (the production scheduler process) and `hotline supervision run|runs`."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer

from hotline.cli_support import fail
from hotline.config import Settings
from hotline.supervision.jobs import JOB_LABELS, PassReport

supervision_app = typer.Typer(help="督办：调度运行与运行记录", no_args_is_help=True)


def _context() -> tuple[Settings, object, object]:
    from hotline.db import make_engine, make_session_factory
    from hotline.runtime import Runtime

    try:
        settings = Settings()
    except Exception as exc:
        typer.secho(f"配置错误：{exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    return settings, make_session_factory(make_engine(settings)), Runtime.from_settings(settings)


def _print(report: PassReport) -> None:
    counts = "，".join(f"{JOB_LABELS[k]} {v}" for k, v in report.counts.items())
    line = f"第 {report.run_id} 次运行：{counts}；用时 {report.duration_ms} ms"
    if report.truncated:
        line += f"；达到单次上限，余量下次处理：{'、'.join(JOB_LABELS[t] for t in report.truncated)}"
    typer.echo(line)
    for error in report.errors:
        typer.secho(f"  错误：{error}", fg=typer.colors.RED, err=True)


def worker(
    interval: Annotated[float | None, typer.Option(help="seconds between passes")] = None,
    once: Annotated[bool, typer.Option("--once", help="run one pass and exit")] = False,
) -> None:
    """Run the supervision scheduler as its own process (production); stops cleanly on SIGTERM."""
    from hotline.supervision.scheduler import run_worker

    if interval is not None and interval < 0.1:  # 0 ran passes back to back, each logged in the database
        raise fail("--interval 至少为 0.1 秒")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings, sf, rt = _context()
    every = interval if interval is not None else settings.scheduler_interval_seconds
    if not once:
        typer.echo(f"督办调度进程已启动：每 {every:g} 秒运行一次（Ctrl+C 或 SIGTERM 停止）")
    loop = run_worker(sf, rt, interval=every, once=once, on_pass=_print)  # type: ignore[arg-type]
    if once:
        _finish_imports()
        if not loop.last_ok:  # cron or systemd must see that the pass failed
            raise typer.Exit(1)
    else:
        typer.echo(f"督办调度进程已停止（共运行 {loop.passes} 次）")


def _finish_imports() -> None:
    """A pass may have started import jobs on threads of this process: they end with it, so a
    one-shot run waits for them (a stopped worker's are taken over by the next one's pass)."""
    from hotline.knowledge import import_jobs

    if import_jobs.wait(timeout=0):
        typer.echo("等待本进程接手的批量导入任务完成……")
        import_jobs.wait()


@supervision_app.command("run")
def run_once() -> None:
    """Run one scheduler pass now."""
    from hotline.supervision.jobs import run_pass

    _, sf, rt = _context()
    report = run_pass(sf, rt, mode="cli")  # type: ignore[arg-type]
    _print(report)
    _finish_imports()
    if report.errors:
        raise typer.Exit(1)


@supervision_app.command("runs")
def runs(limit: Annotated[int, typer.Option(min=1, max=1000, help="显示最近几次运行（1—1000）")] = 10,
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The scheduler's most recent runs."""
    from sqlalchemy import select

    from hotline.supervision.models import SchedulerRun

    _, sf, _rt = _context()
    with sf() as db:  # type: ignore[operator]
        rows = list(db.execute(select(SchedulerRun).order_by(SchedulerRun.id.desc()).limit(limit)).scalars())
    if as_json:
        typer.echo(json.dumps([{"id": r.id, "worker": r.worker, "mode": r.mode, "started_at": r.started_at.isoformat(),
                                "duration_ms": r.duration_ms, "status": r.status, "counts": r.counts,
                                "errors": r.errors} for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("暂无运行记录")
    for r in rows:
        typer.echo(f"{r.id:>6}  {r.started_at:%Y-%m-%d %H:%M:%S}Z  {r.mode:<8} {r.status:<5} {r.duration_ms:>6} ms  "
                   f"{json.dumps(r.counts, ensure_ascii=False)}  {r.worker}")
