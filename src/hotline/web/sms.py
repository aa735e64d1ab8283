"""短信受理: the waiting list's page (web/waiting_list.py) on texts, grouped by sender — 登记工单 opens
the intake form pre-filled, 忽略 with a reason — and what is the SMS channel's own: 回复短信, the texts
sent to a number beside its group, and the texts the gateway could not send (发送失败, after their
retries) on their tab, with 重发."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.deps import DB, RT
from hotline.errors import NotFound
from hotline.security.masking import mask_phone
from hotline.sms import service
from hotline.sms.enums import OUTBOUND_LABELS, PURPOSE_LABELS, OutboundStatus, outbound_label
from hotline.web import waiting_list as lists
from hotline.web.forms import is_id, text
from hotline.web.paging import page_number
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
SmsViewer = Annotated[Viewer, Depends(viewer_for("sms"))]


@router.get("/sms")
def sms_page(request: Request, db: DB, rt: RT, viewer: SmsViewer) -> HTMLResponse:
    tab = lists.tab_of(request, "failed")
    failed, total = [], 0
    if tab == "failed":  # texts sent, 发送失败 for good and not sent again
        failed, total = service.search_sent(db, actor=viewer.actor, awaiting_resend=True,
                                            page=page_number(request.query_params))
    own = (("failed", OUTBOUND_LABELS[OutboundStatus.FAILED], service.failed_count(db) or ""),)
    context = lists.page_context(request, db, viewer, service.TEXTS, tab=tab, waiting=service.waiting,
                                 own_tabs=own, total=total)
    return render(request, "sms.html", failed=failed, mask=mask_phone, outbound_label=outbound_label,
                  purpose_labels=PURPOSE_LABELS, reply_max=service.REPLY_MAX, signature=service.SIGNATURE, **context)


@router.post("/sms/ignore", response_model=None)
def sms_ignore(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: SmsViewer) -> RedirectResponse:
    return lists.ignore(request, form, db, rt, viewer, service.TEXTS)


@router.post("/sms/{inbound_id}/reply", response_model=None)
def sms_reply(inbound_id: str, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: SmsViewer) -> RedirectResponse:
    with lists.refusal_flashed(request, db):
        if not is_id(inbound_id):  # beyond the id column (PostgreSQL would refuse to compare it)
            raise NotFound("sms_not_found", "短信不存在")
        service.reply(db, rt, actor=viewer.actor, inbound_id=int(inbound_id), text=text(form, "text"))
        flash(request, "回复短信已提交，等待短信网关发送")
    return redirect("/sms")


@router.post("/sms/outbound/{outbound_id}/resend", response_model=None)
def sms_resend(outbound_id: str, request: Request, form: CheckedForm, db: DB, rt: RT,
               viewer: SmsViewer) -> RedirectResponse:
    with lists.refusal_flashed(request, db):
        if not is_id(outbound_id):
            raise NotFound("sms_not_found", "短信不存在")
        service.resend(db, rt, actor=viewer.actor, outbound_id=int(outbound_id))
        flash(request, "已重新提交发送，等待短信网关发送")
    return redirect("/sms?tab=failed")
