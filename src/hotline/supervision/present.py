"""Turning supervision rows into API output (pages use the same objects)."""

from __future__ import annotations

from datetime import datetime

from hotline.security.actor import Actor
from hotline.security.permissions import can_view, sees_personal_data
from hotline.supervision.enums import (
    FINDING_LABELS,
    MEETING_KIND_LABELS,
    FindingKind,
    MeetingKind,
    NotificationKind,
    OrderStatus,
)
from hotline.supervision.models import Finding, Meeting, Notification, SchedulerRun, SupervisionOrder
from hotline.supervision.schemas import (
    EscalationOut,
    FindingOut,
    MeetingOut,
    NotificationOut,
    OrderOut,
    RunOut,
)


def order_out(o: SupervisionOrder, *, now: datetime, with_escalations: bool = False) -> OrderOut:
    return OrderOut(
        id=o.id, number=o.number, ticket_id=o.ticket_id, ticket_number=o.ticket.number, ticket_title=o.ticket.title,
        ticket_state=o.ticket.state, unit_id=o.unit_id, unit_name=o.unit.short_name, source=o.source, status=o.status,
        level=o.level, reason=o.reason, issued_at=o.issued_at, due_at=o.due_at,
        overdue=o.status == OrderStatus.OPEN and now > o.due_at, escalated_at=o.escalated_at, closed_at=o.closed_at,
        closed_by_name=o.closed_by_name, outcome=o.outcome, created_by_name=o.created_by_name,
        escalations=[EscalationOut.model_validate(e, from_attributes=True) for e in o.escalations]
        if with_escalations else [],
    )


def meeting_out(m: Meeting, *, actor: Actor) -> MeetingOut:
    """The linked tickets the actor may see: a district's supervisor reading a city-wide meeting does not
    learn another district's ticket numbers and titles (QA: they were listed)."""
    return MeetingOut(
        id=m.id, kind=m.kind, kind_label=MEETING_KIND_LABELS[MeetingKind(m.kind)], status=m.status, title=m.title,
        topic=m.topic, held_at=m.held_at, location=m.location, host=m.host, attendees=list(m.attendees or []),
        units=[{"id": u.id, "name": u.short_name} for u in m.units],
        tickets=[{"id": t.id, "number": t.number, "title": t.title} for t in m.tickets if can_view(actor, t)],
        outcome=m.outcome, follow_up=m.follow_up, concluded_at=m.concluded_at, created_by_name=m.created_by_name,
    )


def finding_out(f: Finding) -> FindingOut:
    return FindingOut(id=f.id, kind=f.kind, kind_label=FINDING_LABELS[FindingKind(f.kind)], unit_id=f.unit_id,
                      unit_name=f.unit.short_name, ticket_id=f.ticket_id, ticket_number=f.ticket.number, at=f.at,
                      detail=f.detail)


def notification_out(n: Notification, actor: Actor | None = None) -> NotificationOut:
    """A message as `actor` reads it: about a ticket whose requester the actor sees masked (a unit's business
    system, a unit no longer handling it, 举报人保密), the name and phone in its text masked as the ticket's
    history masks them (QA: the feed carried a reply sent back naming whom to call, unmasked)."""
    from hotline.revisit.reminder import LINK as REVISIT_LINK
    from hotline.security.access_alerts import review_link
    from hotline.tickets.present import mask_requester_in  # tickets import supervision: import at call time

    title, body = n.title, n.body
    if actor is not None and n.ticket is not None and not sees_personal_data(actor, n.ticket):
        title, body = mask_requester_in(title, n.ticket) or title, mask_requester_in(body, n.ticket)
    return NotificationOut(id=n.id, kind=n.kind, audience=n.audience, title=title, body=body,
                           ticket_id=n.ticket_id,
                           ticket_number=n.ticket.number if n.ticket else None, order_id=n.order_id,
                           meeting_id=n.meeting_id, created_at=n.created_at, read_at=n.read_at,
                           link=review_link(n) if n.kind == NotificationKind.ACCESS_ALERT
                           else REVISIT_LINK if n.kind == NotificationKind.REVISIT_DUE else None)


def run_out(r: SchedulerRun) -> RunOut:
    return RunOut.model_validate(r, from_attributes=True)
