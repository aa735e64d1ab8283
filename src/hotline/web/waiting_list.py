"""The page of a channel's waiting list (hotline.channels.waiting_list): 短信受理 and 微信受理 are one page
on two lists — the tabs 待处理 / 已登记 / 已忽略 (and a channel's own, such as SMS's 发送失败), one page of
waiting groups or of handled messages, and 忽略. The template _waiting_list.html lays it out; a
channel's template names its things and fills in what is its own (SMS: the texts sent to a number,
回复短信, the failed texts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from hotline.channels.enums import IGNORE_LABELS
from hotline.channels.waiting_list import HANDLER_ROLES, WaitingList
from hotline.errors import DomainError
from hotline.runtime import Runtime
from hotline.web import choices
from hotline.web.forms import text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect
from hotline.web.session import Viewer

TABS = {"pending": "待处理", "registered": "已登记", "ignored": "已忽略"}
REASONS = [choices.Option(str(k), v) for k, v in IGNORE_LABELS.items()]


def tab_of(request: Request, *own: str) -> str:
    """The tab asked for: one of the list's, or of the channel's own; else 待处理."""
    tab = request.query_params.get("tab", "pending")
    return tab if tab in TABS or tab in own else "pending"


def page_context(request: Request, db: Session, viewer: Viewer, box: WaitingList[Any], *, tab: str,
                 waiting: Callable[..., tuple[list[Any], int]] | None = None,
                 own_tabs: tuple[tuple[str, str, int | str], ...] = (), total: int = 0) -> dict[str, Any]:
    """What the template needs for a tab of the list: the counts, the tabs (the channel's own after the
    list's, as (key, label, count)), the groups waiting (from `waiting`, when the channel adds to them)
    or the messages handled, and the pager. `total` is the size of a channel's own tab when it is shown."""
    page = page_number(request.query_params)
    count, senders = box.counts(db)
    groups: list[Any] = []
    handled: list[Any] = []
    if tab == "pending":
        groups, total = (waiting or box.waiting)(db, actor=viewer.actor, page=page)
    elif tab in TABS:
        handled, total = box.handled(db, actor=viewer.actor, status=tab, page=page)
    tab_list = [{"key": k, "url": f"{box.page}?tab={k}", "count": count if k == "pending" else "", "label": label}
                for k, label in TABS.items()]
    tab_list += [{"key": k, "url": f"{box.page}?tab={k}", "count": n, "label": label} for k, label, n in own_tabs]
    return {"viewer": viewer, "tab": tab, "tab_list": tab_list, "groups": groups, "handled": handled,
            "waiting": count, "senders": senders, "code": box.code, "page": box.page, "noun": box.noun,
            "sender": box.sender.key, "at": box.at.key, "describe": box.describe,
            "can_handle": viewer.role in HANDLER_ROLES, "reasons": REASONS, "ignore_labels": IGNORE_LABELS,
            # the pager carries the query (tab included) itself: a base with ?tab= made page 2
            # "?tab=…?tab=…&page=2", a tab that is none, so its links led to 待处理's first page (QA)
            "pager": pager(request.query_params, box.page, total, page=page)}


@contextmanager
def refusal_flashed(request: Request, db: Session) -> Iterator[None]:
    """A handling step of the page: when the service refuses it (a DomainError), nothing of it is kept
    and the refusal is shown on the list, where the operator goes back to."""
    try:
        yield
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")


def ignore(request: Request, form: FormData, db: Session, rt: Runtime, viewer: Viewer,
           box: WaitingList[Any]) -> RedirectResponse:
    """忽略 a group with the reason chosen (the form of every group on the page)."""
    with refusal_flashed(request, db):
        n = box.ignore(db, rt, actor=viewer.actor, ids=box.parse_ids(text(form, "ids")), reason=text(form, "reason"),
                       note=text(form, "note"))
        flash(request, f"已忽略 {n} 条{box.counted}")
    return redirect(box.page)
