"""Turning tickets into what a given actor may see: masking, labels, deadline status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hotline.linkage.schemas import linkage_out
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.masking import mask_name, mask_phone
from hotline.security.permissions import sees_personal_data
from hotline.tickets import workflow
from hotline.tickets.categories import full_name
from hotline.tickets.deadlines import deadline_status, remaining_label
from hotline.tickets.enums import (
    ACTION_LABELS,
    ASSIGNMENT_ROLE_LABELS,
    ASSIGNMENT_STATUS_LABELS,
    DEADLINE_LABELS,
    KIND_LABELS,
    STATE_LABELS,
    Action,
    AssignmentRole,
    AssignmentStatus,
    DeadlineStatus,
    Kind,
    State,
)
from hotline.tickets.models import Ticket, TicketAttachment, TicketEvent
from hotline.tickets.schemas import (
    AssignmentOut,
    AttachmentIn,
    EventOut,
    MergedTicketOut,
    PublicMergedOut,
    PublicTicketOut,
    QueueItem,
    TicketOut,
    TicketSummary,
    UnitRef,
)

RUNNING = (State.DISPATCHED, State.HANDLING)


def ticket_deadline(ticket: Ticket, rt: Runtime, now: datetime) -> DeadlineStatus:
    if ticket.state == State.RETURN_REVIEW:
        return DeadlineStatus.PAUSED
    if ticket.state not in RUNNING:
        return DeadlineStatus.NONE
    return deadline_status(now=now, due_at=ticket.due_at, warn_at=ticket.warn_at)


ACK_LABELS = {DeadlineStatus.ABOUT_TO_EXPIRE: "即将签收超时", DeadlineStatus.OVERDUE: "签收超时"}


def ack_deadline(ticket: Ticket, now: datetime) -> DeadlineStatus:
    """The lead unit's acknowledgement deadline, while the ticket waits for it (待签收): the same rule
    as the handling deadline's badge, and as the `late` flag the acknowledgement records (assessment)."""
    if ticket.state != State.DISPATCHED:
        return DeadlineStatus.NONE
    return deadline_status(now=now, due_at=ticket.ack_due_at, warn_at=ticket.ack_warn_at)


DISPATCH_LABELS = {DeadlineStatus.ON_TIME: "派单时限", DeadlineStatus.ABOUT_TO_EXPIRE: "即将派单超时",
                   DeadlineStatus.OVERDUE: "派单超时"}


def dispatch_deadline(ticket: Ticket, now: datetime) -> DeadlineStatus:
    """The centre's own time limit while the ticket waits in 待派单 (派单时限), as the units' are read."""
    if ticket.state != State.REGISTERED:
        return DeadlineStatus.NONE
    return deadline_status(now=now, due_at=ticket.dispatch_due_at, warn_at=ticket.dispatch_warn_at)


def lead_acknowledged_at(ticket: Ticket) -> datetime | None:
    """When the current lead unit took the ticket (its round's lead assignment: each dispatch, reassignment
    or reopening opens a new one, with the ticket's new ack_due_at)."""
    leads = [a for a in ticket.assignments if a.role == AssignmentRole.LEAD]
    return leads[-1].acknowledged_at if leads else None


def ack_late(ticket: Ticket, answered_at: datetime | None, now: datetime) -> bool | None:
    """是否签收超时 for a supervisor's list: the lead unit answered its dispatch — acknowledged, or returned —
    after ack_due_at (`answered_at`, service.lead_answers; for an acknowledgement, the `late` it records),
    or the ticket still waits for it past ack_due_at (签收超时). None for a ticket never sent to a unit."""
    if ticket.ack_due_at is None:
        return None
    if answered_at is not None:
        return answered_at > ticket.ack_due_at
    return ack_deadline(ticket, now) == DeadlineStatus.OVERDUE


def callback_outcome(ticket: Ticket) -> str | None:
    """How the last callback ended: a rating was recorded, or the requester could not be reached."""
    if ticket.satisfaction:
        return "reached"
    if ticket.state == State.FINISHED and (ticket.callback_attempts or 0) > 0:
        return "unreachable"
    return None


def summary(ticket: Ticket, rt: Runtime, actor: Actor, *, now: datetime) -> TicketSummary:
    # Lists are always masked: only the detail page shows (and audits) personal data.
    return TicketSummary(**_summary_fields(ticket, rt, now, masked=True))


def unit_part(ticket: Ticket, unit_id: int | None) -> tuple[list[str], str]:
    """This unit's open part in the ticket: its roles (lead / assisting) and 主办·待签收-style words — an
    assisting unit's row otherwise reads like the lead's (the unit workbench and GET /queue)."""
    ours = [a for a in ticket.assignments if a.is_open and a.unit_id == unit_id]
    words = [f"{ASSIGNMENT_ROLE_LABELS[AssignmentRole(a.role)]}·{ASSIGNMENT_STATUS_LABELS[AssignmentStatus(a.status)]}"
             for a in ours]
    return [str(a.role) for a in ours], "；".join(words) or "—"


