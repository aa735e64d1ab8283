"""`hotline assessment refresh | ranking | verify`: the fact table and the figures from the command line.

`refresh` is safe to run from a scheduler (cron, systemd timer) while the server runs, and twice at once:
the database serialises refreshes. Errors are printed in Chinese on stderr with exit code 2."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Annotated, Any

import typer

from hotline.cli_support import fail as _fail
from hotline.cli_support import load_settings

assessment_app = typer.Typer(help="考核：汇总更新、排名、核对", no_args_is_help=True)


def _session() -> tuple[Any, Any]:
    from hotline.db import make_engine, make_session_factory
    from hotline.runtime import Runtime

    settings = load_settings()
    return Runtime.from_settings(settings), make_session_factory(make_engine(settings))()


@assessment_app.command("refresh")
def refresh(
    batch_size: Annotated[int, typer.Option(help="每批处理的事件数")] = 200_000,
    settle_seconds: Annotated[int, typer.Option(
        help="暂不处理最近 N 秒内的事件（留给下次，防止漏记未提交的事务）")] = 30,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild", help="清空汇总，从全部事件重新计算（指标口径变化后使用）")] = False,
) -> None:
    """Process ticket events past the high-water mark into the per-unit-per-day facts (--rebuild: all
    of them again, after an indicator's definition changed)."""
    from hotline.assessment import facts

    rt, db = _session()
    try:
        started = time.perf_counter()
        run = facts.rebuild if rebuild else facts.refresh
        result = run(db, now=rt.clock.now(), batch_size=batch_size, settle=timedelta(seconds=settle_seconds))
        seconds = time.perf_counter() - started
    finally:
        db.close()
    typer.echo(f"已处理 {result.events} 个事件（{result.batches} 批，{seconds:.2f} 秒），"
               f"汇总截至事件 #{result.last_event_id}")


@assessment_app.command("ranking")
def ranking(
    from_month: Annotated[str | None, typer.Option("--from", help="起始月份 YYYY-MM（默认本月）")] = None,
    to_month: Annotated[str | None, typer.Option("--to", help="结束月份 YYYY-MM（默认同起始月份）")] = None,
    preset: Annotated[str | None, typer.Option(help="考核方案：beijing_three_rates 或 guangdong_set")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """Print the ranking of every unit for a period, read from the facts."""
    from hotline.assessment import present, service
    from hotline.assessment.scoring import get_preset
    from hotline.errors import DomainError

    rt, db = _session()
    try:
        chosen = get_preset(preset)
        period = service.make_period(now=rt.clock.now(), from_month=from_month, to_month=to_month)
        rows = service.ranking(db, actor=_analyst(), period=period, preset=chosen,
                               min_volume=rt.settings.assessment_min_rounds)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps([present.unit_out(r).model_dump() for r in rows], ensure_ascii=False, indent=1))
        return
    typer.echo(f"{period.label} · {chosen.name}")
    for r in rows:
        figs = "  ".join(f"{f.label}{f.percent}" for f in r.figures.values())
        rank = "样本不足" if r.too_few else (r.rank or "-")
        typer.echo(f"{rank:>4} {r.unit_name:<16} {r.score if r.score is not None else '—':>6}  {figs}")


def _analyst() -> Any:
    from hotline.security.actor import Actor
    from hotline.security.roles import Role

    return Actor.command_line(Role.ANALYST)


@assessment_app.command("verify")
def verify(
    from_month: Annotated[str, typer.Option("--from", help="起始月份 YYYY-MM")],
    to_month: Annotated[str | None, typer.Option("--to", help="结束月份 YYYY-MM")] = None,
) -> None:
    """Compare the facts with a direct computation from ticket events (exit 1 on any difference)."""
    from hotline.assessment import facts, service
    from hotline.errors import DomainError

    rt, db = _session()
    try:
        period = service.make_period(now=rt.clock.now(), from_month=from_month, to_month=to_month)
        direct = service.direct_totals(db, period=period)
        stored = facts.totals(db, start=period.start, end=period.end)
        pending = facts.pending_events(db)
    except DomainError as exc:  # a bad period is exit 2, not 1 (1 says the facts differ)
        raise _fail(exc.message) from exc
    finally:
        db.close()
    stored = {u: {k: v for k, v in f.items() if v != (0, 0)} for u, f in stored.items()}
    stored = {u: f for u, f in stored.items() if f}
    if stored != direct:
        diff = sorted(set(stored) ^ set(direct)) or [u for u in stored if stored[u] != direct.get(u)]
        why = (f"汇总尚未包括最近 {pending} 个事件（refresh 默认暂缓 30 秒内的事件），请稍后再运行 hotline assessment "
               "refresh 后核对" if pending else
               "请先运行 hotline assessment refresh（升级后指标口径有变化时加 --rebuild 重新计算）")
        typer.secho(f"汇总与直接计算不一致（单位：{diff[:20]}）；{why}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    typer.echo(f"{period.label}：汇总数据与直接计算一致（{len(direct)} 个单位）")
