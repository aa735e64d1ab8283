"""微信受理: the waiting list's page (web/waiting_list.py) on the WeChat conversations handed over
(人工/登记), grouped by follower — 登记工单 opens the intake form pre-filled, 忽略 with a reason — and
what is WeChat's own: 回复微信留言 (an operator's words, within WeChat's 48 hours), the replies shown in
the conversation, and the messages the relay could not send (发送失败) on their tab, with 重发."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.deps import DB, RT
from hotline.errors import NotFound
from hotline.security.masking import mask_openid
from hotline.web import waiting_list as lists
from hotline.web.forms import is_id, text
from hotline.web.paging import page_number
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for
from hotline.wechat import service
from hotline.wechat.enums import OUTBOUND_LABELS, PURPOSE_LABELS, OutboundStatus

router = APIRouter()
WechatViewer = Annotated[Viewer, Depends(viewer_for("wechat"))]


@router.get("/wechat")
def wechat_page(request: Request, db: DB, rt: RT, viewer: WechatViewer) -> HTMLResponse:
    tab = lists.tab_of(request, "failed")
    failed, total = [], 0
    if tab == "failed":  # messages the relay reported failed, not sent again
        failed, total = service.failed(db, actor=viewer.actor, page=page_number(request.query_params))
    own = (("failed", OUTBOUND_LABELS[OutboundStatus.FAILED], service.failed_count(db) or ""),)
    context = lists.page_context(request, db, viewer, service.MESSAGES, tab=tab, waiting=service.waiting,
                                 own_tabs=own, total=total)
    return render(request, "wechat.html", mask=mask_openid, now=rt.clock.now(), reply_max=service.REPLY_MAX,
                  outbound_labels=OUTBOUND_LABELS, purpose_labels=PURPOSE_LABELS, failed=failed, **context)


@router.post("/wechat/ignore", response_model=None)
def wechat_ignore(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: WechatViewer) -> RedirectResponse:
    return lists.ignore(request, form, db, rt, viewer, service.MESSAGES)


@router.post("/wechat/{message_id}/reply", response_model=None)
def wechat_reply(message_id: str, request: Request, form: CheckedForm, db: DB, rt: RT,
                 viewer: WechatViewer) -> RedirectResponse:
    with lists.refusal_flashed(request, db):
        if not is_id(message_id):  # beyond the id column (PostgreSQL would refuse to compare it)
            raise NotFound("wechat_not_found", service.MESSAGES.not_found)
        service.reply(db, rt, actor=viewer.actor, message_id=int(message_id), text=text(form, "text"))
        flash(request, "回复已提交，等待微信消息中继以客服消息发送")
    return redirect("/wechat")


@router.post("/wechat/outbound/{outbound_id}/resend", response_model=None)
def wechat_resend(outbound_id: str, request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: WechatViewer) -> RedirectResponse:
    with lists.refusal_flashed(request, db):
        if not is_id(outbound_id):  # beyond the id column (PostgreSQL would refuse to compare it)
            raise NotFound("wechat_outbound_not_found", "微信待发消息不存在")
        service.resend(db, rt, actor=viewer.actor, outbound_id=int(outbound_id))
        flash(request, "已重新提交发送，等待微信消息中继以客服消息发送")
    return redirect("/wechat?tab=failed")
