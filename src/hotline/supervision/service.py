"""Supervision use cases for people: manual orders, escalation and closing, meetings and interviews,
the notification inbox, and the reads behind the pages. Each public function owns its transaction;
every change a supervisor makes is written to the audit log in that transaction (谁使用、谁负责)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hotline.errors import DomainError, Forbidden, NotFound
from hotline.org.models import Unit
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import can_view, ensure_can_view, visible_condition
from hotline.security.roles import UNIT_ROLES, DataScope, Role
from hotline.supervision import jobs
from hotline.supervision.enums import (
    MEETING_FIELDS,
    MEETING_KIND_LABELS,
    MEETING_NEEDS_UNITS,
    Audience,
    MeetingKind,
    MeetingStatus,
    NotificationKind,
    OrderSource,
    OrderStatus,
)
from hotline.supervision.models import (
    Meeting,
    MeetingTicket,
    MeetingUnit,
    Notification,
    SchedulerRun,
    SupervisionOrder,
)
from hotline.supervision.policy import SupervisionPolicy, load_supervision_policy
from hotline.supervision.schemas import MeetingCreate, OrderCreate
from hotline.supervision.timeline import notify
from hotline.tickets import workflow
from hotline.tickets.enums import Action, AssignmentRole
from hotline.tickets.models import Ticket

SUPERVISORS = frozenset({Role.SUPERVISOR})
READERS = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.ANALYST, Role.ADMIN})


def policy_of(rt: Runtime) -> SupervisionPolicy:
    return load_supervision_policy(rt.settings.supervision_policy)


def require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise Forbidden("role_forbidden", f"当前角色无权{what}")


def may_run_scheduler(actor: Actor) -> bool:
    """A pass reminds, orders and escalates across the whole city: whole-city supervisors and
    administrators run one by hand (QA: a district's supervisor could, acting on every district)."""
    return actor.role == Role.ADMIN or (actor.role in SUPERVISORS and actor.data_scope == DataScope.ALL)


def require_scheduler_run(actor: Actor) -> None:
    require(actor, SUPERVISORS | {Role.ADMIN}, "手动运行督办调度")
    if not may_run_scheduler(actor):
        raise Forbidden("scope_forbidden", "督办调度对全市的工单运行，须由全市范围的督办员或系统管理员手动运行")


def _ticket(db: Session, *, ticket_id: int | None = None, number: str | None = None) -> Ticket:
    if ticket_id is None and number:
        ticket_id = db.execute(select(Ticket.id).where(Ticket.number == number.strip().upper())).scalar_one_or_none()
    ticket = db.get(Ticket, ticket_id) if ticket_id else None
    if ticket is None:
        raise NotFound("ticket_not_found", f"工单 {number or ticket_id} 不存在")
    return ticket


def _visible_ticket(db: Session, actor: Actor, number: str) -> Ticket:
    """A ticket named by number, if the actor may see it: one outside its scope reads as missing (a
    district's supervisor linking another district's ticket learnt its title)."""
    ticket = _ticket(db, number=number)
    if not can_view(actor, ticket):
        raise NotFound("ticket_not_found", f"工单 {number} 不存在")
    return ticket


# ---- orders ------------------------------------------------------------------------------------


def create_order(db: Session, rt: Runtime, *, actor: Actor, data: OrderCreate,
                 before_commit: Callable[[Session, Ticket], None] | None = None) -> SupervisionOrder:
    """人工督办: a supervisor issues an order on a ticket at a unit (the 督办 action's rules apply);
    `before_commit` adds to the transaction (the action API's Idempotency-Key, tickets.service.act_once)."""
    policy = policy_of(rt)
    now = rt.clock.now()
    try:
        ticket = _ticket(db, ticket_id=data.ticket_id, number=data.ticket_number)
        ensure_can_view(actor, ticket)
        workflow.check(workflow.Context(ticket=ticket, actor=actor, now=now, policy=rt.policy,
                                        params={"note": data.reason}), Action.SUPERVISE)
        lead = next((a for a in ticket.assignments if a.is_open and a.role == AssignmentRole.LEAD), None)
        if lead is None:
            raise DomainError("no_lead_unit", "该工单当前没有承办单位，无法督办")
        open_order = db.execute(select(SupervisionOrder).where(
            SupervisionOrder.ticket_id == ticket.id, SupervisionOrder.status == OrderStatus.OPEN).limit(1)).scalar()
        if open_order is not None:  # two open orders on one ticket: two deadlines, two escalation ladders
            raise DomainError("order_already_open", f"该工单已有督办中的督办单 {open_order.number}："
                                                    "请在该督办单上升级或催办", status_code=409)
        due = None
        if data.days:
            from hotline.clock import add_working_days
            due = add_working_days(now, data.days)
        item = jobs.OrderItem(ticket_id=ticket.id, number=ticket.number, state=ticket.state, unit_id=lead.unit_id,
                              assignment_id=lead.id, reason=data.reason.strip(), source=OrderSource.MANUAL,
                              dedupe_key=None, ticket_due_at=ticket.due_at, due_at=due)
        created = jobs.issue_orders(db, policy=policy, now=now, actor=actor, items=[item])
        if not created:
            raise DomainError("ticket_moved_on", "工单状态已变化，请刷新后重试", status_code=409)
        order_id = created[0]
        audit.record(db, actor=actor, at=now, action="supervision_order_create", object_type="supervision_order",
                     object_id=order_id, detail=f"{ticket.number}：{data.reason.strip()}")
        if before_commit is not None:
            before_commit(db, ticket)
        db.commit()
    except Exception:
        db.rollback()
        raise
    return get_order(db, actor=actor, order_id=order_id)


def supervise_ticket(db: Session, rt: Runtime, *, actor: Actor, ticket_id: int, note: str | None,
                     before_commit: Callable[[Session, Ticket], None] | None = None) -> SupervisionOrder:
    """督办 from the ticket (its page, the ticket API's action): always as a 督办单 with its deadline and
    escalation, never a bare history line that the supervision lists would not know of."""
    # Not validated here: create_order's workflow check answers a missing or short note in Chinese.
    data = OrderCreate.model_construct(ticket_id=ticket_id, ticket_number=None, reason=(note or "").strip(),
                                       days=None)
    return create_order(db, rt, actor=actor, data=data, before_commit=before_commit)


def get_order(db: Session, *, actor: Actor, order_id: int) -> SupervisionOrder:
    order = db.get(SupervisionOrder, order_id, populate_existing=True)
    if order is None:
        raise NotFound("order_not_found", "督办单不存在")
    if actor.role in UNIT_ROLES:
        if order.unit_id != actor.unit_id:
            raise Forbidden("order_forbidden", "无权查看其他单位的督办单")
    else:
        require(actor, READERS, "查看督办单")
        ensure_can_view(actor, order.ticket)
    return order


def escalate_order(db: Session, rt: Runtime, *, actor: Actor, order_id: int, note: str) -> SupervisionOrder:
    require(actor, SUPERVISORS, "升级督办单")
    if len(note.strip()) < 2:
        raise DomainError("note_required", "请填写升级督办意见（至少2个字）", status_code=422)
    policy = policy_of(rt)
    now = rt.clock.now()
    try:
        order = get_order(db, actor=actor, order_id=order_id)
        if order.status != OrderStatus.OPEN:
            raise DomainError("order_closed", "督办单已办结，不能升级", status_code=409)
        if order.level >= policy.top_level:
            raise DomainError("order_top_level", f"督办单已是最高级（第{policy.top_level}级），不能再升级",
                              status_code=409)
        level = order.level
        if not jobs.escalate(db, policy=policy, now=now, actor=actor,
                             rows=jobs.escalation_rows(db, order.id), note=note.strip()):
            raise DomainError("order_changed", "督办单已被他人或系统升级，请刷新后查看", status_code=409)
        audit.record(db, actor=actor, at=now, action="supervision_order_escalate", object_type="supervision_order",
                     object_id=order.id, detail=f"第{level}级→第{level + 1}级：{note.strip()}")
        db.commit()
    except Exception:
        db.rollback()
        raise
    return get_order(db, actor=actor, order_id=order_id)


def close_order(db: Session, rt: Runtime, *, actor: Actor, order_id: int, outcome: str) -> SupervisionOrder:
    require(actor, SUPERVISORS, "办结督办单")
    now = rt.clock.now()
    try:
        order = get_order(db, actor=actor, order_id=order_id)
        if order.status == OrderStatus.CLOSED:  # said first: a short outcome for a closed order is beside the point
            raise DomainError("order_closed", "督办单已办结", status_code=409)
        if len(outcome.strip()) < 5:
            raise DomainError("outcome_required", "请填写督办结果（至少5个字）", status_code=422)
        if not jobs.close(db, now=now, order_id=order.id, by=actor.name, outcome=outcome.strip()):
            raise DomainError("order_closed", "督办单已办结", status_code=409)
        audit.record(db, actor=actor, at=now, action="supervision_order_close", object_type="supervision_order",
                     object_id=order.id, detail=outcome.strip())
        db.commit()
    except Exception:
        db.rollback()
        raise
    return get_order(db, actor=actor, order_id=order_id)


@dataclass
class OrderFilters:
    status: OrderStatus | None = None
    source: OrderSource | None = None
    unit_id: int | None = None
    overdue: bool = False
    q: str | None = None


def list_orders(db: Session, rt: Runtime, *, actor: Actor, filters: OrderFilters, page: int = 1,
                page_size: int = 20) -> tuple[list[SupervisionOrder], int]:
    """Orders the actor may see (a unit: its own; the centre: within its data scope), newest first."""
    if actor.role in UNIT_ROLES:
        conds: list[Any] = [SupervisionOrder.unit_id == actor.unit_id]
    else:
        require(actor, READERS, "查看督办单")
        conds = [visible_condition(actor)]
    if filters.status:
        conds.append(SupervisionOrder.status == str(filters.status))
    if filters.source:
        conds.append(SupervisionOrder.source == str(filters.source))
    if filters.unit_id:
        conds.append(SupervisionOrder.unit_id == filters.unit_id)
    if filters.overdue:
        conds += [SupervisionOrder.status == str(OrderStatus.OPEN), SupervisionOrder.due_at < rt.clock.now()]
    if filters.q:
        # a ticket number (whole or in part, any width or case), or the order's own number DB-000019
        text = unicodedata.normalize("NFKC", filters.q).strip().upper()
        own = re.fullmatch(r"DB-?0*(\d{1,9})", text)
        conds.append(SupervisionOrder.id == int(own[1]) if own
                     else Ticket.number.contains(text, autoescape=True))
    base = select(SupervisionOrder.id).join(Ticket, Ticket.id == SupervisionOrder.ticket_id).where(*conds)
    total = db.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    page_size = max(1, min(page_size, 10_000))
    ids = list(db.execute(base.order_by(SupervisionOrder.id.desc()).limit(page_size)
                          .offset((max(page, 1) - 1) * page_size)).scalars())
    if not ids:
        return [], total
    rows = db.execute(select(SupervisionOrder).where(SupervisionOrder.id.in_(ids))
                      .order_by(SupervisionOrder.id.desc())).unique().scalars()
    return list(rows), total


def order_counts(db: Session, rt: Runtime, *, actor: Actor) -> dict[str, int]:
    now = rt.clock.now()
    conds = [visible_condition(actor), SupervisionOrder.status == str(OrderStatus.OPEN)]
    base = select(func.count(SupervisionOrder.id)).join(Ticket, Ticket.id == SupervisionOrder.ticket_id)
    return {
        "open": db.execute(base.where(*conds)).scalar_one(),
        "overdue": db.execute(base.where(*conds, SupervisionOrder.due_at < now)).scalar_one(),
        "escalated": db.execute(base.where(*conds, SupervisionOrder.level > 1)).scalar_one(),
    }


# ---- meetings and interviews -----------------------------------------------------------------


def create_meeting(db: Session, rt: Runtime, *, actor: Actor, data: MeetingCreate) -> Meeting:
    """专题协调会 / 约谈: recorded with attendees, the units concerned and the linked tickets; each unit
    concerned is notified."""
    require(actor, SUPERVISORS, "召集协调会或约谈")
    now = rt.clock.now()
    try:
        units = [db.get(Unit, uid) for uid in dict.fromkeys(data.unit_ids)]
        if any(u is None for u in units):
            raise DomainError("unknown_unit", "所选单位不存在", status_code=422)
        if data.kind in MEETING_NEEDS_UNITS and not units:
            code = "interview_unit_required" if data.kind == MeetingKind.INTERVIEW else "meeting_unit_required"
            raise DomainError(code, MEETING_NEEDS_UNITS[data.kind], status_code=422)
        numbers = dict.fromkeys(n.strip().upper() for n in data.ticket_numbers if n.strip())
        tickets = [_visible_ticket(db, actor, n) for n in numbers]
        meeting = Meeting(kind=str(data.kind), status=str(MeetingStatus.SCHEDULED), title=data.title.strip(),
                          topic=data.topic.strip(), held_at=data.held_at, location=data.location,
                          host=data.host.strip(),
                          attendees=[a.strip() for a in data.attendees if a.strip()], created_at=now,
                          created_by_id=actor.user_id, created_by_name=actor.name)
        db.add(meeting)
        db.flush()
        for u in units:
            assert u is not None
            db.add(MeetingUnit(meeting_id=meeting.id, unit_id=u.id))
            notify(db, unit_id=u.id, audience=Audience.MANAGER, kind=NotificationKind.MEETING, at=now,
                   title=f"【{MEETING_KIND_LABELS[data.kind]}】{meeting.title}", body=_meeting_notice(meeting),
                   meeting_id=meeting.id)
        for t in tickets:
            db.add(MeetingTicket(meeting_id=meeting.id, ticket_id=t.id))
        audit.record(db, actor=actor, at=now, action="supervision_meeting_create", object_type="supervision_meeting",
                     object_id=meeting.id, detail=f"{MEETING_KIND_LABELS[data.kind]}：{meeting.title}"
                     f"（单位 {len(units)} 个，工单 {len(tickets)} 件）")
        db.commit()
    except Exception:
        db.rollback()
        raise
    return get_meeting(db, actor=actor, meeting_id=meeting.id)


def _meeting_notice(meeting: Meeting) -> str:
    """What a unit named in the record is told, in the words of its kind."""
    kind = MeetingKind(meeting.kind)
    words = MEETING_FIELDS[kind]
    when = jobs.short_time(meeting.held_at)
    if kind in (MeetingKind.COORDINATION, MeetingKind.INTERVIEW):
        return f"时间：{when}；地点：{meeting.location or '另行通知'}；主持：{meeting.host}"
    ask = "请按通报要求整改并反馈整改情况" if kind == MeetingKind.CIRCULAR else "处理结果由移送机关反馈"
    reference = f"；{words['location']}：{meeting.location}" if meeting.location else ""
    return f"{words['held_at']}：{when}{reference}；{words['host']}：{meeting.host}。{ask}"


def record_outcome(db: Session, rt: Runtime, *, actor: Actor, meeting_id: int, outcome: str,
                   follow_up: str | None) -> Meeting:
    require(actor, SUPERVISORS, "记录会议结果")
    if len(outcome.strip()) < 5:
        kind = db.execute(select(Meeting.kind).where(Meeting.id == meeting_id)).scalar()
        what = MEETING_FIELDS[MeetingKind(kind)]["outcome"] if kind else "会议或约谈结果"
        raise DomainError("outcome_required", f"请填写{what}（至少5个字）", status_code=422)
    try:
        meeting = get_meeting(db, actor=actor, meeting_id=meeting_id)
        meeting.outcome = outcome.strip()
        meeting.follow_up = (follow_up or "").strip() or None
        meeting.status = str(MeetingStatus.CONCLUDED)
        meeting.concluded_at = rt.clock.now()
        audit.record(db, actor=actor, at=meeting.concluded_at, action="supervision_meeting_outcome",
                     object_type="supervision_meeting", object_id=meeting.id, detail=meeting.outcome)
        db.commit()
    except Exception:
        db.rollback()
        raise
    return meeting


def get_meeting(db: Session, *, actor: Actor, meeting_id: int) -> Meeting:
    require(actor, READERS, "查看协调会与约谈")
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound("meeting_not_found", "会议或约谈记录不存在")
    return meeting


def list_meetings(db: Session, *, actor: Actor, kind: MeetingKind | None = None, page: int = 1,
                  page_size: int = 20) -> tuple[list[Meeting], int]:
    require(actor, READERS, "查看协调会与约谈")
    conds = [Meeting.kind == str(kind)] if kind else []
    total = db.execute(select(func.count(Meeting.id)).where(*conds)).scalar_one()
    rows = db.execute(select(Meeting).where(*conds).order_by(Meeting.held_at.desc(), Meeting.id.desc())
                      .limit(page_size).offset((max(page, 1) - 1) * page_size))
    return list(rows.scalars()), total


# ---- notifications -----------------------------------------------------------------------------


def _inbox(actor: Actor) -> list[Any]:
    """A handler sees its unit's messages; a manager also those for managers and its unit's leadership;
    the centre's staff see the centre's inbox (unit NULL)."""
    if actor.role == Role.UNIT_HANDLER:
        return [Notification.unit_id == actor.unit_id, Notification.audience == str(Audience.UNIT)]
    if actor.role == Role.UNIT_MANAGER:
        return [Notification.unit_id == actor.unit_id]
    if actor.role == Role.KNOWLEDGE_EDITOR:  # its unit's (an article about to expire, an error report)
        return [Notification.unit_id == actor.unit_id]
    if actor.role == Role.UNIT_SYSTEM:  # 部门业务系统: its unit's messages about tickets, whoever they address
        return [Notification.unit_id == actor.unit_id, Notification.ticket_id.is_not(None)]
    if actor.role in READERS:
        conds = [or_(Notification.unit_id.is_(None), Notification.unit_id == actor.unit_id)]
        if not (actor.role == Role.SUPERVISOR and actor.data_scope == DataScope.ALL):  # who read the audit log,
            # and who review the whole city's 回头看 list
            conds.append(Notification.audience.not_in([str(Audience.REVIEWERS), str(Audience.SUPERVISORS)]))
        if actor.data_scope != DataScope.ALL:  # a district's supervisor: the centre's messages about its tickets
            conds.append(or_(Notification.ticket_id.is_(None),
                             Notification.ticket_id.in_(select(Ticket.id).where(visible_condition(actor)))))
        return conds
    raise Forbidden("role_forbidden", "当前角色没有消息提醒")


def notifications(db: Session, *, actor: Actor, unread_only: bool = False, page: int = 1,
                  page_size: int = 20) -> tuple[list[Notification], int]:
    conds = _inbox(actor)
    if unread_only:
        conds.append(Notification.read_at.is_(None))
    total = db.execute(select(func.count(Notification.id)).where(*conds)).scalar_one()
    rows = db.execute(select(Notification).where(*conds).order_by(Notification.id.desc()).limit(page_size)
                      .offset((max(page, 1) - 1) * page_size))
    return list(rows.unique().scalars()), total


def unread_count(db: Session, *, actor: Actor) -> int:
    try:
        conds = _inbox(actor)
    except Forbidden:
        return 0
    return db.execute(select(func.count(Notification.id)).where(*conds, Notification.read_at.is_(None))).scalar_one()


FEED_LIMIT, FEED_MAX = 50, 200


@dataclass(frozen=True)
class NotificationFeed:
    items: list[Notification]
    next_since: int  # the cursor to send next time
    has_more: bool  # more messages are ready now: ask again at once


def notification_feed(db: Session, rt: Runtime, *, actor: Actor, since: int = 0, limit: int = FEED_LIMIT,
                      unread_only: bool = False) -> NotificationFeed:
    """The inbox's messages after message number `since`, oldest first: what a system polls (部门业务系统).

    As the data-sharing feed reads ticket events (sharing.feed.ready_until): only messages written at least
    FEED_LAG ago, stopping before the first newer one of any inbox, so the cursor never passes a message
    still being written; without more to read, it moves up to that bound, past other inboxes' messages."""
    from hotline.sharing.feed import ready_until  # sharing reads tickets' presentation: import at call time

    if since < 0:
        raise DomainError("cursor_invalid", "since 须为不小于 0 的消息编号（首次读取用 0）", status_code=422)
    if not 1 <= limit <= FEED_MAX:
        raise DomainError("limit_invalid", f"limit 须在 1 到 {FEED_MAX} 之间", status_code=422)
    conds = _inbox(actor)
    if unread_only:
        conds.append(Notification.read_at.is_(None))
    upper = ready_until(db, now=rt.clock.now(), after=since, id_col=Notification.id, at_col=Notification.created_at)
    rows = list(db.execute(select(Notification).where(*conds, Notification.id > since, Notification.id <= upper)
                           .order_by(Notification.id).limit(limit + 1)).unique().scalars())
    has_more = len(rows) > limit
    rows = rows[:limit]
    return NotificationFeed(items=rows, next_since=rows[-1].id if has_more else max(upper, since), has_more=has_more)


def mark_read(db: Session, rt: Runtime, *, actor: Actor, notification_id: int | None = None,
              up_to: int | None = None) -> int:
    """Mark one message (or the whole inbox, or its messages up to number `up_to`) read; how many were marked."""
    conds = [*_inbox(actor), Notification.read_at.is_(None)]
    if notification_id is not None:
        conds.append(Notification.id == notification_id)
    if up_to is not None:
        conds.append(Notification.id <= up_to)
    try:
        n = db.execute(update(Notification).where(*conds).values(read_at=rt.clock.now(), read_by_name=actor.name)
                       .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        db.commit()
    except Exception:
        db.rollback()
        raise
    return int(n)


# ---- the scheduler's log ---------------------------------------------------------------------


def recent_runs(db: Session, *, actor: Actor, limit: int = 20) -> list[SchedulerRun]:
    require(actor, READERS, "查看调度运行记录")
    return list(db.execute(select(SchedulerRun).order_by(SchedulerRun.id.desc()).limit(limit)).scalars())


def last_run(db: Session) -> SchedulerRun | None:
    return db.execute(select(SchedulerRun).order_by(SchedulerRun.id.desc()).limit(1)).scalar_one_or_none()
