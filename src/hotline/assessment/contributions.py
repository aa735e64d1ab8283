"""What each ticket event contributes to the indicators: the one definition behind the fact table,
the direct computation from tickets and the drill-down.

A contribution is a row (event_id, ticket_id, unit_id, day, indicator, num, den). An indicator's figure
for a unit and period is sum(num) / sum(den) over its rows whose day falls in the period. Round-based
indicators (response, return, timely acknowledgement) count on the local day the round was dispatched
(a cohort: a ticket dispatched in October counts in October, even when acknowledged in November);
the others count on the local day of their own event. docs/assessment.md states every rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select, Subquery

from hotline.assessment.indicators import Indicator, kinds_exempting
from hotline.assessment.models import CENTRE_KEY, Exemption
from hotline.assessment.sqlfuncs import in_few, local_day
from hotline.tickets.enums import SATISFIED_LEVELS, Action, State
from hotline.tickets.models import TicketEvent

I = Indicator  # noqa: E741
# 再办理 (回头看) sends a finished ticket to a unit as a round of its own, like a reopening.
ROUND_START = (str(Action.DISPATCH), str(Action.REASSIGN), str(Action.REOPEN), str(Action.REHANDLE))
# Endings of a round that was still waiting for the unit and that are not the unit's doing:
# the centre reassigned it, merged it into another ticket, or the requester withdrew it.
NO_FAULT_END = (str(Action.REASSIGN), str(Action.MERGE), str(Action.WITHDRAW))
# Callback outcomes: the callback that finished the ticket, or the one that reopened it.
OUTCOMES = (str(Action.CALLBACK), str(Action.REOPEN))
SATISFIED = sorted(str(s) for s in SATISFIED_LEVELS)

COLUMNS = ("event_id", "ticket_id", "unit_id", "day", "indicator", "num", "den")


# The exemption rules, as one keep-flag column of `ev_close` per distinct set of exempting kinds:
# 1 when the ticket has no approved exemption of those kinds. Computed once per callback outcome (a
# hashed IN on PostgreSQL) rather than as a correlated subquery per indicator.
_EXEMPTING = {i: tuple(kinds_exempting(i)) for i in Indicator if kinds_exempting(i)}
_KEEP_COLUMN = {kinds: f"keep_{n}" for n, kinds in enumerate(sorted(set(_EXEMPTING.values())))}


def _keep_flag(ticket_id: Any, kinds: tuple[str, ...]) -> ColumnElement[int]:
    exempted = select(Exemption.ticket_id).where(Exemption.status == "approved", Exemption.kind.in_(kinds))
    return case((ticket_id.in_(exempted), 0), else_=1)


def _value(v: int | ColumnElement[int]) -> ColumnElement[int]:
    return literal(v, Integer) if isinstance(v, int) else v


def _flag(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return case((cond, 1), else_=0)


def _last_before(t: Any, cond: ColumnElement[bool]) -> Any:
    """The id of the ticket's last earlier event matching `cond` (a window: no per-row subquery)."""
    return func.max(case((cond, t.id))).over(partition_by=t.ticket_id, order_by=t.id, rows=(None, -1))


def _contexts(event_filter: Any, *, few_tickets: bool = False) -> tuple[Any, Any, Any]:
    """Three CTEs over the selected events: `ev` (every selected event, with its day and the flags read
    from its data), `ev_round` (acknowledgements, returns and round endings, with the round they belong
    to: the unit and day of the last dispatch, reassign or reopen before them) and `ev_close` (callback
    outcomes, with the unit of the last `close` before them and the exemption keep flags).

    The windows run over every event of the tickets concerned — earlier events too, which a refresh
    batch may not contain; the rows kept are those `event_filter` selects. Flags are read from the JSON
    once, here, and only for the actions that carry them. `few_tickets`: the selection touches few
    tickets (a refresh batch, one ticket): their histories are fetched through the ticket_id index."""
    t = TicketEvent.__table__.c
    f = aliased(TicketEvent, name="f")
    touched = select(f.ticket_id).where(*event_filter(f)).distinct()
    outcome = t.action.in_(OUTCOMES)

    def flag(action: Any, value: ColumnElement[bool]) -> ColumnElement[int]:
        return case((and_(action, value), 1), else_=0)

    history = (
        select(t.id, t.ticket_id, t.at, t.action, t.from_state, t.unit_id,
               local_day(t.at).label("day"),
               flag(t.action == str(Action.ACKNOWLEDGE), t.data["late"].as_boolean().is_not(True)).label("ack_on_time"),
               flag(t.action == str(Action.REPLY), t.data["on_time"].as_boolean().is_(True)).label("reply_on_time"),
               _flag(outcome).label("is_outcome"),
               flag(outcome, t.data["solved"].as_boolean().is_(True)).label("solved"),
               flag(outcome, t.data["satisfaction"].as_string().in_(SATISFIED)).label("satisfied"),
               _last_before(t, t.action.in_(ROUND_START)).label("round_id"),
               _last_before(t, t.action == str(Action.CLOSE)).label("close_id"),
               _last_before(t, t.action == str(Action.RETURN)).label("prev_return_id"))
        .where(in_few(t.ticket_id, touched) if few_tickets else t.ticket_id.in_(touched))
        .cte("history")
    )
    h = history.c
    ev = select(history).where(*event_filter(h)).cte("ev")
    r = history.alias("r")
    # The first return of a round counts; a second one after a refused return does not.
    first_return = _flag(or_(ev.c.prev_return_id.is_(None), ev.c.prev_return_id < ev.c.round_id))
    ev_round = (
        select(ev.c.id, ev.c.ticket_id, ev.c.action, ev.c.from_state, ev.c.ack_on_time,
               first_return.label("first_return"), r.c.unit_id.label("round_unit"), r.c.day.label("round_day"))
        .select_from(ev.join(r, r.c.id == ev.c.round_id))
        .where(ev.c.action.in_((str(Action.ACKNOWLEDGE), str(Action.RETURN), *NO_FAULT_END)))
        .cte("ev_round")
    )
    c = history.alias("c")
    ev_close = (
        select(ev.c.id, ev.c.ticket_id, ev.c.action, ev.c.day, c.c.unit_id.label("close_unit"), ev.c.solved,
               ev.c.satisfied, *(_keep_flag(ev.c.ticket_id, kinds).label(col) for kinds, col in _KEEP_COLUMN.items()))
        .select_from(ev.join(c, c.c.id == ev.c.close_id))
        .where(ev.c.is_outcome == 1, c.c.unit_id.is_not(None))
        .cte("ev_close")
    )
    return ev, ev_round, ev_close


