"""`hotline audit review`: the access review (个人信息访问审查) from the command line, as text, JSON or Excel."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.cli_support import fail, open_session, runtime

audit_app = typer.Typer(help="审计：个人信息访问审查", no_args_is_help=True)


def _day(value: str | None, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{label}“{value}”不是有效日期，请按 YYYY-MM-DD 填写（如 2026-11-27）") from None


@audit_app.command("review")
def review(
    start: Annotated[str | None, typer.Option("--from", help="起始日期 YYYY-MM-DD（默认结束日期前 6 天）")] = None,
    end: Annotated[str | None, typer.Option("--to", help="结束日期 YYYY-MM-DD（默认今天）")] = None,
    flagged: Annotated[bool, typer.Option("--flagged", help="只列有提示的账号")] = False,
    role: Annotated[str | None, typer.Option("--role", help="只列该角色的账号，如 unit_handler")] = None,
    username: Annotated[str | None, typer.Option("--username", help="只列该账号（不区分大小写）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    output: Annotated[Path | None,
                      typer.Option("--output", help="导出为 Excel 文件（.xlsx）；导出记入审计日志")] = None,
) -> None:
    """Sum each account's reads of personal data and exports over a period and print the rows, flagged
    ones first (the same review as /admin/access-review)."""
    from hotline.errors import DomainError
    from hotline.security import access_review, audit
    from hotline.security.access_review_export import review_workbook
    from hotline.security.actor import Actor
    from hotline.security.roles import LOGIN_ROLES, ROLE_LABELS, Role

    if role is not None and role not in {str(r) for r in LOGIN_ROLES}:
        raise fail(f"--role “{role}”不是登录账号的角色，可选：" + "、".join(
            f"{r}（{ROLE_LABELS[r]}）" for r in Role if r in LOGIN_ROLES))
    if output is not None and output.suffix.lower() != ".xlsx":
        raise fail(f"导出文件须以 .xlsx 结尾：{output}")
    first, last = _day(start, "--from"), _day(end, "--to")
    settings, db = open_session()
    actor = Actor.command_line()
    try:
        now = runtime(settings).clock.now()
        period = access_review.make_period(now=now, start=first, end=last)
        with Console(stderr=True).status(f"正在汇总 {period.label} 的审计日志…"):  # seconds on a large log
            result = access_review.review(db, actor=actor, period=period)
        access_review.narrow(result, role=role, flagged_only=flagged, username=username)
        narrowed = access_review.filters_text(role=role, flagged_only=flagged, username=username)
        if output is not None:
            try:
                output.write_bytes(review_workbook(result, narrowed=narrowed))
            except OSError as exc:
                raise fail(f"无法写入 {output}：{exc.strerror or exc}") from None
            audit.record(db, actor=actor, at=now, action="export_access_review", object_type="audit_log",
                         object_id=f"{result.period.start:%Y%m%d}-{result.period.end:%Y%m%d}",
                         detail=f"命令行导出到 {output.name}；{result.summary}")
            db.commit()
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps(_json(result), ensure_ascii=False, indent=1, default=str))
        return
    typer.echo(f"{result.period.label}：{result.summary}")
    for note in result.notes:
        typer.echo(note)
    for a in result.accounts:
        typer.echo(f"{a.username:<20} {a.role_label:<8} 查看 {a.reads:>6} 次 / {a.objects:>6} 条  "
                   f"非工作时间 {a.off_hours:>5}  导出 {a.exports:>4}  {'；'.join(a.flags) or '—'}")
    for f in result.feeds:
        typer.echo(f"{f.username:<20} 数据共享接口 拉取 {f.pages:>6} 次 推送 {f.pushed:>6} 页  "
                   f"来源 {'、'.join(f.clients) or '—'}  {'；'.join(f.flags) or '—'}")
    for c in result.command_line:
        typer.echo(f"{c.username:<20} 命令行 查看 {c.reads:>6} 次 导出 {c.exports:>4} 次  {'、'.join(c.actions)}")
    if output is not None:
        typer.echo(f"已导出到 {output}")


def _json(result: Any) -> dict[str, Any]:
    return {"period_from": result.period.start.isoformat(), "period_to": result.period.end.isoformat(),
            "flagged": result.flagged, "notes": result.notes,
            "accounts": [{"username": a.username, "role": a.role, "reads": a.reads, "objects": a.objects,
                          "peer_median": a.peer_median, "off_hours": a.off_hours, "exports": a.exports,
                          "clients": a.clients, "first_at": a.first_at.isoformat(), "last_at": a.last_at.isoformat(),
                          "flags": a.flags} for a in result.accounts],
            "feeds": [{"username": f.username, "pages": f.pages, "pushed": f.pushed, "clients": f.clients,
                       "new_clients": f.new_clients,
                       "first_at": f.first_at.isoformat(), "last_at": f.last_at.isoformat(), "flags": f.flags}
                      for f in result.feeds],
            "command_line": [{"username": c.username, "reads": c.reads, "exports": c.exports, "actions": c.actions,
                              "first_at": c.first_at.isoformat(), "last_at": c.last_at.isoformat()}
                             for c in result.command_line]}
