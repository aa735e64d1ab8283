"""Exemptions: requested with a reason, decided by a supervisor (not the requester), audited; an
approval takes the ticket out of exactly the indicators its kind names, at once and after refresh; a
revocation puts it back on every day and unit it touched, the history kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from hotline.assessment import facts, service
from hotline.assessment.indicators import ExemptionKind, ExemptionStatus
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
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



def test_a_district_supervisor_sees_and_decides_its_district_only(flow: Flow, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    """QA: the 玄武区 supervisor listed a 秦淮区 ticket's exemption (number and title) and approved it."""
    qinhuai = flow.new(unit="market", jurisdiction_code="320104", address="秦淮区中华路1号", title="秦淮区的诉求")
    xuanwu = flow.new(unit="market")
    other = service.request_exemption(db, rt, actor=org.actor("market_handler"), ticket_id=qinhuai,
                                      kind=ExemptionKind.UNREASONABLE, reason="要求超出政策规定范围")
    own = service.request_exemption(db, rt, actor=org.actor("market_handler"), ticket_id=xuanwu,
                                    kind=ExemptionKind.UNREASONABLE, reason="要求超出政策规定范围")
    viewer = org.actor("xuanwu_viewer")
    items, total = service.list_exemptions(db, actor=viewer)
    assert total == 1 and [v.row.id for v in items] == [own.id]
    with pytest.raises(NotFound):
        service.get_exemption(db, actor=viewer, exemption_id=other.id)
    with pytest.raises(NotFound):
        service.decide_exemption(db, rt, actor=viewer, exemption_id=other.id, approve=True, reason="同意")
    with pytest.raises(NotFound, match="不存在"):
        service.request_exemption(db, rt, actor=viewer, ticket_id=qinhuai, kind=ExemptionKind.MEDIATION_ENFORCEMENT,
                                  reason="已调解结案，不应计入")
    assert db.get(type(other), other.id).status == ExemptionStatus.PENDING
    service.decide_exemption(db, rt, actor=viewer, exemption_id=own.id, approve=True, reason="同意")
    # the city-wide supervisor still sees both
    assert service.list_exemptions(db, actor=org.actor("supervisor"))[1] == 2

# ---- revoking an approval ------------------------------------------------------------------------


def _spread_over_days(flow: Flow) -> int:
    """A ticket whose contributions fall on several days and two units: handled by housing, reopened,
    reassigned to the market bureau, handled there and called back unsatisfied again."""
    tid = flow.new()
    flow.handle(tid)
    flow.later(days=1)
    flow.callback(tid, solved=False, satisfaction="unsatisfied")  # reopened, back at housing
    flow.later(days=1)
    flow.act("dispatcher", tid, "reassign", lead_unit_id=flow.unit("market"), reason="改派市场监管局办理")
    flow.handle(tid, "market")
    flow.later(days=1)
    flow.callback(tid, solved=False, satisfaction="very_unsatisfied")
    return tid


def test_revoking_an_approval_puts_the_ticket_back_on_every_day_and_unit(flow: Flow, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    good = flow.new()
    flow.handle(good)
    flow.callback(good)
    bad = _spread_over_days(flow)
    facts.refresh(db, now=flow.clock.now())
    never_exempt = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)
    housing, market = flow.unit("housing"), flow.unit("market")
    assert never_exempt[housing]["satisfaction_rate"] == (1, 2) and never_exempt[market]["satisfaction_rate"] == (0, 1)
    ex = service.request_exemption(db, rt, actor=org.actor("dispatcher"), ticket_id=bad,
                                   kind=ExemptionKind.UNREASONABLE, reason="诉求超出政策规定范围")
    service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, approve=True,
                             reason="经核实诉求不合理")
    exempt = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)
    assert exempt[housing]["satisfaction_rate"] == (1, 1) and exempt[market]["satisfaction_rate"] == (0, 0)
    assert exempt[housing]["response_rate"] == never_exempt[housing]["response_rate"]

    revoked = service.revoke_exemption(db, rt, actor=org.actor("admin"), exemption_id=ex.id,
                                       reason="复核发现诉求合理，撤销豁免")
    assert revoked.status == "revoked" and revoked.revoked_by_name and revoked.revoke_reason
    # History kept: the approval is still on the row.
    assert revoked.decided_by_name and revoked.decision_reason == "经核实诉求不合理"
    after = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)
    assert after == never_exempt
    assert service.direct_totals(db, period=NOVEMBER) == after
    # Day by day, not only in sum: every local day matches the direct computation.
    for offset in range((flow.clock.now().date() - NOVEMBER.start).days + 1):
        day = NOVEMBER.start + timedelta(days=offset)
        one = service.Period(day, day)
        kept = {u: {i: v for i, v in figs.items() if v != (0, 0)}
                for u, figs in facts.totals(db, start=day, end=day).items()}
        assert {u: figs for u, figs in kept.items() if figs} == service.direct_totals(db, period=one), day

    # Events processed after the revocation count as well.
    flow.handle(bad, "market")
    flow.act("callback", bad, "callback", solved=False, satisfaction="unsatisfied")  # reopen cap reached
    facts.refresh(db, now=flow.clock.now())
    later = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)
    assert later[market]["satisfaction_rate"] == (0, 2)
    assert service.direct_totals(db, period=NOVEMBER) == later
    actions = [a for (a,) in db.execute(select(AuditEntry.action).where(
        AuditEntry.object_type == "exemption", AuditEntry.object_id == str(ex.id)).order_by(AuditEntry.id))]
    assert actions == ["request_exemption", "approve_exemption", "revoke_exemption"]


