"""Exemptions: requested with a reason, decided by a supervisor (not the requester), audited; an
approval takes the ticket out of exactly the indicators its kind names, at once and after refresh."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from hotline.assessment import facts, service
from hotline.assessment.indicators import ExemptionKind
from hotline.errors import Conflict, DomainError, Forbidden
from hotline.security.models import AuditEntry
from tests.assessment.conftest import Flow

NOVEMBER = service.Period(date(2026, 11, 1), date(2026, 11, 30))


def _two_tickets(flow: Flow) -> tuple[int, int]:
    good = flow.new()
    flow.handle(good)
    flow.callback(good)
    bad = flow.new()
    flow.handle(bad)
    flow.callback(bad, solved=False, satisfaction="very_unsatisfied")  # reopened
    flow.handle(bad)
    flow.callback(bad, solved=False, satisfaction="unsatisfied")  # reopened a second time
    return good, bad


def test_mediation_exemption_takes_the_ticket_out_of_satisfaction_only(flow: Flow, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    good, bad = _two_tickets(flow)
    facts.refresh(db, now=flow.clock.now())
    housing = flow.unit("housing")
    before = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    assert before["satisfaction_rate"] == (1, 3) and before["resolution_rate"] == (1, 3)
    ex = service.request_exemption(db, rt, actor=org.actor("housing_manager"), ticket_id=bad,
                                   kind=ExemptionKind.MEDIATION_ENFORCEMENT, reason="属于邻里纠纷行政调解事项")
    assert ex.status == "pending" and ex.unit_id == housing
    decided = service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, approve=True,
                                       reason="经核实属于行政调解")
    assert decided.status == "approved" and decided.decided_by_name.startswith("supervisor")
    after = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    assert after["satisfaction_rate"] == (1, 1)
    assert after["resolution_rate"] == (1, 3) and after["reopen_rate"] == before["reopen_rate"]
    assert service.direct_totals(db, period=NOVEMBER)[housing] == after
    # Events after the approval stay out as well.
    flow.handle(bad)
    flow.act("callback", bad, "callback", solved=False, satisfaction="unsatisfied")
    facts.refresh(db, now=flow.clock.now())
    later = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    assert later["satisfaction_rate"] == (1, 1) and later["resolution_rate"] == (1, 4)
    assert service.direct_totals(db, period=NOVEMBER)[housing] == later
    actions = set(db.execute(select(AuditEntry.action).where(AuditEntry.object_type == "exemption")).scalars())
    assert actions == {"request_exemption", "approve_exemption"}


def test_vexatious_repeat_only_for_reopened_tickets_and_refusal_changes_nothing(flow: Flow, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    good, bad = _two_tickets(flow)
    with pytest.raises(DomainError, match="退回重办"):
        service.request_exemption(db, rt, actor=org.actor("callback"), ticket_id=good,
                                  kind=ExemptionKind.VEXATIOUS_REPEAT, reason="同一诉求反复来电")
    ex = service.request_exemption(db, rt, actor=org.actor("callback"), ticket_id=bad,
                                   kind=ExemptionKind.VEXATIOUS_REPEAT, reason="同一诉求反复来电，无新的事实")
    with pytest.raises(Conflict):
        service.request_exemption(db, rt, actor=org.actor("supervisor"), ticket_id=bad,
                                  kind=ExemptionKind.VEXATIOUS_REPEAT, reason="重复提交的申请")
    facts.refresh(db, now=flow.clock.now())
    housing = flow.unit("housing")
    before = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, approve=False,
                             reason="诉求合理，不予豁免")
    assert facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing] == before
    with pytest.raises(Conflict, match="已审核"):
        service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, approve=True,
                                 reason="改为批准")
    # A new request after a refusal may be approved: resolution, satisfaction and reopen lose the ticket.
    again = service.request_exemption(db, rt, actor=org.actor("callback"), ticket_id=bad,
                                      kind=ExemptionKind.VEXATIOUS_REPEAT, reason="补充材料：第三次来电内容相同")
    service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=again.id, approve=True,
                             reason="同意")
    after = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    assert after["resolution_rate"] == (1, 1) and after["satisfaction_rate"] == (1, 1)
    assert after["reopen_rate"] == (0, 1)
    assert after["response_rate"] == before["response_rate"]  # not an affected indicator


def test_who_may_request_and_decide(flow: Flow, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    tid = flow.new()
    with pytest.raises(Forbidden):  # the ticket never went to the market bureau
        service.request_exemption(db, rt, actor=org.actor("market_manager"), ticket_id=tid,
                                  kind=ExemptionKind.UNREASONABLE, reason="诉求明显不合理")
    with pytest.raises(Forbidden):
        service.request_exemption(db, rt, actor=org.actor("analyst"), ticket_id=tid,
                                  kind=ExemptionKind.UNREASONABLE, reason="诉求明显不合理")
    with pytest.raises(DomainError, match="至少5个字"):
        service.request_exemption(db, rt, actor=org.actor("housing_handler"), ticket_id=tid,
                                  kind=ExemptionKind.UNREASONABLE, reason="不合理")
    ex = service.request_exemption(db, rt, actor=org.actor("supervisor"), ticket_id=tid,
                                   kind=ExemptionKind.UNREASONABLE, reason="要求超出政策规定范围")
    with pytest.raises(Forbidden, match="本人"):
        service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, approve=True, reason="同意")
    with pytest.raises(Forbidden, match="督办员"):
        service.decide_exemption(db, rt, actor=org.actor("housing_manager"), exemption_id=ex.id, approve=True,
                                 reason="同意")
    items, total = service.list_exemptions(db, actor=org.actor("market_manager"))
    assert total == 0 and items == []
    items, total = service.list_exemptions(db, actor=org.actor("housing_manager"))
    assert total == 1 and items[0].number
