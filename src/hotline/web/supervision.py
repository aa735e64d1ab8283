"""Supervision pages (督办): the overview of overdue and about-to-expire tickets, supervision orders
(list, detail, escalate, close, Excel), coordination meetings and interviews, findings by unit, the
scheduler's run log; and the notification inbox of units and the centre."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hotline.deps import DB, RT
from hotline.errors import DomainError, Forbidden
from hotline.security import audit
from hotline.supervision import detection, jobs, present
from hotline.supervision import service as sv
from hotline.supervision.enums import (
    AUDIENCE_LABELS,
    FINDING_LABELS,
    MEETING_FIELDS,
    MEETING_KIND_LABELS,
    MEETING_STATUS_LABELS,
    NOTIFICATION_LABELS,
    ORDER_SOURCE_LABELS,
    ORDER_STATUS_LABELS,
    FindingKind,
    MeetingKind,
    OrderSource,
    OrderStatus,
)
from hotline.supervision.export import orders_workbook
from hotline.supervision.scheduler import embedded_enabled
from hotline.supervision.schemas import MeetingCreate, OrderCreate
from hotline.tickets import overview, service
from hotline.web import choices
from hotline.web.forms import errors_of, is_id, local_datetime, local_day_start, text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for
from hotline.web.tabs import tabbed_queue

router = APIRouter()
SupervisionViewer = Annotated[Viewer, Depends(viewer_for("supervision"))]
OrdersViewer = Annotated[Viewer, Depends(viewer_for("supervision", "orders"))]  # units: their own, read only
InboxViewer = Annotated[Viewer, Depends(viewer_for("notifications"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TABS: dict[str, tuple[str, service.Filters]] = {
    "overdue": ("已超期", service.Filters(overdue=True, by_deadline=True)),
    "about_to_expire": ("即将超期", service.Filters(about_to_expire=True, by_deadline=True)),
    "ack_overdue": ("签收超时", service.Filters(ack_overdue=True, by_deadline=True)),
}
LABELS: dict[str, Any] = dict(
    source_labels={str(k): v for k, v in ORDER_SOURCE_LABELS.items()},
    status_labels={str(k): v for k, v in ORDER_STATUS_LABELS.items()},
    audience_labels={str(k): v for k, v in AUDIENCE_LABELS.items()},
    finding_labels={str(k): v for k, v in FINDING_LABELS.items()},
    meeting_labels={str(k): v for k, v in MEETING_KIND_LABELS.items()},
    meeting_status_labels={str(k): v for k, v in MEETING_STATUS_LABELS.items()},
    meeting_fields={str(k): v for k, v in MEETING_FIELDS.items()},
    notification_labels={str(k): v for k, v in NOTIFICATION_LABELS.items()},
    job_labels=jobs.JOB_LABELS,
)


def _page(request: Request, name: str, viewer: Viewer, **context: Any) -> HTMLResponse:
    return render(request, name, viewer=viewer, **LABELS, **context)


# The forms' fields by their own names (the shared labels are a ticket's: 诉求标题, 延期天数)
ORDER_LABELS = {"days": "督办时限（工作日）", "reason": "督办事由", "ticket_number": "工单编号"}
MEETING_LABELS = {"kind": "会议类型", "title": "会议标题", "topic": "议题", "held_at": "召开时间", "host": "主持人",
                  "location": "地点", "attendees": "参会人员", "unit_ids": "参会单位", "ticket_numbers": "关联工单"}

@router.get("/supervision")
def supervision(request: Request, db: DB, rt: RT, viewer: SupervisionViewer) -> HTMLResponse:
    q = tabbed_queue(request, db, rt, viewer, tabs=TABS, base="/supervision")
    return _page(request, "supervision.html", viewer, tab_list=q.tab_list, tab=q.tab, items=q.items,
                 by_unit=overview.overdue_by_lead_unit(db, rt, actor=viewer.actor), pager=q.pager,
                 orders=sv.order_counts(db, rt, actor=viewer.actor), last_run=sv.last_run(db))


# ---- orders ------------------------------------------------------------------------------------


def _order_filters(query: Any) -> tuple[sv.OrderFilters, dict[str, str]]:
    raw = {k: (query.get(k) or "").strip()[:32] for k in ("status", "source", "unit", "overdue", "q")}
    status = raw["status"] if raw["status"] in {str(s) for s in OrderStatus} else ""
    source = raw["source"] if raw["source"] in {str(s) for s in OrderSource} else ""
    unit = raw["unit"] if is_id(raw["unit"]) else ""
    filters = sv.OrderFilters(status=OrderStatus(status) if status else None,
                              source=OrderSource(source) if source else None, unit_id=int(unit) if unit else None,
                              overdue=raw["overdue"] == "1", q=raw["q"] or None)
    return filters, {**raw, "status": status, "source": source, "unit": unit}


def _orders_page(request: Request, db: DB, rt: RT, viewer: Viewer, *, errors: list[str] | None = None,
                 values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    filters, shown = _order_filters(request.query_params)
    page = page_number(request.query_params)
    rows, total = sv.list_orders(db, rt, actor=viewer.actor, filters=filters, page=page)
    now = rt.clock.now()
    export_qs = urlencode({k: v for k, v in shown.items() if v})  # the export holds what the list shows
    return _page(request, "supervision_orders.html", viewer, status_code=status_code,
                 orders=[present.order_out(o, now=now) for o in rows], f=shown, units=choices.handling_units(db),
                 pager=pager(request.query_params, "/supervision/orders", total, page=page), errors=errors or [],
                 values=values or {}, export_url="/supervision/orders.xlsx" + (f"?{export_qs}" if export_qs else ""),
                 can_issue=viewer.role in sv.SUPERVISORS, first_limit=sv.policy_of(rt).level(1).limit.label)


@router.get("/supervision/orders")
def orders_page(request: Request, db: DB, rt: RT, viewer: OrdersViewer) -> HTMLResponse:
    return _orders_page(request, db, rt, viewer)


@router.get("/supervision/orders.xlsx")
def orders_export(request: Request, db: DB, rt: RT, viewer: OrdersViewer) -> Response:
    filters, _ = _order_filters(request.query_params)
    rows, total = sv.list_orders(db, rt, actor=viewer.actor, filters=filters, page=1, page_size=10_000)
    now = rt.clock.now()
    audit.record(db, actor=viewer.actor, at=now, action="export_orders", object_type="supervision_order",
                 object_id=str(len(rows)), detail=f"共{total}张，导出{len(rows)}张")
    db.commit()
    body = orders_workbook([present.order_out(o, now=now) for o in rows], total=total)
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename=supervision-orders.xlsx"})


@router.post("/supervision/orders", response_model=None)
def orders_create(request: Request, form: CheckedForm, db: DB, rt: RT,
                  viewer: SupervisionViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("ticket_number", "reason", "days")}
    try:
        data = OrderCreate(ticket_number=values["ticket_number"] or None, reason=values["reason"],
                           days=values["days"] or None)  # checked as typed: "abc" is an error, not the default
        order = sv.create_order(db, rt, actor=viewer.actor, data=data)
    except ValidationError as exc:
        return _orders_page(request, db, rt, viewer, errors=errors_of(exc, ORDER_LABELS), values=values,
                            status_code=422)
    except DomainError as exc:
        return _orders_page(request, db, rt, viewer, errors=[exc.message], values=values,
                            status_code=exc.status_code)
    flash(request, f"已下达督办单 {order.number}（{order.unit.short_name}）")
    return redirect(f"/supervision/orders/{order.id}")


@router.get("/supervision/orders/{order_id}")
def order_page(order_id: int, request: Request, db: DB, rt: RT, viewer: OrdersViewer) -> HTMLResponse:
    order = sv.get_order(db, actor=viewer.actor, order_id=order_id)
    policy = sv.policy_of(rt)
    return _page(request, "supervision_order.html", viewer, o=present.order_out(order, now=rt.clock.now(),
                                                                               with_escalations=True),
                 top_level=policy.top_level, levels=policy.levels, can_act=viewer.role in sv.SUPERVISORS)


@router.post("/supervision/orders/{order_id}/{verb}")
def order_act(order_id: int, verb: str, request: Request, form: CheckedForm, db: DB, rt: RT,
              viewer: SupervisionViewer) -> RedirectResponse:
    try:
        if verb == "escalate":
            sv.escalate_order(db, rt, actor=viewer.actor, order_id=order_id, note=text(form, "note"))
            flash(request, "督办单已升级")
        elif verb == "close":
            sv.close_order(db, rt, actor=viewer.actor, order_id=order_id, outcome=text(form, "outcome"))
            flash(request, "督办单已办结")
        else:
            flash(request, "未知操作", "error")
    except DomainError as exc:
        flash(request, exc.message, "error")
    return redirect(f"/supervision/orders/{order_id}")


# ---- meetings and interviews -------------------------------------------------------------------


def _meetings_page(request: Request, db: DB, viewer: Viewer, *, errors: list[str] | None = None,
                   values: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    kind_value = request.query_params.get("kind") or ""
    kind = MeetingKind(kind_value) if kind_value in {str(k) for k in MeetingKind} else None
    page = page_number(request.query_params)
    rows, total = sv.list_meetings(db, actor=viewer.actor, kind=kind, page=page)
    return _page(request, "supervision_meetings.html", viewer, status_code=status_code,
                 meetings=[present.meeting_out(m, actor=viewer.actor) for m in rows], kind=kind_value,
                 units=choices.handling_units(db),
                 pager=pager(request.query_params, "/supervision/meetings", total, page=page), errors=errors or [],
                 values=values or {}, can_create=viewer.role in sv.SUPERVISORS)


@router.get("/supervision/meetings")
def meetings_page(request: Request, db: DB, viewer: SupervisionViewer) -> HTMLResponse:
    return _meetings_page(request, db, viewer)


def _lines(value: str) -> list[str]:
    return [p.strip() for p in value.replace("，", "\n").replace(",", "\n").replace("、", "\n").splitlines()
            if p.strip()]


@router.post("/supervision/meetings", response_model=None)
def meetings_create(request: Request, form: CheckedForm, db: DB, rt: RT,
                    viewer: SupervisionViewer) -> HTMLResponse | RedirectResponse:
    values: dict[str, Any] = {k: text(form, k) for k in ("kind", "title", "topic", "held_at", "location", "host",
                                                         "attendees", "tickets")}
    values["unit_ids"] = [v for v in form.getlist("unit_ids") if isinstance(v, str) and is_id(v)]
    try:
        data = MeetingCreate.model_validate({
            "kind": values["kind"] or None, "title": values["title"], "topic": values["topic"],
            "held_at": local_datetime(values["held_at"]) if values["held_at"] else None,
            "location": values["location"] or None, "host": values["host"], "attendees": _lines(values["attendees"]),
            "unit_ids": [int(v) for v in values["unit_ids"]], "ticket_numbers": _lines(values["tickets"]),
        })
        meeting = sv.create_meeting(db, rt, actor=viewer.actor, data=data)
    except ValidationError as exc:
        return _meetings_page(request, db, viewer, errors=errors_of(exc, MEETING_LABELS), values=values,
                              status_code=422)
    except DomainError as exc:
        return _meetings_page(request, db, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    flash(request, f"已登记{MEETING_KIND_LABELS[MeetingKind(meeting.kind)]}「{meeting.title}」")
    return redirect(f"/supervision/meetings/{meeting.id}")


@router.get("/supervision/meetings/{meeting_id}")
def meeting_page(meeting_id: int, request: Request, db: DB, viewer: SupervisionViewer) -> HTMLResponse:
    meeting = sv.get_meeting(db, actor=viewer.actor, meeting_id=meeting_id)
    return _page(request, "supervision_meeting.html", viewer, m=present.meeting_out(meeting, actor=viewer.actor),
                 can_record=viewer.role in sv.SUPERVISORS)


@router.post("/supervision/meetings/{meeting_id}/outcome")
def meeting_outcome(meeting_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
                    viewer: SupervisionViewer) -> RedirectResponse:
    try:
        sv.record_outcome(db, rt, actor=viewer.actor, meeting_id=meeting_id, outcome=text(form, "outcome"),
                          follow_up=text(form, "follow_up"))
        flash(request, "已记录结果")
    except DomainError as exc:
        flash(request, exc.message, "error")
    return redirect(f"/supervision/meetings/{meeting_id}")


# ---- findings and the scheduler ----------------------------------------------------------------


@router.get("/supervision/findings")
def findings_page(request: Request, db: DB, viewer: SupervisionViewer) -> HTMLResponse:
    qp = request.query_params
    shown = {k: (qp.get(k) or "").strip()[:16] for k in ("unit", "kind", "from", "to")}
    for key in ("from", "to"):  # a date typed wrong was ignored: every finding listed as if for it (QA)
        if shown[key] and local_day_start(shown[key]) is None:
            raise DomainError("bad_date", f"日期格式应为 YYYY-MM-DD：{shown[key]}", status_code=422)
    since = local_day_start(shown["from"]) if shown["from"] else None
    until = local_day_start(shown["to"], next_day=True) if shown["to"] else None
    detection.check_range(since, local_day_start(shown["to"]) if shown["to"] else None)
    kind = FindingKind(shown["kind"]) if shown["kind"] in {str(k) for k in FindingKind} else None
    unit_id = int(shown["unit"]) if is_id(shown["unit"]) else None
    page = page_number(qp)
    rows, total = detection.findings_list(db, unit_id=unit_id, kind=kind, since=since, until=until, page=page,
                                          actor=viewer.actor)
    return _page(request, "supervision_findings.html", viewer, f=shown,
                 by_unit=detection.findings_by_unit(db, since=since, until=until, actor=viewer.actor),
                 findings=[present.finding_out(x) for x in rows], units=choices.handling_units(db),
                 kinds=[choices.Option(str(k), v) for k, v in FINDING_LABELS.items()],
                 pager=pager(qp, "/supervision/findings", total, page=page, page_size=50))


@router.get("/supervision/scheduler")
def scheduler_page(request: Request, db: DB, rt: RT, viewer: SupervisionViewer) -> HTMLResponse:
    settings = rt.settings
    scheduler = getattr(request.app.state, "scheduler", None)
    return _page(request, "supervision_scheduler.html", viewer, runs=sv.recent_runs(db, actor=viewer.actor),
                 embedded=embedded_enabled(settings), running=bool(scheduler and scheduler.running),
                 interval=settings.scheduler_interval_seconds, policy=sv.policy_of(rt),
                 can_run=sv.may_run_scheduler(viewer.actor))


@router.post("/supervision/scheduler/run")
def scheduler_run(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: SupervisionViewer) -> RedirectResponse:
    try:
        sv.require_scheduler_run(viewer.actor)
    except Forbidden as exc:
        flash(request, exc.message, "error")
        return redirect("/supervision/scheduler")
    db.rollback()  # end this request's transaction first: on SQLite it holds the write lock
    report = jobs.run_pass(request.app.state.session_factory, rt, mode="manual")
    counts = "，".join(f"{jobs.JOB_LABELS[k]} {v}" for k, v in report.counts.items())
    flash(request, f"已运行一次：{counts}" + ("；有错误，见运行记录" if report.errors else ""),
          "error" if report.errors else "ok")
    return redirect("/supervision/scheduler")


# ---- the inbox -------------------------------------------------------------------------------


@router.get("/notifications")
def inbox(request: Request, db: DB, viewer: InboxViewer) -> HTMLResponse:
    unread_only = request.query_params.get("unread") == "1"
    page = page_number(request.query_params)
    rows, total = sv.notifications(db, actor=viewer.actor, unread_only=unread_only, page=page)
    items = [present.notification_out(n, viewer.actor) for n in rows]  # masked as the ticket is for the viewer
    return _page(request, "notifications.html", viewer, items=items,
                 unread_only=unread_only, unread=sv.unread_count(db, actor=viewer.actor),
                 pager=pager(request.query_params, "/notifications", total, page=page))


@router.post("/notifications/read")
def inbox_read(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: InboxViewer) -> RedirectResponse:
    value = text(form, "id")
    n = sv.mark_read(db, rt, actor=viewer.actor, notification_id=int(value) if is_id(value) else None)
    flash(request, f"已标记 {n} 条消息为已读")
    return redirect("/notifications")
