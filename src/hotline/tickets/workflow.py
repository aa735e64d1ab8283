"""The closed loop as one table: (state, action) → (next state, who may, guards).

Pure rules, no database: the service asks `check()` before it changes anything, then applies the
action's effects. Guards read a ticket-like object, the actor and the action's parameters; each
refusal is an InvalidTransition with a clear Chinese message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline.errors import InvalidTransition
from hotline.security.actor import Actor
from hotline.security.roles import ROLE_LABELS, UNIT_WORK_ROLES, Role
from hotline.tickets.deadlines import Policy
from hotline.tickets.enums import (
    ACTION_LABELS,
    SATISFIED_LEVELS,
    STATE_LABELS,
    Action,
    AssignmentRole,
    AssignmentStatus,
    ReviewConclusion,
    Satisfaction,
    State,
)


@dataclass(frozen=True)
class Context:
    ticket: Any  # a Ticket, or any object with the same attributes (tests use plain objects)
    actor: Actor
    now: datetime
    policy: Policy
    params: dict[str, Any] = field(default_factory=dict)


Guard = Callable[[Context], None]


@dataclass(frozen=True)
class Transition:
    action: Action
    source: State | None  # None: the ticket does not exist yet
    target: State | None  # None: the state does not change
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()

    def next_state(self, current: State | None) -> State:
        return self.target or current  # type: ignore[return-value]


def refuse(code: str, message: str) -> InvalidTransition:
    return InvalidTransition(code, message)


def missing(code: str, message: str) -> InvalidTransition:
    """Input the action needs was not given: 422 as for a form's missing field, not the 409 of a refused
    transition (QA: a callback without its satisfaction, a dispatch without a unit answered 409 Conflict)."""
    return InvalidTransition(code, message, status_code=422)


# ---- guards -------------------------------------------------------------------------------


def _open_assignments(ctx: Context, role: AssignmentRole | None = None) -> list[Any]:
    return [
        a
        for a in ctx.ticket.assignments
        if a.is_open and a.unit_id == ctx.actor.unit_id and (role is None or a.role == role)
    ]


def actor_is_lead_unit(ctx: Context) -> None:
    if not _open_assignments(ctx, AssignmentRole.LEAD):
        raise refuse("not_lead_unit", "只有本工单的主办单位可以执行此操作")


def actor_is_assisting_unit(ctx: Context) -> None:
    if not _open_assignments(ctx, AssignmentRole.ASSISTING):
        raise refuse("not_assisting_unit", "只有本工单的协办单位可以执行此操作")


def assist_not_acknowledged(ctx: Context) -> None:
    if all(a.status != AssignmentStatus.PENDING for a in _open_assignments(ctx, AssignmentRole.ASSISTING)):
        raise refuse("already_acknowledged", "本单位已签收该工单")


def assist_not_replied(ctx: Context) -> None:
    if all(a.status == AssignmentStatus.REPLIED for a in _open_assignments(ctx, AssignmentRole.ASSISTING)):
        raise refuse("already_replied", "本单位已提交协办答复")


def pending_assisting(ticket: Any) -> list[Any]:
    """The assisting units' open assignments whose opinion (协办意见) has not come in."""
    return [a for a in ticket.assignments
            if a.is_open and a.role == AssignmentRole.ASSISTING and a.status != AssignmentStatus.REPLIED]


def assisting_opinions_in(ctx: Context) -> None:
    """The lead unit answers for all: without every assisting unit's opinion it says why it goes first."""
    pending = pending_assisting(ctx.ticket)
    said = sum(ch.isalnum() for ch in ctx.params.get("reason") or "")  # "。。。。。" says nothing
    if pending and said < 5:
        names = "、".join(a.unit.short_name for a in pending)
        raise refuse("assisting_pending", f"协办单位（{names}）尚未提交协办意见。请待协办意见到齐后答复，"
                                          "或填写先行答复的理由（至少5个字），协办单位的任务将随答复结束")


