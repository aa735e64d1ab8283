"""The only code that changes the knowledge base: drafting, review, expiry, error reports, import;
and the reads that the API, the CLI and the search index need.

Each public function that changes state is one use case and owns its transaction (one commit).
Every change appends an `ArticleEvent`; content is never edited in place — a save is a new
`ArticleVersion`. Changes that can alter search results take the next `change_seq` just before
commit; after commit this process's index is told (other processes see it on their next poll).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.knowledge import dense, rules, search, semantic
from hotline.knowledge.assistant import Reply, decide, emergency
from hotline.knowledge.enums import (
    AUDIENCE_LABELS,
    ArticleAction,
    ArticleStatus,
    Audience,
    Flag,
    ReportStatus,
)
from hotline.knowledge.importer import ImportRow
from hotline.knowledge.models import Article, ArticleEvent, ArticleReport, ArticleVersion, KbCounter
from hotline.knowledge.schemas import ArticleCreate, ArticleIn
from hotline.knowledge.search import Hit, IndexDoc, SearchFilters
from hotline.knowledge.spoken import focus
from hotline.knowledge.text import negates
from hotline.org.models import Jurisdiction, Unit, UnitKind
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.tickets.categories import catalogue, full_name

A = ArticleAction
S = ArticleStatus
CHANGE_SEQ = "change_seq"


# ---- helpers -----------------------------------------------------------------------------------


def who(db: Session, actor: Actor) -> rules.Who:
    in_centre = False
    if actor.unit_id is not None:
        kind = db.execute(select(Unit.kind).where(Unit.id == actor.unit_id)).scalar_one_or_none()
        in_centre = kind == UnitKind.HOTLINE_CENTER
    return rules.Who(actor=actor, in_centre=in_centre)


def _next_seq(db: Session) -> int:
    """The next change number; the counter row stays locked until commit (changes are seen by the
    indexes in commit order)."""
    value = db.execute(
        sql_update(KbCounter).where(KbCounter.name == CHANGE_SEQ).values(value=KbCounter.value + 1)
        .returning(KbCounter.value)
    ).scalar_one_or_none()
    if value is None:
        db.execute(insert(KbCounter).values(name=CHANGE_SEQ, value=1))
        value = 1
    return int(value)


def _commit(db: Session, articles: Sequence[Article], *, reindex: bool) -> None:
    if reindex and articles:
        seq = _next_seq(db)
        for a in articles:
            a.change_seq = seq
    try:
        db.commit()
    except Exception:
        db.rollback()
        raise
    if reindex:
        search.changed(search.engine_of(db))


def _event(db: Session, article: Article, actor: Actor, now: datetime, action: ArticleAction,
           from_status: str | None, note: str | None = None, version_id: int | None = None) -> None:
    db.add(ArticleEvent(article_id=article.id, version_id=version_id, action=action, from_status=from_status,
                        to_status=article.status, actor_id=actor.user_id, actor_name=actor.name,
                        actor_role=str(actor.role), at=now, note=note))


def _jurisdiction(db: Session, code: str | None) -> Jurisdiction | None:
    if not code:
        return None
    row = db.execute(select(Jurisdiction).where(Jurisdiction.code == code)).scalar_one_or_none()
    if row is None:
        raise DomainError("unknown_jurisdiction", f"属地代码 {code} 不存在", status_code=422)
    return row


def _load(db: Session, article_id: int, *, lock: bool = False) -> Article:
    stmt = select(Article).where(Article.id == article_id)
    if lock and db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    article = db.execute(stmt).scalar_one_or_none()
    if article is None:
        raise NotFound("kb_article_not_found", f"知识条目 {article_id} 不存在")
    return article


def _version(db: Session, version_id: int | None) -> ArticleVersion | None:
    return db.get(ArticleVersion, version_id) if version_id else None


def _new_version(db: Session, article: Article, data: ArticleIn, actor: Actor, now: datetime) -> ArticleVersion:
    jurisdiction = _jurisdiction(db, data.jurisdiction_code)
    questions = [q for q in data.questions if q]
    version = ArticleVersion(
        article_id=article.id, number=article.version_count + 1, title=(data.title or questions[0])[:300],
        questions=questions, phrasings=list(data.phrasings), answer=data.answer, policy_basis=data.policy_basis,
        policy_source=data.policy_source, category_code=data.category_code, audience=data.audience,
        jurisdiction_id=jurisdiction.id if jurisdiction else None,
        jurisdiction_path=jurisdiction.path if jurisdiction else None, tags=list(data.tags),
        valid_from=data.valid_from, expires_at=data.expires_at,
        attachments=[a.model_dump() for a in data.attachments], change_note=data.change_note,
        author_id=actor.user_id, author_name=actor.name, created_at=now,
    )
    db.add(version)
    db.flush()
    article.version_count = version.number
    article.current_version_id = version.id
    article.updated_at = now
    if article.published_version_id is None:
        _copy_fields(article, version)
    return version


def _copy_fields(article: Article, version: ArticleVersion) -> None:
    article.title = version.title
    article.category_code = version.category_code
    article.audience = version.audience
    article.jurisdiction_id = version.jurisdiction_id
    article.jurisdiction_path = version.jurisdiction_path
    article.tags = list(version.tags)
    article.valid_from = version.valid_from
    article.expires_at = version.expires_at


def _publish(article: Article, version: ArticleVersion) -> None:
    article.published_version_id = version.id
    _copy_fields(article, version)
    article.flags = [f for f in article.flags if f == Flag.ERROR_REPORTED]


def _unpublish(article: Article, flag: Flag) -> None:
    article.published_version_id = None
    if flag not in article.flags:
        article.flags = [*article.flags, flag]


def _owner_unit(db: Session, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = db.get(Unit, unit_id)
    if unit is None:
        raise DomainError("unknown_unit", f"单位 {unit_id} 不存在", status_code=422)
    return unit


# ---- drafting and review -------------------------------------------------------------------------


def create(db: Session, rt: Runtime, *, actor: Actor, data: ArticleCreate) -> Article:
    """A new article with its first version, as a draft. A unit's own staff always draft for their
    unit; a centre editor names the owning unit (default: the centre itself)."""
    _check_category(data.category_code, None)
    article = stage_create(db, rt, actor=actor, data=data)
    _commit(db, [article], reindex=False)
    return article


def _check_category(code: str | None, current: str | None) -> None:
    """An article written by hand is filed under the city's category catalogue. Imports keep
    their own category texts (a legacy knowledge base has its own), and a revision may keep the
    category the article already has."""
    if code and code != current and code not in catalogue():
        raise DomainError("unknown_category", f"分类代码“{code}”不在诉求分类目录中", status_code=422)


# The stage_* functions are the use cases above and below without their commit, for a batch that
# runs many in one transaction, a savepoint each (knowledge/bulk.py): the same rules and events.


def stage_create(db: Session, rt: Runtime, *, actor: Actor, data: ArticleCreate) -> Article:
    w = who(db, actor)
    owner_id = data.owner_unit_id
    if actor.role != Role.KNOWLEDGE_EDITOR or not w.in_centre:
        owner_id = owner_id if owner_id is not None else actor.unit_id
    elif owner_id is None:
        owner_id = actor.unit_id
    _owner_unit(db, owner_id)
    rules.ensure_draft(w, owner_id)
    now = rt.clock.now()
    if data.key and db.execute(select(Article.id).where(Article.key == data.key)).first():
        raise Conflict("kb_key_exists", f"外部编号 {data.key} 已被其他知识条目使用")
    article = Article(key=data.key or f"tmp-{now.timestamp()}-{actor.user_id}", status=S.DRAFT,
                      owner_unit_id=owner_id, title="", audience=data.audience, tags=[], flags=[],
                      version_count=0, open_reports=0, use_count=0, change_seq=0, created_at=now,
                      updated_at=now, created_by_id=actor.user_id)
    db.add(article)
    db.flush()
    if not data.key:
        article.key = f"KB{article.id:06d}"
    version = _new_version(db, article, data, actor, now)
    _event(db, article, actor, now, A.CREATE, None, data.change_note, version.id)
    return article


def update(db: Session, rt: Runtime, *, actor: Actor, article_id: int, data: ArticleIn) -> Article:
    """A revision: a new version, and the article back to draft. A published answer stays in force
    until the revision is approved."""
    article = _load(db, article_id)
    current = _version(db, article.current_version_id)
    _check_category(data.category_code, current.category_code if current else None)
    stale = data.base_version not in (None, article.version_count)  # stage_update says so first
    if current and not stale and article.status in UNCHANGED_REFUSED and _same_content(db, current, data):
        # A version identical to the last one only lengthens the history and the reviewers' queue.
        hint = "如需送审，请直接点击「提交审核」" if article.status != S.APPROVED else "已发布的内容保持不变"
        raise DomainError("kb_unchanged", f"内容与第 {current.number} 版完全相同，未保存新版本。{hint}",
                          status_code=422)
    article = stage_update(db, rt, actor=actor, article_id=article_id, data=data)
    _commit(db, [article], reindex=False)
    return article


# Statuses where an unchanged save is refused: a withdrawn or expired article may be saved as it was,
# which brings it back to draft for another review.
UNCHANGED_REFUSED = frozenset({S.DRAFT, S.RETURNED, S.APPROVED})


def _same_content(db: Session, v: ArticleVersion, data: ArticleIn) -> bool:
    jurisdiction = _jurisdiction(db, data.jurisdiction_code)
    questions = [q for q in data.questions if q]
    return (
        v.title == (data.title or questions[0])[:300] and list(v.questions) == questions
        and list(v.phrasings) == list(data.phrasings) and v.answer == data.answer
        and (v.policy_basis or None) == (data.policy_basis or None)
        and (v.policy_source or None) == (data.policy_source or None)
        and (v.category_code or None) == (data.category_code or None) and v.audience == data.audience
        and v.jurisdiction_id == (jurisdiction.id if jurisdiction else None) and list(v.tags) == list(data.tags)
        and _same_time(v.valid_from, data.valid_from) and _same_time(v.expires_at, data.expires_at)
        and list(v.attachments) == [a.model_dump() for a in data.attachments]
    )


def _same_time(kept: datetime | None, typed: datetime | None) -> bool:
    if kept is None or typed is None:
        return kept is typed
    if kept.tzinfo is None:  # stored as UTC without a zone
        kept = kept.replace(tzinfo=UTC)
    return kept == typed


def stage_update(db: Session, rt: Runtime, *, actor: Actor, article_id: int, data: ArticleIn) -> Article:
    article = _load(db, article_id, lock=True)
    rules.ensure_draft(who(db, actor), article.owner_unit_id)
    current = _version(db, article.current_version_id)
    if data.base_version is not None and data.base_version != article.version_count and current is not None:
        # Two editors opened the same version: the second save would silently undo the first's.
        raise DomainError(
            "kb_edit_conflict",
            f"您修改期间，{current.author_name or '他人'}已保存第 {article.version_count} 版（您是在第 "
            f"{data.base_version} 版上修改的）。请先核对最新版本；确认仍以您的内容为准，再次保存即可",
            status_code=409)
    before = article.status
    article.status = rules.next_status(before, A.UPDATE)
    now = rt.clock.now()
    version = _new_version(db, article, data, actor, now)
    _event(db, article, actor, now, A.UPDATE, before, data.change_note, version.id)
    return article


def submit(db: Session, rt: Runtime, *, actor: Actor, article_id: int, note: str | None = None) -> Article:
    article = stage_submit(db, rt, actor=actor, article_id=article_id, note=note)
    _commit(db, [article], reindex=False)
    return article


def stage_submit(db: Session, rt: Runtime, *, actor: Actor, article_id: int, note: str | None = None) -> Article:
    article = _load(db, article_id, lock=True)
    rules.ensure_draft(who(db, actor), article.owner_unit_id)
    before = article.status
    after = rules.next_status(before, A.SUBMIT)
    now = rt.clock.now()
    version = _version(db, article.current_version_id)
    if version is not None and version.expires_at is not None and version.expires_at <= now:
        # It could never be approved (approval refuses it): say so now, to the one who can fix it.
        raise DomainError("kb_already_expired", "该版本的失效时间已过，请修改有效期后再提交审核", status_code=422)
    article.status = after
    if version is not None:
        version.submitted_at = now
    article.updated_at = now
    _event(db, article, actor, now, A.SUBMIT, before, note, article.current_version_id)
    return article


def approve(db: Session, rt: Runtime, *, actor: Actor, article_id: int, comment: str | None = None) -> Article:
    """Publish the version under review: it replaces the published answer in searches at once."""
    article = _load(db, article_id, lock=True)
    version = _version(db, article.current_version_id)
    assert version is not None
    rules.ensure_review(who(db, actor), version.author_id)
    now = rt.clock.now()
    if version.expires_at is not None and version.expires_at <= now:  # said to the reviewer: return it
        raise DomainError("kb_already_expired", "该版本的失效时间已过，不能发布，请退回由所属单位修改有效期",
                          status_code=422)
    before = article.status
    article.status = rules.next_status(before, A.APPROVE)
    _record_review(version, actor, now, "approved", comment)
    _publish(article, version)
    article.updated_at = now
    _event(db, article, actor, now, A.APPROVE, before, comment, version.id)
    _commit(db, [article], reindex=True)
    return article


def send_back(db: Session, rt: Runtime, *, actor: Actor, article_id: int, comment: str | None) -> Article:
    """Return the version under review to its drafter, with the reviewer's comment (required)."""
    if not comment or not comment.strip():
        raise DomainError("kb_comment_required", "退回修改必须填写审核意见", status_code=422)
    article = _load(db, article_id, lock=True)
    version = _version(db, article.current_version_id)
    assert version is not None
    rules.ensure_review(who(db, actor), version.author_id)
    now = rt.clock.now()
    before = article.status
    article.status = rules.next_status(before, A.RETURN)
    _record_review(version, actor, now, "returned", comment)
    article.updated_at = now
    _event(db, article, actor, now, A.RETURN, before, comment, version.id)
    _commit(db, [article], reindex=False)
    return article


