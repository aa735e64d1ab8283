"""Findings from the ticket history: improper returns, buck-passing, false replies; per unit, each
linked to its tickets, through the query functions the assessment uses."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hotline.supervision import detection
from hotline.supervision.enums import FindingKind


def test_improper_return_buck_passing_and_false_reply(db, rt, clock, org, open_ticket, act, run) -> None:
    housing, market, street = (org.units[k].id for k in ("housing", "market", "street"))
    # 不当退单: the market bureau returns, 12345 refuses the return.
    a = open_ticket(unit="market")
    act(a, "market_manager", "return", reason="不属于本单位职责范围")
    act(a, "dispatcher", "refuse_return", reason="属于市场监管职责，请继续办理")

    # 推诿扯皮: returned three times (threshold 2) by housing, market, then housing again.
    b = open_ticket(unit="housing")
    for manager, next_unit in (("housing_manager", market), ("market_manager", housing),
                               ("housing_manager", street)):
        act(b, manager, "return", reason="不属于本单位职责范围")
        act(b, "dispatcher", "reassign", lead_unit_id=next_unit, reason="退单理由成立")

    # 虚假答复: housing replies, callback finds it not solved → reopened.
    c = open_ticket(unit="housing")
    act(c, "housing_handler", "acknowledge")
    act(c, "housing_handler", "reply", content="已处理完毕，噪音问题已解决。")
    act(c, "dispatcher", "close")
    act(c, "callback", "reopen", solved=False, satisfaction="unsatisfied", note="噪音依旧")
    # Unsatisfied but solved is not a false reply.
    d = open_ticket(unit="market")
    act(d, "market_handler", "acknowledge")
    act(d, "market_handler", "reply", content="已约谈商家并责令整改到位。")
    act(d, "dispatcher", "close")
    act(d, "callback", "reopen", solved=True, satisfaction="unsatisfied", note="处理太慢")

    assert run().counts["findings"] == 4
    assert run().counts["findings"] == 0  # re-reading the margin creates nothing twice

    by_unit = {u.unit_id: u.counts for u in detection.findings_by_unit(db)}
    assert by_unit[market] == {"improper_return": 1, "buck_passing": 1, "false_reply": 0}
    assert by_unit[housing] == {"improper_return": 0, "buck_passing": 1, "false_reply": 1}
    assert street not in by_unit
    assert detection.finding_ticket_ids(db, unit_id=housing, kind=FindingKind.FALSE_REPLY) == [c.id]
    assert detection.finding_ticket_ids(db, unit_id=market, kind=FindingKind.BUCK_PASSING) == [b.id]
    rows, total = detection.findings_list(db, unit_id=market)
    assert total == 2 and {f.ticket.number for f in rows} == {a.number, b.number}

    # Periods: nothing happened before today, everything within it.
    now = rt.clock.now()
    assert detection.findings_by_unit(db, until=now - timedelta(days=1)) == []
    assert sum(u.total for u in detection.findings_by_unit(db, since=now - timedelta(hours=1))) == 4

    # A district's supervisor sees the findings on its district's tickets only (all four are in 玄武区).
    xuanwu = org.actor("xuanwu_viewer")
    assert detection.findings_list(db, actor=xuanwu)[1] == 4
    elsewhere = replace(xuanwu, scope_path=org.jurisdictions["qinhuai"].path)
    assert detection.findings_list(db, actor=elsewhere) == ([], 0)
    assert detection.findings_by_unit(db, actor=elsewhere) == []
    db.rollback()


def test_new_events_after_a_run_are_picked_up(db, rt, clock, org, open_ticket, act, run) -> None:
    a = open_ticket(unit="market")
    assert run().counts["findings"] == 0
    act(a, "market_manager", "return", reason="不属于本单位职责范围")
    act(a, "dispatcher", "refuse_return", reason="属于本单位职责")
    assert run().counts["findings"] == 1
