"""Ticket search and the ticket page: every field, assignments, the timeline, one form per action."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from hotline.blacklist.service import VERDICT_ROLES
from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.dispatch import suggest
from hotline.errors import DomainError, NotFound
from hotline.ratings import service as ratings
from hotline.ratings.enums import BAD as BAD_RATINGS
from hotline.ratings.enums import RatingFilter
from hotline.runtime import Runtime
from hotline.sms import service as sms
from hotline.sms.enums import OUTBOUND_LABELS, PURPOSE_LABELS, outbound_label
from hotline.supervision.service import supervise_ticket
from hotline.tickets import attachments, export, present, service, workflow
from hotline.tickets.enums import ACTION_LABELS, STATE_LABELS, Action, Channel, Kind, Satisfaction, State, Urgency
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import ActionIn
from hotline.web import choices
from hotline.web.actions import FORMS, STAFF_ACTIONS, field_labels, forms_for
from hotline.web.forms import action_data, action_values, errors_of, is_id, local_day_start
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, PageViewer, Viewer, viewer_for
from hotline.wechat import service as wechat
from hotline.wechat.enums import OUTBOUND_LABELS as WECHAT_OUTBOUND
from hotline.wechat.enums import PURPOSE_LABELS as WECHAT_PURPOSE

router = APIRouter()
SearchViewer = Annotated[Viewer, Depends(viewer_for("search"))]
# Errors about the ticket itself (not about the action) get the error page, not the form.
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TICKET_ERRORS = frozenset({"ticket_forbidden", "ticket_not_found"})


# ---- search -------------------------------------------------------------------------------

ENTERPRISE_OPTIONS = [choices.Option("1", "企业诉求（一企来）"), choices.Option("0", "非企业诉求")]


def _search_filters(query: Any) -> tuple[service.Filters, dict[str, str]]:
    """Filters from the query string; unknown values are dropped rather than refused."""
    raw = {k: (query.get(k) or "").strip() for k in ("state", "kind", "category", "unit", "overdue", "ack_overdue",
                                                        "channel", "urgency", "enterprise", "from", "to", "q",
                                                        "rating", "solved", "satisfaction")}
    states = {str(s) for s in State}
    kinds = {str(k) for k in Kind}
    state = raw["state"] if raw["state"] in states else ""
    kind = raw["kind"] if raw["kind"] in kinds else ""
    channel = raw["channel"] if raw["channel"] in {str(c) for c in Channel} else ""
    urgency = raw["urgency"] if raw["urgency"] in {str(u) for u in Urgency} else ""
    enterprise = raw["enterprise"] if raw["enterprise"] in ("1", "0") else ""
    category = raw["category"] if raw["category"].isdecimal() and len(raw["category"]) <= 16 else ""
    unit = raw["unit"] if is_id(raw["unit"]) else ""
    rating = raw["rating"] if raw["rating"] in {str(r) for r in RatingFilter} else ""
    filters = service.Filters(
        state=[State(state)] if state else None,
        kind=Kind(kind) if kind else None,
        channel=Channel(channel) if channel else None,
        urgency=Urgency(urgency) if urgency else None,
        enterprise={"1": True, "0": False}.get(enterprise),
        category_code=category or None,
        unit_id=int(unit) if unit else None,
        overdue=True if raw["overdue"] == "1" else None,
        ack_overdue=True if raw["ack_overdue"] == "1" else None,
        created_from=local_day_start(raw["from"]) if raw["from"] else None,
        created_to=local_day_start(raw["to"], next_day=True) if raw["to"] else None,
        text=raw["q"][:100] or None,
        rating=RatingFilter(rating) if rating else None,
        solved={"yes": True, "no": False}.get(raw["solved"]),
        satisfaction=_satisfaction_levels(raw["satisfaction"]),
    )
    # 仅看已超期 / 仅看签收超时 are check boxes: "1" narrows the list, anything else (overdue=0 typed in the
    # address) is no filter and not shown as one (the API's false, "not overdue", has no box here).
    shown = {**raw, "state": state, "kind": kind, "category": category, "unit": unit, "channel": channel,
             "urgency": urgency, "enterprise": enterprise, "rating": rating,
             "overdue": "1" if raw["overdue"] == "1" else "", "ack_overdue": "1" if raw["ack_overdue"] == "1" else "",
             "solved": raw["solved"] if raw["solved"] in ("yes", "no") else "",
             "satisfaction": raw["satisfaction"] if _satisfaction_levels(raw["satisfaction"]) else ""}
    return filters, shown


# 不满意 in a search means either unsatisfied level, as the 回头看 list counts it.
SATISFACTION_GROUPS = {"unsatisfied_any": [str(Satisfaction.UNSATISFIED), str(Satisfaction.VERY_UNSATISFIED)]}


def _satisfaction_levels(value: str) -> list[str] | None:
    if value in SATISFACTION_GROUPS:
        return SATISFACTION_GROUPS[value]
    return [value] if value in {str(s) for s in Satisfaction} else None


def _date_note(shown: dict[str, str], filters: service.Filters) -> str | None:
    """Dates the search could not use, said rather than dropped (QA: 2026-02-30 silently ignored, and
    a "to" before the "from" an empty list with no word why)."""
    dates = (("from", "开始日期", filters.created_from), ("to", "结束日期", filters.created_to))
    bad = [label for key, label, value in dates if shown[key] and value is None]
    if bad:
        return f"{'、'.join(bad)}不是有效日期（应为 YYYY-MM-DD），未按日期筛选"
    if filters.created_from and filters.created_to and filters.created_to <= filters.created_from:
        return "结束日期早于开始日期，没有符合的工单"
    return None


@router.get("/tickets")
def ticket_search(request: Request, db: DB, rt: RT, viewer: SearchViewer) -> HTMLResponse:
    filters, shown = _search_filters(request.query_params)
    page = page_number(request.query_params)
    found, total = service.search(db, rt, actor=viewer.actor, filters=filters, page=page, page_size=20)
    now = rt.clock.now()
    filtered = any(shown.values())
    return render(
        request, "search.html", viewer=viewer, f=shown, filtered=filtered, total=total,
        date_note=_date_note(shown, filters),
        items=[present.summary(t, rt, viewer.actor, now=now) for t in found],
        pager=pager(request.query_params, "/tickets", total, page=page),
        states=choices.STATES, kinds=choices.KINDS, categories=choices.categories(), channels=choices.CHANNELS,
        urgencies=choices.URGENCIES, enterprise_options=ENTERPRISE_OPTIONS,
        units=choices.handling_units(db), ratings=choices.RATING_FILTERS, satisfactions=choices.SATISFACTIONS,
    )


# ---- the ticket page ----------------------------------------------------------------------


def _reply_sent_back(history: list[Any]) -> str | None:
    """The text of the last reply, when the centre sent it back (答复退回) and no reply followed."""
    last, sent_back = None, False
    for e in history:
        if e.action == Action.REPLY:
            last, sent_back = e.note, False
        elif e.action == Action.REJECT_REPLY:
            sent_back = True
    return last if sent_back else None


def _ticket_page(
    request: Request, db: Session, rt: Runtime, viewer: Viewer, ticket: Ticket, *,
    errors: list[str] | None = None, failed: Action | None = None, values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = rt.clock.now()
    out = present.detail(ticket, rt, viewer.actor, now=now)
    if not out.personal_data_masked and (ticket.requester_name or ticket.requester_phone):
        service.record_personal_data_read(db, rt, actor=viewer.actor, ticket=ticket)
    files = attachments.listing(db, actor=viewer.actor, ticket_id=ticket.id)
    history = service.history(db, ticket_id=ticket.id)
    events = present.timeline(ticket, history, files, masked=out.personal_data_masked)
    forms = forms_for(out.allowed_actions, assisting_pending=bool(workflow.pending_assisting(ticket)))
    needs_units = any(f.widget in ("lead_unit", "assisting_units") for form in forms for f in form.fields)
    suggestion, suggested = None, {}
    if any(form.action in (Action.DISPATCH, Action.REASSIGN) for form in forms):
        suggestion = dispatch_suggestion(db, rt, viewer, ticket)
        chosen = suggestion["decision"]
        # A tentative proposal is shown, not pre-selected; so is the unit that has the ticket now (改派
        # goes elsewhere: chosen again it is refused while handling).
        if chosen and not chosen["tentative"] and chosen["lead_unit_id"] != ticket.lead_unit_id:
            suggested = {"lead_unit_id": str(chosen["lead_unit_id"]),
                         "assisting_unit_ids": [str(u) for u in chosen["assisting_unit_ids"]]}
        if chosen:  # the place and category it relied on, offered to keep with the dispatch (ticked)
            suggested["keep"] = _to_keep(suggestion)
    # The action failed and its form is gone (the ticket moved on meanwhile: reassigned, answered by a
    # colleague): what was typed is shown to copy, not lost with the form (QA: a long reply vanished).
    unsent = []
    if failed is not None and values and failed not in {form.action for form in forms}:
        unsent = [(f.label, values[f.name]) for f in FORMS.get(failed, ())
                  if f.widget in ("textarea", "text") and values.get(f.name)]
    # 退回重办 goes to the last round's assisting units too, unless the form drops them: shown chosen.
    reopen_values = {"assisting_unit_ids": [str(u) for u in service.last_round_assisting(ticket)]}
    # 调整协办单位 starts from the units assisting now: the dispatcher adds and removes.
    adjust_values = {"assisting_unit_ids": [str(u) for u in workflow.open_assisting_units(ticket)]}
    # A ticket registered from texts shows them (and what was texted back): its content was typed from them.
    sms_in, sms_out = sms.TEXTS.for_ticket(db, ticket.id) if ticket.channel == Channel.SMS else ([], [])
    wx_in, wx_out = wechat.for_ticket(db, ticket.id) if ticket.channel == Channel.WECHAT else ([], [])
    # After 答复退回 the unit mends its reply rather than typing it again from the history (QA).
    sent_back = _reply_sent_back(history)
    reply_values = {"content": sent_back} if sent_back else {}
    return render(
        request, "ticket.html", viewer=viewer, status_code=status_code, t=out, events=events, forms=forms,
        reply_values=reply_values, unsent=unsent, sms_in=sms_in, sms_out=sms_out,
        # what a form starts with (unless it failed: then what was sent; dispatch and 改派: the suggestion)
        preset={"reopen": reopen_values, "reply": reply_values, "adjust_assisting": adjust_values},
        sms_labels={**OUTBOUND_LABELS, **PURPOSE_LABELS}, sms_status=outbound_label,
        wx_in=wx_in, wx_out=wx_out, wx_labels={**WECHAT_OUTBOUND, **WECHAT_PURPOSE}, wx_describe=wechat.describe,
        units=choices.handling_units(db) if needs_units else [], satisfactions=choices.SATISFACTIONS,
        linked_lines=choices.linked_lines(db, rt.settings.city_name)
        if any(f.widget == "linked_line" for form in forms for f in form.fields) else [],
        conclusions=choices.REVIEW_CONCLUSIONS,
        errors=errors or [], failed=str(failed) if failed else None, values=values or {},
        extension_requested=out.extension_requested_days, suggestion=suggestion, suggested=suggested,
        extension_left=max(rt.policy.extension_cap_working_days - out.extension_days_used, 0),
        files=files, rating_followups=ratings.followups_of(db, [ticket.id]).get(ticket.id, [])
        if ticket.public_rating in BAD_RATINGS else [],
        files_readable=attachments.may_download(db, viewer.actor, ticket),
        files_denied=attachments.denied_message(viewer.actor),
        files_accept=",".join(attachments.TYPES), files_allowed=attachments.ALLOWED_LABEL,
        may_verdict=viewer.role in VERDICT_ROLES,
        callback_progress=workflow.unreachable_progress(ticket, rt.policy),
    )


def _to_keep(suggestion: dict[str, Any]) -> list[dict[str, str]]:
    relied = suggestion["decision"]["relied_on"]
    keep = []
    if code := relied.get("jurisdiction_code"):
        place = suggestion["place"]
        name = place["full_name"] or place["name"]
        keep.append({"name": "jurisdiction_code", "value": code,
                     "label": f"属地定为「{name}」（识别把握 {place['confidence']:.0%}）"})
    if code := relied.get("category_code"):
        category = suggestion["category"]
        keep.append({"name": "category_code", "value": code,
                     "label": f"分类定为「{category['name']}」（模型预测，把握 {category['confidence']:.0%}）"})
    return keep


def dispatch_suggestion(db: Session, rt: Runtime, viewer: Viewer, ticket: Ticket) -> dict[str, Any]:
    """What the catalogue, the place reader and the duplicate check propose, for the dispatcher."""
    s = suggest.for_ticket(db, rt, actor=viewer.actor, ticket=ticket)
    return suggest.as_dict(db, s, jurisdiction_path=ticket.jurisdiction_path)


@router.get("/tickets/export.xlsx")
def ticket_export(request: Request, db: DB, rt: RT, viewer: SearchViewer) -> Response:
    """The search's results as an Excel workbook (masked like the list, at most 10,000 rows)."""
    filters, _ = _search_filters(request.query_params)
    rows, total = service.export_rows(db, rt, actor=viewer.actor, filters=filters, limit=export.MAX_ROWS)
    now = rt.clock.now()
    answers = service.lead_answers(db, rows)
    late = {t.id: present.ack_late(t, answers.get(t.id), now) for t in rows}
    body = export.tickets_workbook([present.summary(t, rt, viewer.actor, now=now) for t in rows], title="工单查询导出",
                                   total=total, ack_late=late)
    name = f"tickets-{to_local(now):%Y%m%d-%H%M}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/tickets/{number}")