def queue_item(ticket: Ticket, rt: Runtime, actor: Actor, *, now: datetime) -> QueueItem:
    roles, words = unit_part(ticket, actor.unit_id)
    return QueueItem(**_summary_fields(ticket, rt, now, masked=True), unit_roles=roles, unit_part=words)


def _summary_fields(ticket: Ticket, rt: Runtime, now: datetime, *, masked: bool) -> dict:
    status = ticket_deadline(ticket, rt, now)
    ack = ack_deadline(ticket, now)
    waiting = dispatch_deadline(ticket, now)
    return dict(
        id=ticket.id,
        number=ticket.number,
        state=ticket.state,
        state_label=STATE_LABELS[State(ticket.state)],
        kind=ticket.kind,
        kind_label=KIND_LABELS[Kind(ticket.kind)],
        channel=ticket.channel,
        urgency=ticket.urgency,
        category_code=ticket.category_code,
        category_name=full_name(ticket.category_code),
        title=ticket.title,
        requester_name=(mask_name(ticket.requester_name) if masked else ticket.requester_name)
        if not ticket.requester_anonymous else "匿名",
        requester_phone=mask_phone(ticket.requester_phone) if masked else ticket.requester_phone,
        lead_unit=ticket.lead_unit.short_name if ticket.lead_unit else None,
        jurisdiction=ticket.jurisdiction.name if ticket.jurisdiction else None,
        created_at=ticket.created_at,
        due_at=ticket.due_at,
        deadline_status=status,
        deadline_label=DEADLINE_LABELS[status],
        remaining=remaining_label(now, ticket.due_at) if status not in (DeadlineStatus.NONE,) else "—",
        is_enterprise=ticket.is_enterprise,
        ack_status=ack,
        ack_label=ACK_LABELS.get(ack, ""),
        ack_due_at=ticket.ack_due_at,
        acknowledged_at=lead_acknowledged_at(ticket),
        public_rating=ticket.public_rating,
        dispatch_due_at=ticket.dispatch_due_at,
        dispatch_status=waiting,
        dispatch_label=DISPATCH_LABELS.get(waiting, ""),
        dispatch_remaining=remaining_label(now, ticket.dispatch_due_at) if waiting != DeadlineStatus.NONE else "",
    )


def detail(ticket: Ticket, rt: Runtime, actor: Actor, *, now: datetime, masked: bool = False) -> TicketOut:
    """The ticket as this actor may see it; `masked` hides personal data even from those who may read it
    (an action's answer: reading it there would be an unaudited read)."""
    masked = masked or not sees_personal_data(actor, ticket)
    fields = _summary_fields(ticket, rt, now, masked=masked)
    parent = ticket.parent if ticket.parent_id else None
    out = TicketOut(
        **fields,
        is_complex=ticket.is_complex,
        confidential=ticket.confidential,
        requester_anonymous=ticket.requester_anonymous,
        requester_org=ticket.requester_org,
        personal_data_masked=masked,
        occurred_at=ticket.occurred_at,
        occurred_desc=ticket.occurred_desc,
        address=ticket.address,
        content=ticket.content,
        circumstances=ticket.circumstances,
        dispatched_at=ticket.dispatched_at,
        ack_warn_at=ticket.ack_warn_at,
        return_due_at=ticket.return_due_at,
        time_limit_label=ticket.time_limit_label,
        extension_pending=ticket.extension_pending,
        extension_requested_days=ticket.extension_requested_days,
        extension_days_used=ticket.extension_days_used,
        replied_at=ticket.replied_at,
        reply_content=ticket.reply_content,
        closed_at=ticket.closed_at,
        callback_due_at=ticket.callback_due_at,
        callback_attempts=ticket.callback_attempts or 0,
        callback_attempt_days=ticket.callback_attempt_days or 0,
        callback_attempted_at=ticket.callback_attempted_at,
        callback_outcome=callback_outcome(ticket),
        finished_at=ticket.finished_at,
        answer_source=ticket.answer_source,
        remind_count=ticket.remind_count,
        supervise_count=ticket.supervise_count,
        reopen_count=ticket.reopen_count,
        return_count=ticket.return_count,
        solved=ticket.solved,
        satisfaction=ticket.satisfaction,
        review_conclusion=ticket.review_conclusion,
        public_comment=ticket.public_comment,
        parent_number=parent.number if parent else None,
        parent_state=parent.state if parent else None,
        parent_state_label=STATE_LABELS[State(parent.state)] if parent else None,
        merged_tickets=[merged_out(m) for m in ticket.merged],
        linkages=[linkage_out(x) for x in ticket.linkages],
        assignments=[
            AssignmentOut(
                unit=UnitRef(id=a.unit.id, code=a.unit.code, name=a.unit.name, short_name=a.unit.short_name),
                role=a.role,
                role_label=ASSIGNMENT_ROLE_LABELS[AssignmentRole(a.role)],
                status=a.status,
                status_label=ASSIGNMENT_STATUS_LABELS[AssignmentStatus(a.status)],
                is_open=a.is_open,
                round=a.round,
                dispatched_at=a.dispatched_at,
                due_at=a.due_at,
                acknowledged_at=a.acknowledged_at,
                replied_at=a.replied_at,
                reply_content=a.reply_content,
                return_reason=a.return_reason,
            )
            for a in ticket.assignments
        ],
        attachments=[
            AttachmentIn(filename=f.filename, content_type=f.content_type, size_bytes=f.size_bytes, sha256=f.sha256,
                         storage_ref=f.storage_ref)
            for f in ticket.attachments
        ],
        allowed_actions=[str(a) for a in workflow.allowed_actions(ticket, actor, now, rt.policy)],
    )
    if masked:
        _mask_texts(out, ticket)
    return out