def needs_text(param: str, label: str, min_len: int = 2) -> Guard:
    def guard(ctx: Context) -> None:
        # letters and digits: a reply of "。。。。。。。。。。" says nothing (QA: it was accepted, on time)
        said = sum(ch.isalnum() for ch in ctx.params.get(param) or "")
        if said < min_len:  # missing input, not a refused transition: 422
            raise InvalidTransition(f"{param}_required", f"请填写{label}（至少{min_len}个字）", status_code=422)

    guard.__name__ = f"needs_{param}"
    return guard


def needs_unit(ctx: Context) -> None:
    if not ctx.params.get("lead_unit_id"):
        raise missing("lead_unit_required", "请选择主办单位")


ADJUST_HINT = "只调整协办单位请用「调整协办单位」（主办单位的签收和时限不变）"


def lead_changes(ctx: Context) -> None:
    """改派 goes to another lead unit: back to the same one would only restart its clocks (签收、退单、办理时限)
    and, waiting for its 签收, wipe a late acknowledgement from the record. The assisting units alone are
    changed by 调整协办单位 (adjust_assisting), which leaves the lead's part as it is. After a return, back to
    the unit that returned it is a refused return (驳回退单, with its reason, and an improper return for the
    assessment), not a reassignment said to find the return justified."""
    if ctx.params.get("lead_unit_id") != ctx.ticket.lead_unit_id:
        return
    if ctx.ticket.state == State.RETURN_REVIEW:
        raise refuse("reassign_same_lead", "改派须选择另一个主办单位：工单正是该单位退回的；"
                                           "如退单理由不成立，请驳回退单，由该单位继续办理")
    if ctx.ticket.state == State.DISPATCHED:
        raise refuse("reassign_same_lead", f"改派须更换主办单位：工单已派该单位主办、正待其签收；{ADJUST_HINT}，"
                                           "如需督促签收请催办")
    raise refuse("reassign_same_lead", f"改派须更换主办单位：工单正由该单位办理；{ADJUST_HINT}，如需督促请催办或督办")


def open_assisting_units(ticket: Any) -> list[int]:
    """The units assisting now: those with an open assisting assignment, in the order they were given it."""
    return list(dict.fromkeys(a.unit_id for a in ticket.assignments
                              if a.is_open and a.role == AssignmentRole.ASSISTING))


def assisting_units_change(ctx: Context) -> None:
    """调整协办单位: the new list of assisting units, given in full (an empty list: none), without the lead unit,
    without a unit twice, and different from the units assisting now."""
    ids = ctx.params.get("assisting_unit_ids")
    if ids is None:  # missing input, not a refused transition: 422
        raise InvalidTransition("assisting_units_required",
                                "请给出调整后的全部协办单位（assisting_unit_ids；不再需要协办单位时给出空列表）",
                                status_code=422)
    lead_id = ctx.ticket.lead_unit_id
    if lead_id is not None and lead_id in ids:
        lead = getattr(ctx.ticket, "lead_unit", None)
        name = f"（{lead.short_name}）" if lead is not None else ""
        raise InvalidTransition("assisting_is_lead", f"主办单位{name}不能同时作为协办单位，请从协办单位中去掉；"
                                                     "更换主办单位请用「改派」", status_code=422)
    if len(set(ids)) != len(ids):
        raise InvalidTransition("assisting_duplicate", "协办单位重复：同一单位只能选择一次", status_code=422)
    if set(ids) == set(open_assisting_units(ctx.ticket)):
        raise refuse("assisting_unchanged", "协办单位没有变化")


def within_return_window(ctx: Context) -> None:
    due = ctx.ticket.return_due_at
    if due is not None and ctx.now > due:
        raise refuse("return_window_passed", "已超过退单时限（派单后2个工作日内），请按时办理或申请延期")


