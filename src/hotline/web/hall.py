"""The 12345 hall: the operator's intake form, the dispatcher's queue and the callback list."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from hotline.clock import same_local_day, to_local
from hotline.deps import DB, RT
from hotline.dispatch.auto import auto_dispatch
from hotline.dispatch.screening import ScreeningHit, screen
from hotline.errors import Conflict, DomainError
from hotline.runtime import Runtime
from hotline.sms import service as sms
from hotline.tickets import overview, present, service, workflow
from hotline.tickets.enums import Action, State
from hotline.tickets.schemas import ActionIn, TicketCreate
from hotline.web import choices, kb_intake
from hotline.web.forms import errors_of, intake_data, intake_values, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, fmt_local, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for
from hotline.web.tabs import tabbed_queue
from hotline.wechat import service as wechat

router = APIRouter()
IntakeViewer = Annotated[Viewer, Depends(viewer_for("intake"))]
DispatchViewer = Annotated[Viewer, Depends(viewer_for("dispatch"))]
CallbackViewer = Annotated[Viewer, Depends(viewer_for("callbacks"))]
IDEM = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# The waiting lists whose messages the intake form registers: opened with ?sms=<ids> (?wechat=…), it
# carries them in its field sms_ids (wechat_ids); and how the sender is told, said when it is done.
WAITING_LISTS = (sms.TEXTS, wechat.MESSAGES)
TOLD = {"sms": "，已自动回复受理短信", "wechat": "，已排队通过公众号告知受理"}


# ---- intake -------------------------------------------------------------------------------


def _new_values() -> dict[str, Any]:
    return {"channel": "phone", "urgency": "normal", "next_step": "", "assisting_unit_ids": [],
            "idem": secrets.token_urlsafe(18)}


def _intake_page(request: Request, db: Session, viewer: Viewer, values: dict[str, Any], *,
                 errors: list[str] | None = None, history: list[Any] | None = None,
                 status_code: int = 200, suggestions: list[Any] | None = None,
                 screening: list[ScreeningHit] | None = None) -> HTMLResponse:
    return render(
        request, "intake.html", viewer=viewer, status_code=status_code, values=values, errors=errors or [],
        history=history, suggestions=suggestions, screening=screening or [], kinds=choices.KINDS,
        channels=choices.CHANNELS, urgencies=choices.URGENCIES,
        categories=choices.categories(), jurisdictions=choices.jurisdictions(db),
        units=choices.handling_units(db),
        linked_lines=choices.linked_lines(db, request.app.state.runtime.settings.city_name),
    )


@router.get("/hall/intake", response_model=None)
def intake_form(request: Request, db: DB, rt: RT, viewer: IntakeViewer) -> HTMLResponse | RedirectResponse:
    values = _new_values()
    box = next((b for b in WAITING_LISTS if request.query_params.get(b.code)), None)
    if box is not None:
        # 短信受理 / 微信受理 → 登记工单: the same form, pre-filled from the messages (the channel, their
        # words; an SMS sender's number, and then the earlier tickets of that number).
        try:
            values.update(box.prefill(db, rt, actor=viewer.actor, ids=box.parse_ids(request.query_params[box.code])))
        except DomainError as exc:
            db.rollback()
            flash(request, exc.message, "error")
            return redirect(box.page)
        return _intake_page(request, db, viewer, values, history=_history(db, rt, viewer, values))
    return _intake_page(request, db, viewer, values)


@router.post("/hall/intake", response_model=None)
def intake_submit(request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: IntakeViewer) -> HTMLResponse | RedirectResponse:
    values = intake_values(form)
    if text(form, "intent") == "history":
        return _intake_page(request, db, viewer, values, history=_history(db, rt, viewer, values))
    if text(form, "intent") in ("kb", "kb_clear") or text(form, "kb_pick"):
        if text(form, "intent") == "kb_clear":
            kb_intake.clear(values)
        return _knowledge(request, db, rt, viewer, values, text(form, "kb_pick"))
    try:
        cited = kb_intake.apply_citation(db, rt, values)
    except DomainError as exc:
        return _intake_page(request, db, viewer, values, errors=[exc.message], status_code=exc.status_code)
    try:
        data = TicketCreate.model_validate(intake_data(values))
    except ValidationError as exc:
        return _intake_page(request, db, viewer, values, errors=errors_of(exc), status_code=422,
                            history=_history(db, rt, viewer, values))
    hits = unconfirmed_screening(data, values)
    if hits:
        return _intake_page(request, db, viewer, values, screening=hits, history=_history(db, rt, viewer, values))
    key = values["idem"] if IDEM.match(values.get("idem", "")) else None
    box = next((b for b in WAITING_LISTS if values.get(b.form_field)), None)
    try:
        if box is not None:  # the messages become 已登记 with the ticket; the sender is told its number
            ids = box.parse_ids(values[box.form_field])
            ticket, created = box.register_ticket(db, rt, actor=viewer.actor, ids=ids, data=data)
        else:
            try:
                ticket, created = service.register(db, rt, actor=viewer.actor, data=data, idempotency_key=key)
            except Conflict as exc:
                if exc.code != "idempotency_key_reused":
                    raise
                # The same form page sent again with other content: a new request, not a replay.
                ticket, created = service.register(db, rt, actor=viewer.actor, data=data)
    except DomainError as exc:
        db.rollback()
        return _intake_page(request, db, viewer, values, errors=[exc.message], status_code=exc.status_code,
                            history=_history(db, rt, viewer, values))
    if created:
        kb_intake.record_answer(db, cited, closed=ticket.state == State.CLOSED)
        step = {State.DISPATCHED: "并已派单", State.CLOSED: "并已直接答复办结"}.get(State(ticket.state), "")
        if auto_dispatch(db, rt, ticket):
            step = "并已按派单目录自动派单"
        if box is not None:
            step += TOLD[box.code]
        flash(request, f"受理成功{step}，工单编号 {ticket.number}")
    else:
        flash(request, f"该诉求已受理（重复提交未重复登记），工单编号 {ticket.number}", "info")
    return redirect(f"/tickets/{ticket.number}")


def unconfirmed_screening(data: TicketCreate, values: dict[str, Any]) -> list[ScreeningHit]:
    """The screening hits to show before registering, none once the operator confirmed them. Never
    refused silently, never registered unseen: a confirmation holds for the hits shown, and a hit that
    came with later typing is shown before anything is registered (the form carries `screening_seen`)."""
    hits = screen(data.title, data.content, data.circumstances)
    seen = set(values.get("screening_seen", "").split(","))
    if hits and (not data.screening_confirmed or not {h.code for h in hits} <= seen):
        values["screening_seen"] = ",".join(h.code for h in hits)
        return hits
    return []


def _knowledge(request: Request, db: Session, rt: Runtime, viewer: Viewer, values: dict[str, Any],
               pick: str) -> HTMLResponse:
    """查找知识 (suggestions for what is typed) and 采用此答复 (answer directly, citing it)."""
    try:
        cited = kb_intake.pick(db, rt, values, pick) if pick else None
    except DomainError as exc:
        return _intake_page(request, db, viewer, values, errors=[exc.message], status_code=exc.status_code,
                            suggestions=kb_intake.suggest(db, rt, values))
    return _intake_page(request, db, viewer, values, suggestions=None if cited else kb_intake.suggest(db, rt, values))


def _history(db: Session, rt: Runtime, viewer: Viewer, values: dict[str, Any]) -> list[Any] | None:
    phone = values.get("requester_phone") or ""
    if not re.fullmatch(r"[0-9+\-]{3,20}", phone):
        return None
    now = rt.clock.now()
    return [present.summary(t, rt, viewer.actor, now=now)
            for t in service.earlier_by_phone(db, actor=viewer.actor, phone=phone)]


# ---- the dispatcher's queue -----------------------------------------------------------------

DISPATCH_TABS: dict[str, tuple[str, service.Filters]] = {
    "registered": ("待派单", service.Filters(state=[State.REGISTERED], by_dispatch_deadline=True)),
    "dispatch_overdue": ("派单超时", service.Filters(state=[State.REGISTERED], dispatch_overdue=True,
                                                  by_dispatch_deadline=True)),
    # 一企来: enterprises' requests, recognised at intake, have their own queue for 快速办理.
    "enterprise": ("一企来", service.Filters(state=[State.REGISTERED], enterprise=True, by_dispatch_deadline=True)),
    "return_review": ("退单审核", service.Filters(state=[State.RETURN_REVIEW], oldest_first=True)),
    "extension_pending": ("延期审核",
                          service.Filters(state=[State.HANDLING], extension_pending=True, oldest_first=True)),
    "replied": ("待办结", service.Filters(state=[State.REPLIED], oldest_first=True)),
}


@router.get("/hall/dispatch")
def dispatch_queue(request: Request, db: DB, rt: RT, viewer: DispatchViewer) -> HTMLResponse:
    q = tabbed_queue(request, db, rt, viewer, tabs=DISPATCH_TABS, base="/hall/dispatch")
    return render(request, "dispatch.html", viewer=viewer, tab_list=q.tab_list, tab=q.tab, items=q.items,
                  pager=q.pager)


# ---- callbacks ----------------------------------------------------------------------------


def _late(due: datetime | None, now: datetime) -> bool:
    return due is not None and due < now


@router.get("/callbacks")
def callback_list(request: Request, db: DB, rt: RT, viewer: CallbackViewer) -> HTMLResponse:
    page = page_number(request.query_params)
    found, total = overview.awaiting_callback(db, rt, actor=viewer.actor, page=page, page_size=20)
    now = rt.clock.now()
    items = [present.summary(t, rt, viewer.actor, now=now) for t in found]
    due_text = {t.id: fmt_local(t.callback_due_at) + ("（已逾期）" if _late(t.callback_due_at, now) else "")
                for t in found}
    tries = {t.id: _tries(t, now) for t in found}
    rule = rt.policy.callback_unreachable
    return render(request, "callbacks.html", viewer=viewer, items=items, due_text=due_text, tries=tries, page=page,
                  rule=f"未接通累计{rule.attempts}次、且分布在{rule.days}个不同日期后，按无法联系结束回访（不计满意度）",
                  pager=pager(request.query_params, "/callbacks", total, page=page))


def _tries(ticket: Any, now: datetime) -> str:
    if not ticket.callback_attempts:
        return "未拨打"
    at = ticket.callback_attempted_at
    last = "今日已拨" if same_local_day(at, now) else f"最近 {to_local(at):%m-%d %H:%M}"
    return f"未接通 {ticket.callback_attempts} 次（{last}）"


@router.post("/callbacks/{number}/no-answer", response_model=None)
def callback_no_answer(number: str, request: Request, form: CheckedForm, db: DB, rt: RT,
                       viewer: CallbackViewer) -> RedirectResponse:
    """回访未接通 straight from the list: one click per unanswered call, the list stays in view."""
    ticket = service.get_by_number(db, actor=viewer.actor, number=number)
    note = text(form, "note")[:200] or None
    # back to the page the agent was working on, not the first one (QA, as on 漏接回拨)
    page = page_number(form)
    back = "/callbacks" + (f"?page={page}" if page > 1 else "")
    try:
        ticket = service.act(db, rt, actor=viewer.actor, ticket_id=ticket.id, action=Action.CALLBACK_NO_ANSWER,
                             params=ActionIn(note=note))
    except DomainError as exc:
        flash(request, f"工单 {number}：{exc.message}", "error")
        return redirect(back)
    if ticket.state == State.FINISHED:
        flash(request, f"工单 {ticket.number} 已记录未接通，累计{ticket.callback_attempts}次，已按无法联系结束回访")
    else:
        flash(request, f"工单 {ticket.number} 已记录未接通：{workflow.unreachable_progress(ticket, rt.policy)}")
    return redirect(back)
