"""What comes in and goes out of the blacklist API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hotline.blacklist.enums import AppealDecision, Verdict


class RulesIn(BaseModel):
    false_report_window_days: int = Field(365, ge=1, le=3650)
    false_report_min: int = Field(3, ge=1, le=100)
    occupation_window_days: int = Field(30, ge=1, le=3650)
    long_call_seconds: int = Field(1200, ge=60, le=86400)
    long_call_min: int = Field(3, ge=1, le=100)


class ProposeOut(BaseModel):
    created: list[int]
    extended: list[int]


class ReasonIn(BaseModel):
    reason: str = Field(max_length=2000)


class ConfirmIn(ReasonIn):
    days: int | None = Field(None, ge=1, le=3650)


class AppealIn(BaseModel):
    text: str = Field(max_length=2000)


class AppealDecisionIn(BaseModel):
    decision: AppealDecision
    reason: str = Field(max_length=2000)


class VerdictIn(BaseModel):
    verdict: Verdict
    note: str = Field(max_length=1000)


class AbuseIn(BaseModel):
    phone: str = Field(max_length=32)
    description: str = Field(max_length=2000)
    occurred_at: datetime | None = None
    call_id: int | None = None
    ticket_id: int | None = None


class ReferralIn(BaseModel):
    referred_at: datetime | None = None
    police_unit: str = Field(max_length=100)
    reference: str = Field(max_length=64)
    note: str | None = Field(None, max_length=1000)


class StandingOut(BaseModel):
    listed: bool
    reason: str | None
    until: datetime | None
    entry_id: int | None
    ground: str | None
    rule: str = "黑名单只限制滥用热线的行为：紧急求助和新的诉求事项照常接听、受理"


class EntryOut(BaseModel):
    id: int
    phone: str | None
    ground: str
    ground_label: str
    status: str
    state: str
    state_label: str
    summary: str
    source: str
    proposed_at: datetime
    proposed_by_name: str
    decided_at: datetime | None
    decided_by_name: str | None
    decision_reason: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by_name: str | None
    revoke_reason: str | None
    appeal_pending: bool
    updated_at: datetime


class EvidenceOut(BaseModel):
    kind: str
    kind_label: str
    ref: str
    ticket_id: int | None
    ticket_number: str | None
    call_id: int | None
    abuse_report_id: int | None
    occurred_at: datetime | None
    note: str | None


class EventOut(BaseModel):
    action: str
    action_label: str
    from_status: str | None
    to_status: str | None
    actor_name: str
    actor_role: str
    at: datetime
    note: str | None


class AppealOut(BaseModel):
    id: int
    text: str
    recorded_at: datetime
    recorded_by_name: str
    decision: str | None
    decision_reason: str | None
    decided_at: datetime | None
    decided_by_name: str | None


class ReferralOut(BaseModel):
    id: int
    abuse_report_id: int
    referred_at: datetime
    referred_by_name: str
    police_unit: str
    reference: str
    note: str | None


class AbuseReportOut(BaseModel):
    id: int
    phone: str | None
    call_id: int | None
    ticket_id: int | None
    description: str
    occurred_at: datetime
    reported_at: datetime
    reported_by_name: str
    entry_id: int | None
    referrals: list[ReferralOut] = []


class EntryDetailOut(EntryOut):
    evidence: list[EvidenceOut]
    events: list[EventOut]
    appeals: list[AppealOut]
    abuse_reports: list[AbuseReportOut]


class VerdictOut(BaseModel):
    ticket_id: int
    verdict: str
    note: str
    at: datetime
    by_name: str