def test_revoking_one_kind_leaves_another_approved_kind_in_force(flow: Flow, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    _good, bad = _two_tickets(flow)
    facts.refresh(db, now=flow.clock.now())
    housing = flow.unit("housing")
    mediation = service.request_exemption(db, rt, actor=org.actor("housing_manager"), ticket_id=bad,
                                          kind=ExemptionKind.MEDIATION_ENFORCEMENT, reason="属于邻里纠纷行政调解")
    repeat = service.request_exemption(db, rt, actor=org.actor("callback"), ticket_id=bad,
                                       kind=ExemptionKind.VEXATIOUS_REPEAT, reason="同一诉求反复来电，无新事实")
    for ex in (mediation, repeat):
        service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, approve=True,
                                 reason="同意豁免")
    both = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    assert both["resolution_rate"] == (1, 1) and both["satisfaction_rate"] == (1, 1)
    service.revoke_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=repeat.id,
                             reason="重复诉求认定有误，撤销")
    after = facts.totals(db, start=NOVEMBER.start, end=NOVEMBER.end)[housing]
    # Resolution and reopen count the ticket again; satisfaction stays exempt by the mediation kind.
    assert after["resolution_rate"] == (1, 3) and after["reopen_rate"] == (2, 3)
    assert after["satisfaction_rate"] == (1, 1)
    assert service.direct_totals(db, period=NOVEMBER)[housing] == after
    # A new request of the revoked kind may be made again.
    again = service.request_exemption(db, rt, actor=org.actor("callback"), ticket_id=bad,
                                      kind=ExemptionKind.VEXATIOUS_REPEAT, reason="补充材料后再次申请豁免")
    assert again.status == "pending"


def test_revoke_rules_and_chinese_errors(flow: Flow, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    tid = flow.new()
    pending = service.request_exemption(db, rt, actor=org.actor("dispatcher"), ticket_id=tid,
                                        kind=ExemptionKind.UNREASONABLE, reason="要求超出政策规定范围")
    with pytest.raises(Conflict, match="只有已批准的豁免可以撤销（当前状态：待审核）"):
        service.revoke_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=pending.id,
                                 reason="尚未审核就撤销")
    service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=pending.id, approve=False,
                             reason="不予豁免")
    with pytest.raises(Conflict, match="当前状态：未批准"):
        service.revoke_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=pending.id,
                                 reason="已经拒绝的申请")
    ex = service.request_exemption(db, rt, actor=org.actor("dispatcher"), ticket_id=tid,
                                   kind=ExemptionKind.UNREASONABLE, reason="补充材料后重新申请")
    service.decide_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, approve=True, reason="同意")
    for who in ("housing_manager", "dispatcher", "analyst"):
        with pytest.raises(Forbidden, match="督办员或系统管理员"):
            service.revoke_exemption(db, rt, actor=org.actor(who), exemption_id=ex.id, reason="无权撤销的角色")
    with pytest.raises(DomainError, match="撤销理由（至少5个字）"):
        service.revoke_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, reason="撤销")
    with pytest.raises(NotFound, match="不存在"):
        service.revoke_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id + 1000,
                                 reason="不存在的申请")
    service.revoke_exemption(db, rt, actor=org.actor("supervisor"), exemption_id=ex.id, reason="复核后撤销豁免")
    with pytest.raises(Conflict, match="该豁免已撤销，不能重复撤销"):
        service.revoke_exemption(db, rt, actor=org.actor("admin"), exemption_id=ex.id, reason="再次撤销同一豁免")
    items, total = service.list_exemptions(db, actor=org.actor("supervisor"), status=ExemptionStatus.REVOKED)
    assert total == 1 and items[0].row.id == ex.id
