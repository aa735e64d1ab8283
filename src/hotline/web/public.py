"""The public portal (no login): submit a request, look up its progress, rate it or withdraw it.

The number and phone digits of a successful lookup stay in the browser's signed session, so that
rating and withdrawing never put the phone digits in a URL or a hidden field — for 15 minutes from
the last page only: on a service hall's kiosk, the next person must not find the last one's ticket.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hotline.deps import DB, RT, client_of
from hotline.dispatch.screening import ScreeningHit, screen
from hotline.errors import Conflict, DomainError
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.tickets import present, service
from hotline.tickets.enums import Action, Channel
from hotline.tickets.schemas import CENTRE_ONLY_FIELDS, ActionIn, TicketCreate
from hotline.web import choices
from hotline.web.forms import errors_of, intake_data, intake_values, text
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm

router = APIRouter()
SUBMITTED_KEY = "public_submitted"
LOOKUP_KEY = "public_lookup"
IDEM = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LOOKUP_IDLE = timedelta(minutes=15)
LOOKUP_EXPIRED = "为保护您的信息，查询结果在 15 分钟无操作后已清除，请重新查询"


def _submit_page(request: Request, db: Session, values: dict[str, Any], *, errors: list[str] | None = None,
                 status_code: int = 200, emergencies: list[ScreeningHit] | None = None) -> HTMLResponse:
    return render(request, "public_submit.html", public=True, status_code=status_code, values=values,
                  errors=errors or [], kinds=choices.KINDS, jurisdictions=choices.jurisdictions(db),
                  emergencies=emergencies or [])


@router.get("/public")
def submit_form(request: Request, db: DB) -> HTMLResponse:
    return _submit_page(request, db, {"idem": secrets.token_urlsafe(18)})


def prefilled_form(request: Request, db: Session, *, title: str, content: str, kind: str) -> HTMLResponse:
    """The submission form filled in by another page (the chat assistant's 转人工); submitting it
    goes through POST /public like any other request."""
    values = {"idem": secrets.token_urlsafe(18), "title": title, "content": content, "kind": kind}
    return _submit_page(request, db, values)


@router.post("/public", response_model=None)
def submit(request: Request, form: CheckedForm, db: DB, rt: RT) -> HTMLResponse | RedirectResponse:
    return _register(request, db, rt, {**intake_values(form), "emergency_ack": text(form, "emergency_ack")})


def _register(request: Request, db: Session, rt: Runtime,
              values: dict[str, Any]) -> HTMLResponse | RedirectResponse:
    values["next_step"] = ""
    values["requester_anonymous"] = False
    data = {k: v for k, v in intake_data(values).items() if k not in CENTRE_ONLY_FIELDS}
    data["channel"] = Channel.WEB
    # Something happening now (a fire, someone hurt) cannot wait for a web request: say so first.
    emergencies = [h for h in screen(values.get("title"), values.get("content"), values.get("circumstances"))
                   if h.kind == "emergency"]
    if emergencies and values.get("emergency_ack") != "1":
        return _submit_page(request, db, values, emergencies=emergencies)
    # The form has no 匿名 choice: "请补充：诉求人（姓名或匿名）" offered one it does not have (QA).
    missing = [message for field, message in (("requester_name", "请填写姓名"),
                                              ("requester_phone", "请填写手机号码：查询办理进度时需要手机号后四位"))
               if not (values.get(field) or "").strip()]
    if missing:
        return _submit_page(request, db, values, errors=missing, status_code=422)
    try:
        ticket_in = TicketCreate.model_validate(data)
    except ValidationError as exc:
        return _submit_page(request, db, values, errors=errors_of(exc), status_code=422)
    key = values["idem"] if IDEM.match(values.get("idem", "")) else None
    actor = Actor.requester(client_of(request))
    try:
        try:
            ticket, _ = service.register(db, rt, actor=actor, data=ticket_in, idempotency_key=key)
        except Conflict as exc:
            if exc.code != "idempotency_key_reused":
                raise
            ticket, _ = service.register(db, rt, actor=actor, data=ticket_in)
    except DomainError as exc:
        return _submit_page(request, db, values, errors=[exc.message], status_code=exc.status_code)
    request.session[SUBMITTED_KEY] = ticket.number
    return redirect("/public/submitted")


@router.get("/public/submitted", response_model=None)
def submitted(request: Request) -> HTMLResponse | RedirectResponse:
    number = request.session.get(SUBMITTED_KEY)
    if not number:
        return redirect("/public")
    return render(request, "public_submitted.html", public=True, number=number)


# ---- lookup, rating, withdrawal -----------------------------------------------------------


def _saved_lookup(request: Request, rt: Runtime) -> tuple[dict[str, str] | None, bool]:
    """The lookup kept in the session and whether one was dropped for being idle (LOOKUP_IDLE);
    reading it restarts the idle time."""
    saved = request.session.get(LOOKUP_KEY)
    if not saved:
        return None, False
    now = rt.clock.now()
    try:
        at: datetime | None = datetime.fromisoformat(saved.get("at", ""))
    except (TypeError, ValueError):
        at = None
    if at is None or not (now - LOOKUP_IDLE <= at <= now + timedelta(minutes=1)):
        request.session.pop(LOOKUP_KEY, None)
        return None, True
    saved = {**saved, "at": now.isoformat()}
    request.session[LOOKUP_KEY] = saved
    return saved, False


def _lookup_page(request: Request, db: Session, rt: Runtime, *, number: str = "", error: str | None = None,
                 status_code: int = 200) -> HTMLResponse:
    result = None
    saved, expired = _saved_lookup(request, rt)
    if expired and error is None:
        error = LOOKUP_EXPIRED
    if saved:
        try:
            ticket = service.public_lookup(db, number=saved["number"], phone_last4=saved["last4"])
        except DomainError:
            request.session.pop(LOOKUP_KEY, None)
        else:
            result = present.public(ticket, service.public_events(db, ticket), rt)
    return render(request, "public_lookup.html", public=True, status_code=status_code, result=result,
                  number=number, error=error, satisfactions=choices.SATISFACTIONS)


@router.get("/public/lookup")
def lookup_page(request: Request, db: DB, rt: RT) -> HTMLResponse:
    if request.query_params.get("new"):
        request.session.pop(LOOKUP_KEY, None)
    return _lookup_page(request, db, rt)


@router.post("/public/lookup", response_model=None)
def lookup(request: Request, form: CheckedForm, db: DB, rt: RT) -> HTMLResponse | RedirectResponse:
    number, last4 = text(form, "number").upper(), text(form, "phone_last4")
    try:
        ticket = service.public_lookup(db, number=number[:32], phone_last4=last4, now=rt.clock.now(),
                                       client=client_of(request))
    except DomainError as exc:
        request.session.pop(LOOKUP_KEY, None)
        return _lookup_page(request, db, rt, number=number[:32], error=exc.message, status_code=exc.status_code)
    request.session[LOOKUP_KEY] = {"number": ticket.number, "last4": last4, "at": rt.clock.now().isoformat()}
    return redirect("/public/lookup")


def _public_act(request: Request, form: FormData, db: Session, rt: Runtime,
                action: Action) -> HTMLResponse | RedirectResponse:
    saved, expired = _saved_lookup(request, rt)
    if not saved:
        return _lookup_page(request, db, rt, status_code=400,
                            error=LOOKUP_EXPIRED if expired else "请先凭工单编号和手机号后四位查询工单")
    try:
        params = ActionIn.model_validate(
            {"satisfaction": text(form, "satisfaction") or None, "comment": text(form, "comment") or None}
            if action == Action.RATE else {"reason": text(form, "reason") or None}
        )
        service.public_act(db, rt, number=saved["number"], phone_last4=saved["last4"], action=action,
                           params=params, client=client_of(request))
    except ValidationError as exc:
        return _lookup_page(request, db, rt, error="；".join(errors_of(exc)), status_code=422)
    except DomainError as exc:
        return _lookup_page(request, db, rt, error=exc.message, status_code=exc.status_code)
    flash(request, "感谢您的评价！" if action == Action.RATE else "诉求已撤回")
    return redirect("/public/lookup")


@router.post("/public/rate", response_model=None)
def rate(request: Request, form: CheckedForm, db: DB, rt: RT) -> HTMLResponse | RedirectResponse:
    return _public_act(request, form, db, rt, Action.RATE)


@router.post("/public/withdraw", response_model=None)
def withdraw(request: Request, form: CheckedForm, db: DB, rt: RT) -> HTMLResponse | RedirectResponse:
    return _public_act(request, form, db, rt, Action.WITHDRAW)
