"""The registry's lines an operator may hand a specialist matter to (国办发〔2020〕53号 二(一)3:
相对专业的问题通过三方转接、派发工单等方式转至分中心办理): sub-centres (设分中心) and lines with
expert seats (专家座席) or a business zone (业务专区). For each, how routing would hand it over now
(routing.handover: three-way call when the seats are staffed, a ticket when not) and who is on duty.
Pure: the snapshot and the policy in, a list out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.hotlines.enums import ROSTER_SEATS, SEAT_LABELS, LineKind, LineStatus, MergeMode, SeatArrangement
from hotline.hotlines.routing import Call, Expert, LineView, Policy, Snapshot, handover

GROUPS = {"sub_center": "分中心", "expert_seats": SEAT_LABELS[SeatArrangement.EXPERT_SEATS],
          "business_zone": SEAT_LABELS[SeatArrangement.BUSINESS_ZONE]}


@dataclass(frozen=True)
class LineTarget:
    line: LineView
    group: str  # sub_center | expert_seats | business_zone
    method: str  # three_way_call | dispatch_ticket (routing.HANDOVER_METHODS)
    method_label: str
    reason: str
    on_duty: tuple[Expert, ...]

    @property
    def group_label(self) -> str:
        return GROUPS[self.group]

    @property
    def staffed(self) -> bool:
        return self.method == "three_way_call"


def group_of(line: LineView) -> str | None:
    """Where a line sits among the specialist targets; None when it is none (12345 itself, a merged line
    without seats of its own, a linked emergency or utility line, a cancelled number)."""
    if line.kind != LineKind.DEPARTMENT or line.status == LineStatus.CANCELLED:
        return None
    if line.mode == MergeMode.SUB_CENTER:
        return "sub_center"
    if line.seats in ROSTER_SEATS:
        return str(line.seats)
    return None


def line_targets(snapshot: Snapshot, policy: Policy, *, city: str, at: datetime) -> list[LineTarget]:
    """The city's specialist lines by group (sub-centres first), then number."""
    out = []
    for (line_city, number), line in snapshot.lines.items():
        group = group_of(line) if line_city == city else None
        if group is None:
            continue
        h = handover(snapshot, policy, Call(dialled=number, at=at, city=city), number)
        out.append(LineTarget(line=line, group=group, method=h.method, method_label=h.method_label, reason=h.reason,
                              on_duty=line.on_duty(at)))
    order = list(GROUPS)
    return sorted(out, key=lambda t: (order.index(t.group), t.line.number))