def _record_review(version: ArticleVersion, actor: Actor, now: datetime, outcome: str, comment: str | None) -> None:
    """The reviewer's decision on a version, kept on the version itself (versions are never edited after)."""
    version.review_outcome = outcome
    version.review_comment = comment
    version.reviewer_id = actor.user_id
    version.reviewer_name = actor.name
    version.reviewed_at = now


def withdraw(db: Session, rt: Runtime, *, actor: Actor, article_id: int, reason: str | None = None) -> Article:
    article = _load(db, article_id, lock=True)
    rules.ensure_withdraw(who(db, actor), article.owner_unit_id)
    before = article.status
    article.status = rules.next_status(before, A.WITHDRAW)
    article.published_version_id = None
    now = rt.clock.now()
    article.updated_at = now
    _event(db, article, actor, now, A.WITHDRAW, before, reason)
    _commit(db, [article], reindex=True)
    return article


def flag_policy_changed(db: Session, rt: Runtime, *, actor: Actor, article_id: int, note: str | None = None
                        ) -> Article:
    """The policy behind the answer changed: the article leaves public answers until a revision is
    approved."""
    article = _load(db, article_id, lock=True)
    rules.ensure_withdraw(who(db, actor), article.owner_unit_id)
    before = article.status
    article.status = rules.next_status(before, A.FLAG_POLICY_CHANGED)
    _unpublish(article, Flag.POLICY_CHANGED)
    now = rt.clock.now()
    article.updated_at = now
    _event(db, article, actor, now, A.FLAG_POLICY_CHANGED, before, note)
    _commit(db, [article], reindex=True)
    return article


