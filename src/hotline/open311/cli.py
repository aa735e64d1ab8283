"""`hotline open311 account NAME`: a channel account for an Open311 client, and its access token (api_key)."""

from __future__ import annotations

from typing import Annotated

import typer

from hotline.cli_support import fail, open_session

open311_app = typer.Typer(help="Open311 渠道接入：开通接入账号", no_args_is_help=True)


@open311_app.command("account")
def account(
    username: Annotated[str, typer.Argument(help="接入账号用户名，如 city-app")],
    display_name: Annotated[str, typer.Option("--name", help="接入系统名称")] = "Open311 接入系统",
) -> None:
    """Create the account (channel role: it registers requests and reads back its own, nothing else;
    no pages, random password never shown) if needed, and print a new access token to use as api_key.
    Tokens last as long as any other (TOKEN_LIFETIME): run it again to rotate before expiry; the
    earlier keys of the account are revoked at once. Same service as the admin page (/admin/machines)."""
    from datetime import datetime

    from hotline.errors import DomainError
    from hotline.org import machines
    from hotline.security.actor import Actor
    from hotline.security.roles import Role

    _, db = open_session()
    try:
        _, issued, _ = machines.provision(db, actor=Actor.system(), now=datetime.now().astimezone(),
                                          role=Role.CHANNEL, username=username, display_name=display_name,
                                          rotate=True)
        typer.echo(issued.key)
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        db.close()
