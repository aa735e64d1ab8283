"""Rendering pages: the Jinja2 environment and its filters, flash messages and the CSRF token."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from hotline import __version__
from hotline.calls.lines import queue_label
from hotline.clock import horizon_notice, to_local
from hotline.deps import SESSION_CSRF_KEY
from hotline.tickets.categories import full_name
from hotline.tickets.enums import (
    CHANNEL_LABELS,
    DEADLINE_LABELS,
    KIND_LABELS,
    REVIEW_CONCLUSION_LABELS,
    SATISFACTION_LABELS,
    STATE_LABELS,
    URGENCY_LABELS,
)

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
CSRF_KEY = SESSION_CSRF_KEY  # shared with deps.api_actor (session-authenticated API calls)
FLASH_KEY = "flash"
# Our own files only: no inline script, no framing, forms post back to this site.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'self'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def fmt_local(value: datetime | None) -> str:
    """Asia/Shanghai, YYYY-MM-DD HH:MM; a dash when there is no time."""
    if value is None:
        return "—"
    try:
        return to_local(value).strftime("%Y-%m-%d %H:%M")
    except OverflowError:  # the last hours of year 9999 (stored before input was bounded): no local time
        return f"{value:%Y-%m-%d %H:%M} UTC"


def _label(mapping: dict[Any, str]) -> Any:
    def lookup(code: str | None) -> str:
        if not code:
            return "—"
        return next((label for key, label in mapping.items() if str(key) == code), code)

    return lookup


def event_facts(data: dict[str, Any] | None) -> str:
    """What an event's data says that its note may not: an extension's days and the new deadline,
    a callback's result (the history is where a reopened ticket's earlier results stay)."""
    data = data or {}
    facts = []
    if isinstance(data.get("days"), int):
        facts.append(f"{data['days']} 个工作日")
    if isinstance(data.get("due_at"), str):
        try:
            facts.append(f"期限至 {fmt_local(datetime.fromisoformat(data['due_at']))}")
        except ValueError:
            pass
    if isinstance(data.get("solved"), bool):
        facts.append("已解决" if data["solved"] else "未解决")
    if data.get("satisfaction") in SATISFACTION_LABELS:
        facts.append(f"满意度：{SATISFACTION_LABELS[data['satisfaction']]}")
    if data.get("conclusion") in REVIEW_CONCLUSION_LABELS:  # 审核研判 (回头看)
        facts.append(f"研判结论：{REVIEW_CONCLUSION_LABELS[data['conclusion']]}")
    if data.get("assisting_ended"):  # a reassignment or reopening ended assisting units' tasks
        facts.append(f"协办单位{'、'.join(map(str, data['assisting_ended']))}的协办任务随之结束")
    if data.get("assisting_reopened"):  # a reply sent back: the assisting units its early reply ended
        facts.append(f"协办单位{'、'.join(map(str, data['assisting_reopened']))}的协办任务恢复")
    if data.get("assisting_pending"):  # a lead unit's reply before every 协办意见 came in
        facts.append(f"协办单位{'、'.join(map(str, data['assisting_pending']))}尚未反馈，"
                     f"先行答复理由：{data.get('early_reply_reason') or '—'}")
    if isinstance(data.get("extension_withdrawn"), int):  # a reply while an extension request was pending
        facts.append(f"待审核的延期申请（{data['extension_withdrawn']} 个工作日）随答复撤回")
    if isinstance(data.get("extension_cancelled"), int):  # a reassignment while an extension request was pending
        facts.append(f"待审核的延期申请（{data['extension_cancelled']} 个工作日）随改派撤销")
    return " · ".join(facts)


templates.env.filters["local"] = fmt_local
templates.env.filters["queue_label"] = queue_label
templates.env.filters["event_facts"] = event_facts
templates.env.filters["state_label"] = _label(STATE_LABELS)
templates.env.filters["kind_label"] = _label(KIND_LABELS)
templates.env.filters["channel_label"] = _label(CHANNEL_LABELS)
templates.env.filters["urgency_label"] = _label(URGENCY_LABELS)
templates.env.filters["satisfaction_label"] = _label(SATISFACTION_LABELS)
templates.env.filters["deadline_label"] = _label(DEADLINE_LABELS)
templates.env.filters["category"] = full_name
templates.env.globals["static_version"] = __version__


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return str(token)


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (after a redirect)."""
    request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), {"kind": kind, "text": text}]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    return list(request.session.pop(FLASH_KEY, []) or [])


def render(
    request: Request, name: str, *, viewer: Any = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    context.update(viewer=viewer, csrf_token=csrf_token(request), flashes=pop_flashes(request),
                   calendar_notice=_calendar_notice(request) if viewer is not None else None)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def _calendar_notice(request: Request) -> str | None:
    """Every staff page says so when the holiday calendar runs out soon (QA: only the calendar page
    did, while dispatches into the next year were already refused)."""
    runtime = getattr(request.app.state, "runtime", None)
    return horizon_notice(to_local(runtime.clock.now()).date()) if runtime is not None else None


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