def no_pending_extension(ctx: Context) -> None:
    if ctx.ticket.extension_pending:
        raise refuse("extension_pending", "已有延期申请待审核，请勿重复申请")


def extension_pending(ctx: Context) -> None:
    if not ctx.ticket.extension_pending:
        raise refuse("no_extension_pending", "没有待审核的延期申请")


def not_overdue(ctx: Context) -> None:
    if ctx.ticket.due_at is not None and ctx.now > ctx.ticket.due_at:
        raise refuse("already_overdue", "工单已超期，不能再申请延期")


def extension_left(ctx: Context) -> None:
    """Nothing left of the cap: no form to fill in (QA: the page offered 申请延期 with 「还可延期 0 个工作日」)."""
    cap = ctx.policy.extension_cap_working_days
    if (ctx.ticket.extension_days_used or 0) >= cap:
        raise refuse("extension_cap", f"本工单已延期{cap}个工作日，达到累计上限，不能再申请延期")


def extension_within_cap(ctx: Context) -> None:
    days = ctx.params.get("days")
    if not isinstance(days, int) or days < 1:
        raise missing("extension_days_invalid", "请填写延期天数：正整数（工作日）")
    cap = ctx.policy.extension_cap_working_days
    used = ctx.ticket.extension_days_used or 0
    if used + days > cap:
        raise refuse("extension_cap", f"本工单延期累计不得超过{cap}个工作日（含重启前各轮，已延期{used}个工作日）")


def callback_is_acceptable(ctx: Context) -> None:
    """Finish after callback when solved and satisfied, or when reopening is exhausted."""
    _needs_callback_outcome(ctx)
    if _callback_ok(ctx.params):
        return
    if (ctx.ticket.reopen_count or 0) >= ctx.policy.max_reopens:
        return
    raise refuse("callback_needs_reopen", "诉求未解决或不满意，应退回重办")


def callback_is_unacceptable(ctx: Context) -> None:
    _needs_callback_outcome(ctx)
    if _callback_ok(ctx.params):
        raise refuse("reopen_not_needed", "回访结果为已解决且满意，无需退回重办")
    if (ctx.ticket.reopen_count or 0) >= ctx.policy.max_reopens:
        raise refuse("reopen_cap", f"重办次数已达上限（{ctx.policy.max_reopens}次），请结束回访并如实记录")


def _needs_callback_outcome(ctx: Context) -> None:
    if ctx.params.get("solved") is None or ctx.params.get("satisfaction") not in set(Satisfaction):
        raise missing("callback_outcome_required", "请记录回访结果：是否解决及满意度")


def _callback_ok(params: dict[str, Any]) -> bool:
    return bool(params.get("solved")) and params.get("satisfaction") in SATISFIED_LEVELS


def callback_attempts_used_up(ctx: Context) -> None:
    """无法联系 only after the policy's unanswered calls, spread over its number of different days."""
    if not unreachable_rule_met(ctx.ticket, ctx.policy):
        rule = ctx.policy.callback_unreachable
        raise refuse("callback_attempts_left",
                     f"{unreachable_progress(ctx.ticket, ctx.policy)}。须累计{rule.attempts}次未接通、"
                     f"且分布在{rule.days}个不同日期，方可按无法联系结束回访")


def unreachable_rule_met(ticket: Any, policy: Policy) -> bool:
    rule = policy.callback_unreachable
    return (ticket.callback_attempts or 0) >= rule.attempts and (ticket.callback_attempt_days or 0) >= rule.days


def unreachable_progress(ticket: Any, policy: Policy) -> str:
    """'未接通2次（1个日期）' and what is still needed before the callback ends as 无法联系."""
    n, d = ticket.callback_attempts or 0, ticket.callback_attempt_days or 0
    rule = policy.callback_unreachable
    said = f"已未接通{n}次（{d}个日期）" if n else "尚未记录未接通"
    calls, days = max(rule.attempts - n, 0), max(rule.days - d, 0)
    if not calls and not days:
        return f"{said}，已满足无法联系的条件"
    needs = [f"再拨打{calls}次" if calls else "", f"另选{days}个日期拨打" if days else ""]
    return f"{said}，还需{'且'.join(x for x in needs if x)}"


