"""`hotline hotlines import | list | route`: the registry from the command line.

Errors are printed in Chinese on stderr with exit code 2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hotline.cli_support import fail as _fail
from hotline.cli_support import open_session as _session

hotlines_app = typer.Typer(help="热线归并：清单导入、查询、路由试算", no_args_is_help=True)


@hotlines_app.command("import")
def import_(
    file: Annotated[Path | None, typer.Option("--file", help="清单 JSON 文件（默认：随软件发布的清单）")] = None,
    city: Annotated[list[str] | None, typer.Option("--city", help="只导入该城市（可重复），如 南京市")] = None,
) -> None:
    """Import the consolidation lists; lines already registered are left as they are."""
    from hotline.errors import DomainError
    from hotline.hotlines import service
    from hotline.runtime import Runtime
    from hotline.security.actor import Actor

    settings, db = _session()
    try:
        summary = service.import_reference(db, Runtime.from_settings(settings), actor=Actor.system(), path=file,
                                           cities=city or None)
    except DomainError as exc:
        raise _fail(exc.message) from exc
    finally:
        db.close()
    typer.echo(f"城市：{'、'.join(summary.cities)}")
    typer.echo(f"新登记 {len(summary.created)} 条，关联责任单位 {len(summary.linked_units)} 条，"
               f"已存在未改动 {summary.unchanged} 条")
    for line in summary.created:
        typer.echo(f"  + {line}")
    for line in summary.linked_units:
        typer.echo(f"  ~ {line}")
    if summary.pending:
        typer.echo(f"待管理员补充登记（清单未给出号码）{len(summary.pending)} 项：")
        for line in summary.pending:
            typer.echo(f"  · {line}")
    if not summary.changed:
        typer.echo("清单已是最新，没有任何改动。")


@hotlines_app.command("route")
def route(
    dialled: Annotated[str, typer.Argument(help="被叫号码，如 12333")],
    city: Annotated[str | None, typer.Option("--city", help="城市（默认 HOTLINE_CITY_NAME）")] = None,
    blacklisted: Annotated[bool, typer.Option("--blacklisted", help="来电人在黑名单内")] = False,
    emergency: Annotated[bool, typer.Option("--emergency", help="紧急情况")] = False,
    new_matter: Annotated[bool, typer.Option("--new-matter", help="新诉求")] = False,
    zone: Annotated[list[str] | None,
                    typer.Option("--zone", help="有人值守的业务专区（号码，可重复；不填按值班表）")] = None,
    expert: Annotated[list[str] | None,
                      typer.Option("--expert", help="在岗的专家座席（号码，可重复；不填按值班表）")] = None,
) -> None:
    """Show the routing decision for a call now (a dry run; nothing is recorded)."""
    from pydantic import ValidationError

    from hotline.db import utcnow
    from hotline.errors_http import chinese_message
    from hotline.hotlines import snapshot
    from hotline.hotlines.routing import Call, Caller, decide, load_policy
    from hotline.hotlines.schemas import CHOICES, FIELD_LABELS, FORMATS, RouteIn

    # The numbers read as the API reads them (QA: "abc" or 025-1 2333 was routed as an unknown number
    # here while POST /api/v1/hotlines/route refuses the one and finds the other).
    try:
        asked = RouteIn(dialled=dialled, city=city, staffed_zones=zone or None, staffed_experts=expert or None)
    except ValidationError as exc:
        raise _fail("；".join(chinese_message(e, FIELD_LABELS, CHOICES, FORMATS)  # type: ignore[arg-type]
                             for e in exc.errors())) from exc
    settings, db = _session()
    try:
        snap = snapshot.load(db, default_city=settings.city_name)
    finally:
        db.close()
    call = Call(dialled=asked.dialled, at=utcnow(), city=asked.city,
                caller=Caller(blacklisted=blacklisted, emergency=emergency, new_matter=new_matter),
                # not given: the rota says who is on duty now (专家座席值班)
                staffed_zones=frozenset(asked.staffed_zones) if asked.staffed_zones is not None else None,
                staffed_experts=frozenset(asked.staffed_experts) if asked.staffed_experts is not None else None)
    d = decide(snap, load_policy(), call)
    action = "联动转接" if d.action == "linked_transfer" else "进入队列"
    typer.echo(f"去向：{d.queue_label}（{d.queue}）  动作：{action}")
    typer.echo(f"提示音：{d.prompt or '无'}")
    typer.echo(f"规则：{d.rule}  标记：{', '.join(d.flags) or '无'}")
    typer.echo(f"理由：{d.reason}")
    if d.line is not None and d.line.on_duty(call.at):
        typer.echo("在岗：" + "、".join(e.label for e in d.line.on_duty(call.at)))
