"""Reads for the knowledge pages: what the public may read, what an operator may cite, and the
categories and most-used answers shown on the public knowledge page.

The public sees an article only while it is published, meant for the public or enterprises, and
valid at this instant (the same window the public search applies), so a page never shows what a
search would hide.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from hotline.errors import DomainError, NotFound
from hotline.knowledge.enums import PUBLIC_AUDIENCES
from hotline.knowledge.models import Article, ArticleVersion
from hotline.org.models import Jurisdiction
from hotline.tickets.categories import full_name

# The answer_source column of a ticket holds at most 300 characters.
CITATION_MAX = 300
CITATION_PREFIX = "知识库 "  # how a citation of an article starts (figures count them by it)


def _valid_at(now: datetime) -> ColumnElement[bool]:
    return and_(Article.published_version_id.is_not(None),
                or_(Article.valid_from.is_(None), Article.valid_from <= now),
                or_(Article.expires_at.is_(None), Article.expires_at > now))


def _public_at(now: datetime) -> ColumnElement[bool]:
    return and_(_valid_at(now), Article.audience.in_([str(a) for a in PUBLIC_AUDIENCES]))


def _published_version(db: Session, article: Article) -> ArticleVersion:
    version = db.get(ArticleVersion, article.published_version_id)
    assert version is not None  # published_version_id always names an existing version
    return version


def place_names(db: Session, paths: Iterable[str | None]) -> dict[str, str]:
    """The names of the places answers are for (path → name), read at once: a local answer says
    where it holds (孝陵卫街道的社区助餐点 is no answer for a caller elsewhere)."""
    wanted = sorted({p for p in paths if p})
    if not wanted:
        return {}
    return dict(db.execute(select(Jurisdiction.path, Jurisdiction.name).where(Jurisdiction.path.in_(wanted))).all())


def public_article(db: Session, *, key: str, now: datetime) -> tuple[Article, ArticleVersion]:
    """A published public article and its version in force; NotFound for anything else (drafts,
    internal answers, expired or not yet valid ones) so that their existence is not revealed."""
    article = db.execute(select(Article).where(Article.key == key, _public_at(now))).scalar_one_or_none()
    if article is None:
        raise NotFound("kb_article_not_found", "该知识条目不存在或已下线")
    return article, _published_version(db, article)


def public_list(db: Session, *, now: datetime, category_code: str | None = None, page: int = 1,
                page_size: int = 20) -> tuple[list[Article], int]:
    """Public articles, the most used first (a category and its sub-categories when given)."""
    stmt = select(Article).where(_public_at(now))
    if category_code:
        stmt = stmt.where(Article.category_code.startswith(category_code, autoescape=True))
    total = db.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.execute(stmt.order_by(Article.use_count.desc(), Article.id.asc())
                      .offset((page - 1) * page_size).limit(page_size)).scalars().all()
    return list(rows), int(total)


@dataclass(frozen=True)
class CategoryCount:
    code: str
    name: str
    count: int


def public_categories(db: Session, *, now: datetime, limit: int = 500) -> list[CategoryCount]:
    """Categories that hold public articles, the largest first — every one of them (a list cut at
    30 left some categories' articles out of reach by browsing)."""
    rows = db.execute(
        select(Article.category_code, func.count()).where(_public_at(now), Article.category_code.is_not(None))
        .group_by(Article.category_code).order_by(func.count().desc(), Article.category_code).limit(limit)
    ).all()
    return [CategoryCount(code=str(code), name=full_name(code), count=int(n)) for code, n in rows]


def citation(article: Article, version: ArticleVersion) -> str:
    """How a ticket's answer cites the article: key, version and title (fits answer_source)."""
    text = f"{CITATION_PREFIX}{article.key} 第{version.number}版《{version.title}》"
    return text if len(text) <= CITATION_MAX else text[: CITATION_MAX - 2] + "…》"


# 知识库, any spacing (none, a full-width one), a key (not punctuation: "知识库：…" is free text), 第N版
_CITED = re.compile(rf"^{re.escape(CITATION_PREFIX.strip())}\s*([^\s：:，,。；;（(《][^\s《]*?)\s*第\s*\d+\s*版")


def cited_key(source: str) -> str | None:
    """The article key of text that reads as a citation (知识库 KEY 第N版…), else None."""
    m = _CITED.match(unicodedata.normalize("NFKC", source).strip())
    return m.group(1) if m else None


def checked_citation(db: Session, source: str | None, *, now: datetime) -> str | None:
    """A direct answer's source as stored. Text that starts as the server writes a citation
    ("知识库 " and a space: the figures count answers by it) must be one (知识库 KEY 第N版…): it is
    replaced by the citation of the version in force now, or refused when the article may not be
    cited — so that however it was typed, a ticket never cites a withdrawn, expired or invented
    version. Any other source ("知识库：公积金指南", a document number) is kept as written."""
    if not source:
        return source
    text = unicodedata.normalize("NFKC", source).strip()  # a full-width space or digit reads as typed
    m = _CITED.match(text)
    if not text.startswith(CITATION_PREFIX) and (  # "知识库：…", "知识库政策汇编第3版" are free text
            m is None or db.execute(select(Article.id).where(Article.key == m.group(1))).first() is None):
        return source
    if m is None:
        raise DomainError("kb_cite_malformed", "答复依据以“知识库”开头时须是知识条目的引用"
                                               "（如 知识库 KB000001 第2版），请通过“查找知识”选择", status_code=422)
    article, version = citable(db, key=m.group(1), now=now)
    return citation(article, version)


def citable(db: Session, *, key: str, now: datetime) -> tuple[Article, ArticleVersion]:
    """A published article valid now (any audience: operators may read internal answers), with the
    version in force: the one an operator's direct answer cites."""
    article = db.execute(select(Article).where(Article.key == key)).scalar_one_or_none()
    if article is None:
        raise DomainError("kb_cite_unknown", f"知识条目 {key} 不存在，请重新查找知识", status_code=422)
    valid = db.execute(select(Article.id).where(Article.id == article.id, _valid_at(now))).first()
    if valid is None:
        raise DomainError("kb_cite_unpublished", f"知识条目 {key} 已下线或不在有效期内，不能引用，请重新查找知识",
                          status_code=422)
    return article, _published_version(db, article)
