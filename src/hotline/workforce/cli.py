"""`hotline seats plan`: a seat plan from a forecast CSV, the demo week or history, optionally
checked by simulation, printed and saved as Excel.

Errors are printed in Chinese on stderr with exit code 2."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated

import typer

from hotline.cli_support import fail as _fail

seats_app = typer.Typer(help="座席测算：Erlang C 与仿真校核", no_args_is_help=True)


def _history(weeks: int):  # type: ignore[no-untyped-def]
    from hotline.config import Settings
    from hotline.db import make_engine, make_session_factory
    from hotline.runtime import Runtime
    from hotline.workforce import service

    settings = Settings()
    db = make_session_factory(make_engine(settings))()
    try:
        return service.forecast(db, Runtime.from_settings(settings), source="history", weeks=weeks)
    finally:
        db.close()


@seats_app.command("plan")
def plan(
    aht: Annotated[float, typer.Option("--aht", help="平均处理时长（秒，含话后处理）")],
    forecast: Annotated[Path | None, typer.Option("--forecast", help="预测 CSV：interval,calls")] = None,
    demo_week: Annotated[bool, typer.Option("--demo-week", help="使用示例周（336 个半小时）")] = False,
    history: Annotated[bool, typer.Option("--history", help="按数据库中近几周的来电（或电话工单）生成预测")] = False,
    history_weeks: Annotated[int, typer.Option("--history-weeks", help="历史周数")] = 8,
    demo_calls: Annotated[float, typer.Option("--demo-calls", help="示例周工作日来电量")] = 12000.0,
    target_sl: Annotated[float, typer.Option("--target-sl", help="服务水平目标（时限内接通占比）")] = 0.8,
    within: Annotated[float, typer.Option("--within", help="接通时限（秒）")] = 15.0,
    target_answer: Annotated[float, typer.Option("--target-answer", help="接通率目标（GB/T 33358：≥0.95）")] = 0.95,
    patience: Annotated[float, typer.Option("--patience", help="平均耐心时长（秒）；0 表示不挂机")] = 120.0,
    shrinkage: Annotated[float, typer.Option("--shrinkage", help="缺勤折算率（休息、培训、请假）")] = 0.3,
    hours: Annotated[float, typer.Option("--operator-hours", help="每名话务员每周工作小时")] = 40.0,
    population: Annotated[float | None, typer.Option("--population", help="常住人口（对照吉林标准）")] = None,
    simulate: Annotated[bool, typer.Option("--simulate", help="离散事件仿真校核（含挂机）")] = False,
    sim_patience: Annotated[str, typer.Option("--sim-patience", help="exponential / lognormal / none")] = "exponential",
    sim_talk: Annotated[str, typer.Option("--sim-talk", help="exponential / lognormal")] = "exponential",
    sim_talk_cv: Annotated[float, typer.Option("--sim-talk-cv", help="对数正态通话时长的变异系数")] = 1.0,
    replications: Annotated[int, typer.Option("--replications", help="仿真重复次数")] = 3,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="把结果另存为 Excel")] = None,
) -> None:
    """Seats and operators per half-hour for the targets, beside the Jilin rule."""
    from hotline.errors import DomainError
    from hotline.workforce import service
    from hotline.workforce.forecast import decode_csv, read_csv
    from hotline.workforce.forecast import demo_week as make_demo_week
    from hotline.workforce.plan import Targets
    from hotline.workforce.simulate import SimConfig

    if sum([forecast is not None, demo_week, history]) != 1:
        raise _fail("请在 --forecast CSV、--demo-week、--history 中选择且只选择一个预测来源")
    try:
        if forecast is not None:
            if not forecast.is_file():
                raise _fail(f"找不到预测文件：{forecast}")
            fc = service.Forecast(read_csv(decode_csv(forecast.read_bytes())), "given", f"预测文件 {forecast}")
        elif demo_week:
            if not 1 <= demo_calls <= 1_000_000:
                raise _fail("示例周的工作日来电量须在 1—1000000 之间")
            fc = service.Forecast(make_demo_week(demo_calls), "demo", f"示例周：工作日约 {demo_calls:,.0f} 次来电")
        else:
            fc = _history(history_weeks)
        infinite = patience == 0
        targets = Targets(aht=aht, target_sl=target_sl, within=within, target_answer=target_answer,
                          patience=math.inf if infinite else patience, shrinkage=shrinkage,
                          operator_hours_per_week=hours, population=population)
        sim_cfg = None
        if simulate:
            sim_cfg = SimConfig(patience="none" if infinite else sim_patience,
                                patience_mean=120.0 if infinite else patience, talk=sim_talk, talk_cv=sim_talk_cv,
                                replications=replications)
        started = time.perf_counter()
        out = service.run(fc.intervals, targets, sim=None)
        erlang_s = time.perf_counter() - started
        sim = None
        if sim_cfg is not None:
            started = time.perf_counter()
            from hotline.workforce.simulate import simulate as run_sim

            sim = run_sim(out.plan, sim_cfg)
            sim_s = time.perf_counter() - started
    except DomainError as exc:
        raise _fail(exc.message) from exc
    p = out.plan
    typer.echo(f"预测：{fc.note}；{len(p.rows)} 个时段，来电合计 {p.total_calls:,.0f}")
    typer.echo(f"目标：{within:g} 秒内接通 ≥ {target_sl:.0%}，接通率 ≥ {target_answer:.0%}，"
               f"平均处理时长 {aht:g} 秒，耐心 {'不挂机' if infinite else f'{patience:g} 秒'}")
    typer.echo(f"Erlang C：峰值座席 {p.peak_seats}，座席小时 {p.seat_hours:,.0f}，排班人时 {p.staff_hours:,.0f}，"
               f"话务员 {p.operators} 人（缺勤折算 {shrinkage:.0%}，每人每周 {hours:g} 小时）；"
               f"测算服务水平 {p.service_level:.1%}，接通率（估计）{p.answer_rate:.1%}"
               f"（计算 {erlang_s * 1000:.0f} ms）")
    if p.operators_note:
        typer.echo(f"注意：{p.operators_note}")
    if p.jilin:
        typer.echo(f"吉林标准（每百万人口 15 席、每席 3 人）：常住人口 {p.jilin.population:,.0f} → "
                   f"座席 {p.jilin.seats}，话务员 {p.jilin.operators} 人")
    peak = max(p.rows, key=lambda r: r.seats)
    typer.echo(f"峰值时段 {peak.label}：来电 {peak.calls:g}，负荷 {peak.load:.1f} 爱尔兰，座席 {peak.seats}，"
               f"服务水平 {peak.service_level:.1%}，平均应答 {peak.asa:.1f} 秒")
    if sim is not None:
        typer.echo(f"仿真（{sim.config.replications} 次，{sim_s:.1f} 秒）：来电 {sim.offered:,}，"
                   f"接通率 {sim.answer_rate:.1%}，15 秒接通率（占已接通）{sim.service_level:.1%}；"
                   f"Erlang C 偏乐观的时段 {len(sim.optimistic_rows)} 个")
        typer.echo("时段            座席  ErlangC服务水平  仿真服务水平  ErlangC接通率  仿真接通率")
        for c in sim.optimistic_rows[:20]:
            typer.echo(f"{c.label:<12} {c.seats:>6}  {c.erlang_sl:>14.1%}  {c.sim_sl:>12.1%}  "
                       f"{c.erlang_answer:>12.1%}  {c.sim_answer:>10.1%}")
    if xlsx is not None:
        from hotline.workforce.export import workbook

        xlsx.write_bytes(workbook(p, sim))
        typer.echo(f"已保存 {xlsx}")
