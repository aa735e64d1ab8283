"""FastAPI dependencies: the runtime, a database session per request, and the acting user."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hotline.errors import Forbidden, Unauthenticated
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


def session_user_id(request: Request) -> int | None:
    value = request.session.get("user_id") if "session" in request.scope else None
    return int(value) if value is not None else None


# Machine accounts reach only the routes made for them: a channel key travels in URLs (Open311 puts
# api_key in the query string), so it must open nothing else.
MACHINE_REFUSALS = {
    Role.CHANNEL: "渠道接入账号只能调用 Open311 接口（/open311/v2）",
    Role.TELEPHONY: "话务系统接口账号只能推送话务事件和查询来电路由",
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
    """As api_actor, and the telephony adapter's machine account too (call events, routing)."""
    actor = _actor(request, db, rt)
    if actor.role in MACHINE_ROLES and actor.role != Role.TELEPHONY:
        raise Forbidden("machine_account", MACHINE_REFUSALS[actor.role])
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
        if session_user is not None and session_user.active:
            return org.actor_for(session_user, client_of(request))
    raise Unauthenticated("not_authenticated", "请先登录或提供有效的访问令牌（Authorization: Bearer …）")


DB = Annotated[Session, Depends(get_db)]
RT = Annotated[Runtime, Depends(get_rt)]
ApiActor = Annotated[Actor, Depends(api_actor)]
TelephonyActor = Annotated[Actor, Depends(telephony_actor)]
