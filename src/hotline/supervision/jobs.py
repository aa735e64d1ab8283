"""The scheduler's jobs: reminders before a deadline, supervision orders after it, escalation of
orders past their own deadline, closing orders whose ticket has moved on, and detection; beside them
the assessment refresh and, once a local day, the blacklist's candidate rules.

Each job reads candidates in keyset batches (bounded by the policy's batch_size × max_batches), writes
each item as: insert the keyed row (ON CONFLICT DO NOTHING) → guarded counter update on the ticket →
history event and notification; one commit per batch. A duplicate insert or a ticket that moved on
writes nothing, so two workers, or a re-run after a crash, never create anything twice."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from hotline.clock import to_local
from hotline.org.models import Unit
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.supervision import detection
from hotline.supervision.enums import Audience, NotificationKind, OrderSource, OrderStatus
from hotline.supervision.models import DailyJob, OrderEscalation, Reminder, SchedulerRun, SupervisionOrder
from hotline.supervision.policy import ReminderStep, SupervisionPolicy, load_supervision_policy
from hotline.supervision.timeline import (
    SYSTEM_NAME,
    add_rows,
    bump_tickets,
    event_row,
    notification_row,
    system_actor,
)
from hotline.supervision.upsert import insert_many_new, insert_new
from hotline.tickets.deadlines import LONGEST_BREAK
from hotline.tickets.enums import Action, AssignmentRole, AssignmentStatus, State
from hotline.tickets.models import Ticket, TicketAssignment

log = logging.getLogger(__name__)
RUNNING = (str(State.DISPATCHED), str(State.HANDLING))
# An order stays open while the ticket is at a unit or its return is under review.
ORDER_LIVE = (*RUNNING, str(State.RETURN_REVIEW))
SessionFactory = sessionmaker[Session]
RUN_LOG_DAYS = 30


def short_time(at: datetime | None) -> str:
    return to_local(at).strftime("%m月%d日 %H:%M") if at else "—"


@dataclass
class JobResult:
    created: int = 0
    batches: int = 0
    truncated: bool = False


@dataclass
class PassReport:
    run_id: int | None
    counts: dict[str, int] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    job_ms: dict[str, int] = field(default_factory=dict)
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _batches(sf: SessionFactory, policy: SupervisionPolicy,
             step: Callable[[Session, Any], tuple[int, Any]]) -> JobResult:
    """Run `step(db, cursor) -> (created, next cursor or None when done)` batch by batch, one commit
    each; the first cursor is None (keyset pagination: no OFFSET, no rescans)."""
    result = JobResult()
    after: Any = None
    while True:
        with sf() as db:
            try:
                created, last = step(db, after)
                db.commit()
            except Exception:
                db.rollback()
                raise
        result.created += created
        result.batches += 1
        if last is None:
            return result
        after = last
        if result.batches >= policy.max_batches:
            result.truncated = True
            return result


# ---- reminders -------------------------------------------------------------------------------


def send_reminders(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """临期催办: each open, unanswered assignment of a running ticket past its warning time gets each
    reminder step once per deadline, while the deadline has not yet passed."""
    now = rt.clock.now()
    steps = policy.reminders
    if not steps:
        return JobResult()
    # warn_at is never more than the policy's warning window (and the days off before the deadline's
    # day) before the deadline: the candidates are a short range of the tickets' (state, due_at) index,
    # not every running ticket.
    horizon = now + timedelta(hours=rt.policy.warn_before_hours) + LONGEST_BREAK
    window = [Ticket.state.in_(RUNNING), Ticket.due_at >= now, Ticket.due_at <= horizon, Ticket.warn_at <= now]
    cap = policy.batch_size * policy.max_batches
    # One read of the candidates and of the reminders they already have (not one per batch: most
    # candidates wait for a later step, and re-reading them per batch is what costs).
    with sf() as db:
        rows: Sequence[Any] = db.execute(
            select(TicketAssignment.id, TicketAssignment.unit_id, Ticket.id, Ticket.number, Ticket.state,
                   Ticket.due_at, Ticket.warn_at, Ticket.dispatched_at)
            .join(Ticket, Ticket.id == TicketAssignment.ticket_id)
            .where(TicketAssignment.is_open.is_(True),
                   TicketAssignment.status.in_([str(AssignmentStatus.PENDING), str(AssignmentStatus.ACKNOWLEDGED)]),
                   *window)
            .order_by(Ticket.due_at, TicketAssignment.id).limit(cap)
        ).all()
        done = {tuple(r) for r in db.execute(
            select(Reminder.assignment_id, Reminder.step, Reminder.due_at)
            .join(Ticket, Ticket.id == Reminder.ticket_id).where(*window, Reminder.due_at == Ticket.due_at)
        ).all()}
        db.rollback()
    due_now = [
        (row, s) for row in rows for s in steps
        if (row[0], s.key, row[5]) not in done
        and s.fires_at(dispatched_at=row[7], due_at=row[5], warn_at=row[6]) <= now
    ]
    result = _in_batches(sf, policy, due_now, lambda db, chunk: _remind_many(db, now=now, items=chunk))
    result.truncated = len(rows) == cap
    return result


def _in_batches(sf: SessionFactory, policy: SupervisionPolicy, items: Sequence[Any],
                process: Callable[[Session, list[Any]], int]) -> JobResult:
    """Process `items` in batches of batch_size, one transaction each."""
    result = JobResult()
    for start in range(0, len(items), policy.batch_size):
        with sf() as db:
            try:
                result.created += process(db, list(items[start:start + policy.batch_size]))
                db.commit()
            except Exception:
                db.rollback()
                raise
        result.batches += 1
    return result


def _remind_many(db: Session, *, now: datetime, items: list[tuple[Any, ReminderStep]]) -> int:
    """One batch of reminders in a handful of statements: insert the keyed rows (existing ones are
    skipped), count them on their tickets — only tickets still running with the same deadline —,
    drop the rows of tickets that moved on, then the history events and notifications."""
    if not items:
        return 0
    values = [dict(ticket_id=row[2], assignment_id=row[0], unit_id=row[1], step=s.key, audience=str(s.audience),
                   due_at=row[5], created_at=now) for row, s in items]
    new = insert_many_new(db, Reminder, values, conflict=["assignment_id", "step", "due_at"],
                          returning=[Reminder.id, Reminder.assignment_id, Reminder.step])
    if not new:
        return 0
    ids = {(aid, key): rid for rid, aid, key in new}
    fresh = [(row, s, ids[(row[0], s.key)]) for row, s in items if (row[0], s.key) in ids]
    increments: dict[int, int] = {}
    for row, _s, _rid in fresh:
        increments[row[2]] = increments.get(row[2], 0) + 1
    bumped = bump_tickets(db, column="remind_count", increments=increments, running_states=RUNNING,
                          deadlines={row[2]: row[5] for row, _s, _rid in fresh})
    stale = [rid for row, _s, rid in fresh if row[2] not in bumped]
    if stale:
        db.execute(delete(Reminder).where(Reminder.id.in_(stale)))
    events, notes = [], []
    for (_aid, unit_id, ticket_id, number, state, due_at, _warn, _disp), s, rid in fresh:
        if ticket_id not in bumped:
            continue
        who = "请单位负责人督促" if s.audience == Audience.MANAGER else "请抓紧办理"
        note = f"系统自动催办（{s.label}）：工单将于{short_time(due_at)}到期，{who}"
        events.append(event_row(ticket_id=ticket_id, state=state, action=Action.REMIND, actor=system_actor(), at=now,
                                unit_id=unit_id, note=note, data={"auto": True, "step": s.key,
                                                                  "audience": str(s.audience), "reminder_id": rid}))
        notes.append(notification_row(unit_id=unit_id, audience=s.audience, kind=NotificationKind.REMINDER, at=now,
                                      title=f"【{s.label}】工单 {number} 将于{short_time(due_at)}到期", body=note,
                                      ticket_id=ticket_id))
    add_rows(db, events, notes)
    return len(events)


# ---- acknowledgements (签收) ------------------------------------------------------------------

# The Reminder rows' steps: one of each per (lead assignment, acknowledgement deadline).
ACK_WARN_STEP = "ack_warning"  # 即将签收超时: the deadline is near
ACK_STEP = "ack_overdue"  # 签收超时: the deadline has passed


def warn_acknowledgements(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """即将签收超时: a lead unit that has not acknowledged (签收) its ticket by the warning time
    (tickets.ack_warn_at) is told once per acknowledgement deadline, while that deadline has not passed
    (after it, remind_late_acknowledgements speaks) — as the handling deadline's 临期提醒 is."""
    now = rt.clock.now()
    return _ack_job(sf, policy, now=now, step=ACK_WARN_STEP,
                    window=[Ticket.ack_warn_at <= now, Ticket.ack_due_at >= now])


