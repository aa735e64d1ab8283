"""The transition table, pure: every (state, action) pair and every role, with no database."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from hotline.clock import CHINA_TZ
from hotline.errors import InvalidTransition
from hotline.security.actor import Actor
from hotline.security.roles import DataScope, Role
from hotline.tickets import workflow
from hotline.tickets.deadlines import load_policy
from hotline.tickets.enums import Action, AssignmentRole, AssignmentStatus, State

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=CHINA_TZ)
POLICY = load_policy("guangdong")
ALL_PAIRS = [(s, a) for s in [None, *State] for a in Action]


def test_table_covers_only_real_states_and_actions() -> None:
    for (source, action), t in workflow.TABLE.items():
        assert t.source == source and t.action == action
        assert t.roles, f"{action} from {source} names nobody who may perform it"
        # an ended ticket takes only a rating, and a finished one the supervisor's 回头看 (审核研判, 再办理) and
        # the result reported back to the platform that passed it in (反馈转入方, 联动转办), merged or not
        assert source not in workflow.TERMINAL or action == Action.RATE or (
            source == State.FINISHED and action in (Action.REVIEW, Action.REHANDLE, Action.REPORT_BACK)) or (
            source in (State.MERGED, State.WITHDRAWN) and action == Action.REPORT_BACK)


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS)
def test_every_pair_is_allowed_or_refused_in_chinese(state: State | None, action: Action) -> None:
    if (state, action) in workflow.TABLE:
        assert workflow.lookup(state, action).action == action
    else:
        with pytest.raises(InvalidTransition) as err:
            workflow.lookup(state, action)
        assert err.value.code == "transition_not_allowed"
        assert "不能执行" in err.value.message


def _ticket(state: State, **kw: Any) -> SimpleNamespace:
    base = dict(id=1, state=state, assignments=[], extension_pending=False, extension_days_used=0,
                due_at=NOW + timedelta(days=10), return_due_at=NOW + timedelta(days=2), reopen_count=0,
                public_rating=None)
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.mark.parametrize("key", list(workflow.TABLE), ids=lambda k: f"{k[0]}-{k[1]}")
def test_only_named_roles_may_act(key: tuple[State | None, Action]) -> None:
    transition = workflow.TABLE[key]
    ticket = None if key[0] is None else _ticket(key[0])
    for role in Role:
        ctx = workflow.Context(ticket=ticket, actor=Actor(role=role, name=role.value), now=NOW, policy=POLICY)
        if role in transition.roles:
            continue
        with pytest.raises(InvalidTransition) as err:
            workflow.check(ctx, key[1])
        assert err.value.code == "role_not_allowed"


def _assignment(unit_id: int, role: AssignmentRole, status: AssignmentStatus = AssignmentStatus.PENDING):
    return SimpleNamespace(unit_id=unit_id, role=role, status=status, is_open=True)


UNIT_MANAGER = Actor(role=Role.UNIT_MANAGER, name="m", unit_id=7, data_scope=DataScope.OWN_UNIT)


def test_return_needs_the_lead_unit_a_reason_and_the_window() -> None:
    lead = _ticket(State.HANDLING, assignments=[_assignment(7, AssignmentRole.LEAD)])
    ok = workflow.Context(ticket=lead, actor=UNIT_MANAGER, now=NOW, policy=POLICY,
                          params={"reason": "不属于本单位职责"})
    assert workflow.check(ok, Action.RETURN).target == State.RETURN_REVIEW
    other = _ticket(State.HANDLING, assignments=[_assignment(8, AssignmentRole.LEAD)])
    with pytest.raises(InvalidTransition, match="主办单位"):
        workflow.check(workflow.Context(ticket=other, actor=UNIT_MANAGER, now=NOW, policy=POLICY,
                                        params={"reason": "不属于本单位职责"}), Action.RETURN)
    with pytest.raises(InvalidTransition, match="退单理由"):
        workflow.check(workflow.Context(ticket=lead, actor=UNIT_MANAGER, now=NOW, policy=POLICY), Action.RETURN)
    late = workflow.Context(ticket=lead, actor=UNIT_MANAGER, now=NOW + timedelta(days=3), policy=POLICY,
                            params={"reason": "不属于本单位职责"})
    with pytest.raises(InvalidTransition, match="退单时限"):
        workflow.check(late, Action.RETURN)


def test_extension_is_capped_and_not_after_the_deadline() -> None:
    ticket = _ticket(State.HANDLING, assignments=[_assignment(7, AssignmentRole.LEAD)], extension_days_used=8)
    ctx = lambda **p: workflow.Context(ticket=ticket, actor=UNIT_MANAGER, now=NOW, policy=POLICY,  # noqa: E731
                                       params={"reason": "需要现场联合检测", **p})
    assert workflow.check(ctx(days=2), Action.REQUEST_EXTENSION)
    with pytest.raises(InvalidTransition, match="不得超过10个工作日"):
        workflow.check(ctx(days=3), Action.REQUEST_EXTENSION)
    ticket.due_at = NOW - timedelta(hours=1)
    with pytest.raises(InvalidTransition, match="已超期"):
        workflow.check(ctx(days=1), Action.REQUEST_EXTENSION)


def test_callback_outcome_decides_finish_or_reopen_until_the_cap() -> None:
    agent = Actor(role=Role.CALLBACK_AGENT, name="c")
    closed = _ticket(State.CLOSED)
    happy = {"solved": True, "satisfaction": "satisfied"}
    unhappy = {"solved": False, "satisfaction": "unsatisfied"}
    check = lambda params, action: workflow.check(  # noqa: E731
        workflow.Context(ticket=closed, actor=agent, now=NOW, policy=POLICY, params=params), action)
    assert check(happy, Action.CALLBACK).target == State.FINISHED
    with pytest.raises(InvalidTransition, match="退回重办"):
        check(unhappy, Action.CALLBACK)
    assert check(unhappy, Action.REOPEN).target == State.DISPATCHED
    with pytest.raises(InvalidTransition, match="无需退回重办"):
        check(happy, Action.REOPEN)
    closed.reopen_count = POLICY.max_reopens
    assert check(unhappy, Action.CALLBACK).target == State.FINISHED  # cap reached: finish and record
    with pytest.raises(InvalidTransition, match="上限"):
        check(unhappy, Action.REOPEN)


def test_allowed_actions_for_a_unit_handler_on_a_dispatched_ticket() -> None:
    handler = Actor(role=Role.UNIT_HANDLER, name="h", unit_id=7)
    ticket = _ticket(State.DISPATCHED, assignments=[_assignment(7, AssignmentRole.LEAD)])
    assert workflow.allowed_actions(ticket, handler, NOW, POLICY) == [Action.ACKNOWLEDGE]
    assisting = _ticket(State.DISPATCHED, assignments=[_assignment(7, AssignmentRole.ASSISTING)])
    assert set(workflow.allowed_actions(assisting, handler, NOW, POLICY)) == {
        Action.ASSIST_ACKNOWLEDGE, Action.ASSIST_REPLY}


def test_the_centre_decides_on_a_reply_by_the_first_review_after_it() -> None:
    """workflow.reply_verdict: what the public view reads to drop a reply sent back and to show a reply
    only once closed on."""
    def events(*actions: Action) -> list[SimpleNamespace]:
        return [SimpleNamespace(action=a.value) for a in actions]

    assert workflow.reply_verdict([]) is None  # under review
    assert workflow.reply_verdict(events(Action.REJECT_REPLY, Action.REPLY, Action.CLOSE)) == Action.REJECT_REPLY
    assert workflow.reply_verdict(events(Action.CLOSE, Action.CALLBACK, Action.REOPEN, Action.ACKNOWLEDGE,
                                         Action.REPLY, Action.REJECT_REPLY)) == Action.CLOSE  # reopened later
    assert workflow.reply_verdict(events(Action.REPLY, Action.CLOSE)) is None  # a later reply decides for itself


DISPATCHER = Actor(role=Role.DISPATCHER, name="d")


def test_adjusting_the_assisting_units_needs_a_new_list_and_a_reason() -> None:
    """调整协办单位: while a unit has the ticket, a full new list (without the lead unit, without a unit twice,
    different from the units assisting now) and a reason."""
    parts = [_assignment(7, AssignmentRole.LEAD), _assignment(8, AssignmentRole.ASSISTING),
             SimpleNamespace(unit_id=9, role=AssignmentRole.ASSISTING, status=AssignmentStatus.ENDED, is_open=False)]
    ticket = _ticket(State.HANDLING, assignments=parts, lead_unit_id=7,
                     lead_unit=SimpleNamespace(short_name="市房产局"))

    def check(**params: Any) -> workflow.Transition:
        ctx = workflow.Context(ticket=ticket, actor=DISPATCHER, now=NOW, policy=POLICY, params=params)
        return workflow.check(ctx, Action.ADJUST_ASSISTING)

    assert check(assisting_unit_ids=[8, 9], reason="增加协办").target is None  # the state does not change
    assert check(assisting_unit_ids=[], reason="无需协办")
    refusals = [({"assisting_unit_ids": None, "reason": "增加协办"}, "assisting_units_required", 422),
                ({"assisting_unit_ids": [8, 7], "reason": "增加协办"}, "assisting_is_lead", 422),
                ({"assisting_unit_ids": [9, 9], "reason": "增加协办"}, "assisting_duplicate", 422),
                ({"assisting_unit_ids": [8], "reason": "增加协办"}, "assisting_unchanged", 409),
                ({"assisting_unit_ids": [9]}, "reason_required", 422)]
    for params, code, status in refusals:
        with pytest.raises(InvalidTransition) as err:
            check(**params)
        assert (err.value.code, err.value.status_code) == (code, status), params
    with pytest.raises(InvalidTransition, match="协办单位没有变化"):
        check(assisting_unit_ids=[8], reason="增加协办")
    with pytest.raises(InvalidTransition, match="主办单位（市房产局）不能同时作为协办单位"):
        check(assisting_unit_ids=[7], reason="增加协办")
    # offered to the centre while a unit has the ticket, not once it is back with the centre or answered
    for state, offered in ((State.DISPATCHED, True), (State.HANDLING, True), (State.RETURN_REVIEW, False),
                           (State.REPLIED, False), (State.CLOSED, False)):
        ticket.state = state
        assert (Action.ADJUST_ASSISTING in workflow.allowed_actions(ticket, DISPATCHER, NOW, POLICY)) is offered


@pytest.mark.parametrize("state", [State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW])
def test_reassign_must_change_the_lead_unit(state: State) -> None:
    ticket = _ticket(state, assignments=[_assignment(7, AssignmentRole.LEAD)], lead_unit_id=7)
    ctx = lambda lead: workflow.Context(ticket=ticket, actor=DISPATCHER, now=NOW, policy=POLICY,  # noqa: E731
                                        params={"lead_unit_id": lead, "reason": "职责调整"})
    assert workflow.check(ctx(8), Action.REASSIGN).target == State.DISPATCHED
    with pytest.raises(InvalidTransition) as err:
        workflow.check(ctx(7), Action.REASSIGN)
    assert err.value.code == "reassign_same_lead"
    if state == State.RETURN_REVIEW:  # back to the unit that returned it: 驳回退单
        assert "驳回退单" in err.value.message
    else:
        assert "只调整协办单位请用「调整协办单位」" in err.value.message