def ticket_page(number: str, request: Request, db: DB, rt: RT, viewer: PageViewer) -> HTMLResponse:
    ticket = service.get_by_number(db, actor=viewer.actor, number=number)
    return _ticket_page(request, db, rt, viewer, ticket)


@router.post("/tickets/{number}/actions/{action}", response_model=None)
def ticket_action(number: str, action: str, request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: PageViewer) -> HTMLResponse | RedirectResponse:
    ticket = service.get_by_number(db, actor=viewer.actor, number=number)
    ticket_id = ticket.id
    try:
        chosen = Action(action)
    except ValueError:
        raise NotFound("action_unknown", f"没有「{action}」这项操作") from None
    if chosen not in STAFF_ACTIONS:
        raise NotFound("action_unknown", f"工作台不能执行「{ACTION_LABELS[chosen]}」")
    values = action_values(form)
    try:
        params = ActionIn.model_validate(action_data(values))
    except ValidationError as exc:
        return _ticket_page(request, db, rt, viewer, ticket, errors=errors_of(exc, field_labels(chosen)), failed=chosen,
                            values=values, status_code=422)
    issued = None
    try:
        if chosen == Action.SUPERVISE:  # 督办 from the ticket page is a 督办单 like any other
            issued = supervise_ticket(db, rt, actor=viewer.actor, ticket_id=ticket_id, note=params.note)
            ticket = service.get(db, actor=viewer.actor, ticket_id=ticket_id)
        else:
            ticket = service.act(db, rt, actor=viewer.actor, ticket_id=ticket_id, action=chosen, params=params)
    except DomainError as exc:
        if exc.code in TICKET_ERRORS:
            raise
        ticket = service.get(db, actor=viewer.actor, ticket_id=ticket_id)
        return _ticket_page(request, db, rt, viewer, ticket, errors=[exc.message], failed=chosen, values=values,
                            status_code=exc.status_code)
    if issued is not None:
        flash(request, f"已生成督办单 {issued.number}，督办单位：{issued.unit.short_name}")
    elif chosen == Action.CALLBACK_NO_ANSWER and ticket.state == State.CLOSED:
        flash(request, f"已记录回访未接通：{workflow.unreachable_progress(ticket, rt.policy)}")
    elif chosen == Action.CALLBACK_NO_ANSWER:
        flash(request, f"已记录回访未接通，累计{ticket.callback_attempts}次未接通，已按无法联系结束回访")
    else:
        flash(request, f"「{ACTION_LABELS[chosen]}」已完成，工单当前状态：{STATE_LABELS[State(ticket.state)]}")
    return redirect(f"/tickets/{ticket.number}")


@router.post("/tickets/{number}/attachments", response_model=None)
async def ticket_upload(number: str, request: Request, form: CheckedForm, db: DB, rt: RT,
                        viewer: PageViewer) -> RedirectResponse:
    ticket = service.get_by_number(db, actor=viewer.actor, number=number)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        flash(request, "请选择要上传的文件", "error")
        return redirect(f"/tickets/{number}#attachments")
    data = await upload.read(rt.settings.attachment_max_bytes + 1)
    try:
        row = await run_in_threadpool(attachments.add, db, rt, actor=viewer.actor, ticket_id=ticket.id,
                                      filename=upload.filename, data=data)
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    else:
        flash(request, f"已上传附件：{row.filename}")
    return redirect(f"/tickets/{number}#attachments")

