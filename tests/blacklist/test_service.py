"""The blacklist's rules through the real service and database: candidates from history, the
supervisor's decisions, expiry, appeal, abuse and police referral, and `standing`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.blacklist import service
from hotline.blacklist.enums import AppealDecision, Effective, EntryStatus, Ground, Verdict
from hotline.blacklist.models import BlacklistEvent, BlacklistEvidence
from hotline.blacklist.sources import CallFact, long_calls
from hotline.clock import FixedClock
from hotline.errors import Conflict, DomainError, Forbidden, InvalidTransition
from hotline.runtime import Runtime
from hotline.security.models import AuditEntry
from hotline.tickets import service as tickets
from hotline.tickets.enums import Action
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import ActionIn, TicketCreate
from tests.factories import Org, intake

PHONE = "13912345678"


def _false_reports(db: Session, rt: Runtime, org: Org, answered: Callable[..., Ticket], n: int,
                   phone: str = PHONE) -> list[int]:
    ids = []
    for _ in range(n):
        t = answered(phone)
        service.record_verdict(db, rt, actor=org.actor("supervisor"), ticket_id=t.id, verdict=Verdict.UNFOUNDED,
                               note="经承办单位现场核实，反映情况不存在")
        ids.append(t.id)
    return ids


def test_normalize_phone() -> None:
    assert service.normalize_phone("+86 139-1234-5678") == PHONE
    assert service.normalize_phone("0086 13912345678") == PHONE
    assert service.normalize_phone("025-8888 1234") == "02588881234"
    assert service.normalize_phone(None) == ""


def test_standing_of_an_unknown_or_empty_number(db: Session, rt: Runtime) -> None:
    assert service.standing(db, PHONE, rt.clock.now()) == service.NOT_LISTED
    assert service.standing(db, "", rt.clock.now()).listed is False
    assert service.standing(db, None, rt.clock.now()).listed is False


def test_false_reports_become_a_candidate_then_a_listing(db: Session, rt: Runtime, org: Org, clock: FixedClock,
                                                         answered: Callable[..., Ticket]) -> None:
    sup = org.actor("supervisor")
    ids = _false_reports(db, rt, org, answered, 2)
    assert service.propose(db, rt, actor=sup).total == 0  # two are below the threshold of three
    ids += _false_reports(db, rt, org, answered, 1)
    result = service.propose(db, rt, actor=sup)
    assert len(result.created) == 1
    entry_id = result.created[0]
    detail = service.get_entry(db, rt, actor=sup, entry_id=entry_id)
    assert detail.entry.ground == Ground.FALSE_REPORTS and detail.effective == Effective.PROPOSED
    assert sorted(e.ticket_id for e in detail.evidence if e.ticket_id) == sorted(ids)
    assert "3 件" in detail.entry.summary
    # A candidate is not a listing.
    assert service.standing(db, PHONE, clock.now()).listed is False
    # Running the rules again proposes nothing new.
    assert service.propose(db, rt, actor=sup).total == 0

    service.confirm(db, rt, actor=sup, entry_id=entry_id, reason="三次虚假反映，浪费公共资源")
    s = service.standing(db, "+86 139 1234 5678", clock.now())
    assert s.listed and s.entry_id == entry_id and s.ground == Ground.FALSE_REPORTS
    assert s.until == clock.now() + timedelta(days=rt.settings.blacklist_expiry_days)
    assert "三次虚假反映" in (s.reason or "")
    # Emergencies and new matters are never limited.
    assert s.restricts(emergency=False, new_matter=False)
    assert not s.restricts(emergency=True, new_matter=False)
    assert not s.restricts(emergency=False, new_matter=True)

    # Expiry: listed until the end of the period, not after.
    clock.advance(timedelta(days=rt.settings.blacklist_expiry_days) - timedelta(minutes=1))
    assert service.standing(db, PHONE, clock.now()).listed
    clock.advance(timedelta(minutes=1))
    assert service.standing(db, PHONE, clock.now()).listed is False
    assert service.get_entry(db, rt, actor=sup, entry_id=entry_id).effective == Effective.EXPIRED
    # Evidence already weighed does not propose the same caller again.
    assert service.propose(db, rt, actor=sup).total == 0

    actions = [e.action for e in db.execute(select(BlacklistEvent).where(BlacklistEvent.entry_id == entry_id))
               .scalars()]
    assert actions == ["propose", "confirm"]
    audited = set(db.execute(select(AuditEntry.action)).scalars())
    assert {"blacklist_verdict", "blacklist_propose", "blacklist_confirm", "blacklist_propose_run"} <= audited


def test_new_evidence_extends_an_open_candidate(db: Session, rt: Runtime, org: Org,
                                                answered: Callable[..., Ticket]) -> None:
    sup = org.actor("supervisor")
    _false_reports(db, rt, org, answered, 3)
    entry_id = service.propose(db, rt, actor=sup).created[0]
    _false_reports(db, rt, org, answered, 1)
    result = service.propose(db, rt, actor=sup)
    assert result.created == [] and result.extended == [entry_id]
    count = len(db.execute(select(BlacklistEvidence).where(BlacklistEvidence.entry_id == entry_id)).all())
    assert count == 4


def test_a_founded_verdict_withdraws_the_mark(db: Session, rt: Runtime, org: Org,
                                              answered: Callable[..., Ticket]) -> None:
    ids = _false_reports(db, rt, org, answered, 3)
    service.record_verdict(db, rt, actor=org.actor("callback"), ticket_id=ids[0], verdict=Verdict.FOUNDED,
                           note="回访核实，诉求属实")
    assert service.propose(db, rt, actor=org.actor("supervisor")).total == 0


def test_verdict_rules(db: Session, rt: Runtime, org: Org, answered: Callable[..., Ticket]) -> None:
    t = answered()
    with pytest.raises(Forbidden):
        service.record_verdict(db, rt, actor=org.actor("operator"), ticket_id=t.id, verdict=Verdict.UNFOUNDED,
                               note="不实")
    with pytest.raises(DomainError, match="核实情况说明"):
        service.record_verdict(db, rt, actor=org.actor("supervisor"), ticket_id=t.id, verdict=Verdict.UNFOUNDED,
                               note=" ")
    # A ticket still being handled: too early to judge; a unit that never had it: not its to judge.
    data = TicketCreate(**intake(dispatch={"lead_unit_id": org.units["housing"].id}))
    open_ticket, _ = tickets.register(db, rt, actor=org.actor("operator"), data=data)
    with pytest.raises(Conflict, match="答复或办结后"):
        service.record_verdict(db, rt, actor=org.actor("supervisor"), ticket_id=open_ticket.id,
                               verdict=Verdict.UNFOUNDED, note="不实情况")
    with pytest.raises(Forbidden):
        service.record_verdict(db, rt, actor=org.actor("market_handler"), ticket_id=open_ticket.id,
                               verdict=Verdict.UNFOUNDED, note="不实情况")
    # The handling unit, after replying, records its finding.
    housing = org.actor("housing_handler")
    tickets.act(db, rt, actor=housing, ticket_id=open_ticket.id, action=Action.ACKNOWLEDGE, params=ActionIn())
    tickets.act(db, rt, actor=housing, ticket_id=open_ticket.id, action=Action.REPLY,
                params=ActionIn(content="经现场核查，该处无餐馆，反映情况不属实。"))
    row = service.record_verdict(db, rt, actor=housing, ticket_id=open_ticket.id, verdict=Verdict.UNFOUNDED,
                                 note="现场核查无此餐馆")
    assert row.phone == PHONE and row.unit_id == org.units["housing"].id
    # Anonymous request without a phone cannot count towards a listing.
    anon = answered(phone=None, requester_name=None, requester_anonymous=True)
    with pytest.raises(DomainError, match="没有诉求人电话"):
        service.record_verdict(db, rt, actor=org.actor("supervisor"), ticket_id=anon.id, verdict=Verdict.UNFOUNDED,
                               note="不实情况")


def test_line_occupation_from_long_calls(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
    now = clock.now()
    calls = [CallFact(call_id=100 + i, phone="13800000001", answered_at=now - timedelta(days=i + 1),
                      talk_seconds=1500 + i) for i in range(3)]
    calls.append(CallFact(call_id=200, phone="13800000002", answered_at=now - timedelta(days=1), talk_seconds=1800))
    seen: dict[str, object] = {}

    def source(db: Session, *, since, until, min_seconds):  # type: ignore[no-untyped-def]
        seen.update(since=since, until=until, min_seconds=min_seconds)
        return [c for c in calls if since <= c.answered_at < until and c.talk_seconds >= min_seconds]

    result = service.propose(db, rt, actor=org.actor("supervisor"), call_source=source)
    assert len(result.created) == 1
    assert seen == {"since": now - timedelta(days=30), "until": now, "min_seconds": 1200}
    detail = service.get_entry(db, rt, actor=org.actor("supervisor"), entry_id=result.created[0])
    assert detail.entry.phone == "13800000001" and detail.entry.ground == Ground.LINE_OCCUPATION
    assert sorted(e.call_id for e in detail.evidence) == [100, 101, 102]
    # Stricter thresholds find nobody.
    strict = service.Rules(long_call_seconds=3600)
    assert service.propose(db, rt, actor=org.actor("supervisor"), rules=strict, call_source=source).total == 0


def test_the_default_call_source_reads_call_records_when_present(db: Session, clock: FixedClock) -> None:
    # Without (or with an empty) call table, nobody is found; never an error.
    now = clock.now()
    assert long_calls(db, since=now - timedelta(days=30), until=now, min_seconds=10**6) == []


def test_bad_rules_are_refused() -> None:
    with pytest.raises(DomainError, match="正整数"):
        service.Rules(false_report_min=0)


def test_abuse_report_referral_and_decision(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
    from hotline.calls.models import Call

    op = org.actor("operator")
    at = clock.now()
    call = Call(call_ref="bl-abuse-call", caller="13800000009", status="ended", created_at=at, updated_at=at)
    db.add(call)
    db.commit()
    report = service.report_abuse(db, rt, actor=op, phone="138 0000 0009", description="来电人多次辱骂话务员并威胁",
                                  call_id=call.id)
    assert report.entry_id is not None
    entry_id = report.entry_id
    second = service.report_abuse(db, rt, actor=op, phone="13800000009", description="再次来电辱骂威胁")
    assert second.entry_id == entry_id  # one open candidate per caller and ground
    clock.advance(timedelta(hours=1))
    referral = service.refer_to_police(db, rt, actor=op, abuse_report_id=report.id, referred_at=None,
                                       police_unit="玄武公安分局", reference="JQ20261102-0012")
    assert referral.referred_by_name == op.name
    with pytest.raises(DomainError, match="警情编号"):
        service.refer_to_police(db, rt, actor=op, abuse_report_id=report.id, referred_at=None,
                                police_unit="玄武公安分局", reference=" ")
    with pytest.raises(DomainError, match="晚于当前时间"):
        service.report_abuse(db, rt, actor=op, phone="13800000009", description="辱骂话务员",
                             occurred_at=clock.now() + timedelta(hours=1))
    with pytest.raises(Forbidden):
        service.report_abuse(db, rt, actor=org.actor("housing_handler"), phone="13800000009", description="辱骂话务员")
    with pytest.raises(DomainError, match="电话号码"):
        service.report_abuse(db, rt, actor=op, phone="12", description="辱骂话务员")

    sup = org.actor("supervisor")
    detail = service.get_entry(db, rt, actor=sup, entry_id=entry_id)
    assert len(detail.abuse_reports) == 2 and detail.abuse_reports[0].referrals[0].reference == "JQ20261102-0012"
    assert {e.kind for e in detail.evidence} == {"abuse_report", "call"}
    assert [e.action for e in detail.events] == ["propose", "add_evidence", "refer_police"]
    with pytest.raises(Forbidden):
        service.confirm(db, rt, actor=op, entry_id=entry_id, reason="辱骂")
    with pytest.raises(DomainError, match="列入理由"):
        service.confirm(db, rt, actor=sup, entry_id=entry_id, reason="")
    service.confirm(db, rt, actor=sup, entry_id=entry_id, reason="辱骂威胁话务员，已移交公安", days=30)
    assert service.standing(db, "13800000009", clock.now()).until == clock.now() + timedelta(days=30)
    with pytest.raises(InvalidTransition):
        service.reject(db, rt, actor=sup, entry_id=entry_id, reason="重复操作")
    # A new abuse report while listed starts a new candidate? No: it waits for the live listing.
    third = service.report_abuse(db, rt, actor=op, phone="13800000009", description="列入后再次辱骂")
    assert third.entry_id != entry_id
    db.rollback()
    db.execute(delete(Call).where(Call.call_ref == "bl-abuse-call"))
    db.commit()


def test_reject_and_revoke(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
    op, sup = org.actor("operator"), org.actor("supervisor")
    a = service.report_abuse(db, rt, actor=op, phone="13800000011", description="言语过激但未辱骂").entry_id
    assert a is not None
    entry = service.reject(db, rt, actor=sup, entry_id=a, reason="情绪激动，未构成辱骂")
    assert entry.status == EntryStatus.REJECTED
    with pytest.raises(InvalidTransition):
        service.revoke(db, rt, actor=sup, entry_id=a, reason="撤销")
    b = service.report_abuse(db, rt, actor=op, phone="13800000012", description="反复辱骂话务员").entry_id
    assert b is not None
    service.confirm(db, rt, actor=sup, entry_id=b, reason="辱骂属实")
    service.revoke(db, rt, actor=sup, entry_id=b, reason="来电人书面道歉，提前移出")
    assert service.standing(db, "13800000012", clock.now()).listed is False


def test_appeal(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
    op, sup = org.actor("operator"), org.actor("supervisor")
    entry_id = service.report_abuse(db, rt, actor=op, phone="13800000013", description="辱骂话务员").entry_id
    assert entry_id is not None
    with pytest.raises(InvalidTransition, match="生效中"):
        service.record_appeal(db, rt, actor=op, entry_id=entry_id, text="我没有骂人")
    service.confirm(db, rt, actor=sup, entry_id=entry_id, reason="录音核实辱骂属实")
    service.record_appeal(db, rt, actor=op, entry_id=entry_id, text="来电人称当时情绪失控，已认识错误")
    with pytest.raises(Conflict):
        service.record_appeal(db, rt, actor=op, entry_id=entry_id, text="再次申诉内容")
    with pytest.raises(Forbidden):
        service.decide_appeal(db, rt, actor=op, entry_id=entry_id, decision=AppealDecision.GRANTED, reason="同意")
    service.decide_appeal(db, rt, actor=sup, entry_id=entry_id, decision=AppealDecision.DISMISSED,
                          reason="录音显示多次辱骂，维持")
    assert service.standing(db, "13800000013", clock.now()).listed
    with pytest.raises(InvalidTransition):
        service.decide_appeal(db, rt, actor=sup, entry_id=entry_id, decision=AppealDecision.GRANTED, reason="同意")
    service.record_appeal(db, rt, actor=op, entry_id=entry_id, text="来电人再次申诉并书面道歉")
    service.decide_appeal(db, rt, actor=sup, entry_id=entry_id, decision=AppealDecision.GRANTED,
                          reason="已书面道歉，准予移出")
    detail = service.get_entry(db, rt, actor=sup, entry_id=entry_id)
    assert detail.effective == Effective.REVOKED and "申诉成立" in (detail.entry.revoke_reason or "")
    assert [a.decision for a in detail.appeals] == ["dismissed", "granted"]
    assert service.standing(db, "13800000013", clock.now()).listed is False


def test_list_filters_search_and_masking(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
    op, sup = org.actor("operator"), org.actor("supervisor")
    for i in range(3):
        service.report_abuse(db, rt, actor=op, phone=f"1380000002{i}", description="辱骂话务员")
    entries, total = service.list_entries(db, rt, actor=sup, filters=service.EntryFilters())
    assert total == 3
    service.confirm(db, rt, actor=sup, entry_id=entries[0].id, reason="辱骂属实")
    active, n = service.list_entries(db, rt, actor=sup, filters=service.EntryFilters(state=Effective.ACTIVE))
    assert n == 1 and active[0].id == entries[0].id
    _, n = service.list_entries(db, rt, actor=sup, filters=service.EntryFilters(state=Effective.PROPOSED))
    assert n == 2
    found, n = service.list_entries(db, rt, actor=sup, filters=service.EntryFilters(phone="138-0000-0021"))
    assert n == 1 and found[0].phone == "13800000021"
    _, n = service.list_entries(db, rt, actor=sup, filters=service.EntryFilters(phone="0022"))
    assert n == 1
    with pytest.raises(DomainError, match="后四位"):
        service.list_entries(db, rt, actor=sup, filters=service.EntryFilters(phone="22"))
    _, n = service.list_entries(db, rt, actor=sup, filters=service.EntryFilters(ground=Ground.FALSE_REPORTS))
    assert n == 0
    assert service.shown_phone(org.actor("analyst"), "13800000021") == "138****0021"
    assert service.shown_phone(sup, "13800000021") == "13800000021"
    with pytest.raises(Forbidden):
        service.list_entries(db, rt, actor=org.actor("housing_handler"), filters=service.EntryFilters())
    clock.advance(timedelta(days=181))
    _, n = service.list_entries(db, rt, actor=sup, filters=service.EntryFilters(state=Effective.EXPIRED))
    assert n == 1


def test_line_occupation_from_the_call_records(db: Session, rt: Runtime, org: Org, clock: FixedClock) -> None:
    """The default source reads hotline.calls' Call rows (caller, answered_at, talk_seconds)."""
    from sqlalchemy import delete

    from hotline.calls.models import Call

    now = clock.now()
    talks = {"13800000031": [1300, 1900, 2500, 300], "13800000032": [1300]}
    n = 0
    for caller, seconds in talks.items():
        for s in seconds:
            n += 1
            at = now - timedelta(days=n)
            db.add(Call(call_ref=f"bl-test-{n}", caller=caller, status="ended", answered_at=at,
                        ended_at=at + timedelta(seconds=s), talk_seconds=s, created_at=at, updated_at=at))
    db.commit()
    try:
        facts = long_calls(db, since=now - timedelta(days=30), until=now, min_seconds=1200)
        assert sorted(f.talk_seconds for f in facts if f.phone == "13800000031") == [1300, 1900, 2500]
        result = service.propose(db, rt, actor=org.actor("supervisor"))
        assert len(result.created) == 1
        entry = service.get_entry(db, rt, actor=org.actor("supervisor"), entry_id=result.created[0]).entry
        assert entry.phone == "13800000031" and entry.ground == Ground.LINE_OCCUPATION
    finally:
        db.rollback()
        db.execute(delete(Call).where(Call.call_ref.like("bl-test-%")))
        db.commit()


