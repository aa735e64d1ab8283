"""短信受理: the operators' list of texts waiting, grouped by sender, and the handling forms (登记工单
opens the intake form pre-filled; 忽略 with a reason; 回复短信). Already handled texts on their tabs;
texts the gateway could not send (发送失败, after their retries) on theirs, with 重发."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.deps import DB, RT
from hotline.errors import DomainError, NotFound
from hotline.security.masking import mask_phone
from hotline.sms import service
from hotline.sms.enums import (
    IGNORE_LABELS,
    INBOUND_LABELS,
    OUTBOUND_LABELS,
    PURPOSE_LABELS,
    InboundStatus,
    OutboundStatus,
    outbound_label,
)
from hotline.sms.models import SmsInbound, SmsOutbound
from hotline.web import choices
from hotline.web.forms import is_id, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
SmsViewer = Annotated[Viewer, Depends(viewer_for("sms"))]
TABS = ("pending", "registered", "ignored", "failed")  # failed: texts sent, 发送失败


@router.get("/sms")
def sms_page(request: Request, db: DB, rt: RT, viewer: SmsViewer) -> HTMLResponse:
    tab = request.query_params.get("tab", "pending")
    tab = tab if tab in TABS else "pending"
    page = page_number(request.query_params)
    waiting_texts, waiting_senders = service.counts(db)
    failed_texts = service.failed_count(db)
    groups: list[service.Group] = []
    handled: list[tuple[SmsInbound, str | None]] = []
    failed: list[tuple[SmsOutbound, int | None]] = []
    total = 0
    if tab == "pending":
        groups, total = service.waiting(db, actor=viewer.actor, page=page)
    elif tab == "failed":
        failed, total = service.search_sent(db, actor=viewer.actor, awaiting_resend=True, page=page)
    else:
        handled, total = service.handled(db, actor=viewer.actor, status=InboundStatus(tab), page=page)
    counts = {"pending": waiting_texts, "failed": failed_texts or ""}
    tab_list = [{"key": k, "url": f"/sms?tab={k}", "count": counts.get(k, ""),
                 "label": OUTBOUND_LABELS[OutboundStatus.FAILED] if k == "failed" else INBOUND_LABELS[InboundStatus(k)]}
                for k in TABS]
    return render(request, "sms.html", viewer=viewer, tab=tab, tab_list=tab_list, groups=groups, handled=handled,
                  failed=failed, outbound_label=outbound_label,
                  waiting_texts=waiting_texts, waiting_senders=waiting_senders,
                  can_handle=viewer.role in service.HANDLER_ROLES, reply_max=service.REPLY_MAX,
                  signature=service.SIGNATURE, mask=mask_phone,
                  reasons=[choices.Option(str(k), v) for k, v in IGNORE_LABELS.items()],
                  ignore_labels=IGNORE_LABELS, outbound_labels=OUTBOUND_LABELS, purpose_labels=PURPOSE_LABELS,
                  pager=pager(request.query_params, f"/sms?tab={tab}", total, page=page))


@router.post("/sms/ignore", response_model=None)
def sms_ignore(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: SmsViewer) -> RedirectResponse:
    try:
        ids = service.parse_ids(text(form, "ids"))
        n = service.ignore(db, rt, actor=viewer.actor, ids=ids, reason=text(form, "reason"), note=text(form, "note"))
        flash(request, f"已忽略 {n} 条短信")
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    return redirect("/sms")


@router.post("/sms/{inbound_id}/reply", response_model=None)
def sms_reply(inbound_id: str, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: SmsViewer) -> RedirectResponse:
    try:
        if not is_id(inbound_id):  # beyond the id column (PostgreSQL would refuse to compare it)
            raise NotFound("sms_not_found", "短信不存在")
        service.reply(db, rt, actor=viewer.actor, inbound_id=int(inbound_id), text=text(form, "text"))
        flash(request, "回复短信已提交，等待短信网关发送")
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    return redirect("/sms")


@router.post("/sms/outbound/{outbound_id}/resend", response_model=None)
def sms_resend(outbound_id: str, request: Request, form: CheckedForm, db: DB, rt: RT,
               viewer: SmsViewer) -> RedirectResponse:
    try:
        if not is_id(outbound_id):
            raise NotFound("sms_not_found", "短信不存在")
        service.resend(db, rt, actor=viewer.actor, outbound_id=int(outbound_id))
        flash(request, "已重新提交发送，等待短信网关发送")
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    return redirect("/sms?tab=failed")
