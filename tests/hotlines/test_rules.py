"""The registry's policy rules, exhaustively, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from hotline.errors import DomainError, Forbidden
from hotline.hotlines import rules
from hotline.hotlines.enums import MODE_ORDER, LineKind, LineStatus, MergeMode, SeatArrangement
from hotline.security.actor import Actor
from hotline.security.roles import Role

K, M, S, Z = LineKind, MergeMode, LineStatus, SeatArrangement


@pytest.mark.parametrize("current", MODE_ORDER)
@pytest.mark.parametrize("target", MODE_ORDER)
def test_modes_only_move_forward(current: MergeMode, target: MergeMode) -> None:
    forward = MODE_ORDER.index(target) > MODE_ORDER.index(current)
    if forward:
        rules.check_mode_change(K.DEPARTMENT, S.ACTIVE, current, target)
        return
    with pytest.raises(DomainError) as err:
        rules.check_mode_change(K.DEPARTMENT, S.ACTIVE, current, target)
    assert err.value.code == ("same_mode" if target == current else "mode_backwards")
    if target != current:
        assert "只能向前推进" in err.value.message


def test_mode_change_refused_for_cancelled_and_linked_lines() -> None:
    with pytest.raises(DomainError, match="号码已注销"):
        rules.check_mode_change(K.DEPARTMENT, S.CANCELLED, M.DUAL_NUMBER, M.FULL_MERGE)
    for kind in (K.MAIN, K.EMERGENCY, K.UTILITY):
        with pytest.raises(DomainError) as err:
            rules.check_mode_change(kind, S.ACTIVE, M.NONE, M.FULL_MERGE)
        assert err.value.code == "mode_not_applicable"
    with pytest.raises(DomainError):
        rules.check_mode_change(K.DEPARTMENT, S.ACTIVE, M.DUAL_NUMBER, M.NONE)


@pytest.mark.parametrize("target", list(LineStatus))
@pytest.mark.parametrize("kind", list(LineKind))
def test_a_cancelled_number_is_never_restored(kind: LineKind, target: LineStatus) -> None:
    with pytest.raises(DomainError) as err:
        rules.check_status_change(kind, M.FULL_MERGE if kind == K.DEPARTMENT else M.NONE, S.CANCELLED, target)
    assert err.value.code == "line_cancelled"
    assert "不再恢复" in err.value.message


def test_status_transitions_of_a_fully_merged_line() -> None:
    rules.check_status_change(K.DEPARTMENT, M.FULL_MERGE, S.ACTIVE, S.IN_TRANSITION)
    rules.check_status_change(K.DEPARTMENT, M.FULL_MERGE, S.ACTIVE, S.CANCELLED)
    rules.check_status_change(K.DEPARTMENT, M.FULL_MERGE, S.IN_TRANSITION, S.CANCELLED)
    with pytest.raises(DomainError, match="只能注销"):
        rules.check_status_change(K.DEPARTMENT, M.FULL_MERGE, S.IN_TRANSITION, S.ACTIVE)
    with pytest.raises(DomainError, match="已是"):
        rules.check_status_change(K.DEPARTMENT, M.FULL_MERGE, S.IN_TRANSITION, S.IN_TRANSITION)


@pytest.mark.parametrize("mode", [M.DUAL_NUMBER, M.SUB_CENTER])
@pytest.mark.parametrize("target", [S.IN_TRANSITION, S.CANCELLED])
def test_kept_numbers_must_merge_fully_before_cancelling(mode: MergeMode, target: LineStatus) -> None:
    with pytest.raises(DomainError) as err:
        rules.check_status_change(K.DEPARTMENT, mode, S.ACTIVE, target)
    assert err.value.code == "status_needs_full_merge"


def test_main_and_emergency_lines_never_change_status_utility_may_be_cancelled() -> None:
    for target in (S.IN_TRANSITION, S.CANCELLED):
        with pytest.raises(DomainError, match="12345主号"):
            rules.check_status_change(K.MAIN, M.NONE, S.ACTIVE, target)
        with pytest.raises(DomainError, match="紧急热线"):
            rules.check_status_change(K.EMERGENCY, M.NONE, S.ACTIVE, target)
    rules.check_status_change(K.UTILITY, M.NONE, S.ACTIVE, S.CANCELLED)
    with pytest.raises(DomainError, match="没有过渡期"):
        rules.check_status_change(K.UTILITY, M.NONE, S.ACTIVE, S.IN_TRANSITION)


def test_kinds_and_modes() -> None:
    rules.check_kind_mode(K.DEPARTMENT, M.SUB_CENTER)
    rules.check_kind_mode(K.EMERGENCY, M.NONE)
    with pytest.raises(DomainError, match="须确定归并方式"):
        rules.check_kind_mode(K.DEPARTMENT, M.NONE)
    with pytest.raises(DomainError, match="只联动、不归并"):
        rules.check_kind_mode(K.UTILITY, M.FULL_MERGE)
    with pytest.raises(DomainError, match="12345主号"):
        rules.check_kind_mode(K.MAIN, M.DUAL_NUMBER)


def test_seats_per_mode_and_after_a_mode_change() -> None:
    rules.check_seats(M.DUAL_NUMBER, Z.BUSINESS_ZONE)
    rules.check_seats(M.FULL_MERGE, Z.EXPERT_SEATS)
    with pytest.raises(DomainError, match="不能设置“分中心自有座席”"):
        rules.check_seats(M.DUAL_NUMBER, Z.OWN_SEATS)
    with pytest.raises(DomainError):
        rules.check_seats(M.SUB_CENTER, Z.NONE)
    assert rules.seats_after_mode(M.DUAL_NUMBER, Z.OWN_SEATS) == Z.NONE
    assert rules.seats_after_mode(M.FULL_MERGE, Z.EXPERT_SEATS) == Z.EXPERT_SEATS
    assert rules.seats_after_mode(M.FULL_MERGE, Z.BUSINESS_ZONE) == Z.NONE


def test_new_department_hotline_needs_document_and_approver() -> None:
    rules.check_approval(K.DEPARTMENT, "宁政办发〔2026〕1号", "张三")
    rules.check_approval(K.UTILITY, None, None)
    for doc, who in ((None, "张三"), ("宁政办发〔2026〕1号", None), ("  ", "张三"), (None, None)):
        with pytest.raises(DomainError) as err:
            rules.check_approval(K.DEPARTMENT, doc, who)
        assert err.value.code == "approval_required"


def test_period_number_and_new_status() -> None:
    rules.check_period(date(2026, 11, 1), date(2026, 11, 1))
    rules.check_period(date(2026, 11, 1), None)
    with pytest.raises(DomainError, match="不能早于"):
        rules.check_period(date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(DomainError, match="开始日期"):
        rules.check_period(None, date(2026, 11, 1))
    assert rules.check_number(" 12345 ") == "12345"
    for bad in ("12", "12a45", "1234567890123"):
        with pytest.raises(DomainError, match="热线号码"):
            rules.check_number(bad)
    with pytest.raises(DomainError):
        rules.check_new_status(K.DEPARTMENT, M.FULL_MERGE, S.CANCELLED)
    with pytest.raises(DomainError):
        rules.check_new_status(K.DEPARTMENT, M.DUAL_NUMBER, S.IN_TRANSITION)
    rules.check_new_status(K.DEPARTMENT, M.FULL_MERGE, S.IN_TRANSITION)


def test_roles() -> None:
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.ANALYST, Role.DISPATCHER):
        rules.ensure_reader(Actor(role=role, name="x"))
    for role in (Role.OPERATOR, Role.UNIT_HANDLER, Role.CALLBACK_AGENT):
        with pytest.raises(Forbidden):
            rules.ensure_reader(Actor(role=role, name="x"))
    rules.ensure_admin(Actor(role=Role.ADMIN, name="x"))
    with pytest.raises(Forbidden, match="只有系统管理员"):
        rules.ensure_admin(Actor(role=Role.SUPERVISOR, name="x"))
    rules.ensure_router(Actor(role=Role.TELEPHONY, name="adapter"))
    with pytest.raises(Forbidden):
        rules.ensure_router(Actor(role=Role.UNIT_HANDLER, name="x"))