def test_a_withheld_number_is_nobodys_on_the_blacklist(db: Session, rt: Runtime, org: Org,
                                                       clock: FixedClock) -> None:
    """QA: 0000000 (what a switch sends for a withheld caller ID) could be proposed from the long calls of
    many callers, reported for abuse and listed — and every withheld caller was then restricted."""
    now = clock.now()
    calls = [CallFact(call_id=300 + i, phone="0000000", answered_at=now - timedelta(days=i + 1), talk_seconds=2000)
             for i in range(5)]
    result = service.propose(db, rt, actor=org.actor("supervisor"), call_source=lambda db, **kw: calls)
    assert result.created == [] and result.extended == []
    with pytest.raises(DomainError, match="各位数字相同或依次连续"):
        service.report_abuse(db, rt, actor=org.actor("operator"), phone="000-0000", description="辱骂并威胁话务员")
    # one listed before this rule (an entry of old) restricts no withheld caller
    old = service._new_entry(db, phone="0000000", ground=Ground.LINE_OCCUPATION, summary="旧数据", source="rule",
                             actor=org.actor("supervisor"), now=now)
    service.confirm(db, rt, actor=org.actor("supervisor"), entry_id=old.id, reason="历史数据中已列入")
    assert service.standing(db, "0000000", now).listed is False
    assert service.standing(db, "+86 000-0000", now).listed is False