def needs_rating(ctx: Context) -> None:
    if ctx.params.get("satisfaction") not in set(Satisfaction):
        raise missing("rating_required", "请选择评价等级")


def not_rated(ctx: Context) -> None:
    if ctx.ticket.public_rating:
        raise refuse("already_rated", "该工单已评价，不能重复评价")


def needs_conclusion(ctx: Context) -> None:
    if ctx.params.get("conclusion") not in set(ReviewConclusion):
        raise missing("conclusion_required", "请选择审核研判结论")


def review_calls_for_rehandling(ctx: Context) -> None:
    """再办理 follows a 审核研判 that found the request reasonable and unsolved, not a supervisor's whim:
    the ticket's latest review since it finished says so."""
    if ctx.ticket.review_conclusion != ReviewConclusion.REHANDLE:
        raise refuse("review_required", "须先审核研判，结论为「诉求合理、未解决，需再办理」的工单方可再办理")


def has_parent(ctx: Context) -> None:
    parent_id = ctx.params.get("parent_id")
    if not parent_id:
        raise missing("parent_required", "请指定并入的主工单")
    if parent_id == ctx.ticket.id:
        raise refuse("merge_self", "工单不能并入自身")


def needs_line(ctx: Context) -> None:
    if not ctx.params.get("line_id"):
        raise missing("line_required", "请选择联动平台（转往哪个热线或平台）")


def came_by_linkage(ctx: Context) -> None:
    """反馈转入方: only for a request another platform passed in, and once."""
    linkage = getattr(ctx.ticket, "linkage", None)
    inbound = linkage("in") if linkage is not None else None
    if inbound is None:
        raise refuse("not_linked_in", "该工单不是联动平台转入的，无需反馈转入方")
    if inbound.status != "open":
        raise refuse("already_reported_back", f"已向{inbound.line_name}反馈办理结果，不能重复反馈")


def parent_answered(ctx: Context) -> None:
    """A request passed in and merged: its answer is the parent's, reported back once the parent has one."""
    parent = getattr(ctx.ticket, "parent", None)
    if parent is None or parent.state not in (State.CLOSED, State.FINISHED):
        raise refuse("parent_not_answered", "该工单已并入主工单，主工单办结后方可向转入方反馈办理结果")


# ---- the table ----------------------------------------------------------------------------

S, A, R = State, Action, Role
HALL = frozenset({R.OPERATOR, R.DISPATCHER})
CENTRE = frozenset({R.DISPATCHER, R.SUPERVISOR})
# A unit's business system (部门业务系统) acts for the unit as its manager would: it carries the unit's
# decisions (签收、退单、延期、答复) made in the unit's own system, never the centre's.
UNIT = frozenset({R.UNIT_HANDLER, R.UNIT_MANAGER, R.UNIT_SYSTEM})
MANAGER = frozenset({R.UNIT_MANAGER, R.UNIT_SYSTEM})
OPEN_AT_UNIT = (S.DISPATCHED, S.HANDLING)