def expire_due(db: Session, rt: Runtime, *, actor: Actor | None = None) -> int:
    """The expiry sweep: every published article past its expiry leaves public answers and is
    flagged. (Searches already hide it from the instant it expires; the sweep records it.)"""
    actor = actor or Actor.system()
    now = rt.clock.now()
    due = db.execute(
        select(Article).where(Article.published_version_id.is_not(None), Article.expires_at.is_not(None),
                              Article.expires_at <= now)
    ).scalars().all()
    for article in due:
        before = article.status
        article.status = rules.next_status(before, A.EXPIRE)
        _unpublish(article, Flag.EXPIRED)
        article.updated_at = now
        _event(db, article, actor, now, A.EXPIRE, before, "已过失效时间，自动退出公开答复")
    _commit(db, list(due), reindex=bool(due))
    return len(due)


# ---- error reports (查漏纠错) ---------------------------------------------------------------------


def report_error(db: Session, rt: Runtime, *, actor: Actor, article_id: int, text: str,
                 contact: str | None = None) -> ArticleReport:
    article = _load(db, article_id)
    if article.published_version_id is None and not rules.may_read_unpublished(who(db, actor), article.owner_unit_id):
        raise NotFound("kb_article_not_found", f"知识条目 {article_id} 不存在")
    now = rt.clock.now()
    report = ArticleReport(article_id=article.id, version_id=article.published_version_id or article.current_version_id,
                           reporter_id=actor.user_id, reporter_name=actor.name, reporter_contact=contact, text=text,
                           status=ReportStatus.OPEN, created_at=now)
    db.add(report)
    article.open_reports += 1
    if Flag.ERROR_REPORTED not in article.flags:
        article.flags = [*article.flags, Flag.ERROR_REPORTED]
    db.flush()
    _event(db, article, actor, now, A.REPORT_ERROR, article.status, text[:500])
    _tell_owner_of_report(db, article, report, now)
    _commit(db, [article], reindex=False)
    return report


