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
# "相关问题" on a public article: about the same subject. Unrelated questions sit near 0.85 under
# e5 (医保卡丢了怎么补办？ / 住房公积金怎么提取？: 0.85), questions on the same subject from about
# 0.9 (公积金贷款利率是多少？ / 住房公积金怎么提取？: 0.90).
RELATED_AT = 0.88


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
    key = exclude_article_id if exclude_article_id is not None else 0
    return similar_for_articles(db, {key: questions}, limit=limit)[key]


def similar_for_articles(db: Session, questions_of: dict[int, Sequence[str]], *,
                         limit: int = LIMIT) -> dict[int, list[SimilarArticle]]:
    """`similar_published` for several articles at once (a review queue), in one search batch:
    article id → its similar published articles (itself left out)."""
    asked = {aid: [q.strip() for q in dict.fromkeys(qs) if q and q.strip()] for aid, qs in questions_of.items()}
    queries = list(dict.fromkeys(q for qs in asked.values() for q in qs))
    hits_of = dict(zip(queries, service.search_published_many(db, queries=queries, filters=SearchFilters(),
                                                              limit=LIMIT), strict=True)) if queries else {}
    out: dict[int, list[SimilarArticle]] = {}
    for aid, qs in asked.items():
        best: dict[int, tuple[tuple[float, float], SimilarArticle]] = {}
        for q in qs:
            for h in hits_of[q]:
                if h.article_id == aid or not _same(h):
                    continue
                closeness = (h.similarity or 0.0, h.coverage)  # the cosine; without it, the shared words
                seen = best.get(h.article_id)
                if seen is None or closeness > seen[0]:
                    best[h.article_id] = (closeness, SimilarArticle(
                        article_id=h.article_id, key=h.key, title=h.title, asked=q, question=h.question,
                        similarity=h.similarity, audience=h.audience))
        ranked = sorted(best.values(), key=lambda c: (-c[0][0], -c[0][1], c[1].article_id))
        out[aid] = [s for _, s in ranked[:limit]]
    return out


def related(db: Session, *, question: str, filters: SearchFilters, exclude_article_id: int,
            limit: int = LIMIT) -> list[Hit]:
    """Other published articles on the same subject as `question`, for "相关问题" under an article:
    the search's hits within `filters`, the article itself left out, and — with the semantic model
    — only those whose closest question reaches RELATED_AT."""
    hits = service.search_published(db, query=question, filters=filters, limit=limit + 1)
    return [h for h in hits if h.article_id != exclude_article_id
            and (h.similarity is None or h.similarity >= RELATED_AT)][:limit]