def _rows() -> Iterable[Transition]:
    yield Transition(A.REGISTER, None, S.REGISTERED,
                     frozenset({R.OPERATOR, R.DISPATCHER, R.REQUESTER, R.SYSTEM, R.CHANNEL}))
    yield Transition(A.ANSWER_DIRECTLY, S.REGISTERED, S.CLOSED, HALL,
                     (needs_text("answer", "答复内容", 5),
                      needs_text("answer_source", "答复依据（知识库条目或政策文件）")))
    # The system dispatches too: automatic dispatch when the catalogue and the models are sure.
    yield Transition(A.DISPATCH, S.REGISTERED, S.DISPATCHED, HALL | {R.SYSTEM}, (needs_unit,))
    yield Transition(A.ACKNOWLEDGE, S.DISPATCHED, S.HANDLING, UNIT, (actor_is_lead_unit,))
    for s in OPEN_AT_UNIT:
        yield Transition(A.ASSIST_ACKNOWLEDGE, s, None, UNIT, (actor_is_assisting_unit, assist_not_acknowledged))
        yield Transition(A.RETURN, s, S.RETURN_REVIEW, MANAGER,
                         (actor_is_lead_unit, within_return_window, needs_text("reason", "退单理由", 5)))
        yield Transition(A.ASSIST_REPLY, s, None, UNIT,
                         (actor_is_assisting_unit, assist_not_replied, needs_text("content", "协办意见", 5)))
        yield Transition(A.REMIND, s, None, CENTRE, (needs_text("note", "催办意见"),))
        yield Transition(A.SUPERVISE, s, None, frozenset({R.SUPERVISOR}), (needs_text("note", "督办意见", 5),))
        yield Transition(A.MERGE, s, S.MERGED, HALL, (has_parent,))
        yield Transition(A.WITHDRAW, s, S.WITHDRAWN, frozenset({R.REQUESTER, R.OPERATOR}))
    yield Transition(A.REASSIGN, S.DISPATCHED, S.DISPATCHED, CENTRE,
                     (needs_unit, lead_changes, needs_text("reason", "改派理由")))
    yield Transition(A.REASSIGN, S.RETURN_REVIEW, S.DISPATCHED, CENTRE, (needs_unit, lead_changes))
    # The lead unit turns out to be the wrong one, or does not move: the centre takes the ticket back
    # from it while it is being handled, saying why.
    yield Transition(A.REASSIGN, S.HANDLING, S.DISPATCHED, CENTRE,
                     (needs_unit, lead_changes, needs_text("reason", "改派理由")))
    # The assisting units change while a unit has the ticket; the lead unit's assignment, its 签收 and its
    # deadlines stay as they are (改派 to the same lead unit is refused: it would restart them).
    for s in OPEN_AT_UNIT:
        yield Transition(A.ADJUST_ASSISTING, s, None, CENTRE,
                         (assisting_units_change, needs_text("reason", "调整理由")))
    yield Transition(A.REFUSE_RETURN, S.RETURN_REVIEW, S.HANDLING, CENTRE, (needs_text("reason", "驳回理由"),))
    yield Transition(A.REQUEST_EXTENSION, S.HANDLING, None, MANAGER,
                     (actor_is_lead_unit, no_pending_extension, not_overdue, extension_left, extension_within_cap,
                      needs_text("reason", "延期理由", 5)))
    yield Transition(A.APPROVE_EXTENSION, S.HANDLING, None, CENTRE, (extension_pending,))
    yield Transition(A.REFUSE_EXTENSION, S.HANDLING, None, CENTRE,
                     (extension_pending, needs_text("reason", "驳回理由")))
    yield Transition(A.REPLY, S.HANDLING, S.REPLIED, UNIT,
                     (actor_is_lead_unit, needs_text("content", "答复内容", 10), assisting_opinions_in))
    yield Transition(A.REJECT_REPLY, S.REPLIED, S.HANDLING, CENTRE, (needs_text("reason", "退回理由"),))
    yield Transition(A.CLOSE, S.REPLIED, S.CLOSED, CENTRE)
    yield Transition(A.CALLBACK, S.CLOSED, S.FINISHED, frozenset({R.CALLBACK_AGENT}), (callback_is_acceptable,))
    # The requester cannot be reached: each attempt is recorded; once the policy's attempts are used up
    # the service finishes the ticket as 无法联系 (no rating: out of the resolution and satisfaction rates).
    yield Transition(A.CALLBACK_NO_ANSWER, S.CLOSED, None, frozenset({R.CALLBACK_AGENT}))
    yield Transition(A.CALLBACK_UNREACHABLE, S.CLOSED, S.FINISHED, frozenset({R.CALLBACK_AGENT}),
                     (callback_attempts_used_up,))
    yield Transition(A.REOPEN, S.CLOSED, S.DISPATCHED, frozenset({R.CALLBACK_AGENT, R.SUPERVISOR}),
                     (callback_is_unacceptable,))
    # 回头看: a supervisor reviews a finished ticket (审核研判, with the opinion: a legal adviser's, say) and,
    # when the review finds the request reasonable and unsolved, sends it to a unit again (再办理): a new
    # dispatch round with its own deadlines. reopen_count and the callback's max_reopens rule are untouched.
    yield Transition(A.REVIEW, S.FINISHED, None, frozenset({R.SUPERVISOR}),
                     (needs_conclusion, needs_text("note", "研判意见", 5)))
    yield Transition(A.REHANDLE, S.FINISHED, S.DISPATCHED, frozenset({R.SUPERVISOR}),
                     (review_calls_for_rehandling, needs_unit))
    for s in (S.CLOSED, S.FINISHED):
        yield Transition(A.RATE, s, None, frozenset({R.REQUESTER}), (needs_rating, not_rated))
    yield Transition(A.REMIND, S.RETURN_REVIEW, None, CENTRE, (needs_text("note", "催办意见"),))
    yield Transition(A.MERGE, S.REGISTERED, S.MERGED, HALL, (has_parent,))
    yield Transition(A.WITHDRAW, S.REGISTERED, S.WITHDRAWN, frozenset({R.REQUESTER, R.OPERATOR}))
    yield Transition(A.WITHDRAW, S.RETURN_REVIEW, S.WITHDRAWN, frozenset({R.REQUESTER, R.OPERATOR}))
    # 联动转办: the request is another platform's (110 for a police matter, a utility's repair line, another
    # region's 12345): the centre passes it on and waits for the answer, which closes the ticket for the
    # callback as a unit's reply would; or the platform sends it back and it waits for dispatch again.
    yield Transition(A.TRANSFER_OUT, S.REGISTERED, S.TRANSFERRED, HALL,
                     (needs_line, needs_text("reason", "转出理由", 5)))
    yield Transition(A.LINKED_ANSWER, S.TRANSFERRED, S.CLOSED, HALL, (needs_text("content", "对方办理结果", 5),))
    yield Transition(A.LINKED_RETURN, S.TRANSFERRED, S.REGISTERED, HALL, (needs_text("reason", "退回原因", 5),))
    yield Transition(A.WITHDRAW, S.TRANSFERRED, S.WITHDRAWN, frozenset({R.REQUESTER, R.OPERATOR}))
    # A request passed in by a linked platform: once handled (or withdrawn), its result is reported back to it.
    for s in (S.CLOSED, S.FINISHED, S.WITHDRAWN):
        yield Transition(A.REPORT_BACK, s, None, HALL | CENTRE, (came_by_linkage, needs_text("content", "反馈内容", 5)))
    # Merged into a ticket on the same matter: the platform is owed the parent's answer.
    yield Transition(A.REPORT_BACK, S.MERGED, None, HALL | CENTRE,
                     (came_by_linkage, parent_answered, needs_text("content", "反馈内容", 5)))