def remind_late_acknowledgements(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """签收超时: a lead unit that has not acknowledged (签收) its ticket by the acknowledgement deadline
    (tickets.ack_due_at) is told once per deadline — a `remind` event by the system, remind_count + 1 and
    a notice in the unit's inbox. A reassignment or reopening brings a new deadline, which gets its own."""
    now = rt.clock.now()
    return _ack_job(sf, policy, now=now, step=ACK_STEP, window=[Ticket.ack_due_at < now])


def _ack_job(sf: SessionFactory, policy: SupervisionPolicy, *, now: datetime, step: str,
             window: list[Any]) -> JobResult:
    """The lead assignments still waiting for acknowledgement inside `window`, not yet told of `step`
    for the ticket's current acknowledgement deadline, each told once."""
    told = (
        select(Reminder.id)
        .where(Reminder.assignment_id == TicketAssignment.id, Reminder.step == step,
               Reminder.due_at == Ticket.ack_due_at)
        .exists()
    )
    cap = policy.batch_size * policy.max_batches
    with sf() as db:
        # Dispatched tickets are few (those waiting for a unit to take them): a short range of the
        # tickets' (state, due_at) index.
        rows: Sequence[Any] = db.execute(
            select(TicketAssignment.id, TicketAssignment.unit_id, Ticket.id, Ticket.number, Ticket.state,
                   Ticket.ack_due_at)
            .join(Ticket, Ticket.id == TicketAssignment.ticket_id)
            .where(Ticket.state == str(State.DISPATCHED), *window,
                   TicketAssignment.is_open.is_(True), TicketAssignment.role == str(AssignmentRole.LEAD),
                   TicketAssignment.status == str(AssignmentStatus.PENDING), ~told)
            .order_by(Ticket.ack_due_at, TicketAssignment.id).limit(cap)
        ).all()
        db.rollback()
    result = _in_batches(sf, policy, rows, lambda db, chunk: _remind_ack(db, now=now, rows=chunk, step=step))
    result.truncated = len(rows) == cap
    return result


def _ack_texts(step: str, number: str, ack_due_at: datetime) -> tuple[str, str]:
    """The history note and the inbox title of an acknowledgement notice."""
    due = short_time(ack_due_at)
    if step == ACK_WARN_STEP:
        return (f"系统自动催办（即将签收超时）：工单将于{due}超过签收时限，请尽快签收",
                f"【即将签收超时】工单 {number} 将于{due}超过签收时限，请尽快签收")
    return (f"系统自动催办（签收超时）：工单已超过签收时限（{due}）仍未签收，请尽快签收办理",
            f"【签收超时】工单 {number} 已超过签收时限（{due}），请尽快签收")


def _remind_ack(db: Session, *, now: datetime, rows: list[Any], step: str) -> int:
    """One batch, as _remind_many: keyed rows first, then only tickets still waiting with that deadline."""
    values = [dict(ticket_id=r[2], assignment_id=r[0], unit_id=r[1], step=step, audience=str(Audience.UNIT),
                   due_at=r[5], created_at=now) for r in rows]
    new = insert_many_new(db, Reminder, values, conflict=["assignment_id", "step", "due_at"],
                          returning=[Reminder.id, Reminder.assignment_id])
    if not new:
        return 0
    ids = {aid: rid for rid, aid in new}
    fresh = [(r, ids[r[0]]) for r in rows if r[0] in ids]
    bumped = bump_tickets(db, column="remind_count", increments={r[2]: 1 for r, _ in fresh},
                          running_states=(str(State.DISPATCHED),), deadlines={r[2]: r[5] for r, _ in fresh},
                          deadline_column="ack_due_at")
    stale = [rid for r, rid in fresh if r[2] not in bumped]
    if stale:
        db.execute(delete(Reminder).where(Reminder.id.in_(stale)))
    events, notes = [], []
    for (_aid, unit_id, ticket_id, number, state, ack_due_at), rid in fresh:
        if ticket_id not in bumped:
            continue
        note, title = _ack_texts(step, number, ack_due_at)
        events.append(event_row(ticket_id=ticket_id, state=state, action=Action.REMIND, actor=system_actor(), at=now,
                                unit_id=unit_id, note=note, data={"auto": True, "step": step,
                                                                  "audience": str(Audience.UNIT), "reminder_id": rid}))
        notes.append(notification_row(unit_id=unit_id, audience=Audience.UNIT, kind=NotificationKind.REMINDER, at=now,
                                      title=title, body=note, ticket_id=ticket_id))
    add_rows(db, events, notes)
    return len(events)


# ---- supervision orders ------------------------------------------------------------------------


def raise_orders(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """超期督办: a running ticket past its deadline gets one supervision order per (lead assignment,
    deadline), addressed to the lead unit, with the first level's own deadline."""
    now = rt.clock.now()
    has_order = (
        select(SupervisionOrder.id)
        .where(SupervisionOrder.assignment_id == TicketAssignment.id,
               SupervisionOrder.ticket_due_at == Ticket.due_at,
               SupervisionOrder.source == str(OrderSource.AUTO_OVERDUE))
        .exists()
    )

    cap = policy.batch_size * policy.max_batches
    with sf() as db:
        rows: Sequence[Any] = db.execute(
            select(TicketAssignment.id, TicketAssignment.unit_id, Ticket.id, Ticket.number, Ticket.state,
                   Ticket.due_at)
            .join(Ticket, Ticket.id == TicketAssignment.ticket_id)
            .where(TicketAssignment.is_open.is_(True), TicketAssignment.role == str(AssignmentRole.LEAD),
                   Ticket.state.in_(RUNNING), Ticket.due_at < now, ~has_order)
            .order_by(Ticket.due_at, TicketAssignment.id).limit(cap)
        ).all()
        db.rollback()
    items = [OrderItem(ticket_id=ticket_id, number=number, state=state, unit_id=unit_id, assignment_id=aid,
                       reason=f"工单 {number} 已超过办理时限（{short_time(due_at)}）仍未办结",
                       source=OrderSource.AUTO_OVERDUE, dedupe_key=f"overdue:{aid}:{due_at.isoformat()}",
                       ticket_due_at=due_at)
             for aid, unit_id, ticket_id, number, state, due_at in rows]
    result = _in_batches(sf, policy, items, lambda db, chunk: len(
        issue_orders(db, policy=policy, now=now, actor=system_actor(), items=chunk)))
    result.truncated = len(rows) == cap
    return result


@dataclass
class OrderItem:
    ticket_id: int
    number: str
    state: str
    unit_id: int
    assignment_id: int | None
    reason: str
    source: OrderSource
    dedupe_key: str | None  # None for manual orders (never deduplicated)
    ticket_due_at: datetime | None
    due_at: datetime | None = None  # the order's own deadline; the first level's limit when None


def issue_orders(db: Session, *, policy: SupervisionPolicy, now: datetime, actor: Actor,
                 items: list[OrderItem]) -> list[int]:
    """Create orders (level 1) with their 督办 events and the units' notifications, skipping those that
    exist already and tickets that left the units meanwhile; the new ids. The caller commits."""
    if not items:
        return []
    first = policy.level(1)
    default_due = first.limit.apply(now)
    values = [dict(ticket_id=i.ticket_id, unit_id=i.unit_id, assignment_id=i.assignment_id, source=str(i.source),
                   dedupe_key=i.dedupe_key, status=str(OrderStatus.OPEN), level=1, reason=i.reason,
                   ticket_due_at=i.ticket_due_at, issued_at=now, due_at=i.due_at or default_due,
                   escalated_at=None, closed_at=None, closed_by_name=None, outcome=None, created_by_id=actor.user_id,
                   created_by_name=actor.name) for i in items]
    new = insert_many_new(db, SupervisionOrder, values, conflict=["dedupe_key"],
                          returning=[SupervisionOrder.id, SupervisionOrder.dedupe_key, SupervisionOrder.ticket_id])
    if not new:
        return []
    by_key = {(key or f"ticket:{tid}"): oid for oid, key, tid in new}
    fresh = [(i, by_key[i.dedupe_key or f"ticket:{i.ticket_id}"]) for i in items
             if (i.dedupe_key or f"ticket:{i.ticket_id}") in by_key]
    increments: dict[int, int] = {}
    for i, _oid in fresh:
        increments[i.ticket_id] = increments.get(i.ticket_id, 0) + 1
    bumped = bump_tickets(db, column="supervise_count", increments=increments, running_states=RUNNING,
                          deadlines={i.ticket_id: i.ticket_due_at for i, _oid in fresh
                                     if i.source == OrderSource.AUTO_OVERDUE})
    stale = [oid for i, oid in fresh if i.ticket_id not in bumped]
    if stale:
        db.execute(delete(SupervisionOrder).where(SupervisionOrder.id.in_(stale)))
    events, notes, created = [], [], []
    for i, oid in fresh:
        if i.ticket_id not in bumped:
            continue
        order_due = i.due_at or default_due
        label = f"DB-{oid:06d}"
        auto = i.source == OrderSource.AUTO_OVERDUE
        note = (f"{'超期自动督办' if auto else '督办'}：督办单 {label}，"
                f"请于{short_time(order_due)}前办结并反馈。{i.reason}")
        events.append(event_row(ticket_id=i.ticket_id, state=i.state, action=Action.SUPERVISE, actor=actor, at=now,
                                unit_id=i.unit_id, note=note, data={"auto": auto, "order_id": oid, "level": 1}))
        notes.append(notification_row(unit_id=i.unit_id, audience=first.audience, kind=NotificationKind.ORDER, at=now,
                                      title=f"【督办单 {label}】工单 {i.number}，请于{short_time(order_due)}前办结",
                                      body=i.reason, ticket_id=i.ticket_id, order_id=oid))
        created.append(oid)
    add_rows(db, events, notes)
    return created


def escalate_overdue_orders(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """督办升级: an open order past its own deadline, on a ticket still at the unit, goes one level up."""
    now = rt.clock.now()
    cap = policy.batch_size * policy.max_batches
    with sf() as db:
        rows: Sequence[Any] = db.execute(
            _escalation_query().where(SupervisionOrder.status == str(OrderStatus.OPEN), SupervisionOrder.due_at < now,
                                      SupervisionOrder.level < policy.top_level, Ticket.state.in_(RUNNING))
            .order_by(SupervisionOrder.id).limit(cap)
        ).all()
        db.rollback()
    result = _in_batches(sf, policy, rows, lambda db, chunk: len(
        escalate(db, policy=policy, now=now, actor=system_actor(), rows=chunk, note="督办单逾期未办结，自动升级")))
    result.truncated = len(rows) == cap
    return result


def _escalation_query() -> Any:
    return (select(SupervisionOrder.id, SupervisionOrder.level, SupervisionOrder.unit_id, Unit.short_name,
                   Unit.parent_id, Ticket.id, Ticket.number, Ticket.state)
            .join(Ticket, Ticket.id == SupervisionOrder.ticket_id).join(Unit, Unit.id == SupervisionOrder.unit_id))


def escalation_rows(db: Session, order_id: int) -> list[Any]:
    return list(db.execute(_escalation_query().where(SupervisionOrder.id == order_id)).all())


def escalate(db: Session, *, policy: SupervisionPolicy, now: datetime, actor: Actor, rows: Sequence[Any],
             note: str) -> list[int]:
    """Move each order of `rows` (from _escalation_query) one level up; the ids escalated. An order that
    someone else escalated first is skipped: the (order, level) key and a compare-and-swap on the
    order's level. The caller commits."""
    rows = [r for r in rows if r[1] < policy.top_level]
    if not rows:
        return []
    values = []
    for order_id, level, unit_id, _name, parent_id, *_ in rows:
        lv = policy.level(level + 1)
        values.append(dict(order_id=order_id, level=level + 1, audience=str(lv.audience),
                           target_unit_id=parent_id if lv.audience == Audience.LEADERSHIP else unit_id, at=now,
                           due_at=lv.limit.apply(now), actor_name=actor.name, note=note))
    new = {oid: eid for eid, oid in insert_many_new(db, OrderEscalation, values, conflict=["order_id", "level"],
                                                    returning=[OrderEscalation.id, OrderEscalation.order_id])}
    swapped: set[int] = set()
    for level in sorted({r[1] for r in rows if r[0] in new}):
        ids = [r[0] for r in rows if r[1] == level and r[0] in new]
        lv = policy.level(level + 1)
        swapped.update(db.execute(
            update(SupervisionOrder)
            .where(SupervisionOrder.id.in_(ids), SupervisionOrder.level == level,
                   SupervisionOrder.status == str(OrderStatus.OPEN))
            .values(level=level + 1, due_at=lv.limit.apply(now), escalated_at=now).returning(SupervisionOrder.id)
            .execution_options(synchronize_session=False)).scalars())
    lost = [eid for oid, eid in new.items() if oid not in swapped]
    if lost:
        db.execute(delete(OrderEscalation).where(OrderEscalation.id.in_(lost)))
    done = [r for r in rows if r[0] in swapped]
    increments: dict[int, int] = {}
    for r in done:
        increments[r[5]] = increments.get(r[5], 0) + 1
    bump_tickets(db, column="supervise_count", increments=increments, running_states=ORDER_LIVE)
    events, notes = [], []
    for order_id, level, unit_id, unit_name, parent_id, ticket_id, number, state in done:
        lv = policy.level(level + 1)
        due = lv.limit.apply(now)
        label = f"DB-{order_id:06d}"
        message = f"督办单 {label} 升级至第{level + 1}级（{lv.label}），请于{short_time(due)}前办结。{note}"
        events.append(event_row(ticket_id=ticket_id, state=state, action=Action.SUPERVISE, actor=actor, at=now,
                                unit_id=unit_id, note=message,
                                data={"order_id": order_id, "level": level + 1, "audience": str(lv.audience)}))
        notes.append(notification_row(
            unit_id=parent_id if lv.audience == Audience.LEADERSHIP else unit_id, audience=lv.audience,
            kind=NotificationKind.ESCALATION, at=now,
            title=f"【督办升级】督办单 {label}（工单 {number}，{unit_name}）{lv.label}",
            body=message, ticket_id=ticket_id, order_id=order_id))
    add_rows(db, events, notes)
    return [r[0] for r in done]


def close_settled_orders(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """An open order whose ticket was answered, merged or withdrawn, or taken from the unit by a
    reassignment, is closed by the system with the reason."""
    now = rt.clock.now()
    assignment_ended = (
        select(TicketAssignment.id)
        .where(TicketAssignment.id == SupervisionOrder.assignment_id, TicketAssignment.is_open.is_(False))
        .exists()
    )

    def step(db: Session, after: int | None) -> tuple[int, int | None]:
        rows = db.execute(
            select(SupervisionOrder.id, Ticket.state)
            .join(Ticket, Ticket.id == SupervisionOrder.ticket_id)
            .where(SupervisionOrder.status == str(OrderStatus.OPEN), SupervisionOrder.id > (after or 0),
                   or_(Ticket.state.not_in(ORDER_LIVE), assignment_ended))
            .order_by(SupervisionOrder.id).limit(policy.batch_size)
        ).all()
        created = 0
        for order_id, state in rows:
            if state in (State.REPLIED, State.CLOSED, State.FINISHED):
                outcome = "承办单位已答复，系统自动办结督办单"
            elif state in ORDER_LIVE:
                outcome = "工单已改派其他单位，本督办单终止"
            else:
                outcome = "工单已并单或撤回，本督办单终止"
            created += close(db, now=now, order_id=order_id, by=SYSTEM_NAME, outcome=outcome)
        return created, (rows[-1][0] if len(rows) == policy.batch_size else None)

    return _batches(sf, policy, step)


def close(db: Session, *, now: datetime, order_id: int, by: str, outcome: str) -> int:
    """Close an open order (compare-and-swap on its status); 1 when this call closed it."""
    return int(db.execute(
        update(SupervisionOrder)
        .where(SupervisionOrder.id == order_id, SupervisionOrder.status == str(OrderStatus.OPEN))
        .values(status=str(OrderStatus.CLOSED), closed_at=now, closed_by_name=by, outcome=outcome)
        .execution_options(synchronize_session=False)
    ).rowcount)  # type: ignore[attr-defined]


# ---- one pass ----------------------------------------------------------------------------------

Job = Callable[[SessionFactory, Runtime, SupervisionPolicy], JobResult]
def refresh_assessment(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """Keep the assessment's fact table (and so the dashboard) current: the ticket events since the
    last pass, at most ASSESSMENT_BATCHES batches; the rest waits for the next pass. Events younger
    than 30 s are left too, so that a transaction still in flight cannot be skipped."""
    from hotline.assessment import facts

    with sf() as db:
        result = facts.refresh(db, now=rt.clock.now(), settle=timedelta(seconds=30),
                               max_batches=ASSESSMENT_BATCHES)
    return JobResult(created=result.events, batches=result.batches,
                     truncated=result.batches >= ASSESSMENT_BATCHES)


ASSESSMENT_BATCHES = 5


def propose_blacklist(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """黑名单候选: run the blacklist's candidate rules over history (default thresholds) at most once per
    local day — the first pass after midnight. The (job, day) key is inserted in the same transaction
    as the proposal, so a second pass, or a second worker (PostgreSQL makes it wait on the key, then
    skip), proposes nothing; a run that fails rolls its key back and the next pass tries again.
    Candidates only wait for a supervisor's review: nothing is listed without a person deciding."""
    from hotline.blacklist import service as blacklist

    now = rt.clock.now()
    day = to_local(now).date()
    with sf() as db:
        try:
            claimed = insert_new(db, DailyJob, {"job": BLACKLIST_JOB, "day": day, "ran_at": now,
                                                "worker": worker_name(), "result": {}}, conflict=["job", "day"])
            if claimed is None:
                db.rollback()
                return JobResult()
            result = blacklist.propose(db, rt, actor=system_actor())  # commits the key with the candidates
            db.execute(update(DailyJob).where(DailyJob.job == BLACKLIST_JOB, DailyJob.day == day)
                       .values(result={"created": len(result.created), "extended": len(result.extended)}))
            db.commit()
        except Exception:
            db.rollback()
            raise
    return JobResult(created=result.total, batches=1)


BLACKLIST_JOB = "blacklist"


def resume_kb_imports(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """The knowledge base's import jobs waiting for a runner (queued, or left by a process that
    died) are started on threads of this process (knowledge/import_jobs.py)."""
    from hotline.knowledge import import_jobs

    return JobResult(created=import_jobs.resume(sf, rt))


def sweep_kb_expiry(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """Articles past their expiry leave public answers (every pass); once a local day, under a daily
    key as the blacklist job is, owners are told of articles about to expire and reminded of error
    reports left unanswered."""
    from hotline.knowledge import expiry
    from hotline.knowledge import service as kb

    now = rt.clock.now()
    with sf() as db:
        expired = kb.expire_due(db, rt)  # commits
        try:
            claimed = insert_new(db, DailyJob, {"job": KB_NOTICE_JOB, "day": to_local(now).date(), "ran_at": now,
                                                "worker": worker_name(), "result": {}}, conflict=["job", "day"])
            told = expiry.notify_expiring(db, rt) + expiry.remind_reports(db, rt) if claimed is not None else 0
            db.commit()
        except Exception:
            db.rollback()
            raise
    return JobResult(created=expired + told)


KB_NOTICE_JOB = "kb_expiry_notice"


def push_shared_events(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """信息共享 push: each due subscription's next pages of the feed, POSTed to its receiver
    (sharing/delivery.py), within the pass's time budget (share_push_budget_seconds: truncated when it ran
    out, the rest delivered next pass); counts the events delivered. Then the delivery log's old rows go."""
    from hotline.sharing import delivery

    result = delivery.deliver_pass(sf, rt)
    delivery.prune_log(sf, rt)
    return JobResult(created=result.delivered, truncated=result.out_of_time)


def alert_access(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """个人信息访问预警: the accounts the access review flags over the week that ended yesterday, told to
    the whole-city supervisors' inbox, at most once per local day (the (job, day) key, as 黑名单候选)."""
    from hotline.security import access_alerts

    now = rt.clock.now()
    day = to_local(now).date()
    with sf() as db:
        try:
            claimed = insert_new(db, DailyJob, {"job": ACCESS_JOB, "day": day, "ran_at": now,
                                                "worker": worker_name(), "result": {}}, conflict=["job", "day"])
            if claimed is None:
                db.rollback()
                return JobResult()
            written = access_alerts.raise_alerts(db, now=now, today=day)
            db.execute(update(DailyJob).where(DailyJob.job == ACCESS_JOB, DailyJob.day == day)
                       .values(result={"created": written}))
            db.commit()
        except Exception:
            db.rollback()
            raise
    return JobResult(created=written, batches=1)


ACCESS_JOB = "access_review"


def watch_dispatch(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """派单超时 (supervision/dispatch_watch.py): imported here, as it reads the tickets' service."""
    from hotline.supervision import dispatch_watch

    return dispatch_watch.watch_dispatch(sf, rt, policy)


def remind_revisit(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """回头看提醒 (revisit/reminder.py): imported here, as it reads the revisit list's service."""
    from hotline.revisit import reminder

    return reminder.remind(sf, rt, policy)


def watch_linkage(sf: SessionFactory, rt: Runtime, policy: SupervisionPolicy) -> JobResult:
    """联动转办 late (linkage/watch.py): imported here, as it reads the tickets' service."""
    from hotline.linkage import watch

    return watch.watch_linkage(sf, rt, policy)


JOBS: tuple[tuple[str, Job], ...] = (
    ("reminders", send_reminders),
    ("ack_warning", warn_acknowledgements),
    ("ack_overdue", remind_late_acknowledgements),
    ("orders", raise_orders),
    ("escalations", escalate_overdue_orders),
    ("orders_closed", close_settled_orders),
    ("findings", detection.detect_findings),
    ("assessment", refresh_assessment),
    ("blacklist", propose_blacklist),
    ("kb_imports", resume_kb_imports),
    ("kb_expiry", sweep_kb_expiry),
    ("share_push", push_shared_events),
    ("access_review", alert_access),
    ("dispatch_overdue", watch_dispatch),
    ("linkage_overdue", watch_linkage),
    ("revisit_reminder", remind_revisit),
)
JOB_LABELS = {"reminders": "临期催办", "ack_warning": "即将签收超时提醒", "ack_overdue": "签收超时提醒",
              "orders": "超期督办单", "escalations": "督办升级", "orders_closed": "自动办结督办单",
              "findings": "问题发现", "assessment": "考核数据更新", "blacklist": "黑名单候选（每日一次）",
              "kb_imports": "批量导入任务（接续）", "kb_expiry": "知识到期（下线与提醒）",
              "share_push": "信息共享推送", "access_review": "个人信息访问预警（每日一次）",
              "dispatch_overdue": "派单超时提醒", "linkage_overdue": "联动转办超时提醒",
              "revisit_reminder": "回头看提醒（每周期一次）"}
# Jobs whose counts are rows of the supervision tables (the assessment job counts ticket events, the
# blacklist job new candidates and candidates given new evidence).
SUPERVISION_JOBS = ("reminders", "ack_warning", "ack_overdue", "orders", "escalations", "orders_closed", "findings")


# After a pass that created this many rows, PostgreSQL's statistics of our tables are refreshed at once:
# a table that grew from nothing since its last ANALYZE makes the planner pick a nested-loop anti-join
# over the whole order table (30 s instead of 0.5 s per pass at 100k tickets, measured), and autovacuum
# may take minutes to notice.
ANALYZE_AFTER = 1000
ANALYZED = ("supervision_reminders", "supervision_orders", "supervision_escalations", "supervision_findings")


def _refresh_statistics(sf: SessionFactory) -> None:
    with sf() as db:
        if db.get_bind().dialect.name != "postgresql":
            return
        db.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
        db.commit()


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:100]


def run_pass(sf: SessionFactory, rt: Runtime, *, mode: str, policy: SupervisionPolicy | None = None) -> PassReport:
    """Every job once, then one row in the run log. A failing job is logged and does not stop the others."""
    policy = policy or load_supervision_policy(rt.settings.supervision_policy)
    started = rt.clock.now()
    t0 = time.perf_counter()
    report = PassReport(run_id=None)
    for name, job in JOBS:
        started_job = time.perf_counter()
        try:
            result = job(sf, rt, policy)
        except Exception as exc:  # one job's failure must not stop the others, nor the loop
            log.exception("supervision job %s failed", name)
            report.errors.append(f"{JOB_LABELS[name]}：{type(exc).__name__}: {exc}"[:500])
            continue
        report.counts[name] = result.created
        report.job_ms[name] = int((time.perf_counter() - started_job) * 1000)
        if result.truncated:
            report.truncated.append(name)
    if sum(report.counts.get(name, 0) for name in SUPERVISION_JOBS) >= ANALYZE_AFTER:
        _refresh_statistics(sf)
    report.duration_ms = int((time.perf_counter() - t0) * 1000)
    counts: dict[str, Any] = {**report.counts, "ms": report.job_ms}
    if report.truncated:
        counts["truncated"] = report.truncated
    with sf() as db:
        run = SchedulerRun(worker=worker_name(), mode=mode, started_at=started, finished_at=rt.clock.now(),
                           duration_ms=report.duration_ms, status="ok" if report.ok else "error", counts=counts,
                           errors=report.errors)
        db.add(run)
        # The log keeps RUN_LOG_DAYS of history (a pass a minute is half a million rows a year).
        db.execute(delete(SchedulerRun).where(SchedulerRun.started_at < started - timedelta(days=RUN_LOG_DAYS)))
        db.commit()
        report.run_id = run.id
    return report
