"""`hotline calls simulate | feeder | figures`: traffic generation, the adapter's account, figures."""

from __future__ import annotations

import json
import random
import time
from datetime import date, datetime
from typing import Annotated

import typer

from hotline.cli_support import fail as _fail
from hotline.cli_support import open_session as _session

calls_app = typer.Typer(help="话务：事件模拟、话务平台接口账号、话务指标", no_args_is_help=True)


@calls_app.command("simulate")
def simulate(
    days: Annotated[int, typer.Option("--days", min=1, max=92, help="模拟天数")] = 3,
    calls_per_day: Annotated[int, typer.Option("--calls-per-day", min=1, max=200_000, help="日均呼入量")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 12345,
    start: Annotated[str | None, typer.Option("--start", help="首日（YYYY-MM-DD，默认为截至昨天的 N 天）")] = None,
    post: Annotated[str | None, typer.Option(
        "--post", help="推送到该平台地址，如 http://127.0.0.1:8000（也可写完整的 /api/calls/events 地址）")] = None,
    token: Annotated[str | None, typer.Option("--token", help="话务平台接口账号的访问令牌（--post 时必填）")] = None,
    direct: Annotated[bool, typer.Option("--direct", help="直接写入本机数据库（HOTLINE_DATABASE_URL）")] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, max=1000, help="每批事件数")] = 500,
    messy: Annotated[bool, typer.Option("--messy", help="模拟重复与乱序投递")] = False,
    output: Annotated[str | None, typer.Option("--output", help="把事件写成 JSON Lines 文件（- 为标准输出）")] = None,
) -> None:
    """Generate a realistic call event stream; post it, load it, or write it out."""
    from hotline.calls.simulate import Options, generate
    from hotline.calls.simulate import messy as make_messy

    if sum(bool(x) for x in (post, direct, output)) != 1:
        raise _fail("请且只请选择一种去向：--post URL、--direct 或 --output 文件")
    try:
        first = date.fromisoformat(start) if start else None
    except ValueError:
        raise _fail(f"--start 日期格式错误：{start}（应为 YYYY-MM-DD）") from None
    events = generate(Options(days=days, calls_per_day=calls_per_day, seed=seed, start=first))
    if messy:
        events = make_messy(events, random.Random(seed))
    calls = len({e["call_id"] for e in events})
    typer.echo(f"已生成 {calls} 通来电、{len(events)} 个事件", err=True)
    started = time.perf_counter()
    if output:
        lines = "\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n"
        if output == "-":
            typer.echo(lines, nl=False)
        else:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(lines)
        return
    if post:
        if not token:
            raise _fail("--post 需要 --token（用 hotline calls feeder 创建话务平台接口账号并取得令牌）")
        accepted, duplicates, rejected = _post(post, token, events, batch)
    else:
        from hotline.calls.loading import load

        settings, db = _session()
        try:
            out = load(db, events, now=datetime.now().astimezone(), batch=batch)
        finally:
            db.close()
        accepted, duplicates, rejected = out.accepted, out.duplicates, out.rejected + out.conflicts
    elapsed = time.perf_counter() - started
    typer.echo(f"接收 {accepted}、重复 {duplicates}、拒收 {rejected}；用时 {elapsed:.1f} 秒"
               f"（{len(events) / max(elapsed, 1e-9):.0f} 事件/秒）")


EVENTS_PATH = "/api/calls/events"


def base_url(url: str) -> str:
    """The platform's address: the events endpoint's own address, as an adapter is configured with it,
    is taken as meant (QA: it was posted to …/api/calls/events/api/calls/events and answered 404)."""
    return url.strip().rstrip("/").removesuffix(EVENTS_PATH)


def _post(url: str, token: str, events: list[dict], batch: int) -> tuple[int, int, int]:  # type: ignore[type-arg]
    import httpx

    accepted = duplicates = rejected = 0
    try:
        with httpx.Client(base_url=base_url(url), headers={"Authorization": f"Bearer {token}"},
                          timeout=60) as http:
            for i in range(0, len(events), batch):
                r = http.post(EVENTS_PATH, json=events[i:i + batch])
                if r.status_code not in (200, 409, 422):  # 409/422: some events refused, the rest applied
                    raise _fail(f"推送失败（HTTP {r.status_code}）：{r.text[:300]}")
                body = r.json()
                accepted += body.get("accepted", 0)
                duplicates += body.get("duplicates", 0)
                rejected += body.get("rejected", 0) + body.get("conflicts", 0)
    except httpx.HTTPError as exc:  # a wrong address or a server not running: say so, not a traceback
        raise _fail(f"无法连接 {url}：{exc.__class__.__name__}（请检查地址，如 http://127.0.0.1:8000，"
                    "以及服务是否已启动）") from exc
    except httpx.InvalidURL as exc:
        raise _fail(f"地址无法识别：{url}（应形如 http://127.0.0.1:8000）") from exc
    return accepted, duplicates, rejected


@calls_app.command("feeder")
def feeder(
    username: Annotated[str, typer.Option("--username", help="话务平台接口账号的用户名")] = "telephony",
    rotate: Annotated[bool, typer.Option("--rotate", help="同时吊销该账号此前签发的全部令牌")] = False,
) -> None:
    """Create (once) the telephony adapter's machine account and print a fresh access token.

    The account has the telephony role only: it may post call events and nothing else (no pages,
    no tickets: own-unit scope without a unit). Its password is random and never shown. Same service
    as the admin page (/admin/machines)."""
    from hotline.errors import DomainError
    from hotline.org import machines
    from hotline.security.actor import Actor
    from hotline.security.roles import Role

    settings, db = _session()
    try:
        _, issued, _ = machines.provision(db, actor=Actor.system(), now=datetime.now().astimezone(),
                                          role=Role.TELEPHONY, username=username, rotate=rotate)
        typer.echo(issued.key)
    except DomainError as exc:
        raise _fail(exc.message) from None
    finally:
        db.close()
