"""`hotline unit-system account NAME --unit CODE`: a unit's business system (部门业务系统) and its key."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli_support import fail, open_session

unit_system_app = typer.Typer(help="部门业务系统：为双号并行、分中心单位的业务系统开通办理工单的接口账号",
                              no_args_is_help=True)


@unit_system_app.command("account")
def account(
    username: Annotated[str, typer.Argument(help="接口账号用户名，如 nj-fc-system")],
    unit: Annotated[str, typer.Option("--unit", help="所属承办单位的单位代码（必填）")] = "",
    display_name: Annotated[str, typer.Option("--name", help="业务系统名称（不填为「单位名称业务系统」）")] = "",
) -> None:
    """Create the account if needed (role unit_system: it acknowledges, returns, asks for extensions and
    replies on its unit's tickets, and reads its unit's queue — nothing else) and print a new key for
    `Authorization: Bearer`. Run it again to rotate: the account's earlier keys stop at once. Same service
    as the admin page (/admin/machines)."""
    from datetime import datetime

    from hotline.errors import DomainError
    from hotline.org import machines
    from hotline.security.actor import Actor
    from hotline.security.roles import Role

    _, db = open_session()
    try:
        _, issued, _ = machines.provision(db, actor=Actor.system(), now=datetime.now().astimezone(),
                                          role=Role.UNIT_SYSTEM, username=username, display_name=display_name,
                                          rotate=True, unit_code=unit)
        typer.echo(issued.key)
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        db.close()
