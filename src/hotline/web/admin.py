"""Administration pages: user accounts (create, edit, disable, reset password) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.org import admin
from hotline.org.models import UNIT_KIND_LABELS, UnitKind, User
from hotline.org.service import list_units
from hotline.security import audit
from hotline.security.roles import LOGIN_ROLES, MACHINE_ROLES, ROLE_LABELS, SCOPE_LABELS, DataScope, Role
from hotline.web import choices
from hotline.web.forms import local_day_start, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
UsersViewer = Annotated[Viewer, Depends(viewer_for("users"))]
AuditViewer = Annotated[Viewer, Depends(viewer_for("audit"))]
ROLE_OPTIONS = [choices.Option(str(r), ROLE_LABELS[r]) for r in Role if r in LOGIN_ROLES]
SCOPE_OPTIONS = [choices.Option(str(s), SCOPE_LABELS[s]) for s in DataScope]
AUDIT_ACTIONS = [choices.Option(k, v) for k, v in audit.ACTION_LABELS.items()]


def _users_page(request: Request, db: DB, viewer: Viewer, *, errors: list[str] | None = None,
                values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    q = (request.query_params.get("q") or "").strip()[:64]
    role_value = request.query_params.get("role") or ""
    role = Role(role_value) if role_value in {str(r) for r in LOGIN_ROLES} else None
    page = page_number(request.query_params)
    users, total = admin.list_users(db, actor=viewer.actor, q=q or None, role=role, page=page,
                                   login_only=True)
    units = [choices.Option(u.code, u.name, UNIT_KIND_LABELS[UnitKind(u.kind)]) for u in list_units(db)]
    return render(request, "admin_users.html", viewer=viewer, status_code=status_code, users=users,
                  pager=pager(request.query_params, "/admin/users", total, page=page), q=q, role=role_value,
                  roles=ROLE_OPTIONS, scopes=SCOPE_OPTIONS, units=units, jurisdictions=choices.jurisdictions(db),
                  role_labels=ROLE_LABELS, scope_labels=SCOPE_LABELS, errors=errors or [], values=values or {})


@router.get("/admin/users")
def users_page(request: Request, db: DB, viewer: UsersViewer) -> HTMLResponse:
    return _users_page(request, db, viewer)


@router.post("/admin/users", response_model=None)
def create_user(request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: UsersViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("username", "display_name", "role", "unit_code", "data_scope",
                                         "scope_jurisdiction_code", "phone")}
    password = form.get("password")
    try:
        user = admin.create_user(
            db, actor=viewer.actor, now=rt.clock.now(), username=values["username"],
            password=password if isinstance(password, str) else "", display_name=values["display_name"],
            role=values["role"], unit_code=values["unit_code"] or None, data_scope=values["data_scope"] or None,
            scope_jurisdiction_code=values["scope_jurisdiction_code"] or None, phone=values["phone"] or None,
        )
    except DomainError as exc:
        return _users_page(request, db, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    flash(request, f"已创建用户 {user.username}（{ROLE_LABELS[Role(user.role)]}）")
    return redirect("/admin/users")


EDIT_FIELDS = ("display_name", "phone", "role", "unit_code", "data_scope", "scope_jurisdiction_code")


def _edit_page(request: Request, db: DB, viewer: Viewer, user: User, values: dict[str, str | None], *,
               errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    units = [choices.Option(u.code, u.name, UNIT_KIND_LABELS[UnitKind(u.kind)]) for u in list_units(db)]
    old = user.unit
    if old is not None and not old.active:  # bound to a unit since closed: shown, so saving keeps it
        units.append(choices.Option(old.code, f"{old.name}（已停用）", UNIT_KIND_LABELS[UnitKind(old.kind)]))
    return render(request, "admin_user_edit.html", viewer=viewer, status_code=status_code, user=user,
                  values={k: v or "" for k, v in values.items()}, roles=ROLE_OPTIONS, scopes=SCOPE_OPTIONS,
                  units=units, jurisdictions=choices.jurisdictions(db), role_labels=ROLE_LABELS,
                  errors=errors or [], is_self=user.id == viewer.actor.user_id)


def _login_account(db: DB, viewer: Viewer, user_id: int) -> User:
    user = admin.get_user(db, actor=viewer.actor, user_id=user_id)
    if user.role in {str(r) for r in MACHINE_ROLES}:
        raise DomainError("machine_account", "接口账号请在「接口账号」页面（/admin/machines）管理", status_code=422)
    return user


@router.get("/admin/users/{user_id}/edit")
def edit_user_page(user_id: int, request: Request, db: DB, viewer: UsersViewer) -> HTMLResponse:
    user = _login_account(db, viewer, user_id)
    return _edit_page(request, db, viewer, user, admin.editable(user))


@router.post("/admin/users/{user_id}/edit", response_model=None)
def edit_user(user_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: UsersViewer) -> HTMLResponse | RedirectResponse:
    user = _login_account(db, viewer, user_id)
    values = {k: text(form, k) for k in EDIT_FIELDS}
    try:
        user, changes = admin.update_user(
            db, actor=viewer.actor, now=rt.clock.now(), user_id=user_id, display_name=values["display_name"],
            phone=values["phone"] or None, role=values["role"], unit_code=values["unit_code"] or None,
            data_scope=values["data_scope"] or None,
            scope_jurisdiction_code=values["scope_jurisdiction_code"] or None,
        )
    except DomainError as exc:
        db.rollback()
        user = _login_account(db, viewer, user_id)
        return _edit_page(request, db, viewer, user, dict(values), errors=[exc.message],
                          status_code=exc.status_code)
    if changes:
        flash(request, f"已修改用户 {user.username}：{'；'.join(changes)}")
    else:
        flash(request, f"用户 {user.username} 没有改动", "info")
    return redirect("/admin/users")


@router.post("/admin/users/{user_id}/active")
def toggle_user(user_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: UsersViewer) -> RedirectResponse:
    active = text(form, "active") == "1"
    try:
        user = admin.set_active(db, actor=viewer.actor, now=rt.clock.now(), user_id=user_id, active=active)
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, f"已{'启用' if active else '停用'}用户 {user.username}")
    return redirect("/admin/users")


@router.post("/admin/users/{user_id}/password")
def reset_password(user_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                   viewer: UsersViewer) -> RedirectResponse:
    password = form.get("password")
    try:
        user = admin.reset_password(db, actor=viewer.actor, now=rt.clock.now(), user_id=user_id,
                                    password=password if isinstance(password, str) else "")
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, f"已重置用户 {user.username} 的密码")
    return redirect("/admin/users")


@router.get("/admin/audit")
def audit_page(request: Request, db: DB, viewer: AuditViewer) -> HTMLResponse:
    qp = request.query_params
    shown = {k: (qp.get(k) or "").strip()[:64] for k in ("username", "action", "object_id", "from", "to")}
    page = page_number(qp)
    entries, total = audit.search(
        db, actor=viewer.actor, username=shown["username"] or None,
        action=shown["action"] if shown["action"] in audit.ACTION_LABELS else None,
        object_id=shown["object_id"] or None,
        since=local_day_start(shown["from"]) if shown["from"] else None,
        until=local_day_start(shown["to"], next_day=True) if shown["to"] else None, page=page,
    )
    return render(request, "admin_audit.html", viewer=viewer, entries=entries, f=shown, actions=AUDIT_ACTIONS,
                  action_labels=audit.ACTION_LABELS, role_labels=ROLE_LABELS,
                  pager=pager(qp, "/admin/audit", total, page=page, page_size=50))
