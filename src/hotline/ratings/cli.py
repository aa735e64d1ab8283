"""`hotline ratings report --from DATE --to DATE [--unit ID] [--json]`: the 好差评 of a period from the
command line — 好评率, the counts, the 差评 list's figures (核实 done and waiting, by conclusion), the units
and the 差评 themselves — read with the same queries as the pages, over the whole city (whoever runs the
command has the database itself). Bad input is said in Chinese with exit code 2."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import typer

from hotline.cli_support import fail, open_session, runtime

ratings_app = typer.Typer(help="好差评：公众评价统计", no_args_is_help=True)
SHOWN = 20  # 差评 printed as text (JSON holds them all, up to the export's bound)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"{option}“{value}”不是有效日期，请按 YYYY-MM-DD 填写（如 2026-11-01）") from None


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@ratings_app.command("report")
def report(
    start: Annotated[str, typer.Option("--from", help="起始日期 YYYY-MM-DD（按评价时间，含当日）")],
    end: Annotated[str | None, typer.Option("--to", help="结束日期 YYYY-MM-DD（含当日，默认今天）")] = None,
    unit: Annotated[int | None, typer.Option("--unit", help="只统计该承办单位（单位 ID）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """Print the period's 好评率, ratings, 好评 and 差评, the 差评's follow-ups, the units and the 差评 list."""
    from hotline.clock import CHINA_TZ, to_local
    from hotline.org.models import Unit
    from hotline.ratings import service
    from hotline.security.actor import Actor

    first = _day(start, "--from")
    settings, db = open_session()
    try:
        last = _day(end, "--to") if end else to_local(runtime(settings).clock.now()).date()
        if last < first:
            raise fail(f"结束日期 {last} 早于起始日期 {first}，请检查 --from 和 --to")
        unit_row = db.get(Unit, unit) if unit is not None else None
        if unit is not None and unit_row is None:
            raise fail(f"承办单位 ID {unit} 不存在（单位 ID 见 GET /api/v1/units）")
        since = datetime.combine(first, time(), tzinfo=CHINA_TZ)
        until = datetime.combine(last + timedelta(days=1), time(), tzinfo=CHINA_TZ)
        actor = Actor.command_line()
        total = service.summary(db, actor=actor, start=since, end=until, unit_id=unit)
        units = service.summary_by_unit(db, actor=actor, start=since, end=until, unit_id=unit)
        bad, bad_total = service.list_bad(db, actor=actor, filters=service.BadFilters(
            rated_from=since, rated_to=until, unit_id=unit), page=1, page_size=service.MAX_EXPORT)
    finally:
        db.close()
    conclusions = Counter(r.followups[-1].conclusion_label for r in bad if r.followups)
    out: dict[str, Any] = {
        "from": first.isoformat(), "to": last.isoformat(),
        "unit": {"id": unit_row.id, "name": unit_row.short_name} if unit_row else None,
        "rated": total.rated, "good": total.good, "bad": total.bad, "good_rate": total.good_rate,
        "bad_followed_up": total.bad - total.bad_open, "bad_open": total.bad_open,
        "bad_by_conclusion": dict(sorted(conclusions.items())),
        "units": [{"id": u.unit_id, "name": u.unit_name, "rated": u.figures.rated, "good": u.figures.good,
                   "bad": u.figures.bad, "good_rate": u.figures.good_rate, "bad_open": u.figures.bad_open}
                  for u in units],
        "bad_ratings": [{"ticket_number": r.ticket_number, "title": r.ticket_title, "rating": r.rating,
                         "rating_label": r.rating_label, "comment": r.comment,
                         "rated_at": to_local(r.rated_at).isoformat(timespec="minutes"), "unit": r.unit_name,
                         "followed_up": r.followed_up,
                         "conclusion": r.followups[-1].conclusion_label if r.followups else None} for r in bad],
        "bad_ratings_total": bad_total,
    }
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    scope = f"（{unit_row.short_name}）" if unit_row else "（全市）"
    typer.echo(f"好差评 {first} 至 {last}{scope}")
    if not total.rated:
        typer.echo("该时段没有公众评价。")
        return
    typer.echo(f"公众评价 {total.rated} 件：好评 {total.good} 件，差评 {total.bad} 件，好评率 {_rate(total.good_rate)}")
    said = "；".join(f"{k} {n} 件" for k, n in sorted(conclusions.items()))
    done = f"差评核实：已核实 {total.bad - total.bad_open} 件，待核实 {total.bad_open} 件"
    typer.echo(done + (f"（{said}）" if said else ""))
    if units:
        typer.echo("承办单位（差评多者在前）：评价 / 好评 / 差评 / 好评率 / 待核实")
        for u in units:
            f = u.figures
            typer.echo(f"  {u.unit_name}  {f.rated} / {f.good} / {f.bad} / {_rate(f.good_rate)} / {f.bad_open}")
    if bad:
        typer.echo(f"差评（评价时间新者在前，共 {bad_total} 件）：")
        for r in bad[:SHOWN]:
            state = r.followups[-1].conclusion_label if r.followups else "待核实"
            typer.echo(f"  {r.ticket_number}  {to_local(r.rated_at):%Y-%m-%d %H:%M}  {r.rating_label}  "
                       f"{r.unit_name or '—'}  {state}  {r.comment or ''}".rstrip())
        if bad_total > SHOWN:
            typer.echo(f"  …另有 {bad_total - SHOWN} 件未列出（--json 输出全部，或在“督办 › 差评核实”页面导出Excel）")
