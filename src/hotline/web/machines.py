"""Machine accounts page (administrators): the accounts other systems use and their keys.

A newly issued key is rendered in the answer to the POST that issued it (no redirect: it is never put
in the session cookie nor shown by a later GET); the page is sent with no-store like every page.
The form carries the newest key id it was shown with, so re-posting it (refreshing that answer)
issues and rotates nothing. The push forms (set the URL, 更换签名密钥) answer the same way, with the
secret once, and carry the fingerprint of the secret they were shown with for the same reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from hotline.deps import DB, RT
from hotline.errors import Conflict, DomainError
from hotline.org import machines
from hotline.security.roles import MACHINE_ROLES, ROLE_LABELS, Role
from hotline.sharing import push, signing
from hotline.sharing.enums import PUSH_STATUS_LABELS
from hotline.web import choices
from hotline.web.forms import is_id, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
MachinesViewer = Annotated[Viewer, Depends(viewer_for("machines"))]
ROLE_OPTIONS = [choices.Option(str(r), ROLE_LABELS[r]) for r in Role if r in MACHINE_ROLES]
LIST_URL = "/admin/machines"


def _list_page(request: Request, db: DB, rt: RT, viewer: Viewer, *, errors: list[str] | None = None,
               values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    q = (request.query_params.get("q") or "").strip()[:64]
    role_value = request.query_params.get("role") or ""
    role = Role(role_value) if role_value in {str(r) for r in MACHINE_ROLES} else None
    page = page_number(request.query_params)
    rows, total = machines.list_accounts(db, actor=viewer.actor, now=rt.clock.now(), q=q or None, role=role,
                                         page=page)
    return render(request, "admin_machines.html", viewer=viewer, status_code=status_code, rows=rows, q=q,
                  role=role_value, roles=ROLE_OPTIONS, role_labels=ROLE_LABELS, errors=errors or [],
                  scope_of=machines.scope_of,
                  values=values or {}, pager=pager(request.query_params, LIST_URL, total, page=page))


def _account_page(request: Request, db: DB, rt: RT, viewer: Viewer, account_id: int, *,
                  issued: machines.IssuedKey | None = None, secret: str | None = None,
                  push_errors: list[str] | None = None, push_url: str | None = None,
                  status_code: int = 200) -> HTMLResponse:
    user = machines.get_account(db, actor=viewer.actor, account_id=account_id)
    now = rt.clock.now()
    # 订阅推送 (data-sharing accounts): the subscription, its ten latest deliveries, a new secret once.
    sub = push.get(db, actor=viewer.actor, account_id=account_id) if user.role == Role.DATA_SHARING else None
    recent = push.deliveries(db, actor=viewer.actor, account_id=account_id, page_size=10)[0] if sub else []
    return render(request, "admin_machine.html", viewer=viewer, status_code=status_code,
                  sub=sub, deliveries=recent, secret=secret, secret_notice=push.SECRET_NOTICE,
                  push_errors=push_errors or [],
                  push_url=push_url if push_url is not None else (sub.url if sub else ""),
                  push_labels=PUSH_STATUS_LABELS, signing=signing, seen_secret=push.fingerprint(sub),
                  row=machines.account_row(db, user, now), keys=machines.keys_of(db, actor=viewer.actor,
                                                                                 account_id=account_id),
                  now=now, issued=issued, notice=machines.KEY_NOTICE, role_labels=ROLE_LABELS,
                  scope_of=machines.scope_of)


@router.get(LIST_URL)
def list_page(request: Request, db: DB, rt: RT, viewer: MachinesViewer) -> HTMLResponse:
    return _list_page(request, db, rt, viewer)


@router.post(LIST_URL)
def create_account(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: MachinesViewer) -> HTMLResponse:
    values = {k: text(form, k) for k in ("username", "display_name", "role", "key_name", "unit_code",
                                         "jurisdiction_code")}
    try:
        user, issued = machines.create_account(
            db, actor=viewer.actor, now=rt.clock.now(), role=machines.machine_role(values["role"]),
            username=values["username"], display_name=values["display_name"], key_name=values["key_name"],
            unit_code=values["unit_code"], jurisdiction_code=values["jurisdiction_code"])
    except DomainError as exc:
        return _list_page(request, db, rt, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    flash(request, f"已创建接口账号 {user.username}（{ROLE_LABELS[Role(user.role)]}）并签发密钥")
    return _account_page(request, db, rt, viewer, user.id, issued=issued)


@router.get(LIST_URL + "/{account_id}")
def account_page(account_id: int, request: Request, db: DB, rt: RT, viewer: MachinesViewer) -> HTMLResponse:
    return _account_page(request, db, rt, viewer, account_id)


@router.post(LIST_URL + "/{account_id}/keys", response_model=None)
def issue_key(account_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: MachinesViewer) -> HTMLResponse | RedirectResponse:
    rotate = text(form, "rotate") == "1"
    latest = text(form, "latest_key")
    try:
        issued = machines.issue_key(db, actor=viewer.actor, now=rt.clock.now(), account_id=account_id,
                                    name=text(form, "name"), rotate=rotate,
                                    after_key=int(latest) if is_id(latest) else None)
    except DomainError as exc:
        flash(request, exc.message, "error")
        return redirect(f"{LIST_URL}/{account_id}")
    flash(request, f"已轮换密钥：新密钥已签发，旧密钥 {issued.revoked} 个已立即失效" if rotate
          else "已签发新密钥；此前的密钥仍然有效")
    return _account_page(request, db, rt, viewer, account_id, issued=issued)


@router.post(LIST_URL + "/{account_id}/keys/{key_id}/revoke")
def revoke_key(account_id: int, key_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
               viewer: MachinesViewer) -> RedirectResponse:
    try:
        token = machines.revoke_key(db, actor=viewer.actor, now=rt.clock.now(), account_id=account_id, key_id=key_id)
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, f"已吊销密钥 #{token.id}，使用该密钥的调用将立即被拒绝")
    return redirect(f"{LIST_URL}/{account_id}")


@router.post(LIST_URL + "/{account_id}/active")
def toggle_account(account_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                   viewer: MachinesViewer) -> RedirectResponse:
    active = text(form, "active") == "1"
    try:
        user = machines.set_active(db, actor=viewer.actor, now=rt.clock.now(), account_id=account_id, active=active)
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, f"已启用接口账号 {user.username}，请签发新密钥" if active
              else f"已停用接口账号 {user.username}，其全部密钥已吊销")
    return redirect(f"{LIST_URL}/{account_id}")


@router.post(LIST_URL + "/{account_id}/scope")
def change_scope(account_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                 viewer: MachinesViewer) -> RedirectResponse:
    try:
        user = machines.change_scope(db, actor=viewer.actor, now=rt.clock.now(), account_id=account_id,
                                     unit_code=text(form, "unit_code"),
                                     jurisdiction_code=text(form, "jurisdiction_code"),
                                     whole_city=text(form, "whole_city") == "1")
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, f"数据范围现为「{machines.scope_of(user)}」：已送达的事件不变，此后的事件按新范围读取和推送")
    return redirect(f"{LIST_URL}/{account_id}")


# ---- 订阅推送 (data-sharing accounts) -----------------------------------------------------------------


@router.post(LIST_URL + "/{account_id}/push")
def subscribe(account_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: MachinesViewer) -> HTMLResponse:
    url = text(form, "url")
    try:
        _, secret, created = push.subscribe(db, rt, actor=viewer.actor, account_id=account_id, url=url,
                                            from_now=text(form, "from_now") == "1", seen=_seen(form))
    except Conflict as exc:  # a re-posted form: nothing changed, the page as it stands now
        flash(request, exc.message, "error")
        return redirect(f"{LIST_URL}/{account_id}#push")
    except DomainError as exc:
        return _account_page(request, db, rt, viewer, account_id, push_errors=[exc.message], push_url=url,
                             status_code=exc.status_code)
    flash(request, "已设置订阅推送，请将下方签名密钥配置到接收方" if created
          else "已更改订阅推送，旧签名密钥已失效，请将下方新密钥配置到接收方")
    return _account_page(request, db, rt, viewer, account_id, secret=secret)


@router.post(LIST_URL + "/{account_id}/push/secret")
def rotate_push_secret(account_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                       viewer: MachinesViewer) -> HTMLResponse:
    try:
        _, secret = push.rotate_secret(db, rt, actor=viewer.actor, account_id=account_id,
                                       seen=_seen(form))
    except Conflict as exc:
        flash(request, exc.message, "error")
        return redirect(f"{LIST_URL}/{account_id}#push")
    except DomainError as exc:
        flash(request, exc.message, "error")
        return _account_page(request, db, rt, viewer, account_id, status_code=exc.status_code)
    flash(request, "已更换签名密钥，旧密钥立即失效")
    return _account_page(request, db, rt, viewer, account_id, secret=secret)


def _seen(form: FormData) -> str | None:
    # The fingerprint of the secret the form was shown with ("" for none yet); absent, as from a client
    # that is not our page, no check (as the key form's latest_key).
    value = form.get("seen_secret")
    return value.strip() if isinstance(value, str) else None


@router.post(LIST_URL + "/{account_id}/push/{step}")
def push_step(account_id: int, step: str, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: MachinesViewer) -> RedirectResponse:
    try:
        if step in ("pause", "resume"):
            push.set_paused(db, actor=viewer.actor, now=rt.clock.now(), account_id=account_id, paused=step == "pause")
            flash(request, "已暂停订阅推送，恢复后从暂停处继续推送" if step == "pause" else "已恢复订阅推送")
        elif step == "test":
            row = push.send_test(db, rt, actor=viewer.actor, account_id=account_id)
            flash(request, f"测试推送成功（HTTP {row.http_status}，{row.duration_ms} 毫秒）" if row.ok
                  else f"测试推送失败：{row.error}", "ok" if row.ok else "error")
        else:
            flash(request, "未知的操作", "error")
    except DomainError as exc:
        flash(request, exc.message, "error")
    return redirect(f"{LIST_URL}/{account_id}")
