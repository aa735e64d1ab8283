"""Callers' wordings to add as phrasings (问法), learned from the hall's direct answers.

When an operator answers a request at once citing an article (接诉即答), the ticket's title is how
that matter was put, and the article answered it. If the search does not already put that article
first for that wording, the wording is worth adding to the article's phrasings: the next caller who
says it is answered at once, and so is the public assistant. Adding one is a revision like any
other: a new version from the one in force, submitted for review (多方校核).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.knowledge import gaps, rules, service
from hotline.knowledge.models import Article, ArticleVersion
from hotline.knowledge.reading import CITATION_PREFIX
from hotline.knowledge.schemas import ArticleIn
from hotline.org.models import Jurisdiction
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.tickets.models import Ticket

RECENT_TICKETS = 300  # the newest cited tickets read per look
MAX_CHECKED = 100  # distinct (article, wording) pairs searched per look
MIN_CHARS, MAX_CHARS = 4, 60  # a wording shorter says too little; a longer one is a story, not a question
_CITED_KEY = re.compile(rf"^{re.escape(CITATION_PREFIX)}(\S+) 第\d+版")
CHANGE_NOTE = "补充问法（来自直接答复的工单）"


@dataclass(frozen=True)
class Suggestion:
    article_id: int
    key: str
    title: str
    wording: str
    tickets: int  # answered directly with this article under this wording
    last_at: datetime
    rank: int | None  # where the search puts the article for the wording now (None: not in the top 5)


def cited_key(answer_source: str | None) -> str | None:
    match = _CITED_KEY.match(answer_source or "")
    return match.group(1) if match else None


def _wording(title: str | None) -> str | None:
    shown = gaps.mask(title or "")
    return shown if MIN_CHARS <= len(shown) <= MAX_CHARS and "[号码]" not in shown else None


@dataclass
class _Group:
    wording: str
    last_at: datetime
    tickets: int = 0
    keys: set[str] = field(default_factory=set)


def suggestions(db: Session, rt: Runtime, *, actor: Actor, since: datetime, limit: int = 50) -> list[Suggestion]:
    """Wordings of tickets answered directly from an article that the search does not put first for
    that article, most used first. A unit's editor sees their unit's articles only."""
    who = service.who(db, actor)
    if not rules.may_tend_gaps(who):
        raise Forbidden("kb_gap_forbidden", "只有知识库编辑、中心督办人员或管理员可以查看建议补充的问法")
    rows = db.execute(
        select(Ticket.title, Ticket.answer_source, Ticket.created_at)
        .where(Ticket.created_at >= since, Ticket.answer_source.startswith(CITATION_PREFIX, autoescape=True),
               # a confidential or anonymous request's title is not for every editor's eyes
               Ticket.confidential.is_(False), Ticket.requester_anonymous.is_(False))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(RECENT_TICKETS)
    ).all()
    groups: dict[tuple[str, str], _Group] = {}  # (article key, wording's fingerprint), newest first
    for title, source, created_at in rows:
        key, wording = cited_key(source), _wording(title)
        if key is not None and wording is not None:
            groups.setdefault((key, gaps.fingerprint(wording)), _Group(wording, created_at)).tickets += 1
    if not groups:
        return []
    centre = who.in_centre or rules.may_review(who) or actor.role == Role.ADMIN
    where = [Article.key.in_({k for k, _ in groups}), Article.published_version_id.is_not(None)]
    if not centre:
        where.append(Article.owner_unit_id == actor.unit_id)
    articles: dict[str, tuple[int, str]] = {}
    known: dict[str, set[str]] = {}
    for a in db.execute(select(Article).where(*where)).scalars():
        articles[a.key] = (a.id, a.title)
        # the version in force and a pending revision (which may already add the wording)
        versions = [db.get(ArticleVersion, i) for i in {a.published_version_id, a.current_version_id} if i]
        known[a.key] = {gaps.fingerprint(q) for v in versions if v for q in (*v.questions, *v.phrasings)}
    candidates = [(k, g) for (k, fp), g in groups.items() if k in articles and fp not in known[k]]
    candidates.sort(key=lambda c: -c[1].tickets)  # stable: the newest first among equals
    candidates = candidates[:MAX_CHECKED]
    filters = service.search_filters(db, rt, audiences=None)
    results = service.search_published_many(db, queries=[g.wording for _, g in candidates], filters=filters,
                                            limit=5)
    found: list[Suggestion] = []
    for (key, g), hits in zip(candidates, results, strict=True):
        rank = next((i for i, h in enumerate(hits, 1) if h.key == key), None)
        if rank == 1:
            continue  # already found first: nothing to add
        article_id, title = articles[key]
        found.append(Suggestion(article_id=article_id, key=key, title=title, wording=g.wording, tickets=g.tickets,
                                last_at=g.last_at, rank=rank))
    found.sort(key=lambda s: (-s.tickets, s.rank is not None))
    return found[:limit]


def _content(db: Session, v: ArticleVersion, phrasings: list[str]) -> ArticleIn:
    """The version in force as a revision's content, with the phrasings given."""
    code = None
    if v.jurisdiction_id is not None:
        j = db.get(Jurisdiction, v.jurisdiction_id)
        code = j.code if j else None
    return ArticleIn(title=v.title, questions=list(v.questions), phrasings=phrasings, answer=v.answer,
                     policy_basis=v.policy_basis, policy_source=v.policy_source, category_code=v.category_code,
                     audience=v.audience, jurisdiction_code=code, tags=list(v.tags), valid_from=v.valid_from,
                     expires_at=v.expires_at, attachments=list(v.attachments), change_note=CHANGE_NOTE)


def adopt(db: Session, rt: Runtime, *, actor: Actor, article_id: int, wording: str, commit: bool = True) -> Article:
    """Add `wording` to the phrasings of the version in force and submit the revision for review.
    With `commit=False` the caller commits (or rolls back) it with its own change."""
    wording = " ".join((wording or "").split())
    if not MIN_CHARS <= len(wording) <= MAX_CHARS:
        raise DomainError("kb_phrasing_length", f"问法须为 {MIN_CHARS}–{MAX_CHARS} 个字", status_code=422)
    # Checked under the article's row lock (SQLite: the write lock taken at the first statement) and
    # written in one transaction, so two editors adopting wordings at once cannot lose one.
    stmt = select(Article).where(Article.id == article_id).execution_options(populate_existing=True)
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    article = db.execute(stmt).scalar_one_or_none()
    if article is None or article.published_version_id is None:
        raise NotFound("kb_article_not_found", "该知识条目不存在或尚未发布")
    if article.current_version_id != article.published_version_id:
        raise Conflict("kb_revision_pending", f"条目 {article.key} 已有未发布的修订，请在该修订中添加问法")
    v = db.get(ArticleVersion, article.published_version_id)
    assert v is not None
    if gaps.fingerprint(wording) in {gaps.fingerprint(q) for q in (*v.questions, *v.phrasings)}:
        raise Conflict("kb_phrasing_exists", "该问法已在条目中")
    try:
        data = _content(db, v, [*v.phrasings, wording])
    except ValidationError as exc:  # e.g. the phrasings are full (50)
        raise DomainError("kb_phrasing_invalid", f"无法添加问法：{exc.errors()[0]['msg']}", status_code=422) from None
    try:
        service.stage_update(db, rt, actor=actor, article_id=article_id, data=data)
        article = service.stage_submit(db, rt, actor=actor, article_id=article_id, note=CHANGE_NOTE)
        if commit:
            db.commit()
    except Exception:
        db.rollback()
        raise
    return article
