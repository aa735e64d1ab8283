"""`hotline share account NAME [--unit CODE | --jurisdiction CODE]`: a data-sharing account and its key."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli_support import fail, open_session

share_app = typer.Typer(help="信息共享：为部门或区级系统开通工单数据共享接口账号", no_args_is_help=True)


@share_app.command("account")
def account(
    username: Annotated[str, typer.Argument(help="接口账号用户名，如 nj-hb-feed")],
    display_name: Annotated[str, typer.Option("--name", help="接入系统名称")] = "",
    unit: Annotated[str, typer.Option("--unit", help="单位代码：读取该单位承办的工单")] = "",
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="辖区代码：读取该辖区的工单")] = "",
) -> None:
    """Create the account if needed (role data_sharing: it reads the ticket feed of its scope — a unit,
    a jurisdiction or, with neither option, the whole city — and nothing else) and print a new key for
    `Authorization: Bearer`. Run it again to rotate: the account's earlier keys stop at once. The scope
    of an existing account cannot change. Same service as the admin page (/admin/machines)."""
    from datetime import datetime

    from hotline.errors import DomainError
    from hotline.org import machines
    from hotline.security.actor import Actor
    from hotline.security.roles import Role

    _, db = open_session()
    try:
        _, issued, _ = machines.provision(db, actor=Actor.system(), now=datetime.now().astimezone(),
                                          role=Role.DATA_SHARING, username=username, display_name=display_name,
                                          rotate=True, unit_code=unit, jurisdiction_code=jurisdiction)
        typer.echo(issued.key)
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        db.close()
