"""`hotline blacklist propose | list | standing`: the blacklist from the command line (run as the
system; a scheduled `propose` puts candidates before the supervisors).

Errors are printed in Chinese on stderr with exit code 2; `--json` output goes to stdout alone."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from hotline.cli_support import fail as _fail
from hotline.cli_support import open_session as _session
from hotline.cli_support import runtime as _runtime

blacklist_app = typer.Typer(help="黑名单：按历史记录提出候选、查询", no_args_is_help=True)


@blacklist_app.command("propose")
def propose(
    false_window: Annotated[int, typer.Option("--false-window-days", help="虚假诉求统计期（天）")] = 365,
    false_min: Annotated[int, typer.Option("--false-min", help="统计期内不实诉求达到几件提出候选")] = 3,
    occupation_window: Annotated[int, typer.Option("--occupation-window-days", help="占线统计期（天）")] = 30,
    long_call: Annotated[int, typer.Option("--long-call-seconds", help="单次通话超过多少秒算长时间占线")] = 1200,
    long_min: Annotated[int, typer.Option("--long-call-min", help="统计期内长通话达到几次提出候选")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """Run the candidate rules over history; candidates wait for a supervisor's decision."""
    from hotline.blacklist import service
    from hotline.errors import DomainError
    from hotline.security.actor import Actor

    settings, db = _session()
    try:
        rules = service.Rules(false_report_window_days=false_window, false_report_min=false_min,
                              occupation_window_days=occupation_window, long_call_seconds=long_call,
                              long_call_min=long_min)
        result = service.propose(db, _runtime(settings), actor=Actor.system(), rules=rules)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps({"created": result.created, "extended": result.extended}))
    else:
        typer.echo(f"新增候选 {len(result.created)} 条，补充证据 {len(result.extended)} 条；"
                   "请督办员在“黑名单候选”页审核。")


@blacklist_app.command("list")
def list_(
    state: Annotated[str | None, typer.Option("--state", help="proposed/active/expired/rejected/revoked")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="电话号码（完整号码或后四位以上）")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """Entries, newest first (first 200)."""
    from hotline.blacklist import service
    from hotline.blacklist.enums import EFFECTIVE_LABELS, GROUND_LABELS, Effective, Ground
    from hotline.errors import DomainError
    from hotline.security.actor import Actor

    try:
        wanted = Effective(state) if state else None
    except ValueError as exc:
        raise _fail(f"状态 {state} 无效，可选：{' / '.join(e.value for e in Effective)}") from exc
    settings, db = _session()
    rt = _runtime(settings)
    try:
        rows, total = service.list_entries(db, rt, actor=Actor.system(),
                                           filters=service.EntryFilters(phone=phone, state=wanted), page_size=200)
        now = rt.clock.now()
        out: list[dict[str, Any]] = [
            {"id": e.id, "phone": e.phone, "ground": e.ground, "state": service.effective(e, now).value,
             "expires_at": e.expires_at.isoformat() if e.expires_at else None, "summary": e.summary} for e in rows]
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    if as_json:
        typer.echo(json.dumps({"total": total, "items": out}, ensure_ascii=False))
        return
    typer.echo(f"共 {total} 条")
    for item in out:
        ground, state = GROUND_LABELS[Ground(str(item["ground"]))], EFFECTIVE_LABELS[Effective(str(item["state"]))]
        typer.echo(f"#{item['id']}  {item['phone']}  {ground}  {state}  {item['expires_at'] or ''}  {item['summary']}")


@blacklist_app.command("standing")
def standing(phone: Annotated[str, typer.Argument(help="来电号码")]) -> None:
    """Whether a number is blacklisted now."""
    import re

    from hotline.blacklist import service

    # QA: "abc" (or a number mistyped with a letter) was answered 未列入黑名单, as if it had been looked up
    if not re.fullmatch(r"[\d\s()+\-]+", phone.strip()) or not 5 <= len(service.normalize_phone(phone)) <= 20:
        raise _fail(f"电话号码“{phone[:32]}”格式不正确：请填写 5—20 位数字")
    settings, db = _session()
    try:
        s = service.standing(db, phone, _runtime(settings).clock.now())
    finally:
        db.close()
    if s.listed:
        until = s.until.isoformat() if s.until else "长期"
        typer.echo(f"已列入黑名单（记录 #{s.entry_id}）：{s.reason}；有效期至 {until}")
        typer.echo("紧急求助和新的诉求事项照常接听、受理。")
    else:
        typer.echo("未列入黑名单")
