"""相似条目: published articles that already answer the questions of the one being written or
reviewed, so that two units do not publish two answers to one question (标准统一).

An article's standard questions are searched like a caller's questions; a published article
counts as similar when one of its questions means the same: a cosine of at least SAME_MEANING
under the semantic model, or, where semantic search is off, when its best question holds nearly
all of the asked question's content words (LEXICAL_COVERAGE). The threshold was read off the 12306
knowledge base's own near-copies (docs/knowledge.md): from 0.96 up pairs such as 学生票发售期限 /
学生票预售期 ask the same thing; below it, related but different questions appear."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hotline.knowledge import service
from hotline.knowledge.search import Hit, SearchFilters

SAME_MEANING = 0.96
LEXICAL_COVERAGE = 0.9
LIMIT = 5


@dataclass(frozen=True)
class SimilarArticle:
    article_id: int
    key: str
    title: str
    asked: str  # this article's question
    question: str  # the other article's closest question
    similarity: float | None  # the cosine; None when semantic search is off
    audience: str


def _same(hit: Hit) -> bool:
    if hit.similarity is not None:
        return hit.similarity >= SAME_MEANING
    return hit.coverage >= LEXICAL_COVERAGE


def similar_published(db: Session, *, questions: Sequence[str], exclude_article_id: int | None = None,
                      limit: int = LIMIT) -> list[SimilarArticle]:
    """The published articles (every audience, valid or not yet) whose questions mean the same as
    one of `questions`, closest first, one entry per article."""
    asked = [q.strip() for q in dict.fromkeys(questions) if q and q.strip()]
    if not asked:
        return []
    results = service.search_published_many(db, queries=asked, filters=SearchFilters(), limit=LIMIT)
    best: dict[int, SimilarArticle] = {}
    for q, hits in zip(asked, results, strict=True):
        for h in hits:
            if h.article_id == exclude_article_id or not _same(h):
                continue
            seen = best.get(h.article_id)
            if seen is None or (h.similarity or 0.0) > (seen.similarity or 0.0):
                best[h.article_id] = SimilarArticle(article_id=h.article_id, key=h.key, title=h.title, asked=q,
                                                    question=h.question, similarity=h.similarity,
                                                    audience=h.audience)
    ranked = sorted(best.values(), key=lambda s: (-(s.similarity or 0.0), s.article_id))
    return ranked[:limit]