TABLE: dict[tuple[State | None, Action], Transition] = {}
for _row in _rows():
    if (_row.source, _row.action) in TABLE:  # pragma: no cover - a typo in the table
        raise RuntimeError(f"duplicate transition {_row.source} {_row.action}")
    TABLE[(_row.source, _row.action)] = _row

TERMINAL = frozenset({S.FINISHED, S.MERGED, S.WITHDRAWN})


def lookup(state: State | None, action: Action) -> Transition:
    """The transition for (state, action), or a Chinese refusal naming what is possible instead."""
    transition = TABLE.get((state, action))
    if transition is None:
        state_label = STATE_LABELS[state] if state else "未受理"
        raise refuse(
            "transition_not_allowed",
            f"工单当前状态为「{state_label}」，不能执行「{ACTION_LABELS[action]}」",
        )
    return transition


def check(ctx: Context, action: Action) -> Transition:
    """Raise unless the actor may perform the action on the ticket now; return the transition."""
    state = State(ctx.ticket.state) if ctx.ticket is not None and ctx.ticket.state else None
    try:
        transition = lookup(state, action)
    except InvalidTransition as exc:
        if _at_another_unit(ctx, state):
            # Reassigned from this unit: the state alone reads as if this unit should act (QA: the former
            # lead was told 「工单当前状态为「待签收」，不能执行「答复」」, and could not 签收 either).
            raise refuse(exc.code, f"{exc.message}：该工单已不由本单位承办（如已改派），请以流转记录为准") from None
        raise
    if ctx.actor.role not in transition.roles:
        raise refuse(
            "role_not_allowed",
            f"「{ROLE_LABELS[ctx.actor.role]}」无权执行「{ACTION_LABELS[action]}」",
        )
    for guard in transition.guards:
        guard(ctx)
    return transition


