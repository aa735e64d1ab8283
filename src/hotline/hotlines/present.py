"""From registry rows and routing decisions to what the API and the pages show (Chinese labels)."""

from __future__ import annotations

from datetime import datetime

from hotline.hotlines import duty
from hotline.hotlines.enums import (
    FIELD_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    SEAT_LABELS,
    STATUS_LABELS,
    label,
)
from hotline.hotlines.models import HotlineChange, HotlineExpert, HotlineLine
from hotline.hotlines.routing import Decision, Expert, Handover
from hotline.hotlines.schemas import (
    ChangeOut,
    ExpertOut,
    HandoverOut,
    LineOut,
    OnDutyExpert,
    OnDutyLine,
    RouteOut,
)
from hotline.hotlines.targets import LineTarget

# Stored codes inside history values (mode / status / seats) read back in Chinese.
_VALUE_LABELS = {**{str(k): v for k, v in MODE_LABELS.items()}, **{str(k): v for k, v in STATUS_LABELS.items()},
                 **{str(k): v for k, v in SEAT_LABELS.items()}}


def line_out(line: HotlineLine) -> LineOut:
    return LineOut(
        id=line.id, city=line.city, number=line.number, name=line.name, kind=line.kind,
        kind_label=label(KIND_LABELS, line.kind), merge_mode=line.merge_mode,
        mode_label=label(MODE_LABELS, line.merge_mode),
        status=line.status, status_label=label(STATUS_LABELS, line.status), seat_arrangement=line.seat_arrangement,
        seats_label=label(SEAT_LABELS, line.seat_arrangement), service=line.service, owner_unit_id=line.owner_unit_id,
        owner_name=(line.owner_unit.name if line.owner_unit else line.owner_name),
        jurisdiction_code=line.jurisdiction.code if line.jurisdiction else None,
        transition_prompt=line.transition_prompt, transition_start=line.transition_start,
        transition_end=line.transition_end, approval_document=line.approval_document, approval_by=line.approval_by,
        source=line.source, note=line.note, created_at=line.created_at, updated_at=line.updated_at,
    )


def value_label(value: str | None) -> str | None:
    return _VALUE_LABELS.get(value, value) if value is not None else None


def change_out(c: HotlineChange) -> ChangeOut:
    return ChangeOut(id=c.id, at=c.at, field=c.field, field_label=label(FIELD_LABELS, c.field),
                     from_value=value_label(c.from_value), to_value=value_label(c.to_value), reason=c.reason,
                     actor_name=c.actor_name, actor_role=c.actor_role)


def expert_out(e: HotlineExpert, line: HotlineLine, now: datetime) -> ExpertOut:
    slots = duty.from_json(e.duty)
    return ExpertOut(id=e.id, line_id=line.id, line_number=line.number, line_name=line.name, name=e.name,
                     department=e.department, phone=e.phone, duty=duty.describe(slots), slots=duty.to_json(slots),
                     active=e.active, on_duty=e.active and duty.on_duty(slots, now), note=e.note,
                     updated_at=e.updated_at)


def on_duty_expert(e: Expert) -> OnDutyExpert:
    return OnDutyExpert(id=e.id, name=e.name, department=e.department, phone=e.phone, duty=duty.describe(e.slots))


def target_out(t: LineTarget) -> OnDutyLine:
    return OnDutyLine(line_id=t.line.id, number=t.line.number, name=t.line.name, group=t.group,
                      group_label=t.group_label, method=t.method, method_label=t.method_label, reason=t.reason,
                      on_duty=[on_duty_expert(e) for e in t.on_duty])


def route_out(d: Decision, h: Handover | None = None, at: datetime | None = None) -> RouteOut:
    line = d.line
    handover = None
    if h is not None:
        handover = HandoverOut(line_number=h.line.number, line_name=h.line.name, method=h.method,
                               method_label=h.method_label, unit_id=h.line.owner_unit_id, unit_name=h.line.owner_name,
                               reason=h.reason)
    return RouteOut(action=d.action, queue=d.queue, queue_label=d.queue_label, prompt=d.prompt, ivr_menu=d.ivr_menu,
                    priority=d.priority, rule=d.rule, reason=d.reason, flags=list(d.flags),
                    line_id=line.id if line else None, line_number=line.number if line else None,
                    line_name=line.name if line else None, city=line.city if line else None,
                    transfer_to=d.transfer_to, handover=handover,
                    experts_on_duty=[on_duty_expert(e) for e in line.on_duty(at)] if line and at else [])
