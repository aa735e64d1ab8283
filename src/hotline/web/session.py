"""Who is looking at a page: the login session, page access by role, and the CSRF check on POSTs."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hotline.deps import get_db, session_is_current
from hotline.errors import Forbidden, NotFound
from hotline.org import service as org
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import MACHINE_ROLES, ROLE_LABELS, Role
from hotline.web.nav import BY_KEY, NavPage, nav_for
from hotline.web.render import CSRF_KEY

USER_KEY = "user_id"


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to /login?next=…"""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class CsrfRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__("csrf_failed", "安全校验未通过：页面已过期或请求来源不明。请返回上一页，刷新后重新提交。")


@dataclass(frozen=True)
class Viewer:
    actor: Actor
    name: str
    role_label: str
    unit_name: str | None
    nav: list[NavPage] = field(default_factory=list)

    @property
    def role(self) -> Role:
        return self.actor.role


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def safe_next(value: str | None) -> str | None:
    """Only a path on this site (no //host, no scheme): never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    return value


def optional_viewer(request: Request, db: Session) -> Viewer | None:
    user_id = request.session.get(USER_KEY)
    if user_id is None:
        return None
    try:
        user = org.get_user(db, int(user_id))
    except (NotFound, ValueError, TypeError):
        request.session.pop(USER_KEY, None)
        return None
    role = Role(user.role)
    # machine accounts never hold a page session; one opened before a logout or a password reset has ended
    if not user.active or role in MACHINE_ROLES or not session_is_current(request.session, user):
        request.session.pop(USER_KEY, None)
        return None
    client = request.client.host if request.client else None
    actor = org.actor_for(user, client)
    return Viewer(actor=actor, name=user.display_name, role_label=ROLE_LABELS[role],
                  unit_name=user.unit.name if user.unit else None,
                  nav=nav_for(role, whole_city=audit.reads_whole_city(actor)))


def current_viewer(request: Request, db: Annotated[Session, Depends(get_db)]) -> Viewer:
    viewer = optional_viewer(request, db)
    if viewer is None:
        raise LoginRequired(login_url(request))
    return viewer


def viewer_for(page_key: str, *also: str) -> Callable[..., Viewer]:
    """A dependency: the logged-in viewer, refused unless their role uses this page (or one of
    `also`: a route two menu entries lead to, such as a unit's own supervision orders)."""
    pages = [BY_KEY[k] for k in (page_key, *also)]

    def dependency(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
        if not any(viewer.role in page.roles for page in pages):
            raise Forbidden("page_forbidden", f"「{viewer.role_label}」无权访问「{pages[0].label}」页面")
        if not any(viewer.role in p.roles and (not p.whole_city or audit.reads_whole_city(viewer.actor))
                   for p in pages):
            raise Forbidden("page_forbidden", f"「{pages[0].label}」记录全市的情况，仅限数据范围为全市的用户访问")
        return viewer

    return dependency


async def checked_form(request: Request) -> FormData:
    """The POSTed form, refused unless it carries this session's CSRF token."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = request.session.get(CSRF_KEY)
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, str(expected)):
        raise CsrfRefused()
    return form


PageViewer = Annotated[Viewer, Depends(current_viewer)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
