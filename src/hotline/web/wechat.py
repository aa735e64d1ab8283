"""微信受理: the operators' list of WeChat conversations handed over (人工/登记), grouped by follower,
and the handling forms (登记工单 opens the intake form pre-filled; 忽略 with a reason). Already
handled messages on their tabs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.security.masking import mask_openid
from hotline.web import choices
from hotline.web.forms import text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for
from hotline.wechat import service
from hotline.wechat.enums import IGNORE_LABELS, STATUS_LABELS, MessageStatus

router = APIRouter()
WechatViewer = Annotated[Viewer, Depends(viewer_for("wechat"))]
TABS = ("pending", "registered", "ignored")


@router.get("/wechat")
def wechat_page(request: Request, db: DB, rt: RT, viewer: WechatViewer) -> HTMLResponse:
    tab = request.query_params.get("tab", "pending")
    tab = tab if tab in TABS else "pending"
    page = page_number(request.query_params)
    waiting_messages, waiting_followers = service.counts(db)
    groups, handled, total = [], [], 0
    if tab == "pending":
        groups, total = service.waiting(db, actor=viewer.actor, page=page)
    else:
        handled, total = service.handled(db, actor=viewer.actor, status=MessageStatus(tab), page=page)
    tab_list = [{"key": k, "url": f"/wechat?tab={k}", "label": STATUS_LABELS[MessageStatus(k)],
                 "count": waiting_messages if k == "pending" else ""} for k in TABS]
    return render(request, "wechat.html", viewer=viewer, tab=tab, tab_list=tab_list, groups=groups, handled=handled,
                  waiting_messages=waiting_messages, waiting_followers=waiting_followers,
                  can_handle=viewer.role in service.HANDLER_ROLES, mask=mask_openid, describe=service.describe,
                  reasons=[choices.Option(str(k), v) for k, v in IGNORE_LABELS.items()], ignore_labels=IGNORE_LABELS,
                  pager=pager(request.query_params, f"/wechat?tab={tab}", total, page=page))


@router.post("/wechat/ignore", response_model=None)
def wechat_ignore(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: WechatViewer) -> RedirectResponse:
    try:
        ids = service.parse_ids(text(form, "ids"))
        n = service.ignore(db, rt, actor=viewer.actor, ids=ids, reason=text(form, "reason"), note=text(form, "note"))
        flash(request, f"已忽略 {n} 条微信消息")
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    return redirect("/wechat")