def _at_another_unit(ctx: Context, state: State | None) -> bool:
    """A unit's user on a ticket at a unit, with no open task of its own unit on it."""
    return (state in (State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW) and ctx.actor.role in UNIT_WORK_ROLES
            and getattr(ctx.ticket, "assignments", None) is not None and not _open_assignments(ctx))


def allowed_actions(ticket: Any, actor: Actor, now: datetime, policy: Policy) -> list[Action]:
    """Actions this actor could attempt now, ignoring guards that depend on form input."""
    state = State(ticket.state)
    result: list[Action] = []
    ctx = Context(ticket=ticket, actor=actor, now=now, policy=policy)
    for (source, action), transition in TABLE.items():
        if source != state or actor.role not in transition.roles:
            continue
        try:
            for guard in transition.guards:
                if getattr(guard, "__name__", "").startswith("needs_") or guard in _INPUT_GUARDS:
                    continue
                guard(ctx)
        except InvalidTransition:
            continue
        result.append(action)
    return result


_INPUT_GUARDS: frozenset[Guard] = frozenset(
    {needs_unit, lead_changes, assisting_units_change, extension_within_cap, callback_is_acceptable,
     callback_is_unacceptable, needs_rating, has_parent, assisting_opinions_in, needs_conclusion, needs_line}
)


# ---- what became of a unit's reply ---------------------------------------------------------


def reply_verdict(later: Iterable[Any]) -> Action | None:
    """The centre's decision on a unit's reply, read from the events after it (oldest first): sent
    back (答复退回, REJECT_REPLY) or closed on (办结, CLOSE); None while it awaits review. From 已答复待办结
    the table allows only these two, so the first of them decides; a later reply is a new one.

    The one reading of the rule the public view applies twice: a reply sent back is no part of the
    requester's timeline (service.public_events), and a reply's text shows only once closed on
    (present.public)."""
    for e in later:
        if e.action in (Action.REJECT_REPLY, Action.CLOSE):
            return Action(e.action)
        if e.action == Action.REPLY:
            return None
    return None


def markdown_table() -> str:
    """The table as Markdown, for docs/workflow.md (a test keeps that file in step with the code)."""
    lines = ["| from state | action | to state | who may | guards |", "|---|---|---|---|---|"]
    for t in TABLE.values():
        source = f"{t.source} ({STATE_LABELS[t.source]})" if t.source else "—"
        target = f"{t.target} ({STATE_LABELS[t.target]})" if t.target else "(unchanged)"
        roles = ", ".join(sorted(t.roles))
        guards = ", ".join(getattr(g, "__name__", "?") for g in t.guards) or "—"
        lines.append(f"| {source} | {t.action} ({ACTION_LABELS[t.action]}) | {target} | {roles} | {guards} |")
    return "\n".join(lines)
