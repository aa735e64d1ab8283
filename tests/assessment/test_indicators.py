"""Each indicator on a hand-built history driven through the real workflow; the fact table after
refresh equals the direct computation from ticket events and the figures worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

from hotline.assessment import facts, service
from hotline.assessment.indicators import Indicator
from hotline.assessment.models import CENTRE_KEY
from tests.assessment.conftest import Flow

I = Indicator  # noqa: E741
NOVEMBER = service.Period(date(2026, 11, 1), date(2026, 11, 30))
TWO_MONTHS = service.Period(date(2026, 11, 1), date(2026, 12, 31))


def build_history(flow: Flow) -> dict[str, int]:
    t: dict[str, int] = {}
    # T1: acknowledged in time, replied in time, solved and satisfied.
    t["t1"] = flow.new()
    flow.handle(t["t1"])
    flow.callback(t["t1"])
    # T2: acknowledged late (1 working day allowed), not solved → reopened, then solved the second time.
    t["t2"] = flow.new()
    flow.handle(t["t2"], ack_after_h=50)
    flow.callback(t["t2"], solved=False, satisfaction="unsatisfied")
    flow.handle(t["t2"])
    flow.callback(t["t2"], satisfaction="very_satisfied")
    # T3: returned by housing before acknowledging; the centre agrees and reassigns it to the market
    # bureau (退单理由成立): the dispatch's mistake, no return counted against housing.
    t["t3"] = flow.new()
    flow.later(hours=1)
    flow.act("housing_manager", t["t3"], "return", reason="该事项属于市场监管职责，非本单位职责")
    flow.act("dispatcher", t["t3"], "reassign", lead_unit_id=flow.unit("market"))
    flow.handle(t["t3"], "market")
    flow.callback(t["t3"], satisfaction="basically_satisfied")
    # T4: the centre reassigns before housing did anything: not housing's round any more.
    t["t4"] = flow.new()
    flow.act("dispatcher", t["t4"], "reassign", lead_unit_id=flow.unit("market"), reason="派单有误，重新派单")
    # T5: never acknowledged.
    t["t5"] = flow.new()
    # T6: answered directly by the centre.
    t["t6"] = flow.new(unit=None, kind="consultation",
                       direct_answer={"answer": "办理居住证请携带身份证到社区服务中心。",
                                      "answer_source": "居住证办理指南"})
    # T7: replied after the deadline (15 working days), in December.
    t["t7"] = flow.new()
    flow.handle(t["t7"], reply_after_h=24 * 30)
    return t


EXPECTED_HOUSING = {
    "response_rate": (5, 6), "return_rate": (0, 6), "timely_ack_rate": (3, 4), "on_time_close_rate": (3, 4),
    "resolution_rate": (2, 3), "satisfaction_rate": (2, 3), "reopen_rate": (1, 3),
}
EXPECTED_MARKET = {
    "response_rate": (1, 2), "return_rate": (0, 2), "timely_ack_rate": (1, 1), "on_time_close_rate": (1, 1),
    "resolution_rate": (1, 1), "satisfaction_rate": (1, 1), "reopen_rate": (0, 1),
}


def test_each_indicator_by_hand(flow: Flow, db) -> None:  # type: ignore[no-untyped-def]
    build_history(flow)
    result = facts.refresh(db, now=flow.clock.now())
    assert result.events > 0
    housing, market = flow.unit("housing"), flow.unit("market")
    from_facts = facts.totals(db, start=TWO_MONTHS.start, end=TWO_MONTHS.end)
    assert from_facts[housing] == EXPECTED_HOUSING
    assert from_facts[market] == EXPECTED_MARKET
    # The centre: 7 tickets registered, one answered directly.
    assert from_facts[CENTRE_KEY] == {"direct_answer_rate": (1, 7)}
    assert service.direct_totals(db, period=TWO_MONTHS) == from_facts
    assert service.direct_totals(db, period=TWO_MONTHS, unit_id=housing) == {housing: EXPECTED_HOUSING}


def test_a_return_counts_unless_the_centre_agreed(flow: Flow, db) -> None:  # type: ignore[no-untyped-def]
    """A return the centre refused is the unit's; one it agreed with (reassigned out of the review) is the
    dispatch's mistake (QA: one approved return put a street office last in the city)."""
    refused = flow.new()
    flow.act("housing_manager", refused, "return", reason="该事项不属于本单位的职责范围")
    flow.act("dispatcher", refused, "refuse_return", reason="属于房产部门职责，请继续办理")
    agreed = flow.new()
    flow.act("housing_manager", agreed, "return", reason="该事项属于市场监管职责范围")
    flow.act("dispatcher", agreed, "reassign", lead_unit_id=flow.unit("market"))
    facts.refresh(db, now=flow.clock.now())
    housing = flow.unit("housing")
    assert facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]["return_rate"] == (1, 2)
    assert service.direct_totals(db, period=NOVEMBER)[housing]["return_rate"] == (1, 2)


