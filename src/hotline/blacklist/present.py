"""Entries as the API and pages show them: labels, the effective state, phones masked per role."""

from __future__ import annotations

from datetime import datetime

from hotline.blacklist import service
from hotline.blacklist.enums import (
    ACTION_LABELS,
    EFFECTIVE_LABELS,
    EVIDENCE_LABELS,
    GROUND_LABELS,
    EntryAction,
    EvidenceKind,
    Ground,
)
from hotline.blacklist.models import AbuseReport, BlacklistEntry
from hotline.blacklist.schemas import (
    AbuseReportOut,
    AppealOut,
    EntryDetailOut,
    EntryOut,
    EventOut,
    EvidenceOut,
    ReferralOut,
)
from hotline.security.actor import Actor


def entry_out(e: BlacklistEntry, actor: Actor, now: datetime) -> EntryOut:
    state = service.effective(e, now)
    return EntryOut(
        id=e.id, phone=service.shown_phone(actor, e.phone), ground=e.ground,
        ground_label=GROUND_LABELS[Ground(e.ground)],
        status=e.status, state=state, state_label=EFFECTIVE_LABELS[state], summary=e.summary, source=e.source,
        proposed_at=e.proposed_at, proposed_by_name=e.proposed_by_name, decided_at=e.decided_at,
        decided_by_name=e.decided_by_name, decision_reason=e.decision_reason, expires_at=e.expires_at,
        revoked_at=e.revoked_at, revoked_by_name=e.revoked_by_name, revoke_reason=e.revoke_reason,
        appeal_pending=e.appeal_pending, updated_at=e.updated_at,
    )


def abuse_out(r: AbuseReport, actor: Actor) -> AbuseReportOut:
    return AbuseReportOut(
        id=r.id, phone=service.shown_phone(actor, r.phone), call_id=r.call_id, ticket_id=r.ticket_id,
        description=r.description, occurred_at=r.occurred_at, reported_at=r.reported_at,
        reported_by_name=r.reported_by_name, entry_id=r.entry_id,
        referrals=[ReferralOut.model_validate(x, from_attributes=True) for x in r.referrals],
    )


def detail_out(d: service.EntryDetail, actor: Actor, now: datetime) -> EntryDetailOut:
    base = entry_out(d.entry, actor, now).model_dump()
    return EntryDetailOut(
        **base,
        evidence=[EvidenceOut(kind=v.kind, kind_label=EVIDENCE_LABELS[EvidenceKind(v.kind)], ref=v.ref,
                              ticket_id=v.ticket_id, ticket_number=d.tickets.get(v.ticket_id) if v.ticket_id else None,
                              call_id=v.call_id, abuse_report_id=v.abuse_report_id, occurred_at=v.occurred_at,
                              note=v.note) for v in d.evidence],
        events=[EventOut(action=v.action, action_label=ACTION_LABELS[EntryAction(v.action)], from_status=v.from_status,
                         to_status=v.to_status, actor_name=v.actor_name, actor_role=v.actor_role, at=v.at, note=v.note)
                for v in d.events],
        appeals=[AppealOut.model_validate(a, from_attributes=True) for a in d.appeals],
        abuse_reports=[abuse_out(r, actor) for r in d.abuse_reports],
    )
