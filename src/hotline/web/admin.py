"""Administration pages: user accounts (create, edit, disable, reset password) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.org import admin
from hotline.org.models import UNIT_KIND_LABELS, UnitKind, User
from hotline.org.service import list_units
from hotline.security import audit
from hotline.security import audit_export as audit_export_mod
from hotline.security.roles import LOGIN_ROLES, ROLE_LABELS, SCOPE_LABELS, DataScope, Role
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
    return admin.get_user(db, actor=viewer.actor, user_id=user_id)  # a machine account refused there


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


def _audit_filters(qp: Any) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The audit page's filters from its query string: (search arguments, the values as typed, errors).
    A date that cannot be read is said, never dropped: a search silently widened to every date could
    be read as the entries of the day asked for (QA: ?from=garbage listed everything)."""
    shown = {k: (qp.get(k) or "").strip()[:64] for k in ("username", "action", "object_id", "from", "to")}
    since = local_day_start(shown["from"]) if shown["from"] else None
    until = local_day_start(shown["to"], next_day=True) if shown["to"] else None
    errors = [f"「{label}」“{shown[key]}”不是有效日期，请按 YYYY-MM-DD 填写（如 2026-11-27）"
              for key, label, value in (("from", "日期从", since), ("to", "至", until)) if shown[key] and value is None]
    if since and until and until <= since:
        errors.append(f"日期范围颠倒了：结束日期 {shown['to']} 早于开始日期 {shown['from']}")
    search = {"username": shown["username"] or None,
              "action": shown["action"] if shown["action"] in audit.ACTION_LABELS else None,
              "object_id": shown["object_id"] or None, "since": since, "until": until}
    return search, shown, errors


@router.get("/admin/audit")
def audit_page(request: Request, db: DB, viewer: AuditViewer) -> HTMLResponse:
    qp = request.query_params
    search, shown, errors = _audit_filters(qp)
    page = page_number(qp)
    entries, total = ([], 0) if errors else audit.search(db, actor=viewer.actor, page=page, **search)
    export_qs = urlencode({k: v for k, v in shown.items() if v})  # the export holds what the list shows
    return render(request, "admin_audit.html", viewer=viewer, entries=entries, f=shown, actions=AUDIT_ACTIONS,
                  action_labels=audit.ACTION_LABELS, role_labels=ROLE_LABELS, errors=errors,
                  status_code=422 if errors else 200,
                  export_url="/admin/audit.xlsx" + (f"?{export_qs}" if export_qs else ""),
                  pager=pager(qp, "/admin/audit", total, page=page, page_size=50))


@router.get("/admin/audit.xlsx")
def audit_export(request: Request, db: DB, rt: RT, viewer: AuditViewer) -> Response:
    """The entries the audit page lists under the same filters (at most 10,000), as an Excel sheet."""
    search, shown, errors = _audit_filters(request.query_params)
    if errors:
        raise DomainError("invalid_filter", "；".join(errors), status_code=422)
    now = rt.clock.now()
    label = audit.filters_label(username=search["username"], action=search["action"], object_id=search["object_id"],
                                day_from=shown["from"] or None, day_to=shown["to"] or None)
    rows, total = audit.export_rows(db, actor=viewer.actor, at=now, limit=audit_export_mod.MAX_ROWS,
                                    filters_label=label, **search)
    body = audit_export_mod.audit_workbook(rows, total=total)
    name = f"audit-{to_local(now):%Y%m%d-%H%M}.xlsx"
    return Response(body, media_type=audit_export_mod.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