def _tell_owner_of_report(db: Session, article: Article, report: ArticleReport, now: datetime) -> None:
    """The owning unit must answer a report (查漏纠错): it hears of it in its 消息提醒 at once."""
    from hotline.supervision.enums import Audience, NotificationKind
    from hotline.supervision.timeline import notify

    notify(db, unit_id=article.owner_unit_id, audience=Audience.UNIT, kind=NotificationKind.KB_REPORT, at=now,
           title=f"知识条目收到纠错：{article.key}《{article.title}》",
           body=f"{report.text[:150]}（请在“纠错答复”中答复：/kb/reports）")


def answer_report(db: Session, rt: Runtime, *, actor: Actor, report_id: int, answer: str, accepted: bool
                  ) -> ArticleReport:
    """The owning unit answers a report: accepted (the article will be revised) or not, with why."""
    report = db.get(ArticleReport, report_id)
    if report is None:
        raise NotFound("kb_report_not_found", f"纠错 {report_id} 不存在")
    article = _load(db, report.article_id, lock=True)
    if not rules.may_draft(who(db, actor), article.owner_unit_id):
        raise Forbidden("kb_report_forbidden", "只有条目所属单位或12345中心的知识库编辑可以答复该纠错")
    if report.status != ReportStatus.OPEN:
        raise Conflict("kb_report_answered", "该纠错已答复")
    now = rt.clock.now()
    report.status = ReportStatus.ANSWERED
    report.answer = answer
    report.accepted = accepted
    report.answered_by_id = actor.user_id
    report.answered_by_name = actor.name
    report.answered_at = now
    article.open_reports = max(0, article.open_reports - 1)
    if article.open_reports == 0:
        article.flags = [f for f in article.flags if f != Flag.ERROR_REPORTED]
    _event(db, article, actor, now, A.ANSWER_REPORT, article.status,
           f"{'采纳' if accepted else '不采纳'}：{answer}"[:500])
    _commit(db, [article], reindex=False)
    return report


def list_reports(db: Session, *, actor: Actor, status: ReportStatus | None = None, article_id: int | None = None,
                 page: int = 1, page_size: int = 20) -> tuple[list[ArticleReport], int]:
    w = who(db, actor)
    stmt = select(ArticleReport).join(Article, Article.id == ArticleReport.article_id)
    if not (rules.may_review(w) or actor.role == Role.ADMIN):
        stmt = stmt.where(Article.owner_unit_id == actor.unit_id)
    if status:
        stmt = stmt.where(ArticleReport.status == status)
    if article_id:
        stmt = stmt.where(ArticleReport.article_id == article_id)
    total = db.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.execute(stmt.order_by(ArticleReport.created_at.desc(), ArticleReport.id.desc())
                      .offset((page - 1) * page_size).limit(page_size)).scalars().all()
    return list(rows), int(total)


# ---- reads -------------------------------------------------------------------------------------


def get(db: Session, *, actor: Actor, article_id: int) -> Article:
    article = _load(db, article_id)
    if article.published_version_id is None and not rules.may_read_unpublished(who(db, actor), article.owner_unit_id):
        raise NotFound("kb_article_not_found", f"知识条目 {article_id} 不存在")
    return article


