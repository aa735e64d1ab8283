"""The registry's policy rules as pure functions (no database): which kinds take which modes, the
forward-only order of modes, the status a line may move to, seat arrangements, approvals.

Each check raises a DomainError with a clear Chinese message; the service calls them before it
changes anything, so a refusal leaves the line untouched."""

from __future__ import annotations

import re
from datetime import date

from hotline.errors import DomainError, Forbidden, InvalidTransition
from hotline.hotlines.enums import (
    LINKED_KINDS,
    MODE_LABELS,
    MODE_ORDER,
    SEAT_LABELS,
    STATUS_LABELS,
    LineKind,
    LineStatus,
    MergeMode,
    SeatArrangement,
)
from hotline.security.actor import Actor
from hotline.security.roles import Role

NUMBER_RE = re.compile(r"^[0-9]{3,12}$")
# Who may read the registry (the hall's leads and analysts); only administrators change it.
READ_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.DISPATCHER})
# The telephony adapter's account asks for routing decisions; the hall roles may try them too.
ROUTE_ROLES = frozenset({Role.TELEPHONY, Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.DISPATCHER, Role.OPERATOR,
                         Role.SYSTEM})

K, M, S, Z = LineKind, MergeMode, LineStatus, SeatArrangement

# Seat arrangements each mode allows.
SEATS_BY_MODE: dict[MergeMode, frozenset[SeatArrangement]] = {
    M.FULL_MERGE: frozenset({Z.NONE, Z.EXPERT_SEATS}),
    M.DUAL_NUMBER: frozenset({Z.NONE, Z.BUSINESS_ZONE, Z.EXPERT_SEATS}),
    M.SUB_CENTER: frozenset({Z.OWN_SEATS}),
    M.NONE: frozenset({Z.NONE}),
}


def ensure_reader(actor: Actor) -> None:
    if actor.role not in READ_ROLES:
        raise Forbidden("role_forbidden", "只有系统管理员、督办员、数据分析员和派单员可以查看热线归并清单")


def ensure_admin(actor: Actor) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("role_forbidden", "只有系统管理员可以变更热线归并清单")


def ensure_router(actor: Actor) -> None:
    if actor.role not in ROUTE_ROLES:
        raise Forbidden("role_forbidden", "当前角色无权请求话务路由决策")


def check_number(number: str) -> str:
    value = number.strip()
    if not NUMBER_RE.match(value):
        raise DomainError("bad_number", f"热线号码“{number}”无效：应为 3 至 12 位数字", status_code=422)
    return value


def check_kind_mode(kind: LineKind, mode: MergeMode) -> None:
    """12345, emergency and utility lines are not merged (mode none); a department line always has
    one of the three consolidation modes."""
    if kind == K.DEPARTMENT and mode == M.NONE:
        raise DomainError("mode_required", "部门热线须确定归并方式：整体并入、双号并行或设分中心", status_code=422)
    if kind != K.DEPARTMENT and mode != M.NONE:
        what = "12345主号" if kind == K.MAIN else "紧急热线和公共事业热线只联动、不归并，"
        raise DomainError("mode_not_applicable", f"{what}不设归并方式", status_code=422)


def check_service(kind: LineKind, service: str | None) -> None:
    if kind == K.UTILITY and not service:
        raise DomainError("service_required", "公共事业热线须选择服务类别：供水、供电、燃气或供热", status_code=422)


def check_seats(mode: MergeMode, seats: SeatArrangement) -> None:
    if seats not in SEATS_BY_MODE[mode]:
        allowed = "、".join(SEAT_LABELS[s] for s in SEATS_BY_MODE[mode])
        raise DomainError("seats_not_allowed",
                          f"{MODE_LABELS[mode]}的热线不能设置“{SEAT_LABELS[seats]}”，可选：{allowed}", status_code=422)


def check_period(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise DomainError("bad_period", "过渡期结束日期不能早于开始日期", status_code=422)
    if end and not start:
        raise DomainError("bad_period", "请填写过渡期开始日期", status_code=422)


def check_approval(kind: LineKind, document: str | None, approver: str | None) -> None:
    """全市不再新设政务服务便民热线: a new department hotline needs an approval on record."""
    if kind == K.DEPARTMENT and not ((document or "").strip() and (approver or "").strip()):
        raise DomainError("approval_required",
                          "原则上不再新设政务服务便民热线：新设部门热线须由管理员登记批准文号和批准人", status_code=422)


def check_new_status(kind: LineKind, mode: MergeMode, status: LineStatus) -> None:
    """A line is registered in service; only a fully merged department line may start in transition."""
    if status == S.CANCELLED:
        raise DomainError("status_not_allowed", "不能登记已注销的号码", status_code=422)
    if status == S.IN_TRANSITION and not (kind == K.DEPARTMENT and mode == M.FULL_MERGE):
        raise DomainError("status_not_allowed", "只有整体并入的部门热线才有过渡期", status_code=422)


def check_mode_change(kind: LineKind, status: LineStatus, current: MergeMode, target: MergeMode) -> None:
    if status == S.CANCELLED:
        raise InvalidTransition("line_cancelled", "号码已注销，不再恢复，不能变更归并方式")
    if kind != K.DEPARTMENT:
        raise InvalidTransition("mode_not_applicable",
                                "只有部门热线有归并方式；12345主号、紧急热线和公共事业热线不归并")
    if target == M.NONE:
        raise InvalidTransition("mode_required", "部门热线不能取消归并方式")
    if target == current:
        raise InvalidTransition("same_mode", f"该热线已是“{MODE_LABELS[current]}”")
    if MODE_ORDER.index(target) < MODE_ORDER.index(current):
        raise InvalidTransition(
            "mode_backwards",
            f"归并只能向前推进（设分中心 → 双号并行 → 整体并入），"
            f"不能从“{MODE_LABELS[current]}”退回“{MODE_LABELS[target]}”",
        )


def seats_after_mode(target: MergeMode, seats: SeatArrangement) -> SeatArrangement:
    """The seats a line keeps when its mode moves forward (a sub-center's own seats join 12345)."""
    return seats if seats in SEATS_BY_MODE[target] else Z.NONE


def check_status_change(kind: LineKind, mode: MergeMode, current: LineStatus, target: LineStatus) -> None:
    if current == S.CANCELLED:
        raise InvalidTransition("line_cancelled", "号码已注销，原则上不再恢复")
    if target == current:
        raise InvalidTransition("same_status", f"该热线已是“{STATUS_LABELS[current]}”状态")
    if kind == K.MAIN:
        raise InvalidTransition("main_line_fixed", "12345主号始终在用，不能进入过渡期或注销")
    if kind == K.EMERGENCY:
        raise InvalidTransition("emergency_fixed", "紧急热线（110/119/120/122）不归并、不注销，只与12345联动")
    if target == S.ACTIVE:
        raise InvalidTransition("status_backwards", "过渡期的号码只能注销，不能恢复为在用")
    if kind in LINKED_KINDS:
        if target == S.IN_TRANSITION:
            raise InvalidTransition("status_not_allowed", "公共事业热线不归并，没有过渡期；号码停用请直接注销")
        return
    if mode != M.FULL_MERGE:
        raise InvalidTransition(
            "status_needs_full_merge",
            f"“{MODE_LABELS[mode]}”的热线保留号码；须先变更为“整体并入”，才能进入过渡期或注销号码",
        )
