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
    earlier keys of the account are revoked at once."""
    import secrets
    from datetime import datetime

    from sqlalchemy import select, update

    from hotline.org import service as org
    from hotline.org.models import ApiToken, User
    from hotline.security import audit
    from hotline.security.actor import Actor
    from hotline.security.roles import DataScope, Role

    _, db = open_session()
    try:
        now = datetime.now().astimezone()
        user = db.execute(select(User).where(User.username == username)).unique().scalar_one_or_none()
        if user is None:
            user = org.add_user(db, username=username, password=secrets.token_urlsafe(24), display_name=display_name,
                                role=Role.CHANNEL, data_scope=DataScope.OWN_UNIT)
            audit.record(db, actor=Actor.system(), at=now, action="create_user", object_type="user",
                         object_id=user.id, detail=f"渠道接入账号（命令行）：{display_name}")
            db.commit()
        elif user.role != Role.CHANNEL:
            raise fail(f"用户 {username} 已存在且不是渠道接入账号")
        # Rotation: the account's earlier keys stop working the moment a new one is issued.
        db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
                   .values(revoked=True))
        typer.echo(org.issue_token(db, user=user, now=now, name="open311"))
    finally:
        db.close()