def get_by_key(db: Session, *, actor: Actor, key: str) -> Article:
    article_id = db.execute(select(Article.id).where(Article.key == key)).scalar_one_or_none()
    missing = NotFound("kb_article_not_found", f"外部编号为 {key} 的知识条目不存在")
    if article_id is None:
        raise missing
    try:
        return get(db, actor=actor, article_id=article_id)
    except NotFound:  # one message for both: another unit's draft is not told apart, nor its id shown
        raise missing from None


def version_of(db: Session, article: Article, *, published: bool) -> ArticleVersion | None:
    return _version(db, article.published_version_id if published else article.current_version_id)


# ---- what a reader of a published article may see of its revisions -----------------------------
# A revision in the works (draft, in review, returned) is the owner unit's, the reviewers' and the
# administrator's: an operator reading it out would give callers an answer nobody has approved.


def sees_revisions(db: Session, actor: Actor, article: Article) -> bool:
    return rules.may_read_unpublished(who(db, actor), article.owner_unit_id)


def readable_versions(db: Session, actor: Actor, article: Article) -> list[ArticleVersion]:
    if sees_revisions(db, actor, article):
        return list(article.versions)
    published = version_of(db, article, published=True)
    return [v for v in article.versions if published is not None and v.number <= published.number]


def latest_readable(db: Session, actor: Actor, article: Article) -> ArticleVersion | None:
    """The version this reader works from: the newest for those who see revisions, else the published."""
    return version_of(db, article, published=not sees_revisions(db, actor, article))


def readable_events(db: Session, actor: Actor, article: Article) -> list[ArticleEvent]:
    shown = {v.id for v in readable_versions(db, actor, article)}
    everything = events(db, article_id=article.id)
    if sees_revisions(db, actor, article):
        return everything
    return [e for e in everything if e.version_id is None or e.version_id in shown]


@dataclass
class ArticleFilters:
    status: Sequence[ArticleStatus] | None = None
    owner_unit_id: int | None = None
    audience: Audience | None = None
    category_code: str | None = None
    text: str | None = None
    flagged: bool | None = None
    # Published and expiring by this instant (already past ones included): the editors' 即将到期 list.
    expiring_by: datetime | None = None
    oldest_first: bool = False  # a queue (the review queue): the longest waiting first


def list_articles(db: Session, *, actor: Actor, filters: ArticleFilters, page: int = 1, page_size: int = 20
                  ) -> tuple[list[Article], int]:
    """Editors' list. Roles that neither draft nor review see only published articles; unit staff
    see their unit's drafts as well."""
    w = who(db, actor)
    stmt = select(Article)
    if not (rules.may_review(w) or actor.role == Role.ADMIN or (actor.role == Role.KNOWLEDGE_EDITOR and w.in_centre)):
        visible: ColumnElement[bool] = Article.published_version_id.is_not(None)
        if actor.unit_id is not None and rules.may_draft(w, actor.unit_id):
            visible = or_(visible, Article.owner_unit_id == actor.unit_id)
        stmt = stmt.where(visible)
    f = filters
    if f.status:
        stmt = stmt.where(Article.status.in_([str(s) for s in f.status]))
    if f.owner_unit_id is not None:
        stmt = stmt.where(Article.owner_unit_id == f.owner_unit_id)
    if f.audience:
        stmt = stmt.where(Article.audience == f.audience)
    if f.category_code:
        stmt = stmt.where(Article.category_code.startswith(f.category_code, autoescape=True))
    if f.text:
        text = unicodedata.normalize("NFKC", f.text).strip()  # ＱＡ typed as QA; a key in any case, in part
        stmt = stmt.where(or_(Article.title.icontains(text, autoescape=True),
                              Article.key.icontains(text, autoescape=True)))
    if f.flagged is True:
        # json_array_length exists in SQLite and PostgreSQL (PostgreSQL has no = / <> for json).
        stmt = stmt.where(func.json_array_length(Article.flags) > 0)
    order: tuple[Any, ...] = ((Article.updated_at.asc(), Article.id.asc()) if f.oldest_first
                              else (Article.updated_at.desc(), Article.id.desc()))
    if f.expiring_by is not None:
        stmt = stmt.where(Article.published_version_id.is_not(None), Article.expires_at.is_not(None),
                          Article.expires_at <= f.expiring_by)
        order = (Article.expires_at.asc(), Article.id.asc())
    total = db.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = db.execute(stmt.order_by(*order)
                      .offset((page - 1) * page_size).limit(page_size)).scalars().all()
    return list(rows), int(total)


def events(db: Session, *, article_id: int) -> list[ArticleEvent]:
    return list(db.execute(select(ArticleEvent).where(ArticleEvent.article_id == article_id)
                           .order_by(ArticleEvent.at, ArticleEvent.id)).scalars())