def branches(event_filter: Any, *, few_tickets: bool = False) -> list[Select[Any]]:
    """One SELECT per (kind of event, indicator), over the events `event_filter(e)` selects."""
    ev, ev_round, ev_close = _contexts(event_filter, few_tickets=few_tickets)
    out: list[Select[Any]] = []

    def emit(src: Any, indicator: Indicator, unit: Any, day: Any, num: Any, den: Any,
             *conds: ColumnElement[bool]) -> None:
        e = src.c
        if indicator in _EXEMPTING:
            conds = (*conds, e[_KEEP_COLUMN[_EXEMPTING[indicator]]] == 1)
        out.append(
            select(e.id.label("event_id"), e.ticket_id.label("ticket_id"), unit.label("unit_id"), day.label("day"),
                   literal(str(indicator)).label("indicator"), _value(num).label("num"), _value(den).label("den"))
            .select_from(src).where(*conds)
        )

    e, r, c = ev.c, ev_round.c, ev_close.c
    # Round starts: a dispatch, reassignment, reopen or 再办理 puts a round in the lead unit's denominator.
    for ind in (I.RESPONSE, I.RETURN):
        emit(ev, ind, e.unit_id, e.day, 0, 1, e.action.in_(ROUND_START))
    # Acknowledgement: the round responded (response) and, when not late, acknowledged in time.
    ack = r.action == str(Action.ACKNOWLEDGE)
    emit(ev_round, I.RESPONSE, r.round_unit, r.round_day, 1, 0, ack)
    emit(ev_round, I.TIMELY_ACK, r.round_unit, r.round_day, r.ack_on_time, 1, ack)
    # Return: before acknowledging it is the unit's response; the first return of a round is counted.
    ret = r.action == str(Action.RETURN)
    emit(ev_round, I.RESPONSE, r.round_unit, r.round_day, 1, 0, ret, r.from_state == str(State.DISPATCHED))
    emit(ev_round, I.RETURN, r.round_unit, r.round_day, 1, 0, ret, r.first_return == 1)
    # …unless the centre agreed: a reassignment out of the return's review (退单理由成立) was the
    # dispatch's mistake, not the unit's (QA: one approved return put a street office last in the city).
    emit(ev_round, I.RETURN, r.round_unit, r.round_day, -1, 0, r.action == str(Action.REASSIGN),
         r.from_state == str(State.RETURN_REVIEW))
    # A round still waiting when the centre reassigned or merged it, or the requester withdrew: not counted.
    for ind in (I.RESPONSE, I.RETURN):
        emit(ev_round, ind, r.round_unit, r.round_day, 0, -1, r.action.in_(NO_FAULT_END),
             r.from_state == str(State.DISPATCHED))
    # Reply by the lead unit: on time or not (the service records on_time against the running deadline).
    emit(ev, I.ON_TIME_CLOSE, e.unit_id, e.day, e.reply_on_time, 1, e.action == str(Action.REPLY))
    # Callback outcomes (finished or reopened) judge the lead unit that replied (the unit of the close).
    emit(ev_close, I.RESOLUTION, c.close_unit, c.day, c.solved, 1)
    emit(ev_close, I.SATISFACTION, c.close_unit, c.day, c.satisfied, 1)
    emit(ev_close, I.REOPEN, c.close_unit, c.day, _flag(c.action == str(Action.REOPEN)), 1)
    # The centre: registered tickets and those it answered directly.
    centre = literal(CENTRE_KEY, Integer)
    emit(ev, I.DIRECT_ANSWER, centre, e.day, 0, 1, e.action == str(Action.REGISTER))
    emit(ev, I.DIRECT_ANSWER, centre, e.day, 1, 0, e.action == str(Action.ANSWER_DIRECTLY))
    return out


def contributions(event_filter: Any, *, few_tickets: bool = False) -> Subquery:
    """Every contribution of the events that `event_filter(e)` selects, as a subquery named `contrib`."""
    return union_all(*branches(event_filter, few_tickets=few_tickets)).subquery("contrib")


def by_range(low: int, high: int) -> Any:
    """Events with low < id <= high (a refresh batch)."""
    return lambda e: [e.id > low, e.id <= high]


def by_ticket(ticket_id: int, up_to: int | None = None) -> Any:
    def f(e: Any) -> list[ColumnElement[bool]]:
        conds = [e.ticket_id == ticket_id]
        if up_to is not None:
            conds.append(e.id <= up_to)
        return conds

    return f


def by_candidates(*, since: Any, ticket_ids: Any | None) -> Any:
    """Events at or after `since` (a contribution's day is never after its event's), optionally limited
    to a set of tickets (a subquery: the tickets ever assigned to a unit)."""

    def f(e: Any) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = [e.at >= since]
        if ticket_ids is not None:
            conds.append(e.ticket_id.in_(ticket_ids))
        return conds

    return f


