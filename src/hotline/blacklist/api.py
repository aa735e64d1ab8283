"""The blacklist API: a thin router — parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hotline.blacklist import present, service
from hotline.blacklist.enums import Effective, Ground
from hotline.blacklist.schemas import (
    AbuseIn,
    AbuseReportOut,
    AppealDecisionIn,
    AppealIn,
    ConfirmIn,
    EntryDetailOut,
    EntryOut,
    ProposeOut,
    ReasonIn,
    ReferralIn,
    ReferralOut,
    RulesIn,
    StandingOut,
    VerdictIn,
    VerdictOut,
)
from hotline.deps import DB, RT, ApiActor
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/blacklist", tags=["blacklist"])


def _detail(db: DB, rt: RT, actor: ApiActor, entry_id: int) -> EntryDetailOut:
    detail = service.get_entry(db, rt, actor=actor, entry_id=entry_id)
    return present.detail_out(detail, actor, rt.clock.now())


@router.get("/standing", response_model=StandingOut, summary="来电号码的黑名单状态")
def standing(phone: Annotated[str, Query(min_length=1, max_length=32)], db: DB, rt: RT,
             actor: ApiActor) -> StandingOut:
    service.require_view(actor)
    s = service.standing(db, phone, rt.clock.now())
    return StandingOut(listed=s.listed, reason=s.reason, until=s.until, entry_id=s.entry_id, ground=s.ground)


@router.post("/propose", response_model=ProposeOut, summary="按历史记录提出黑名单候选")
def propose(data: RulesIn, db: DB, rt: RT, actor: ApiActor) -> ProposeOut:
    result = service.propose(db, rt, actor=actor, rules=service.Rules(**data.model_dump()))
    return ProposeOut(created=result.created, extended=result.extended)


@router.get("/entries", response_model=Page[EntryOut], summary="黑名单与候选列表")
def list_entries(
    db: DB, rt: RT, actor: ApiActor,
    phone: Annotated[str | None, Query(max_length=32)] = None,
    ground: Ground | None = None,
    state: Effective | None = None,
    appeal_pending: bool | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Page[EntryOut]:
    filters = service.EntryFilters(phone=phone, ground=ground, state=state, appeal_pending=appeal_pending)
    items, total = service.list_entries(db, rt, actor=actor, filters=filters, page=page, page_size=page_size)
    now = rt.clock.now()
    return Page(items=[present.entry_out(e, actor, now) for e in items], total=total, page=page, page_size=page_size)


@router.get("/entries/{entry_id}", response_model=EntryDetailOut, summary="黑名单记录详情（含证据）")
def get_entry(entry_id: int, db: DB, rt: RT, actor: ApiActor) -> EntryDetailOut:
    return _detail(db, rt, actor, entry_id)


@router.post("/entries/{entry_id}/confirm", response_model=EntryDetailOut, summary="审核列入")
def confirm(entry_id: int, data: ConfirmIn, db: DB, rt: RT, actor: ApiActor) -> EntryDetailOut:
    service.confirm(db, rt, actor=actor, entry_id=entry_id, reason=data.reason, days=data.days)
    return _detail(db, rt, actor, entry_id)


@router.post("/entries/{entry_id}/reject", response_model=EntryDetailOut, summary="不予列入")
def reject(entry_id: int, data: ReasonIn, db: DB, rt: RT, actor: ApiActor) -> EntryDetailOut:
    service.reject(db, rt, actor=actor, entry_id=entry_id, reason=data.reason)
    return _detail(db, rt, actor, entry_id)


@router.post("/entries/{entry_id}/revoke", response_model=EntryDetailOut, summary="撤销")
def revoke(entry_id: int, data: ReasonIn, db: DB, rt: RT, actor: ApiActor) -> EntryDetailOut:
    service.revoke(db, rt, actor=actor, entry_id=entry_id, reason=data.reason)
    return _detail(db, rt, actor, entry_id)


@router.post("/entries/{entry_id}/appeal", response_model=EntryDetailOut, status_code=201, summary="登记申诉")
def appeal(entry_id: int, data: AppealIn, db: DB, rt: RT, actor: ApiActor) -> EntryDetailOut:
    service.record_appeal(db, rt, actor=actor, entry_id=entry_id, text=data.text)
    return _detail(db, rt, actor, entry_id)


@router.post("/entries/{entry_id}/appeal/decision", response_model=EntryDetailOut, summary="处理申诉")
def decide_appeal(entry_id: int, data: AppealDecisionIn, db: DB, rt: RT, actor: ApiActor) -> EntryDetailOut:
    service.decide_appeal(db, rt, actor=actor, entry_id=entry_id, decision=data.decision, reason=data.reason)
    return _detail(db, rt, actor, entry_id)


@router.post("/abuse-reports", response_model=AbuseReportOut, status_code=201, summary="登记辱骂骚扰")
def report_abuse(data: AbuseIn, db: DB, rt: RT, actor: ApiActor) -> AbuseReportOut:
    report = service.report_abuse(db, rt, actor=actor, phone=data.phone, description=data.description,
                                  occurred_at=data.occurred_at, call_id=data.call_id, ticket_id=data.ticket_id)
    return present.abuse_out(report, actor)


@router.post("/abuse-reports/{report_id}/referrals", response_model=ReferralOut, status_code=201,
             summary="登记警情移交")
def refer(report_id: int, data: ReferralIn, db: DB, rt: RT, actor: ApiActor) -> ReferralOut:
    referral = service.refer_to_police(db, rt, actor=actor, abuse_report_id=report_id, referred_at=data.referred_at,
                                       police_unit=data.police_unit, reference=data.reference, note=data.note)
    return ReferralOut.model_validate(referral, from_attributes=True)


@router.put("/tickets/{ticket_id}/verdict", response_model=VerdictOut, summary="认定诉求是否属实")
def verdict(ticket_id: int, data: VerdictIn, db: DB, rt: RT, actor: ApiActor) -> VerdictOut:
    row = service.record_verdict(db, rt, actor=actor, ticket_id=ticket_id, verdict=data.verdict, note=data.note)
    return VerdictOut.model_validate(row, from_attributes=True)