def render_version(v: ArticleVersion, place: str | None = None) -> list[str]:
    """A version as lines of text, for diffs: as people read them (names, not codes; Beijing time)."""
    def when(t: datetime | None) -> str:
        return to_local(t).strftime("%Y-%m-%d %H:%M:%S") if t else ""

    code = v.category_code or ""
    category = code if not code or full_name(code) == code else f"{code} {full_name(code)}"
    def field(label: str, text: str | None) -> list[str]:  # a line of the diff per line of text
        first, *more = (text or "").splitlines() or [""]
        return [f"{label}：{first}", *more]

    lines = field("标题", v.title)
    lines += [line for q in v.questions for line in field("问题", q)]
    lines += [line for p in v.phrasings for line in field("问法", p)]
    lines += ["答复口径："] + v.answer.splitlines()
    lines += [*field("政策依据", v.policy_basis), *field("依据来源", v.policy_source),
              f"分类：{category}", f"受众：{AUDIENCE_LABELS.get(Audience(v.audience), v.audience)}",
              f"属地：{place or v.jurisdiction_path or '全部'}", f"标签：{'、'.join(v.tags)}",
              f"生效：{when(v.valid_from)}", f"失效：{when(v.expires_at)}"]
    lines += [f"附件：{a.get('filename')}" for a in v.attachments]
    return lines


def diff(db: Session, *, actor: Actor, article_id: int, from_number: int, to_number: int) -> str:
    """A unified diff between two versions of an article (difflib)."""
    article = get(db, actor=actor, article_id=article_id)
    by_number = {v.number: v for v in readable_versions(db, actor, article)}
    missing = [n for n in (from_number, to_number) if n not in by_number]
    if missing:
        raise NotFound("kb_version_not_found", f"知识条目 {article_id} 没有第 {missing[0]} 版")
    a, b = by_number[from_number], by_number[to_number]
    ids = {v.jurisdiction_id for v in (a, b) if v.jurisdiction_id}
    names = dict(db.execute(select(Jurisdiction.id, Jurisdiction.name).where(Jurisdiction.id.in_(ids))).all()) \
        if ids else {}
    return "\n".join(difflib.unified_diff(render_version(a, names.get(a.jurisdiction_id)),
                                          render_version(b, names.get(b.jurisdiction_id)),
                                          fromfile=f"第{a.number}版", tofile=f"第{b.number}版", lineterm=""))


# ---- import ------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    published: bool = True
    errors: list[str] = field(default_factory=list)


def import_rows(db: Session, rt: Runtime, *, actor: Actor, rows: Sequence[ImportRow], owner_unit_id: int | None = None,
                audience: Audience = Audience.PUBLIC, progress: Callable[[int], None] | None = None,
                chunk: int = 500, fields: frozenset[str] = frozenset({"category", "phrasings"})) -> ImportResult:
    """A batch of answers (a unit's Excel, a legacy knowledge base). Keys are kept as the articles'
    external keys; a key seen before gets a new version when its question, answer, or a field the
    file carries (`fields`: "category", "phrasings") changed. The new version starts from the
    current one: what the file does not carry (its category when no category column was named, the
    policy basis, dates, tags, the other questions, the audience) stays as it was. Run by an
    administrator, a centre editor or the system, the batch is published at once (approved by the
    importer); run by a unit's staff, it is submitted for review."""
    w = who(db, actor)
    if owner_unit_id is None and actor.role in (Role.UNIT_HANDLER, Role.UNIT_MANAGER, Role.KNOWLEDGE_EDITOR) \
            and not w.in_centre:
        owner_unit_id = actor.unit_id
    _owner_unit(db, owner_unit_id)
    rules.ensure_import(w, owner_unit_id)
    publish = rules.may_publish_import(w)
    now = rt.clock.now()
    result = ImportResult(published=publish)
    touched: list[Article] = []
    keys = [r.key for r in rows]
    existing: dict[str, Article] = {}
    for i in range(0, len(keys), 900):
        for art in db.execute(select(Article).where(Article.key.in_(keys[i : i + 900]))).scalars():
            existing[art.key] = art
    current_versions: dict[int, ArticleVersion] = {}
    ids = [a.current_version_id for a in existing.values() if a.current_version_id]
    for i in range(0, len(ids), 900):
        for v in db.execute(select(ArticleVersion).where(ArticleVersion.id.in_(ids[i : i + 900]))).scalars():
            current_versions[v.id] = v
    target_status = S.APPROVED if publish else S.IN_REVIEW
    for start in range(0, len(rows), chunk):
        batch = rows[start : start + chunk]
        pending: list[tuple[Article, ImportRow, str | None]] = []
        for row in batch:
            if not row.question.strip() or not row.answer.strip():
                result.skipped += 1
                result.errors.append(f"第 {row.line} 行缺少问题或答案，已跳过")
                continue
            too_long = _too_long(row)
            if too_long:  # the same limits as the form and the page import
                result.skipped += 1
                result.errors.append(f"第 {row.line} 行{too_long}，已跳过")
                continue
            article = existing.get(row.key)
            if article is None:
                article = Article(key=row.key, status=target_status, owner_unit_id=owner_unit_id, title="",
                                  audience=audience, tags=[], flags=[], version_count=0, open_reports=0, use_count=0,
                                  change_seq=0, created_at=now, updated_at=now, created_by_id=actor.user_id)
                db.add(article)
                existing[row.key] = article
                pending.append((article, row, None))
                result.created += 1
                continue
            cur = current_versions.get(article.current_version_id or -1)
            category = row.category or None
            if cur is not None and cur.questions[:1] == [row.question] and cur.answer == row.answer \
                    and ("category" not in fields or cur.category_code == category) \
                    and ("phrasings" not in fields or list(cur.phrasings) == row.phrasings) \
                    and article.status == target_status:
                result.unchanged += 1
                continue
            if article.status == S.IN_REVIEW and publish is False:
                result.skipped += 1
                result.errors.append(f"第 {row.line} 行：条目 {row.key} 正在审核中，未导入")
                continue
            pending.append((article, row, article.status))
            result.updated += 1
        db.flush()
        versions: list[tuple[Article, ArticleVersion, str | None]] = []
        for article, row, before in pending:
            cur = current_versions.get(article.current_version_id or -1)
            v = ArticleVersion(
                article_id=article.id, number=article.version_count + 1, title=row.question[:300],
                questions=[row.question], phrasings=row.phrasings, answer=row.answer,
                category_code=row.category or None, audience=audience, tags=[],
                attachments=[], change_note="批量导入", author_id=actor.user_id, author_name=actor.name,
                created_at=now, submitted_at=now,
            )
            if cur is not None:  # a revision: what the file does not carry stays as it was
                _carry_over(cur, v, fields)
            if publish:
                v.review_outcome = "approved"
                v.review_comment = "批量导入，导入人审核"
                v.reviewer_id = actor.user_id
                v.reviewer_name = actor.name
                v.reviewed_at = now
            db.add(v)
            versions.append((article, v, before))
        db.flush()
        for article, v, _before in versions:
            article.version_count = v.number
            article.current_version_id = v.id
            article.updated_at = now
            article.status = target_status
            if publish:
                _publish(article, v)
            elif article.published_version_id is None:
                _copy_fields(article, v)
            current_versions[v.id] = v
            touched.append(article)
        if versions:
            lines = [r.line for _, r, _ in pending]
            db.execute(insert(ArticleEvent), [
                {"article_id": article.id, "version_id": v.id, "action": A.IMPORT, "from_status": before,
                 "to_status": article.status, "actor_id": actor.user_id, "actor_name": actor.name,
                 "actor_role": str(actor.role), "at": now, "note": f"批量导入（第 {line} 行）"}
                for (article, v, before), line in zip(versions, lines, strict=True)
            ])
        if progress:
            progress(len(batch))
    _commit(db, touched, reindex=publish and bool(touched))
    return result


