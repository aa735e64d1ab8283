"""The hall's call pages: the calls list with the screen pop, one call (pop, one-step ticket,
one-click transfers), the missed-call callback list (漏接回拨) and the live wall (话务大屏)."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from hotline.calls import figures as figs
from hotline.calls import lines, service
from hotline.calls.enums import (
    CALLBACK_OUTCOME_LABELS,
    OUTCOME_LABELS,
    TRANSFER_MODE_LABELS,
    CallbackOutcome,
    TransferMode,
)
from hotline.calls.schemas import call_out, transfer_out
from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.runtime import Runtime
from hotline.tickets import present
from hotline.tickets.schemas import TicketCreate
from hotline.web import choices
from hotline.web.forms import errors_of, flag, intake_data, intake_values, local_day_start, text
from hotline.web.hall import unconfirmed_screening
from hotline.web.nav import BY_KEY
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
CallsViewer = Annotated[Viewer, Depends(viewer_for("calls"))]
MissedViewer = Annotated[Viewer, Depends(viewer_for("missed"))]
WallViewer = Annotated[Viewer, Depends(viewer_for("wall"))]
WALL_REFRESH_SECONDS = 30


@router.get("/hall/calls")
def calls_page(request: Request, db: DB, rt: RT, viewer: CallsViewer) -> HTMLResponse:
    page = page_number(request.query_params)
    mine = request.query_params.get("mine") == "1"
    day_text = request.query_params.get("day") or to_local(rt.clock.now()).date().isoformat()
    start = local_day_start(day_text)
    day_error = None
    if start is None:  # said on the page, not silently replaced by today (QA)
        day_error = _day_error(day_text)
        start, day_text = local_day_start(to_local(rt.clock.now()).date().isoformat()), ""
    # the caller and the result, as the API filters them (QA: the page could not find a caller's calls)
    caller = (request.query_params.get("caller") or "").strip()[:32]
    outcome = request.query_params.get("outcome") or ""
    outcome = outcome if outcome in OUTCOME_LABELS else ""
    rows, total = service.list_calls(db, actor=viewer.actor, day_start=start, day_end=start + timedelta(days=1),
                                     caller=caller or None, outcome=outcome or None, mine=mine, page=page)
    current = service.current_for(db, actor=viewer.actor, now=rt.clock.now())
    return render(request, "calls.html", viewer=viewer, items=[call_out(c, masked=True) for c in rows],
                  current=call_out(current, masked=True) if current else None, day=day_text, mine=mine,
                  caller=caller, outcome=outcome, filtered=bool(caller or outcome or mine),
                  outcomes=[choices.Option(str(k), v) for k, v in OUTCOME_LABELS.items()],
                  # the pager carries the query itself (QA: a base with ?day= made page 2 "?day=…?day=…&page=2",
                  # a day that could not be read, so every page link showed today's first page)
                  day_error=day_error, pager=pager(request.query_params, "/hall/calls", total, page=page))


def _day_error(typed: str) -> str:
    return f"日期“{typed[:20]}”无法识别（示例 2026-11-23），显示的是今天"


def _call_page(request: Request, db: Session, rt: Runtime, viewer: Viewer, call_id: int, *,
               values: dict[str, Any] | None = None, errors: list[str] | None = None,
               transfer: dict[str, Any] | None = None, screening: list[Any] | None = None,
               status_code: int = 200) -> HTMLResponse:
    pop = service.screen_pop(db, rt, actor=viewer.actor, call_id=call_id)
    now = rt.clock.now()
    return render(
        request, "call.html", viewer=viewer, status_code=status_code, call=call_out(pop.call),
        earlier=[present.summary(t, rt, viewer.actor, now=now) for t in pop.earlier], standing=pop.standing,
        ticket=pop.ticket, transfers=[transfer_out(t) for t in service.transfers_of(db, call=pop.call)],
        emergency=lines.emergency_targets(), utilities=lines.utility_targets(db, rt.settings.city_name),
        specialists=_grouped(lines.line_targets(db, rt.settings.city_name, now)),
        values=values or {"idem": secrets.token_urlsafe(18), "channel": "phone", "urgency": "normal"},
        errors=errors or [], transfer=transfer or {}, screening=screening or [], kinds=choices.KINDS,
        urgencies=choices.URGENCIES,
        categories=choices.categories(),
        jurisdictions=choices.jurisdictions(db), can_register=viewer.role in ("operator", "dispatcher"),
        linked_lines=choices.linked_lines(db, rt.settings.city_name),
        # the forms a call cannot take are not offered (QA: the whole intake form filled for an unanswered call)
        takes_ticket=service.takes_ticket(pop.call), takes_transfer=service.takes_transfer(pop.call, now),
    )


def _grouped(targets: list[lines.Target]) -> list[tuple[str, list[lines.Target]]]:
    """Specialist targets by group (分中心, 专家座席, 业务专区), in the order given."""
    groups: dict[str, list[lines.Target]] = {}
    for t in targets:
        groups.setdefault(t.group_label or "其他", []).append(t)
    return list(groups.items())


def _target(value: str) -> tuple[str, int | None]:
    """A button's value: the number, or number#expert id for one person on a line's rota."""
    number, _, expert = value.partition("#")
    return number, int(expert) if expert.isdigit() else None


@router.get("/hall/calls/{call_id}")
def call_page(call_id: int, request: Request, db: DB, rt: RT, viewer: CallsViewer) -> HTMLResponse:
    return _call_page(request, db, rt, viewer, call_id)


@router.post("/hall/calls/{call_id}/ticket", response_model=None)
def call_ticket(call_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: CallsViewer) -> HTMLResponse | RedirectResponse:
    values = intake_values(form)
    try:
        data = TicketCreate.model_validate(intake_data(values))
    except ValidationError as exc:
        return _call_page(request, db, rt, viewer, call_id, values=values, errors=errors_of(exc), status_code=422)
    # screened as on the intake form (QA: 楼下着火了，有人被困 was registered from the call page with no
    # prompt to transfer to 119, and recorded 登记时未经确认)
    hits = unconfirmed_screening(data, values)
    if hits:
        return _call_page(request, db, rt, viewer, call_id, values=values, screening=hits)
    try:
        ticket, _ = service.to_ticket(db, rt, actor=viewer.actor, call_id=call_id, data=data)
    except DomainError as exc:
        db.rollback()
        return _call_page(request, db, rt, viewer, call_id, values=values, errors=[exc.message],
                          status_code=exc.status_code)
    flash(request, f"来电已登记为工单 {ticket.number}")
    return redirect(f"/tickets/{ticket.number}")


@router.post("/hall/calls/{call_id}/transfer", response_model=None)
def call_transfer(call_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: CallsViewer) -> HTMLResponse | RedirectResponse:
    # A preset button sends its number as `target`; the box's own name keeps its empty value from
    # overriding it (the same name in both sent an empty last value: 转接目标号码 '' 格式错误).
    typed = {"reason": text(form, "reason"), "other_target": text(form, "other_target"),
             "three_way": flag(form, "three_way"), "blind": flag(form, "blind"), "unclear": flag(form, "unclear")}
    number, expert_id = _target(text(form, "target"))
    # neither box ticked: as routing hands the line over (三方通话 to a staffed specialist line)
    three_way = True if typed["three_way"] else False if typed["blind"] else None
    try:
        row = service.transfer(db, rt, actor=viewer.actor, call_id=call_id, target=number or typed["other_target"],
                               reason=typed["reason"], three_way=three_way, responsibility_unclear=typed["unclear"],
                               expert_id=expert_id)
    except DomainError as exc:
        db.rollback()
        # what was typed comes back with the reason (QA: a mistyped number cost the operator the reason)
        return _call_page(request, db, rt, viewer, call_id, errors=[exc.message], transfer=typed,
                          status_code=exc.status_code)
    flash(request, f"已记录转接：{row.target_label}（{TRANSFER_MODE_LABELS[TransferMode(row.mode)]}）")
    return redirect(f"/hall/calls/{call_id}")


# ---- 漏接回拨 -----------------------------------------------------------------------------------


@router.get("/hall/missed")
def missed_page(request: Request, db: DB, rt: RT, viewer: MissedViewer) -> HTMLResponse:
    page = page_number(request.query_params)
    rows, total = service.callback_list(db, actor=viewer.actor, now=rt.clock.now(), page=page)
    # A callback agent works the list but has no call pages: no link that answers 403 (QA).
    return render(request, "missed.html", viewer=viewer, items=[call_out(c) for c in rows], page=page,
                  outcomes=[choices.Option(str(k), v) for k, v in CALLBACK_OUTCOME_LABELS.items()],
                  opens_calls=viewer.role in BY_KEY["calls"].roles,
                  pager=pager(request.query_params, "/hall/missed", total, page=page))


@router.post("/hall/missed/{call_id}", response_model=None)
def missed_mark(call_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: MissedViewer) -> RedirectResponse:
    try:
        outcome = CallbackOutcome(text(form, "outcome"))
        service.mark_called_back(db, rt, actor=viewer.actor, call_id=call_id, outcome=outcome,
                                 note=text(form, "note") or None)
        flash(request, f"已登记回拨结果：{CALLBACK_OUTCOME_LABELS[outcome]}")
    except ValueError:
        flash(request, "请选择回拨结果", "error")
    except DomainError as exc:
        db.rollback()
        flash(request, exc.message, "error")
    # back to the page the agent was working on, not the first one (QA)
    page = page_number(form)
    return redirect("/hall/missed" + (f"?page={page}" if page > 1 else ""))


# ---- 话务大屏 ----------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return f"{v * 100:.1f}%" if v is not None else "—"


def _secs(v: float | None) -> str:
    return f"{v:.0f} 秒" if v is not None else "—"


@router.get("/hall/wall")
def wall_page(request: Request, db: DB, rt: RT, viewer: WallViewer) -> HTMLResponse:
    today = to_local(rt.clock.now()).date()
    typed = request.query_params.get("day") or today.isoformat()
    day_error = None
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        day, day_error = today, _day_error(typed)
    actor = viewer.actor
    total = figs.compute(db, actor=actor, start=day, end=day, group_by=()).total
    by_line = figs.compute(db, actor=actor, start=day, end=day, group_by=("line", "queue")).rows
    by_slot = figs.compute(db, actor=actor, start=day, end=day, group_by=("slot",)).rows
    return render(request, "wall.html", viewer=viewer, day=day, day_error=day_error, is_today=day == today,
                  total=total, by_line=by_line,
                  by_slot=by_slot, live=figs.live_counts(db, rt.clock.now()) if day == today else {},
                  pct=_pct, secs=_secs,
                  refresh=WALL_REFRESH_SECONDS, peak=max((f.offered for f in by_slot), default=0))
