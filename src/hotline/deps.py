"""FastAPI dependencies: the runtime, a database session per request, and the acting user."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from hotline.clock import CHINA_TZ
from hotline.errors import DomainError, Forbidden, Unauthenticated
from hotline.errors_http import chinese_message
from hotline.org import service as org
from hotline.org.models import User
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.roles import MACHINE_ROLES, Role

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Where the pages keep their CSRF token in the signed session (web/render.py uses the same key).
SESSION_CSRF_KEY = "csrf"


async def get_rt(request: Request) -> Runtime:
    # async: an attribute read needs no trip through the thread pool (sync dependencies take one).
    return request.app.state.runtime  # type: ignore[no-any-return]


async def get_db(request: Request) -> AsyncIterator[Session]:
    # Services commit; this only closes (a commit after `yield` would run after the response).
    # async: opening a Session does no I/O, so it needs no thread-pool hop (a sync dependency takes one
    # to enter and one to exit). Closing does I/O only while a transaction is open (the rollback when
    # the connection goes back to the pool): only then is it sent to a thread, shielded from
    # cancellation and outside the default limiter, as FastAPI does for sync dependencies.
    db: Session = request.app.state.session_factory()
    try:
        yield db
    finally:
        if db.in_transaction():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(db.close, limiter=anyio.CapacityLimiter(1))
        else:
            db.close()


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


SESSION_EPOCH_KEY = "epoch"


def session_is_current(session: Any, user: User) -> bool:
    """Whether a page session was opened in the user's current epoch (users.session_epoch): logging out
    and a password reset move it on, so a cookie kept or copied from before stops working."""
    return session.get(SESSION_EPOCH_KEY, 0) == (user.session_epoch or 0)


def session_user_id(request: Request) -> int | None:
    value = request.session.get("user_id") if "session" in request.scope else None
    return int(value) if value is not None else None


# Machine accounts reach only the routes made for them: a channel key travels in URLs (Open311 puts
# api_key in the query string), so it must open nothing else.
MACHINE_REFUSALS = {
    Role.CHANNEL: "渠道接入账号只能调用 Open311 接口（/open311/v2）",
    Role.TELEPHONY: "话务系统接口账号只能推送话务事件、收发短信和查询来电路由",
    Role.DATA_SHARING: "数据共享接口账号只能读取工单数据共享接口（/api/share）",
    Role.UNIT_SYSTEM: "部门业务系统接口账号只能读取本单位待办队列（/api/v1/queue）、本单位工单的详情和流转记录、"
                      "本单位消息提醒，和办理本单位工单（/api/v1/tickets/{id}/actions/…）",
}


def api_actor(
    request: Request, db: Annotated[Session, Depends(get_db)], rt: Annotated[Runtime, Depends(get_rt)]
) -> Actor:
    """A staff member, by bearer token (API clients) or page session (our own pages' scripts)."""
    actor = _actor(request, db, rt)
    if actor.role in MACHINE_ROLES:
        raise Forbidden("machine_account", MACHINE_REFUSALS[actor.role])
    return actor


def telephony_actor(
    request: Request, db: Annotated[Session, Depends(get_db)], rt: Annotated[Runtime, Depends(get_rt)]
) -> Actor:
    """As api_actor, and the telephony adapter's machine account too (call events, routing, the SMS gateway)."""
    actor = _actor(request, db, rt)
    if actor.role in MACHINE_ROLES and actor.role != Role.TELEPHONY:
        raise Forbidden("machine_account", MACHINE_REFUSALS[actor.role])
    return actor


def unit_work_actor(
    request: Request, db: Annotated[Session, Depends(get_db)], rt: Annotated[Runtime, Depends(get_rt)]
) -> Actor:
    """As api_actor, and a unit's business system too (部门业务系统): only the unit's queue, its tickets'
    details and history (masked), its inbox and the ticket actions take it; the workflow table and the data
    scope decide what it may do there."""
    actor = _actor(request, db, rt)
    if actor.role in MACHINE_ROLES and actor.role != Role.UNIT_SYSTEM:
        raise Forbidden("machine_account", MACHINE_REFUSALS[actor.role])
    return actor


def sharing_actor(
    request: Request, db: Annotated[Session, Depends(get_db)], rt: Annotated[Runtime, Depends(get_rt)]
) -> Actor:
    """A data-sharing machine account (信息共享): the ticket feed is read by other systems only, with
    their own keys, so that every read is theirs in the audit log."""
    actor = _actor(request, db, rt)
    if actor.role in MACHINE_ROLES and actor.role != Role.DATA_SHARING:
        raise Forbidden("machine_account", MACHINE_REFUSALS[actor.role])
    if actor.role != Role.DATA_SHARING:
        raise Forbidden("role_forbidden", "工单数据共享接口仅供数据共享接口账号调用：请系统管理员在「接口账号」中创建")
    return actor


def _actor(request: Request, db: Session, rt: Runtime) -> Actor:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return org.actor_for_token(db, token=header[7:].strip(), now=rt.clock.now(), client=client_of(request))
    user_id = session_user_id(request)
    if user_id is not None and request.method not in SAFE_METHODS:
        # A cookie rides along with cross-site requests: changes need the page's CSRF token too.
        expected = request.session.get(SESSION_CSRF_KEY)
        if not expected or not secrets.compare_digest(str(expected), request.headers.get("x-csrf-token", "")):
            raise Forbidden("csrf_failed", "会话校验失败：请刷新页面后重试，或使用访问令牌调用接口")
    if user_id is not None:
        session_user = db.get(User, user_id)
        if session_user is not None and session_user.active and session_is_current(request.session, session_user):
            return org.actor_for(session_user, client_of(request))
    raise Unauthenticated("not_authenticated", "请先登录或提供有效的访问令牌（Authorization: Bearer …）")


DB = Annotated[Session, Depends(get_db)]
RT = Annotated[Runtime, Depends(get_rt)]
ApiActor = Annotated[Actor, Depends(api_actor)]
TelephonyActor = Annotated[Actor, Depends(telephony_actor)]
SharingActor = Annotated[Actor, Depends(sharing_actor)]
UnitWorkActor = Annotated[Actor, Depends(unit_work_actor)]


def _beijing(value: datetime) -> datetime:
    """A time in a query string without an offset (?since=2026-11-01) is Beijing time, as the pages'
    date fields are; the columns store UTC and refuse a naive time."""
    return value.replace(tzinfo=CHINA_TZ) if value.tzinfo is None else value


QueryTime = Annotated[datetime, AfterValidator(_beijing)]  # a query parameter's time


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate_at(value: Any, path: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
    """Where in a parsed JSON body a string holds half a UTF-16 pair, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _lone_surrogate_at(key, (*path, "键")) if isinstance(key, str) else None
        found = found or _lone_surrogate_at(item, (*path, key))
        if found is not None:
            return found
    return None


async def text_is_unicode(request: Request) -> None:
    """Refuse a JSON body that escapes half a UTF-16 pair ("\\ud800"): Python reads it as a string no
    encoder can write, and a field without its own check carried it into the database or the
    search engine (a 500, once a saved row that broke its list). Cheap: the body is parsed again
    only when it holds such an escape at all."""
    if request.method in SAFE_METHODS or "json" not in request.headers.get("content-type", ""):
        return
    body = await request.body()
    if not _SURROGATE_ESCAPE.search(body):
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # FastAPI answers the malformed body itself
    at = _lone_surrogate_at(parsed)
    if at is not None:  # named as a field's own check names it (诉求标题含有无法识别的字符)
        raise DomainError("invalid_text", chinese_message({"type": "string_unicode", "loc": ("body", *at)})
                          + "（不成对的 Unicode 代理项），请删除后重新提交", status_code=422)


ID_MAX = 2**31 - 1  # the id columns are 32-bit on PostgreSQL
TEXT_IDS = frozenset({"object_id"})  # the audit log's: a ticket number, a key or a digest, digits or not


async def ids_in_range(request: Request) -> None:
    """An id (a path or query parameter named id or *_id) beyond what the id columns hold is refused
    alike on both databases: PostgreSQL refused to compare it (422) while SQLite looked it up (404)."""
    params = [*request.path_params.items(), *request.query_params.multi_items()]
    for name, value in params:
        if (name == "id" or name.endswith("_id")) and name not in TEXT_IDS and isinstance(value, str) \
                and value.isascii() and value.isdecimal() and len(value) < 40 and int(value) > ID_MAX:
            raise DomainError("value_out_of_range", "参数数值超出范围，请检查编号、页码或日期", status_code=422)


async def json_batch(request: Request, *, limit: int, item: str, measure: str,
                     empty_code: str) -> tuple[list[Any], bool]:
    """A pushed body of one object or a non-empty array of at most `limit` of them (call events, texts):
    (the items, whether it was one object). `item` and its measure word name them: 事件 / 个, 短信 / 条."""
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise DomainError("json_invalid", "请求体不是合法的 JSON", status_code=422) from None
    single = isinstance(body, dict)
    items: list[Any] = [body] if single else body if isinstance(body, list) else []
    if not items:
        raise DomainError(empty_code, f"请求体应为一{measure}{item}对象，或非空的{item}数组", status_code=422)
    if len(items) > limit:
        raise DomainError("batch_too_large", f"每批最多 {limit} {measure}{item}", status_code=422)
    return items, single