LIMITS = (("question", "问题", 300), ("answer", "答复口径", 20000), ("policy_basis", "政策依据", 20000),
          ("policy_source", "依据来源", 500), ("category", "分类", 32))  # as the import page's


def _too_long(row: ImportRow) -> str | None:
    for attr, label, limit in LIMITS:
        if len(getattr(row, attr) or "") > limit:
            return f"{label}过长（最多 {limit} 个字符）"
    if any(len(p) > 300 for p in row.phrasings):
        return "某个问法过长（最多 300 个字符）"
    return None


def _carry_over(cur: ArticleVersion, v: ArticleVersion, fields: frozenset[str]) -> None:
    v.questions = [v.questions[0], *[q for q in cur.questions[1:] if q != v.questions[0]]]
    if "category" not in fields:
        v.category_code = cur.category_code
    if "phrasings" not in fields:
        v.phrasings = list(cur.phrasings)
    v.audience = cur.audience
    v.policy_basis, v.policy_source = cur.policy_basis, cur.policy_source
    v.jurisdiction_id, v.jurisdiction_path = cur.jurisdiction_id, cur.jurisdiction_path
    v.tags, v.attachments = list(cur.tags), list(cur.attachments)
    v.valid_from, v.expires_at = cur.valid_from, cur.expires_at


# ---- search and the assistant --------------------------------------------------------------------


def _published_rows(db: Session, where: Any) -> list[tuple[Any, ...]]:
    stmt = (select(Article.id, Article.key, ArticleVersion.title, ArticleVersion.questions,
                   ArticleVersion.phrasings, ArticleVersion.answer, ArticleVersion.audience,
                   ArticleVersion.jurisdiction_path, ArticleVersion.category_code, ArticleVersion.valid_from,
                   ArticleVersion.expires_at, ArticleVersion.number, ArticleVersion.policy_source)
            .join(ArticleVersion, ArticleVersion.id == Article.published_version_id)
            .where(where))
    return [tuple(r) for r in db.execute(stmt)]


def _doc(row: tuple[Any, ...]) -> IndexDoc:
    (aid, key, title, questions, phrasings, answer, audience, jpath, cat, valid_from, expires_at, number,
     source) = row
    asked = tuple(questions or ()) + tuple(phrasings or ())
    if asked and asked[0] == title:
        title = asked[0]  # one string object for both (the index holds every article's texts)
    return IndexDoc(article_id=aid, key=key, title=title, questions=asked,
                    answer=answer, audience=audience, jurisdiction_path=jpath, category_code=cat,
                    valid_from=valid_from, expires_at=expires_at, version_number=number, policy_source=source)


def latest_change_seq(db: Session) -> int:
    return int(db.execute(select(func.coalesce(func.max(Article.change_seq), 0))).scalar_one())


def published_documents(db: Session) -> tuple[list[IndexDoc], int]:
    """Every published article, and the change number they are current to."""
    seq = latest_change_seq(db)
    docs = [_doc(r) for r in _published_rows(db, Article.published_version_id.is_not(None))]
    return docs, seq


