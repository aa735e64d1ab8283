"""Answer at once, in figures: how many requests were answered directly (接诉即答) and how many of
those cited the knowledge base, and the consultations that were not (the gaps to fill).

A ticket's `answer_source` is written only by the direct answer; a knowledge citation starts with
`reading.CITATION_PREFIX` (written by the server from the article key, never typed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.knowledge.chat import HANDOVER_MARK
from hotline.knowledge.reading import CITATION_PREFIX
from hotline.tickets.enums import Kind
from hotline.tickets.models import Ticket


@dataclass(frozen=True)
class DirectAnswers:
    registered: int
    consultations: int
    answered_directly: int
    cited_knowledge: int

    @property
    def direct_rate(self) -> float | None:
        return self.answered_directly / self.registered if self.registered else None

    @property
    def knowledge_share(self) -> float | None:
        """Of the direct answers, the share that cited an article."""
        return self.cited_knowledge / self.answered_directly if self.answered_directly else None


def direct_answers(db: Session, *, since: datetime) -> DirectAnswers:
    """Requests registered since `since`."""
    window = (Ticket.created_at >= since,)
    row = db.execute(select(
        func.count(),
        func.count().filter(Ticket.kind == Kind.CONSULTATION),
        func.count().filter(Ticket.answer_source.is_not(None)),
        func.count().filter(Ticket.answer_source.startswith(CITATION_PREFIX, autoescape=True)),
    ).where(*window)).one()
    return DirectAnswers(registered=int(row[0]), consultations=int(row[1]), answered_directly=int(row[2]),
                         cited_knowledge=int(row[3]))


def assistant_handovers(db: Session, *, since: datetime) -> int:
    """Requests registered since `since` that the public chat assistant handed over (转人工): their
    content still begins with the transcript's mark (the citizen may edit it away, so a floor)."""
    return int(db.execute(select(func.count()).where(
        Ticket.created_at >= since, Ticket.content.startswith(HANDOVER_MARK, autoescape=True))).scalar_one())


@dataclass(frozen=True)
class Gap:
    number: str
    title: str
    created_at: datetime


def unanswered_consultations(db: Session, *, since: datetime, limit: int = 10) -> list[Gap]:
    """Recent consultations the hall could not answer at once: questions the knowledge base lacks."""
    rows = db.execute(
        select(Ticket.number, Ticket.title, Ticket.created_at)
        .where(Ticket.created_at >= since, Ticket.kind == Kind.CONSULTATION, Ticket.answer_source.is_(None))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)
    ).all()
    return [Gap(number=n, title=t, created_at=c) for n, t, c in rows]
