"""What the 回头看 list answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from hotline.revisit.service import RevisitRow
from hotline.tickets.enums import (
    KIND_LABELS,
    REVIEW_CONCLUSION_LABELS,
    SATISFACTION_LABELS,
    Kind,
    ReviewConclusion,
    Satisfaction,
)


class RevisitItem(BaseModel):
    id: int
    number: str
    title: str
    kind: str
    kind_label: str
    jurisdiction: str | None
    lead_unit: str | None
    reopen_count: int
    finished_at: datetime | None
    solved: bool | None
    satisfaction: str | None
    satisfaction_label: str | None
    conclusion: str | None  # None: not reviewed since it finished
    conclusion_label: str | None
    opinion: str | None
    reviewer_name: str | None
    reviewed_at: datetime | None


class RevisitPage(BaseModel):
    items: list[RevisitItem]
    total: int
    page: int
    page_size: int
    # The period's tickets whatever the review filters: all, reviewed, not yet reviewed.
    period_total: int
    reviewed: int
    not_reviewed: int


def item(row: RevisitRow) -> RevisitItem:
    t, r = row.ticket, row.review
    return RevisitItem(
        id=t.id, number=t.number, title=t.title, kind=t.kind, kind_label=KIND_LABELS[Kind(t.kind)],
        jurisdiction=t.jurisdiction.name if t.jurisdiction else None,
        lead_unit=t.lead_unit.short_name if t.lead_unit else None, reopen_count=t.reopen_count or 0,
        finished_at=t.finished_at, solved=t.solved, satisfaction=t.satisfaction,
        satisfaction_label=SATISFACTION_LABELS[Satisfaction(t.satisfaction)] if t.satisfaction else None,
        conclusion=r.conclusion if r else None,
        conclusion_label=REVIEW_CONCLUSION_LABELS[ReviewConclusion(r.conclusion)] if r else None,
        opinion=r.opinion if r else None, reviewer_name=r.reviewer_name if r else None,
        reviewed_at=r.reviewed_at if r else None)