def changed_documents(db: Session, *, since: int) -> tuple[list[IndexDoc], list[int], int]:
    """The articles changed after `since`: published ones to (re)index, the others to remove."""
    seq = latest_change_seq(db)
    rows = db.execute(select(Article.id, Article.published_version_id)
                      .where(Article.change_seq > since, Article.change_seq <= seq)).all()
    removals = [aid for aid, pub in rows if pub is None]
    live = [aid for aid, pub in rows if pub is not None]
    upserts: list[IndexDoc] = []
    for i in range(0, len(live), 900):
        upserts += [_doc(r) for r in _published_rows(db, Article.id.in_(live[i : i + 900]))]
    return upserts, removals, seq


def search_filters(db: Session, rt: Runtime, *, audiences: frozenset[str] | None, jurisdiction_code: str | None = None,
                   category_code: str | None = None) -> SearchFilters:
    jurisdiction = _jurisdiction(db, jurisdiction_code)
    return SearchFilters(audiences=audiences, jurisdiction_path=jurisdiction.path if jurisdiction else None,
                         category_code=category_code, at=rt.clock.now())


def search_published(db: Session, *, query: str, filters: SearchFilters, limit: int = 10) -> list[Hit]:
    """Search the published articles (the index is brought up to date first)."""
    return search_published_many(db, queries=[query], filters=filters, limit=limit)[0]


def search_published_many(db: Session, *, queries: Sequence[str], filters: SearchFilters,
                          limit: int = 10) -> list[list[Hit]]:
    """Search for many queries at once: the index is brought up to date once, not per query. On
    every path, an article whose title negates what the query says comes after the others
    (`negated_last`). Each query is read for the question it asks (`spoken.focus`)."""
    # A long, spoken question is searched for the question it asks (spoken.focus: greetings, context
    # about the caller and thanks set aside); a plain one is searched as it came.
    focused = [focus(q) for q in queries]
    results = _search_many(db, queries=focused, filters=filters, limit=limit)
    return [negated_last(q, hits) for q, hits in zip(focused, results, strict=True)]


def negated_last(query: str, hits: list[Hit]) -> list[Hit]:
    """The hits in their order, those whose title says 非X of an X the query states plainly
    (text.negates: 非网上购票如何办理退票？ for 网上买的票想退) moved after the others. Neither the
    words nor the embedding see the negation; the scores are kept."""
    return sorted(hits, key=lambda h: negates(h.title, query))  # stable: the order otherwise kept


def _indexes(db: Session) -> tuple[Engine, search.KnowledgeIndex, semantic.Reranker | None, dense.DenseIndex | None]:
    """The knowledge index, caught up with the database, and (search by meaning on) the reranker and
    the index of meanings, told of any change."""
    engine = search.engine_of(db)
    index = search.index_for(engine)
    index.refresh(db)
    db.rollback()  # end the read transaction (SQLite: release the lock at once)
    reranker = semantic.default_reranker()
    if reranker is None:
        return engine, index, None, None
    meanings = dense.dense_for(index, reranker.store)
    meanings.sync(engine, index.backend)
    return engine, index, reranker, meanings


def _search_many(db: Session, *, queries: Sequence[str], filters: SearchFilters, limit: int) -> list[list[Hit]]:
    engine, index, reranker, meanings = _indexes(db)
    if reranker is None or meanings is None:
        return [index.backend.search(q, filters=filters, limit=limit) for q in queries]
    # The lexical top-N and the nearest in meaning (knowledge/dense.py), ordered by the ranker
    # (knowledge/semantic.py); the lexical top-N re-ordered by meaning when there is no dense index.
    k = max(limit, reranker.blend.candidates)
    # The in-process index leaves the snippets to the hits the ranker keeps (about a third).
    backend = index.backend
    snippets: dict[str, bool] = {"snippets": False} if isinstance(backend, search.MemoryIndex) else {}
    if not meanings.available:
        ranked = reranker.apply(engine, queries, [backend.search(q, filters=filters, limit=k, **snippets)
                                                  for q in queries], limit=limit)
    else:
        nearest = [meanings.nearest(v) for v in reranker.query_vectors(queries)]
        results = [backend.search(q, filters=filters, limit=k, include=near, **snippets)
                   for q, near in zip(queries, nearest, strict=True)]
        ranked = reranker.apply(engine, queries, results, limit=limit, nearest=nearest)
    if isinstance(backend, search.MemoryIndex):
        for q, hits in zip(queries, ranked, strict=True):
            backend.fill_snippets(q, hits)
    return ranked


def prepare_search(db: Session) -> None:
    """Build the index and the index of meanings now and wait for them: for a process that
    searches at once and then ends (the CLI), where a large base's index of meanings, built beside
    the searches, would otherwise come too late for them."""
    meanings = _indexes(db)[3]
    if meanings is not None:
        meanings.wait(encoder=False)


def ask(db: Session, *, query: str, filters: SearchFilters) -> Reply:
    """The self-service assistant's answer: answer, ask which of two is meant, or say it does not
    know — and, to a question describing an emergency, call 119/110/120/122 now (no search)."""
    urgent = emergency(query)
    if urgent:
        return urgent
    hits = search_published(db, query=query, filters=filters, limit=5)
    return decide(query, hits)


def record_use(db: Session, *, article_id: int) -> None:
    """Count an answer given from an article (one small update)."""
    db.execute(sql_update(Article).where(Article.id == article_id).values(use_count=Article.use_count + 1))
    db.commit()