def test_rounds_count_on_their_dispatch_day_and_replies_on_their_own(flow: Flow, db) -> None:  # type: ignore[no-untyped-def]
    build_history(flow)
    facts.refresh(db, now=flow.clock.now())
    housing = flow.unit("housing")
    nov = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    # T7 was dispatched (and acknowledged) in November, its late reply came in December.
    assert nov["response_rate"] == (5, 6) and nov["timely_ack_rate"] == (3, 4)
    assert nov["on_time_close_rate"] == (3, 3)
    dec = facts.totals(db, start=date(2026, 12, 1), end=date(2026, 12, 31))[housing]
    assert dec == {"on_time_close_rate": (0, 1)}


def test_refresh_is_incremental_and_idempotent(flow: Flow, db) -> None:  # type: ignore[no-untyped-def]
    tid = flow.new()
    first = facts.refresh(db, now=flow.clock.now())
    again = facts.refresh(db, now=flow.clock.now())
    assert first.events == 2 and again.events == 0 and again.last_event_id == first.last_event_id
    flow.handle(tid)
    flow.callback(tid)
    facts.refresh(db, now=flow.clock.now(), batch_size=1)  # one event per batch
    housing = flow.unit("housing")
    assert facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing] == \
        service.direct_totals(db, period=NOVEMBER)[housing]


def test_settle_leaves_young_events_for_the_next_run(flow: Flow, db) -> None:  # type: ignore[no-untyped-def]
    flow.new()
    now = flow.clock.now()
    assert facts.refresh(db, now=now, settle=timedelta(minutes=1)).events == 0
    assert facts.refresh(db, now=now + timedelta(minutes=2), settle=timedelta(minutes=1)).events == 2


def test_drill_down_lists_the_tickets_behind_a_figure(flow: Flow, db, org) -> None:  # type: ignore[no-untyped-def]
    t = build_history(flow)
    facts.refresh(db, now=flow.clock.now())
    supervisor = org.actor("supervisor")
    housing = flow.unit("housing")
    rows, total = service.drill(db, actor=supervisor, unit_id=housing, indicator=I.RESPONSE, period=TWO_MONTHS,
                                part="num")
    assert total == 5 and sorted(r.ticket_id for r in rows) == sorted([t["t1"], t["t2"], t["t2"], t["t3"], t["t7"]])
    rows, total = service.drill(db, actor=supervisor, unit_id=housing, indicator=I.RESPONSE, period=TWO_MONTHS,
                                part="den", page_size=3)
    # T4's dispatch (+1) and its reassignment before acknowledgement (−1) both show, and cancel out.
    assert total == 8 and len(rows) == 3
    everything, _ = service.drill(db, actor=supervisor, unit_id=housing, indicator=I.RESPONSE, period=TWO_MONTHS,
                                  part="den", page_size=100)
    assert sum(r.den for r in everything) == 6
    assert [r.den for r in everything if r.ticket_id == t["t4"]] == [1, -1]
    rows, total = service.drill(db, actor=supervisor, unit_id=CENTRE_KEY, indicator=I.DIRECT_ANSWER,
                                period=TWO_MONTHS, part="num")
    assert total == 1 and rows[0].ticket_id == t["t6"] and rows[0].action == "answer_directly"


def test_the_scheduler_pass_keeps_the_facts_current(flow: Flow, db, engine, rt) -> None:  # type: ignore[no-untyped-def]
    """The supervision scheduler's pass refreshes the assessment facts (events older than 30 s)."""
    from hotline.db import make_session_factory
    from hotline.supervision.jobs import run_pass

    flow.new()
    db.rollback()
    flow.clock.advance(timedelta(minutes=1))
    report = run_pass(make_session_factory(engine), flow.rt, mode="test")
    assert report.counts["assessment"] == 2 and report.ok
    assert run_pass(make_session_factory(engine), flow.rt, mode="test").counts["assessment"] == 0
