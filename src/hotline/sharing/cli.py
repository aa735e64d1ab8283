"""`hotline share account NAME [--unit CODE | --jurisdiction CODE]`: a data-sharing account and its key;
`hotline share scope NAME --unit CODE | --jurisdiction CODE | --city`: a new scope for it;
`hotline share push NAME --url URL`, `share pause NAME`, `share resume NAME`: its push subscription."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from hotline.cli_support import fail, open_session, runtime

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
    `Authorization: Bearer`. Run it again to rotate: the account's earlier keys stop at once. A different
    scope for an existing account is refused here (`hotline share scope` changes it). Same service as the
    admin page (/admin/machines)."""
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


@share_app.command("scope")
def change_scope(
    username: Annotated[str, typer.Argument(help="数据共享接口账号用户名")],
    unit: Annotated[str, typer.Option("--unit", help="单位代码：改为读取该单位承办的工单")] = "",
    jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="辖区代码：改为读取该辖区的工单")] = "",
    city: Annotated[bool, typer.Option("--city", help="改为读取全市工单")] = False,
) -> None:
    """Change what the account reads: one of --unit, --jurisdiction, --city. Audited (before and after).
    Events already read or pushed stay; every later one (after the reader's or the push cursor) is read
    with the new scope. Same service as the admin page and `PUT /api/v1/machine-accounts/{id}/scope`."""
    from hotline.org import machines
    from hotline.sharing import push

    def step(db: Any, actor: Any, rt: Any) -> str:
        user = push.account_by_username(db, actor=actor, username=username)
        before = machines.scope_of(user)
        user = machines.change_scope(db, actor=actor, now=rt.clock.now(), account_id=user.id, unit_code=unit,
                                     jurisdiction_code=jurisdiction, whole_city=city)
        after = machines.scope_of(user)
        return f"{user.username}：数据范围 {before} → {after}" if after != before else \
            f"{user.username}：数据范围已是 {after}，未作更改"

    typer.echo(_run(step))


@share_app.command("push")
def push_subscribe(
    username: Annotated[str, typer.Argument(help="数据共享接口账号用户名")],
    url: Annotated[str, typer.Option("--url", help="接收方地址（https:// 或 http://）")],
    from_now: Annotated[bool, typer.Option("--from-now", help="只推送此后的事件（不补推历史）")] = False,
) -> None:
    """Set (or replace) where the account's feed is pushed and print the new signing secret (shown once;
    the earlier secret stops at once). Deliveries are made by the scheduler (`hotline worker`).
    Same service as the admin page (/admin/machines) and the API."""
    from hotline.sharing import push

    def step(db: Any, actor: Any, rt: Any) -> str:
        user = push.account_by_username(db, actor=actor, username=username)
        _, secret, _ = push.subscribe(db, rt, actor=actor, account_id=user.id, url=url, from_now=from_now)
        return secret

    typer.echo(_run(step))


@share_app.command("pause")
def push_pause(username: Annotated[str, typer.Argument(help="数据共享接口账号用户名")]) -> None:
    """Pause the account's push subscription (the cursor waits where it is)."""
    typer.echo(_set_paused(username, paused=True))


@share_app.command("resume")
def push_resume(username: Annotated[str, typer.Argument(help="数据共享接口账号用户名")]) -> None:
    """Resume the account's push subscription, also one stopped after repeated failures."""
    typer.echo(_set_paused(username, paused=False))


def _set_paused(username: str, *, paused: bool) -> str:
    from hotline.sharing import push
    from hotline.sharing.enums import PUSH_STATUS_LABELS, PushStatus

    def step(db: Any, actor: Any, rt: Any) -> str:
        user = push.account_by_username(db, actor=actor, username=username)
        sub = push.set_paused(db, actor=actor, now=rt.clock.now(), account_id=user.id, paused=paused)
        return f"{user.username}：订阅推送{PUSH_STATUS_LABELS[PushStatus(sub.status)]}（已送达至事件 #{sub.cursor}）"

    return str(_run(step))


def _run(step: Callable[[Any, Any, Any], Any]) -> Any:
    """One service call as the system (session, actor, runtime), its domain error said in Chinese (exit code 2)."""
    from hotline.errors import DomainError
    from hotline.security.actor import Actor

    settings, db = open_session()
    try:
        return step(db, Actor.system(), runtime(settings))
    except DomainError as exc:
        raise fail(exc.message) from None
    finally:
        db.close()
