"""The supervision API: a thin router — parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from hotline.deps import DB, RT, ApiActor, QueryTime, UnitWorkActor
from hotline.errors_http import route_labels
from hotline.security import audit
from hotline.supervision import detection, jobs, present, service
from hotline.supervision.enums import (
    FINDING_LABELS,
    MEETING_KIND_LABELS,
    ORDER_SOURCE_LABELS,
    ORDER_STATUS_LABELS,
    FindingKind,
    MeetingKind,
    OrderSource,
    OrderStatus,
)
from hotline.supervision.export import orders_workbook
from hotline.supervision.schemas import (
    CloseIn,
    EscalateIn,
    FindingOut,
    MeetingCreate,
    MeetingOut,
    NotificationOut,
    OrderCreate,
    OrderOut,
    OutcomeIn,
    RunOut,
    UnitFindingsOut,
)
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])
# Validation errors name the fields in Chinese (QA: a meeting's kind was "诉求类型", others English).
route_labels(router.prefix + "/findings", {"kind": "问题类型", "unit_id": "承办单位"},
             choices={"kind": {str(k): v for k, v in FINDING_LABELS.items()}})
route_labels(router.prefix + "/meetings", {
    "kind": "会议类型", "title": "会议标题", "topic": "议题", "held_at": "召开时间", "location": "地点",
    "host": "主持人", "unit_ids": "参会单位", "outcome": "会议结果", "follow_up": "后续跟踪事项"},
    choices={"kind": {str(k): v for k, v in MEETING_KIND_LABELS.items()}})
# The inbox's cursor before the prefix's own labels (the first that matches a path names its fields).
route_labels(router.prefix + "/notifications", {"since": "消息编号游标（since）", "limit": "每次条数（limit）",
                                                "up_to": "已处理到的消息编号（up_to）", "unread": "仅看未读"})
route_labels(router.prefix, {
    "status": "督办状态", "source": "督办来源", "unit_id": "承办单位", "overdue": "仅看超期", "unread": "仅看未读",
    "ticket_number": "工单编号", "ticket_id": "工单编号", "reason": "督办事由", "days": "督办时限（工作日）",
    "note": "升级说明", "outcome": "办结情况"},
    choices={"status": {str(k): v for k, v in ORDER_STATUS_LABELS.items()},
             "source": {str(k): v for k, v in ORDER_SOURCE_LABELS.items()}})
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PageNo = Annotated[int, Query(ge=1)]
PageSize = Annotated[int, Query(ge=1, le=200)]


def _filters(status: OrderStatus | None, source: OrderSource | None, unit_id: int | None, overdue: bool,
             q: str | None) -> service.OrderFilters:
    return service.OrderFilters(status=status, source=source, unit_id=unit_id, overdue=overdue, q=q)


@router.get("/orders", response_model=Page[OrderOut], summary="督办单列表")
def list_orders(db: DB, rt: RT, actor: ApiActor, status: OrderStatus | None = None,
                source: OrderSource | None = None, unit_id: int | None = None, overdue: bool = False,
                q: Annotated[str | None, Query(max_length=32)] = None,
                page: PageNo = 1, page_size: PageSize = 20) -> Page[OrderOut]:
    rows, total = service.list_orders(db, rt, actor=actor, filters=_filters(status, source, unit_id, overdue, q),
                                      page=page, page_size=page_size)
    now = rt.clock.now()
    return Page(items=[present.order_out(o, now=now) for o in rows], total=total, page=page, page_size=page_size)


@router.get("/orders.xlsx", summary="导出督办单（Excel）", response_class=Response)
def export_orders(db: DB, rt: RT, actor: ApiActor, status: OrderStatus | None = None,
                  source: OrderSource | None = None, unit_id: int | None = None, overdue: bool = False,
                  q: Annotated[str | None, Query(max_length=32)] = None) -> Response:
    # As the page's export (QA: the API's was not audited, dropped the search and cut at 10,000 silently).
    rows, total = service.list_orders(db, rt, actor=actor, filters=_filters(status, source, unit_id, overdue, q),
                                      page=1, page_size=10_000)
    now = rt.clock.now()
    audit.record(db, actor=actor, at=now, action="export_orders", object_type="supervision_order",
                 object_id=str(len(rows)), detail=f"共{total}张，导出{len(rows)}张")
    db.commit()
    body = orders_workbook([present.order_out(o, now=now) for o in rows], total=total)
    return Response(body, media_type=XLSX, headers={"Content-Disposition": "attachment; filename=orders.xlsx"})


@router.post("/orders", status_code=201, response_model=OrderOut, summary="人工下达督办单")
def create_order(data: OrderCreate, db: DB, rt: RT, actor: ApiActor) -> OrderOut:
    order = service.create_order(db, rt, actor=actor, data=data)
    return present.order_out(order, now=rt.clock.now(), with_escalations=True)


@router.get("/orders/{order_id}", response_model=OrderOut, summary="督办单详情")
def get_order(order_id: int, db: DB, rt: RT, actor: ApiActor) -> OrderOut:
    return present.order_out(service.get_order(db, actor=actor, order_id=order_id), now=rt.clock.now(),
                             with_escalations=True)


@router.post("/orders/{order_id}/escalate", response_model=OrderOut, summary="升级督办")
def escalate_order(order_id: int, data: EscalateIn, db: DB, rt: RT, actor: ApiActor) -> OrderOut:
    order = service.escalate_order(db, rt, actor=actor, order_id=order_id, note=data.note)
    return present.order_out(order, now=rt.clock.now(), with_escalations=True)


@router.post("/orders/{order_id}/close", response_model=OrderOut, summary="办结督办单")
def close_order(order_id: int, data: CloseIn, db: DB, rt: RT, actor: ApiActor) -> OrderOut:
    order = service.close_order(db, rt, actor=actor, order_id=order_id, outcome=data.outcome)
    return present.order_out(order, now=rt.clock.now(), with_escalations=True)


@router.get("/meetings", response_model=Page[MeetingOut], summary="专题协调会与约谈")
def list_meetings(db: DB, actor: ApiActor, kind: MeetingKind | None = None, page: PageNo = 1,
                  page_size: PageSize = 20) -> Page[MeetingOut]:
    rows, total = service.list_meetings(db, actor=actor, kind=kind, page=page, page_size=page_size)
    return Page(items=[present.meeting_out(m, actor=actor) for m in rows], total=total, page=page, page_size=page_size)


@router.post("/meetings", status_code=201, response_model=MeetingOut, summary="召集协调会或约谈")
def create_meeting(data: MeetingCreate, db: DB, rt: RT, actor: ApiActor) -> MeetingOut:
    return present.meeting_out(service.create_meeting(db, rt, actor=actor, data=data), actor=actor)


@router.get("/meetings/{meeting_id}", response_model=MeetingOut, summary="会议或约谈详情")
def get_meeting(meeting_id: int, db: DB, actor: ApiActor) -> MeetingOut:
    return present.meeting_out(service.get_meeting(db, actor=actor, meeting_id=meeting_id), actor=actor)


@router.post("/meetings/{meeting_id}/outcome", response_model=MeetingOut, summary="记录会议或约谈结果")
def record_outcome(meeting_id: int, data: OutcomeIn, db: DB, rt: RT, actor: ApiActor) -> MeetingOut:
    meeting = service.record_outcome(db, rt, actor=actor, meeting_id=meeting_id, outcome=data.outcome,
                                     follow_up=data.follow_up)
    return present.meeting_out(meeting, actor=actor)


@router.get("/findings", response_model=Page[FindingOut], summary="问题发现（不当退单、推诿扯皮、虚假答复）")
def list_findings(db: DB, actor: ApiActor, unit_id: int | None = None, kind: FindingKind | None = None,
                  since: QueryTime | None = None, until: QueryTime | None = None, page: PageNo = 1,
                  page_size: PageSize = 50) -> Page[FindingOut]:
    service.require(actor, service.READERS, "查看问题发现")
    detection.check_range(since, until)
    rows, total = detection.findings_list(db, unit_id=unit_id, kind=kind, since=since, until=until, page=page,
                                          page_size=page_size, actor=actor)
    return Page(items=[present.finding_out(f) for f in rows], total=total, page=page, page_size=page_size)


@router.get("/findings/by-unit", response_model=list[UnitFindingsOut], summary="各单位问题发现统计")
def findings_by_unit(db: DB, actor: ApiActor, since: QueryTime | None = None,
                     until: QueryTime | None = None) -> list[UnitFindingsOut]:
    service.require(actor, service.READERS, "查看问题发现")
    detection.check_range(since, until)
    return [UnitFindingsOut(unit_id=u.unit_id, unit_name=u.unit_name, counts=u.counts, total=u.total)
            for u in detection.findings_by_unit(db, since=since, until=until, actor=actor)]


@router.get("/notifications", response_model=Page[NotificationOut], summary="我的消息提醒")
def list_notifications(db: DB, actor: UnitWorkActor, unread: bool = False, page: PageNo = 1,
                       page_size: PageSize = 20) -> Page[NotificationOut]:
    rows, total = service.notifications(db, actor=actor, unread_only=unread, page=page, page_size=page_size)
    return Page(items=[present.notification_out(n, actor) for n in rows], total=total, page=page, page_size=page_size)


class NotificationFeedOut(BaseModel):
    items: list[NotificationOut] = Field(description="编号大于 since 的消息，按编号从小到大")
    next_since: int = Field(description="下次读取时传入的 since")
    has_more: bool = Field(description="true：还有已可读取的消息，请立即再次读取")


@router.get("/notifications/feed", response_model=NotificationFeedOut,
            summary="消息提醒增量读取（按消息编号游标轮询，部门业务系统等接入方使用）")
def notification_feed(db: DB, rt: RT, actor: UnitWorkActor,
                      since: Annotated[int, Query(description="上次读取返回的 next_since（首次读取用 0）")] = 0,
                      limit: Annotated[int, Query(description=f"每次最多条数（1–{service.FEED_MAX}）")] =
                      service.FEED_LIMIT,
                      unread: bool = False) -> NotificationFeedOut:
    feed = service.notification_feed(db, rt, actor=actor, since=since, limit=limit, unread_only=unread)
    return NotificationFeedOut(items=[present.notification_out(n, actor) for n in feed.items],
                               next_since=feed.next_since, has_more=feed.has_more)


@router.post("/notifications/{notification_id}/read", summary="标记消息已读")
def read_notification(notification_id: int, db: DB, rt: RT, actor: UnitWorkActor) -> dict[str, int]:
    return {"marked": service.mark_read(db, rt, actor=actor, notification_id=notification_id)}


@router.post("/notifications/read-all", summary="全部标记已读（或只标记编号不大于 up_to 的消息）")
def read_all(db: DB, rt: RT, actor: UnitWorkActor,
             up_to: Annotated[int | None, Query(ge=0, description="只标记编号不大于此数的消息（已处理到的编号）")]
             = None) -> dict[str, int]:
    return {"marked": service.mark_read(db, rt, actor=actor, up_to=up_to)}


@router.get("/scheduler/runs", response_model=list[RunOut], summary="督办调度运行记录")
def scheduler_runs(db: DB, actor: ApiActor, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[RunOut]:
    return [present.run_out(r) for r in service.recent_runs(db, actor=actor, limit=limit)]


@router.post("/scheduler/run", response_model=RunOut, summary="立即运行一次督办调度")
def run_now(request: Request, db: DB, rt: RT, actor: ApiActor) -> RunOut:
    service.require_scheduler_run(actor)
    db.rollback()  # end this request's transaction first: on SQLite it holds the write lock
    report = jobs.run_pass(request.app.state.session_factory, rt, mode="manual")
    run = db.get(jobs.SchedulerRun, report.run_id)
    assert run is not None
    return present.run_out(run)