def _mask_texts(out: TicketOut, ticket: Ticket) -> None:
    """The requester's name and phone where the ticket's texts write them (a phone dictated into the content,
    a reply's 张三您好), masked for a reader who sees the ticket masked, as its history is (event_out). QA: a
    部门业务系统 read them in the detail while the history hid them."""
    for name in ("content", "circumstances", "occurred_desc", "reply_content", "public_comment"):
        setattr(out, name, mask_requester_in(getattr(out, name), ticket))
    for a in out.assignments:
        a.reply_content, a.return_reason = (mask_requester_in(a.reply_content, ticket),
                                            mask_requester_in(a.return_reason, ticket))
    for x in out.linkages:
        x.reason, x.answer = mask_requester_in(x.reason, ticket), mask_requester_in(x.answer, ticket)


def shared(ticket: Ticket, rt: Runtime, actor: Actor, *, now: datetime) -> TicketOut:
    """The ticket as it leaves the platform for another system (信息共享: the feed and its push): the masked view
    (its texts masked as for any masked reader, _mask_texts), and besides the title, the review's words and the
    merged tickets' titles (each by its own requester) — the same rule as the events' notes (event_out)."""
    out = detail(ticket, rt, actor, now=now, masked=True)
    merged = {m.number: m for m in ticket.merged}
    return out.model_copy(update={
        "title": mask_requester_in(out.title, ticket),
        "review_conclusion": mask_requester_in(out.review_conclusion, ticket),
        "merged_tickets": [m.model_copy(update={"title": mask_requester_in(m.title, merged[m.number])})
                           for m in out.merged_tickets],
    })


def merged_out(ticket: Ticket) -> MergedTicketOut:
    """A merged ticket on its parent's page: masked like every list (its own page shows the rest)."""
    return MergedTicketOut(
        id=ticket.id, number=ticket.number, title=ticket.title, created_at=ticket.created_at,
        requester_name="匿名" if ticket.requester_anonymous else mask_name(ticket.requester_name),
        requester_phone=mask_phone(ticket.requester_phone),
    )


def event_out(event: TicketEvent, *, mask_for: Ticket | None = None) -> EventOut:
    """One line of the history. `mask_for`: the ticket, when the reader may not see its requester's personal
    data (sees_personal_data): the requester's name and phone are masked wherever the note or the event data
    write them (a reply "张三您好", a callback note), as the ticket itself is masked for that reader."""
    note, data = event.note, event.data or {}
    if mask_for is not None:
        note, data = mask_requester_in(note, mask_for), _masked_data(data, mask_for)
    return EventOut(
        at=event.at,
        action=event.action,
        action_label=ACTION_LABELS[Action(event.action)],
        from_state=event.from_state,
        to_state=event.to_state,
        actor_role=event.actor_role,
        actor_name=event.actor_name,
        unit=event.unit.short_name if event.unit else None,
        note=note,
        data=data,
    )


def _masked_data(value: Any, ticket: Ticket) -> Any:
    if isinstance(value, str):
        return mask_requester_in(value, ticket)
    if isinstance(value, dict):
        return {k: _masked_data(v, ticket) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_data(v, ticket) for v in value]
    return value


