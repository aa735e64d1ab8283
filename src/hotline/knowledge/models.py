"""Tables of the knowledge base: articles, their immutable versions, events, error reports, and
the change counter that keeps search indexes in step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.db import Base, UTCDateTime


class Article(Base):
    """One answer in the knowledge base. Content lives in versions; the row carries the workflow
    status, the owner, and copies of the published version's fields (or of the first draft's until
    one is published) for lists and filters."""

    __tablename__ = "kb_articles"
    __table_args__ = (Index("ix_kb_articles_status_expires_at", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # External key: kept from an import (a department's own id), or generated (KB000123).
    key: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    category_code: Mapped[str | None] = mapped_column(String(32), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    jurisdiction_path: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The latest version (being drafted or reviewed, or the published one) and the one in force.
    # Plain integers (no foreign key): articles and versions point at each other.
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    published_version_id: Mapped[int | None] = mapped_column(Integer)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    open_reports: Mapped[int] = mapped_column(Integer, default=0)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    # Raised on every change that can alter search results; indexes read the rows past theirs.
    change_seq: Mapped[int] = mapped_column(Integer, index=True, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    versions: Mapped[list[ArticleVersion]] = relationship(
        back_populates="article", order_by="ArticleVersion.number", lazy="selectin"
    )


class ArticleVersion(Base):
    """A full snapshot of an article's content. Never edited, except that its review is recorded
    once (outcome, comment, reviewer)."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    questions: Mapped[list[str]] = mapped_column(JSON)  # standard question(s)
    phrasings: Mapped[list[str]] = mapped_column(JSON, default=list)  # how callers ask it
    answer: Mapped[str] = mapped_column(Text)  # 答复口径
    policy_basis: Mapped[str | None] = mapped_column(Text)  # 政策依据
    policy_source: Mapped[str | None] = mapped_column(String(500))  # 文号、链接
    category_code: Mapped[str | None] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16))
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"))
    jurisdiction_path: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # metadata only
    change_note: Mapped[str | None] = mapped_column(String(500))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_outcome: Mapped[str | None] = mapped_column(String(16))  # approved / returned
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewer_name: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    article: Mapped[Article] = relationship(back_populates="versions")


class ArticleEvent(Base):
    """Who did what to an article, when and why: the article's history."""

    __tablename__ = "kb_article_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("kb_article_versions.id"))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str | None] = mapped_column(Text)


class ArticleReport(Base):
    """查漏纠错: a user says an article is wrong or missing something; the owner must answer."""

    __tablename__ = "kb_article_reports"
    __table_args__ = (Index("ix_kb_article_reports_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("kb_article_versions.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_name: Mapped[str] = mapped_column(String(100))
    reporter_contact: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    accepted: Mapped[bool | None] = mapped_column(Boolean)  # the owner agrees the article must change
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_by_name: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class KbCounter(Base):
    """Named counters: `change_seq` orders article changes for the search indexes. Taking the next
    value locks the row until commit, so changes become visible in counter order."""

    __tablename__ = "kb_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class UnansweredQuestion(Base):
    """知识盲区: a question the assistant could not answer, counted per normalised wording (personal
    numbers masked) until an editor marks it filled by an article or dismissed. Asked again after
    that, it is open again: the article may exist but still not be found."""

    __tablename__ = "kb_unanswered"
    __table_args__ = (Index("ix_kb_unanswered_status_last_at", "status", "last_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(String(200))  # the first wording, masked
    channel: Mapped[str] = mapped_column(String(16))  # where it was last asked
    asked: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="open")
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
    article_key: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_name: Mapped[str | None] = mapped_column(String(100))


class TextVector(Base):
    """The sentence embedding of one article text (a question or phrasing; or a passage, title and
    start of answer, under the model's name plus "/passage") under one model, for semantic
    re-ranking (knowledge/semantic.py). Keyed by the text's SHA-256, so an unchanged question
    keeps its vector across versions and articles."""

    __tablename__ = "kb_text_vectors"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, unit length
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportJob(Base):
    """批量导入任务: a batch import too large to write within one request. It keeps the file and the
    editor's choices until it is done; a thread runs it (knowledge/import_jobs.py), committing
    each hundred rows with their outcomes (`ImportJobRow`) and its progress, so that a job whose
    process died is taken over where it stopped."""

    __tablename__ = "kb_import_jobs"
    __table_args__ = (Index("ix_kb_import_jobs_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # the editor it runs as
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # the file; emptied once done
    columns: Mapped[dict[str, str]] = mapped_column(JSON)
    audience: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed | cancelled
    total: Mapped[int] = mapped_column(Integer)  # rows to write (new and changed) when confirmed
    done: Mapped[int] = mapped_column(Integer, default=0)  # of those, written or refused so far
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)  # by outcome, once done or cancelled
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ImportJobRow(Base):
    """One row of an import job's file and what became of it, written in the transaction that
    wrote the row's article (or, for rows the plan left alone, when the job finishes)."""

    __tablename__ = "kb_import_job_rows"

    job_id: Mapped[int] = mapped_column(ForeignKey("kb_import_jobs.id", ondelete="CASCADE"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    question: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16))  # new | changed | unchanged | error
    reason: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str | None] = mapped_column(String(200))  # labels of what a changed row changed
    article_id: Mapped[int | None] = mapped_column(Integer)
    submitted: Mapped[bool] = mapped_column(Boolean, default=False)
