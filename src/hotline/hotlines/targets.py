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


def rings_back(line: LineView) -> bool:
    """A department line fully merged into 12345 (整体并入; in transition or cancelled too): its number
    rings 12345 (routing rules 6–10), so a call transferred to it comes back to the hall."""
    return line.kind == LineKind.DEPARTMENT and line.mode == MergeMode.FULL_MERGE


def unreachable(line: LineView, at: datetime) -> str | None:
    """Why a call cannot be transferred to this line now, or None when it can. A fully merged line has no
    seats of its own: it is reached only through its expert seats (整体并入，设置专家座席) while someone on
    its rota is on duty; otherwise the transfer would ring 12345 again, and the matter is registered as a
    ticket for the owning unit instead."""
    if not rings_back(line):
        return None
    if line.status == LineStatus.CANCELLED:
        return f"{line.number} {line.name}已注销（并入12345），不能转接：请直接受理，需部门办理的登记工单派发至责任单位"
    if group_of(line) == SeatArrangement.EXPERT_SEATS and line.on_duty(at):
        return None
    why = "其专家座席当前无人值班" if group_of(line) == SeatArrangement.EXPERT_SEATS else "没有自己的座席"
    return (f"{line.number} {line.name}已整体并入12345，{why}，转接会回到12345，不能转接："
            "请直接受理，需部门办理的登记工单派发至责任单位")


def line_targets(snapshot: Snapshot, policy: Policy, *, city: str, at: datetime) -> list[LineTarget]:
    """The city's specialist lines by group (sub-centres first), then number; a fully merged line only
    while an expert on its rota is on duty (unreachable)."""
    out = []
    for (line_city, number), line in snapshot.lines.items():
        group = group_of(line) if line_city == city else None
        if group is None or unreachable(line, at):
            continue
        h = handover(snapshot, policy, Call(dialled=number, at=at, city=city), number)
        out.append(LineTarget(line=line, group=group, method=h.method, method_label=h.method_label, reason=h.reason,
                              on_duty=line.on_duty(at)))
    order = list(GROUPS)
    return sorted(out, key=lambda t: (order.index(t.group), t.line.number))