def upload_event(ticket: Ticket, row: TicketAttachment) -> EventOut:
    """A file's upload as a line of the ticket's history (uploads are not workflow transitions)."""
    state = str(ticket.state)
    return EventOut(at=row.created_at, action="upload_attachment", action_label="上传附件", from_state=state,
                    to_state=state, actor_role="", actor_name=row.uploaded_by_name or "—", unit=None,
                    note=f"{row.filename}（{_size(row.size_bytes)}）", data={})


def _size(n: int) -> str:
    return f"{n} 字节" if n < 1024 else f"{n / 1024:.1f} KB"


def timeline(ticket: Ticket, events: list[TicketEvent], uploads: list[TicketAttachment], *,
             masked: bool = False) -> list[EventOut]:
    """Transitions and uploads in the order they happened (declared metadata is no upload); `masked`: the
    requester's name and phone masked in them, for a reader who sees the ticket masked (event_out)."""
    mask_for = ticket if masked else None
    lines = [event_out(e, mask_for=mask_for) for e in events] + [upload_event(ticket, a) for a in uploads
                                                                  if a.uploaded]
    return sorted(lines, key=lambda e: e.at)


# 联动反馈: the other platform's answer is the reply the requester is called back on.
PUBLIC_NOTE_ACTIONS = {"answer_directly", "reply", "withdraw", "rate", "linked_answer"}


def _public_note(e: TicketEvent, later: list[TicketEvent]) -> str | None:
    """The note the requester may read: a unit's reply only once the centre closed on it (办结) —
    before its review the reply is the unit's draft, which the centre may still send back.
    `later`: the public events after `e` (a reply sent back is not among them: service.public_events)."""
    if e.action in (Action.TRANSFER_OUT, Action.LINKED_RETURN):  # where it went, not the centre's reasons
        line = ((e.data or {}).get("linkage") or {}).get("line_name")
        if not line:
            return None
        return f"已转至{line}办理" if e.action == Action.TRANSFER_OUT else f"{line}退回，由12345重新派单"
    if e.action not in PUBLIC_NOTE_ACTIONS:
        return None
    if e.action == Action.REPLY and workflow.reply_verdict(later) != Action.CLOSE:
        return None
    return e.note


def _closed_reply(ticket: Ticket) -> str | None:
    """A reply the requester may read: only once the centre closed on it."""
    return ticket.reply_content if ticket.state in (State.CLOSED, State.FINISHED) else None


def mask_requester_in(text: str | None, ticket: Ticket) -> str | None:
    """A text about a ticket as a reader who may not see its requester reads it: the requester's name and
    phone, where it writes them ("张三您好", a number to call back), masked as the ticket masks them — for
    another requester (a merged request's answer) and for a masked history (event_out)."""
    if not text:
        return text
    for own, masked in ((ticket.requester_name, mask_name(ticket.requester_name)),
                        (ticket.requester_phone, mask_phone(ticket.requester_phone))):
        if own and len(own) >= 2 and masked:
            text = text.replace(own, masked)
    return text


def _public_merged(ticket: Ticket) -> PublicMergedOut | None:
    """QA: a merged request's lookup said 已并单 and nothing more — its requester never learnt how the
    matter ended. The parent's progress and closed answer are about the same matter; the answer was
    written to the parent's requester, whose name and phone in it are masked (QA)."""
    parent = ticket.parent if ticket.state == State.MERGED else None
    if parent is None:
        return None
    return PublicMergedOut(number=parent.number, state_label=STATE_LABELS[State(parent.state)],
                           lead_unit=parent.lead_unit.name if parent.lead_unit else None,
                           closed_at=parent.closed_at,
                           reply_content=mask_requester_in(_closed_reply(parent), parent))


def public(ticket: Ticket, events: list[TicketEvent], rt: Runtime) -> PublicTicketOut:
    return PublicTicketOut(
        number=ticket.number,
        state=ticket.state,
        state_label=STATE_LABELS[State(ticket.state)],
        kind_label=KIND_LABELS[Kind(ticket.kind)],
        title=ticket.title,
        created_at=ticket.created_at,
        due_at=ticket.due_at,
        lead_unit=ticket.lead_unit.name if ticket.lead_unit else None,
        reply_content=_closed_reply(ticket),
        closed_at=ticket.closed_at,
        public_rating=ticket.public_rating,
        can_rate=ticket.state in (State.CLOSED, State.FINISHED) and not ticket.public_rating,
        can_withdraw=ticket.state in (State.REGISTERED, State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW,
                                      State.TRANSFERRED),
        timeline=[
            {
                "at": e.at,
                "action": e.action,
                "label": ACTION_LABELS[Action(e.action)],
                "unit": e.unit.short_name if e.unit else None,
                "note": _public_note(e, events[i + 1:]),
            }
            for i, e in enumerate(events)
        ],
        merged_into=_public_merged(ticket),
    )
