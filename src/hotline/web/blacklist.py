"""Blacklist pages: candidates and the list (filters, search by phone), an entry with its evidence
and history, and the forms of the supervisor (confirm, reject, revoke, decide an appeal) and of the
hall (report abuse, record a police referral, take down an appeal, record a verdict on a ticket).

Every rule lives in blacklist.service: these pages show the forms the rules would allow and pass
the service's Chinese message back when it refuses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.blacklist import service
from hotline.blacklist.enums import (
    ACTION_LABELS,
    APPEAL_LABELS,
    EFFECTIVE_LABELS,
    EVIDENCE_LABELS,
    GROUND_LABELS,
    VERDICT_LABELS,
    AppealDecision,
    Effective,
    Ground,
    Verdict,
)
from hotline.deps import DB, RT
from hotline.errors import DomainError, NotFound
from hotline.runtime import Runtime
from hotline.tickets.models import Ticket
from hotline.web import choices
from hotline.web.forms import is_id, local_datetime, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, PageViewer, Viewer, viewer_for

router = APIRouter()
BlacklistViewer = Annotated[Viewer, Depends(viewer_for("blacklist"))]
TABS = (("proposed", "待审核候选"), ("active", "生效中"), ("expired", "已到期"), ("rejected", "不予列入"),
        ("revoked", "已撤销"), ("all", "全部"))


def _labels() -> dict[str, Any]:
    return {"ground_labels": {str(k): v for k, v in GROUND_LABELS.items()},
            "state_labels": {str(k): v for k, v in EFFECTIVE_LABELS.items()},
            "evidence_labels": {str(k): v for k, v in EVIDENCE_LABELS.items()},
            "action_labels": {str(k): v for k, v in ACTION_LABELS.items()},
            "appeal_labels": {str(k): v for k, v in APPEAL_LABELS.items()},
            "verdict_labels": {str(k): v for k, v in VERDICT_LABELS.items()}}


def _may(viewer: Viewer, roles: frozenset[Any]) -> bool:
    return viewer.actor.role in roles


@router.get("/blacklist")
def entries(request: Request, db: DB, rt: RT, viewer: BlacklistViewer) -> HTMLResponse:
    q = request.query_params
    tab = q.get("state") or "proposed"
    if tab not in dict(TABS):
        tab = "all"
    shown = {"phone": (q.get("phone") or "").strip(), "ground": q.get("ground") or "",
             "appeal": q.get("appeal") or ""}
    errors: list[str] = []
    try:
        filters = service.EntryFilters(
            phone=shown["phone"] or None,
            ground=Ground(shown["ground"]) if shown["ground"] in set(Ground) else None,
            state=Effective(tab) if tab != "all" else None,
            appeal_pending=True if shown["appeal"] == "1" else None)
        page = page_number(q)
        items, total = service.list_entries(db, rt, actor=viewer.actor, filters=filters, page=page)
    except DomainError as exc:
        errors, items, total, page = [exc.message], [], 0, 1
    now = rt.clock.now()
    rows = [{"e": e, "state": service.effective(e, now), "phone": service.shown_phone(viewer.actor, e.phone)}
            for e in items]
    tab_links = [{"key": k, "label": label, "url": f"/blacklist?state={k}"} for k, label in TABS]
    grounds = [choices.Option(str(k), v) for k, v in GROUND_LABELS.items()]
    return render(request, "blacklist_list.html", viewer=viewer, rows=rows, total=total, tab=tab, tabs=tab_links,
                  shown=shown, grounds=grounds, errors=errors,
                  pager=pager(q, "/blacklist", total, page=page),
                  may_propose=service.may_propose(viewer.actor), may_report=_may(viewer, service.REPORT_ROLES),
                  may_verdict=_may(viewer, service.VERDICT_ROLES), **_labels())


@router.post("/blacklist/propose")
def propose(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: BlacklistViewer) -> RedirectResponse:
    try:
        result = service.propose(db, rt, actor=viewer.actor)
    except DomainError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, f"已按历史记录提出候选：新增 {len(result.created)} 条，补充证据 {len(result.extended)} 条")
    return redirect("/blacklist?state=proposed")


def _entry_page(request: Request, db: Session, rt: Runtime, viewer: Viewer, entry_id: int, *,
                errors: list[str] | None = None, status_code: int = 200) -> HTMLResponse:
    d = service.get_entry(db, rt, actor=viewer.actor, entry_id=entry_id)
    role = viewer.actor.role
    state = d.effective
    allowed = {
        "decide": role in service.DECIDE_ROLES and state == Effective.PROPOSED,
        "revoke": role in service.DECIDE_ROLES and state == Effective.ACTIVE,
        "appeal": role in service.APPEAL_ROLES and state == Effective.ACTIVE and not d.entry.appeal_pending,
        "decide_appeal": role in service.DECIDE_ROLES and d.entry.appeal_pending,
        "refer": role in service.REPORT_ROLES,
    }
    return render(request, "blacklist_entry.html", viewer=viewer, status_code=status_code, d=d, state=state,
                  phone=service.shown_phone(viewer.actor, d.entry.phone), allowed=allowed, errors=errors or [],
                  default_days=rt.settings.blacklist_expiry_days, decisions=list(AppealDecision), **_labels())


@router.get("/blacklist/entries/{entry_id}")
def entry(entry_id: int, request: Request, db: DB, rt: RT, viewer: BlacklistViewer) -> HTMLResponse:
    return _entry_page(request, db, rt, viewer, entry_id)


def _days(value: str) -> int | None:
    if not value:
        return None
    if not is_id(value):
        raise DomainError("bad_expiry", "有效期须填写天数（整数）")
    return int(value)


@router.post("/blacklist/entries/{entry_id}/{action}", response_model=None)
def entry_action(entry_id: int, action: str, request: Request, form: CheckedForm, db: DB, rt: RT,
                 viewer: BlacklistViewer) -> HTMLResponse | RedirectResponse:
    actor = viewer.actor
    done = {"confirm": "已列入黑名单", "reject": "已决定不予列入", "revoke": "已撤销", "appeal": "已登记申诉",
            "decide-appeal": "已处理申诉", "refer": "已登记警情移交"}
    try:
        if action == "confirm":
            service.confirm(db, rt, actor=actor, entry_id=entry_id, reason=text(form, "reason"),
                            days=_days(text(form, "days")))
        elif action == "reject":
            service.reject(db, rt, actor=actor, entry_id=entry_id, reason=text(form, "reason"))
        elif action == "revoke":
            service.revoke(db, rt, actor=actor, entry_id=entry_id, reason=text(form, "reason"))
        elif action == "appeal":
            service.record_appeal(db, rt, actor=actor, entry_id=entry_id, text=text(form, "text"))
        elif action == "decide-appeal":
            decision = text(form, "decision")
            if decision not in set(AppealDecision):
                raise DomainError("bad_decision", "请选择申诉处理结果")
            service.decide_appeal(db, rt, actor=actor, entry_id=entry_id, decision=AppealDecision(decision),
                                  reason=text(form, "reason"))
        elif action == "refer":
            report_id = text(form, "abuse_report_id")
            when = local_datetime(text(form, "referred_at")) if text(form, "referred_at") else None
            if isinstance(when, str) or not is_id(report_id):
                raise DomainError("bad_input", "请填写正确的移交时间")
            service.refer_to_police(db, rt, actor=actor, abuse_report_id=int(report_id), referred_at=when,
                                    police_unit=text(form, "police_unit"), reference=text(form, "reference"),
                                    note=text(form, "note"))
        else:
            raise DomainError("unknown_action", "未知操作", status_code=404)
    except DomainError as exc:
        if exc.code == "entry_not_found":
            raise
        db.rollback()
        return _entry_page(request, db, rt, viewer, entry_id, errors=[exc.message], status_code=exc.status_code)
    flash(request, done[action])
    return redirect(f"/blacklist/entries/{entry_id}")


# ---- hall forms: abuse report, verdict on a ticket --------------------------------------------


@router.get("/blacklist/abuse/new")
def abuse_form(request: Request, viewer: BlacklistViewer) -> HTMLResponse:
    values = {k: request.query_params.get(k, "") for k in ("phone", "ticket", "call_id")}
    return render(request, "blacklist_abuse.html", viewer=viewer, values=values, errors=[])


def _ticket_id(db: Session, number: str) -> int | None:
    if not number:
        return None
    found = db.execute(select(Ticket.id).where(Ticket.number == number.strip())).scalar_one_or_none()
    if found is None:
        raise NotFound("ticket_not_found", f"工单 {number} 不存在")
    return int(found)


@router.post("/blacklist/abuse/new", response_model=None)
def abuse_submit(request: Request, form: CheckedForm, db: DB, rt: RT,
                 viewer: BlacklistViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("phone", "ticket", "call_id", "description", "occurred_at")}
    try:
        when = local_datetime(values["occurred_at"]) if values["occurred_at"] else None
        if isinstance(when, str):
            raise DomainError("bad_time", "发生时间格式不正确")
        if values["call_id"] and not is_id(values["call_id"]):
            raise DomainError("bad_call", "通话编号须为数字")
        report = service.report_abuse(db, rt, actor=viewer.actor, phone=values["phone"],
                                      description=values["description"], occurred_at=when,
                                      call_id=int(values["call_id"]) if values["call_id"] else None,
                                      ticket_id=_ticket_id(db, values["ticket"]))
    except DomainError as exc:
        db.rollback()
        return render(request, "blacklist_abuse.html", viewer=viewer, values=values, errors=[exc.message],
                      status_code=exc.status_code)
    flash(request, "已登记辱骂骚扰，督办员将审核是否列入黑名单；如已报警，请在记录页登记警情移交")
    return redirect(f"/blacklist/entries/{report.entry_id}")


# Units record verdicts too: the page is open to every login, the service checks the role.
@router.get("/blacklist/verdict")
def verdict_form(request: Request, viewer: PageViewer) -> HTMLResponse:
    values = {"ticket": request.query_params.get("ticket", "")}
    return render(request, "blacklist_verdict.html", viewer=viewer, values=values, errors=[],
                  verdicts=list(Verdict), **_labels())


@router.post("/blacklist/verdict", response_model=None)
def verdict_submit(request: Request, form: CheckedForm, db: DB, rt: RT,
                   viewer: PageViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("ticket", "verdict", "note")}
    try:
        if values["verdict"] not in set(Verdict):
            raise DomainError("bad_verdict", "请选择核实结论")
        ticket_id = _ticket_id(db, values["ticket"])
        if ticket_id is None:
            raise DomainError("ticket_required", "请填写工单编号")
        service.record_verdict(db, rt, actor=viewer.actor, ticket_id=ticket_id, verdict=Verdict(values["verdict"]),
                               note=values["note"])
    except DomainError as exc:
        db.rollback()
        return render(request, "blacklist_verdict.html", viewer=viewer, values=values, errors=[exc.message],
                      status_code=exc.status_code, verdicts=list(Verdict), **_labels())
    flash(request, f"已记录工单 {values['ticket']} 的核实结论")
    return redirect("/blacklist/verdict")
