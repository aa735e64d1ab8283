"""微信受理: the waiting list's page (web/waiting_list.py) on the WeChat conversations handed over
(人工/登记), grouped by follower — 登记工单 opens the intake form pre-filled, 忽略 with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hotline.deps import DB, RT
from hotline.security.masking import mask_openid
from hotline.web import waiting_list as lists
from hotline.web.render import render
from hotline.web.session import CheckedForm, Viewer, viewer_for
from hotline.wechat import service

router = APIRouter()
WechatViewer = Annotated[Viewer, Depends(viewer_for("wechat"))]


@router.get("/wechat")
def wechat_page(request: Request, db: DB, rt: RT, viewer: WechatViewer) -> HTMLResponse:
    context = lists.page_context(request, db, viewer, service.MESSAGES, tab=lists.tab_of(request))
    return render(request, "wechat.html", mask=mask_openid, **context)


@router.post("/wechat/ignore", response_model=None)
def wechat_ignore(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: WechatViewer) -> RedirectResponse:
    return lists.ignore(request, form, db, rt, viewer, service.MESSAGES)
