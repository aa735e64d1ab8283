"""Hotline registry pages (热线归并): the registry list (filters, search, export, and the
administrator's form to register a line), a line's page with its history and the administrator's
change forms, and the consolidation progress per city.

Every rule lives in hotlines.service / hotlines.rules: these pages show the forms and pass the
service's Chinese message back when it refuses."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.errors_http import chinese_message
from hotline.hotlines import present, roster, service
from hotline.hotlines.api import progress_out
from hotline.hotlines.duty import EXAMPLE as DUTY_EXAMPLE
from hotline.hotlines.enums import (
    KIND_LABELS,
    MODE_LABELS,
    MODE_ORDER,
    ROSTER_SEATS,
    SEAT_LABELS,
    SERVICE_LABELS,
    STATUS_LABELS,
    LineKind,
    LineStatus,
    MergeMode,
    SeatArrangement,
)
from hotline.hotlines.rules import SEATS_BY_MODE
from hotline.hotlines.schemas import (
    CHOICES,
    EXPERT_LABELS,
    FIELD_LABELS,
    FORMATS,
    ExpertIn,
    LineCreate,
    ModeChange,
    PromptChange,
    SeatsChange,
    StatusChange,
)
from hotline.org.models import UNIT_KIND_LABELS, UnitKind
from hotline.org.service import list_units
from hotline.security.roles import Role
from hotline.web import choices, excel_import
from hotline.web.forms import text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
HotlinesViewer = Annotated[Viewer, Depends(viewer_for("hotlines"))]
FILTERS = ("city", "kind", "mode", "status", "seats", "q")
KINDS = [choices.Option(str(k), v) for k, v in KIND_LABELS.items()]
MODES = [choices.Option(str(k), v) for k, v in MODE_LABELS.items()]
STATUSES = [choices.Option(str(k), v) for k, v in STATUS_LABELS.items()]
SEATS = [choices.Option(str(k), v) for k, v in SEAT_LABELS.items()]
SERVICES = [choices.Option(str(k), v) for k, v in SERVICE_LABELS.items()]
CREATE_TEXT = ("city", "number", "name", "kind", "merge_mode", "seat_arrangement", "service", "owner_unit_id",
               "owner_name", "jurisdiction_code", "approval_document", "approval_by", "note", "reason")


def _enum(value: str, enum: type[Any]) -> Any:
    return enum(value) if value in {str(x) for x in enum} else None


def _labels() -> dict[str, Any]:
    return {"kind_labels": {str(k): v for k, v in KIND_LABELS.items()},
            "mode_labels": {str(k): v for k, v in MODE_LABELS.items()},
            "status_labels": {str(k): v for k, v in STATUS_LABELS.items()},
            "seat_labels": {str(k): v for k, v in SEAT_LABELS.items()}}


def _unit_options(db: DB) -> list[choices.Option]:
    return [choices.Option(str(u.id), u.name, UNIT_KIND_LABELS[UnitKind(u.kind)]) for u in list_units(db)]


def _list_page(request: Request, db: DB, rt: RT, viewer: Viewer, *, errors: list[str] | None = None,
               values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    qp = request.query_params
    f = {k: (qp.get(k) or "").strip()[:100] for k in FILTERS}
    filters = service.LineFilters(city=f["city"] or None, kind=_enum(f["kind"], LineKind),
                                  mode=_enum(f["mode"], MergeMode), status=_enum(f["status"], LineStatus),
                                  seats=_enum(f["seats"], SeatArrangement), text=f["q"] or None)
    page = page_number(qp)
    lines, total = service.list_lines(db, actor=viewer.actor, filters=filters, page=page)
    cities = service.cities(db)
    export_query = urlencode([(k, v) for k, v in f.items() if v])
    is_admin = viewer.role == Role.ADMIN
    return render(
        request, "hotlines_list.html", viewer=viewer, status_code=status_code, lines=lines, f=f,
        pager=pager(qp, "/hotlines", total, page=page), cities=[choices.Option(c, c) for c in cities],
        kinds=KINDS, modes=MODES, statuses=STATUSES, seats=SEATS, services=SERVICES, export_query=export_query,
        is_admin=is_admin,
        units=_unit_options(db) if is_admin else [], jurisdictions=choices.jurisdictions(db) if is_admin else [],
        default_city=rt.settings.city_name, errors=errors or [], values=values or {}, **_labels(),
    )


@router.get("/hotlines")
def registry(request: Request, db: DB, rt: RT, viewer: HotlinesViewer) -> HTMLResponse:
    return _list_page(request, db, rt, viewer)




def _validated(model: type[BaseModel], data: dict[str, Any], labels: dict[str, str] = FIELD_LABELS) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        messages: list[str] = []
        for err in exc.errors():
            field = str(err["loc"][-1]) if err.get("loc") else ""
            name = labels.get(field, field)
            if str(err.get("type", "")).startswith("date"):
                message = f"{name}不是有效的日期（示例 2026-12-01）"
            else:
                message = chinese_message({**err, "loc": (field,)}, labels, CHOICES, FORMATS)
            if message not in messages:
                messages.append(message)
        raise _FormErrors(messages) from exc


class _FormErrors(Exception):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@router.post("/hotlines", response_model=None)
def create_line(request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in CREATE_TEXT + ("transition_start", "transition_end", "transition_prompt")}
    data: dict[str, Any] = {k: v for k, v in values.items() if v}
    data.setdefault("merge_mode", str(MergeMode.NONE))
    try:
        line = service.create(db, rt, actor=viewer.actor, data=_validated(LineCreate, data))
    except _FormErrors as exc:
        return _list_page(request, db, rt, viewer, errors=exc.messages, values=values, status_code=422)
    except DomainError as exc:
        return _list_page(request, db, rt, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    flash(request, f"已登记 {line.city} {line.number} {line.name}")
    return redirect(f"/hotlines/{line.id}")


@router.get("/hotlines/progress")
def progress(request: Request, db: DB, viewer: HotlinesViewer) -> HTMLResponse:
    rows = [progress_out(p) for p in service.progress(db, actor=viewer.actor)]
    return render(request, "hotlines_progress.html", viewer=viewer, rows=rows)


def _line_page(request: Request, db: DB, rt: RT, viewer: Viewer, line_id: int, *, errors: list[str] | None = None,
               form: str = "", typed: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """`form` names the change form that was refused and `typed` what was typed in it: it comes back
    open and filled (QA: a prompt with its period was lost for a missing reason)."""
    line = service.get(db, actor=viewer.actor, line_id=line_id)
    changes = [present.change_out(c) for c in service.history(db, actor=viewer.actor, line_id=line_id)]
    out = present.line_out(line)
    mode = MergeMode(line.merge_mode)
    forward = [m for m in MODE_ORDER if mode in MODE_ORDER and MODE_ORDER.index(m) > MODE_ORDER.index(mode)]
    seat_options = [choices.Option(str(s), SEAT_LABELS[s]) for s in SEATS_BY_MODE[mode] if s != line.seat_arrangement]
    takes_roster = (line.kind == LineKind.DEPARTMENT and line.seat_arrangement in ROSTER_SEATS
                    and line.status != LineStatus.CANCELLED)
    now = rt.clock.now()
    experts = [present.expert_out(e, line, now) for e in roster.experts_of(db, actor=viewer.actor, line_id=line_id)]
    return render(request, "hotline_line.html", viewer=viewer, status_code=status_code, line=out, changes=changes,
                  takes_roster=takes_roster, experts=experts, duty_example=DUTY_EXAMPLE,
                  is_admin=viewer.role == Role.ADMIN, errors=errors or [], form=form, typed=typed or {},
                  forward_modes=[choices.Option(str(m), MODE_LABELS[m]) for m in forward],
                  seat_options=seat_options, cancelled=line.status == LineStatus.CANCELLED, **_labels())


def _experts_page(request: Request, db: DB, rt: RT, viewer: Viewer, **extra: Any) -> HTMLResponse:
    city = rt.settings.city_name
    now = rt.clock.now()
    rows = [(present.line_out(line), [present.expert_out(e, line, now) for e in people])
            for line, people in roster.city_roster(db, actor=viewer.actor, city=city)]
    return render(request, "hotline_experts.html", viewer=viewer, city=city, rows=rows,
                  is_admin=viewer.role == Role.ADMIN, **{"errors": [], **extra})


@router.get("/hotlines/experts")
def experts_page(request: Request, db: DB, rt: RT, viewer: HotlinesViewer) -> HTMLResponse:
    return _experts_page(request, db, rt, viewer)


@router.post("/hotlines/experts/import", response_model=None)
async def import_experts(request: Request, form: CheckedForm, db: DB, rt: RT,
                         viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    return await excel_import.run(
        request, form, db, importer=partial(roster.import_workbook, db, rt, actor=viewer.actor,
                                            city=rt.settings.city_name),
        page=lambda **kw: _experts_page(request, db, rt, viewer, **kw), back="/hotlines/experts", unit="人")


@router.get("/hotlines/{line_id}")
def line_page(line_id: int, request: Request, db: DB, rt: RT, viewer: HotlinesViewer) -> HTMLResponse:
    return _line_page(request, db, rt, viewer, line_id)


def _change(request: Request, db: DB, rt: RT, viewer: Viewer, line_id: int, model: type[BaseModel],
            data: dict[str, Any], apply: Any, done: str, *, form: str = "",
            labels: dict[str, str] = FIELD_LABELS) -> HTMLResponse | RedirectResponse:
    form = form or request.url.path.rsplit("/", 1)[-1]  # mode, status, prompt, seats
    try:
        apply(_validated(model, {k: v for k, v in data.items() if v not in ("", None)}, labels))
    except _FormErrors as exc:
        db.rollback()
        return _line_page(request, db, rt, viewer, line_id, errors=exc.messages, form=form, typed=data,
                          status_code=422)
    except DomainError as exc:
        db.rollback()
        return _line_page(request, db, rt, viewer, line_id, errors=[exc.message], form=form, typed=data,
                          status_code=exc.status_code)
    flash(request, done)
    return redirect(f"/hotlines/{line_id}")


@router.post("/hotlines/{line_id}/mode", response_model=None)
def change_mode(line_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    return _change(request, db, rt, viewer, line_id, ModeChange,
                   {"merge_mode": text(form, "merge_mode"), "reason": text(form, "reason")},
                   lambda d: service.change_mode(db, rt, actor=viewer.actor, line_id=line_id, data=d), "已变更归并方式")


@router.post("/hotlines/{line_id}/status", response_model=None)
def change_status(line_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    return _change(request, db, rt, viewer, line_id, StatusChange,
                   {"status": text(form, "status"), "reason": text(form, "reason")},
                   lambda d: service.change_status(db, rt, actor=viewer.actor, line_id=line_id, data=d),
                   "已变更号码状态")


@router.post("/hotlines/{line_id}/prompt", response_model=None)
def change_prompt(line_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    data = {k: text(form, k) for k in ("transition_prompt", "transition_start", "transition_end", "reason")}
    return _change(request, db, rt, viewer, line_id, PromptChange, data,
                   lambda d: service.change_prompt(db, rt, actor=viewer.actor, line_id=line_id, data=d),
                   "已更新过渡期语音提示")


@router.post("/hotlines/{line_id}/seats", response_model=None)
def change_seats(line_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                 viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    return _change(request, db, rt, viewer, line_id, SeatsChange,
                   {"seat_arrangement": text(form, "seat_arrangement"), "reason": text(form, "reason")},
                   lambda d: service.change_seats(db, rt, actor=viewer.actor, line_id=line_id, data=d),
                   "已调整座席安排")


# ---- the rota (专家座席值班) on the line's page -------------------------------------------------------

EXPERT_FIELDS = ("name", "department", "phone", "duty", "note", "reason")


@router.post("/hotlines/{line_id}/experts", response_model=None)
def add_expert(line_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
               viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    data = {k: text(form, k) for k in EXPERT_FIELDS}
    return _change(request, db, rt, viewer, line_id, ExpertIn, data,
                   lambda d: roster.add(db, rt, actor=viewer.actor, line_id=line_id, data=d),
                   f"已登记值班人员 {data['name']}", form="expert-new", labels=EXPERT_LABELS)


@router.post("/hotlines/{line_id}/experts/{expert_id}", response_model=None)
def edit_expert(line_id: int, expert_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    data = {k: text(form, k) for k in EXPERT_FIELDS}
    data["active"] = "true"  # an edit keeps them on the rota; 停止值班 is its own button
    return _change(request, db, rt, viewer, line_id, ExpertIn, data,
                   lambda d: roster.update(db, rt, actor=viewer.actor, expert_id=_on_line(db, viewer, line_id,
                                                                                            expert_id), data=d),
                   f"已修改值班人员 {data['name']}", form=f"expert-{expert_id}", labels=EXPERT_LABELS)


@router.post("/hotlines/{line_id}/experts/{expert_id}/active", response_model=None)
def expert_active(line_id: int, expert_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: HotlinesViewer) -> HTMLResponse | RedirectResponse:
    active = text(form, "active") == "1"
    try:
        row = roster.set_active(db, rt, actor=viewer.actor, expert_id=_on_line(db, viewer, line_id, expert_id),
                                active=active, reason=text(form, "reason") or None)
    except DomainError as exc:
        db.rollback()
        return _line_page(request, db, rt, viewer, line_id, errors=[exc.message], status_code=exc.status_code)
    flash(request, f"{row.name}已{'恢复值班' if active else '停止值班'}")
    return redirect(f"/hotlines/{line_id}")


def _on_line(db: DB, viewer: Viewer, line_id: int, expert_id: int) -> int:
    """The expert of this line's page (a form posted to another line's page changes nothing)."""
    if roster.get(db, actor=viewer.actor, expert_id=expert_id).line_id != line_id:
        raise DomainError("expert_not_found", "该值班人员不属于本热线", status_code=404)
    return expert_id
