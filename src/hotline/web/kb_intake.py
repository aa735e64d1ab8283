"""Knowledge at intake (接诉即答): suggest published answers for what the operator has typed, and
let a direct answer cite the chosen article and version.

Without JavaScript the form's "查找知识" button asks for suggestions and "采用此答复" fills the
answer; with it, static/kb.js does the same through the search API as the request is typed. Either
way the server decides the citation at submit from the article key (`kb_key`): the version in force
at that moment, so a ticket never cites a draft or an expired answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hotline.errors import DomainError
from hotline.knowledge import reading, service
from hotline.knowledge.search import Hit
from hotline.knowledge.text import without_framing
from hotline.runtime import Runtime

SUGGESTIONS = 5
QUERY_MAX = 300


@dataclass(frozen=True)
class Cited:
    """The article a direct answer cites, as the form shows it."""

    article_id: int
    key: str
    number: int
    title: str
    citation: str


def query_of(values: dict[str, Any]) -> str:
    """What to search for: the request's title and content as typed, without 来电人称 and the like."""
    typed = " ".join(v for v in (values.get("title", ""), values.get("content", "")) if v)
    return without_framing(typed).strip()[:QUERY_MAX]


def suggest(db: Session, rt: Runtime, values: dict[str, Any]) -> list[Hit]:
    """Published answers valid now (internal 口径 too: the operator reads them out) for the request,
    in the request's place when one is chosen."""
    query = query_of(values)
    if not query:
        return []
    try:
        filters = service.search_filters(db, rt, audiences=None,
                                         jurisdiction_code=values.get("jurisdiction_code") or None)
    except DomainError:  # an unknown place: suggest city-wide rather than nothing
        filters = service.search_filters(db, rt, audiences=None)
    return service.search_published(db, query=query, filters=filters, limit=SUGGESTIONS)


def _resolve(db: Session, rt: Runtime, key: str) -> tuple[Cited, str]:
    """The article by key, if it may be cited now, and the answer of its version in force."""
    article, version = reading.citable(db, key=key, now=rt.clock.now())
    chosen = Cited(article_id=article.id, key=article.key, number=version.number, title=version.title,
                   citation=reading.citation(article, version))
    answer = version.answer
    db.rollback()  # end the read transaction before the page renders or the ticket is saved (SQLite)
    return chosen, answer


def pick(db: Session, rt: Runtime, values: dict[str, Any], key: str) -> Cited:
    """The operator chose an article: answer directly with its answer (unless one is already
    typed), citing it."""
    chosen, answer = _resolve(db, rt, key)
    values.update(kb_key=chosen.key, next_step="answer", answer_source=chosen.citation)
    if not values.get("answer"):
        values["answer"] = answer
    return chosen


def apply_citation(db: Session, rt: Runtime, values: dict[str, Any]) -> Cited | None:
    """At submit: a direct answer that chose an article cites the version in force now."""
    key = values.get("kb_key") or reading.cited_key(values.get("answer_source") or "") or ""
    if not key or values.get("next_step") != "answer":
        return None
    chosen, answer = _resolve(db, rt, key)
    values["answer_source"] = chosen.citation
    if not values.get("answer"):
        values["answer"] = answer
    return chosen


def clear(values: dict[str, Any]) -> None:
    """The operator no longer cites the article (the answer typed so far stays)."""
    if values.get("kb_key"):
        values.update(kb_key="", answer_source="")


def record_answer(db: Session, chosen: Cited | None, *, closed: bool) -> None:
    """Count the answer given from the article (the maintenance report's 'how often it answered')."""
    if chosen is not None and closed:
        service.record_use(db, article_id=chosen.article_id)
