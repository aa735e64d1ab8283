"""Login, logout, and the home page that sends each role to the page it works in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.deps import DB, RT, SESSION_EPOCH_KEY, client_of
from hotline.errors import Unauthenticated
from hotline.org import service as org
from hotline.web.forms import text
from hotline.web.nav import home_for
from hotline.web.render import csrf_token, flash, redirect, render
from hotline.web.session import USER_KEY, CheckedForm, PageViewer, optional_viewer, safe_next

router = APIRouter()


@router.get("/")
def home(viewer: PageViewer) -> RedirectResponse:
    return redirect(home_for(viewer.role))


@router.get("/login", response_model=None)
def login_page(request: Request, db: DB, next: str | None = None) -> HTMLResponse | RedirectResponse:
    viewer = optional_viewer(request, db)
    if viewer is not None:
        return redirect(safe_next(next) or home_for(viewer.role))
    return render(request, "login.html", next=safe_next(next) or "", username="")


@router.post("/login", response_model=None)
def login(request: Request, form: CheckedForm, db: DB, rt: RT) -> HTMLResponse | RedirectResponse:
    username, password, target = text(form, "username"), form.get("password"), safe_next(text(form, "next"))
    try:
        user = org.authenticate(db, username=username, password=password if isinstance(password, str) else "",
                                now=rt.clock.now(), client=client_of(request))
    except Unauthenticated as exc:
        return render(request, "login.html", status_code=401, error=exc.message, next=target or "",
                      username=username)
    # A fresh session on login: nothing from before the login carries over (no session fixation).
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[SESSION_EPOCH_KEY] = user.session_epoch or 0
    csrf_token(request)
    flash(request, f"欢迎，{user.display_name}")
    return redirect(target or home_for(org.actor_for(user).role))


@router.post("/logout")
def logout(request: Request, form: CheckedForm, db: DB) -> RedirectResponse:
    # The cookie is the browser's: forgetting it here is not enough when it was kept or copied. Moving the
    # user's session epoch on ends every page session of the account (other desks too).
    if (user_id := request.session.get(USER_KEY)) is not None:
        org.end_page_sessions(db, user_id=int(user_id))
    request.session.clear()
    flash(request, "已安全退出")
    return redirect("/login")
