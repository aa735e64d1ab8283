"""知识盲区: the questions the assistant could not answer, so that editors know which articles to write.

Every abstention of the public assistant (chat and ask) and of the operators' ask is counted under
its normalised wording: the same question asked a hundred times is one row asked 100 times. Long
digit runs (telephone, ID and order numbers) and e-mail addresses are masked before anything is
stored: a citizen's question may carry them and the gap list is read by many editors.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.knowledge import rules
from hotline.knowledge.enums import PUBLIC_AUDIENCES, ArticleStatus
from hotline.knowledge.models import Article, UnansweredQuestion
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.roles import Role

TEXT_MAX = 200
NOTE_MAX = 200

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 7+ digits: phones, ID cards, orders; with the separators people type between the groups (the
# full-width hyphen and dashes of Chinese input methods, dots), not only spaces and "-".
_LONG_NUMBER = re.compile(r"\d[\d\s\-‐‑‒–—―－.．]{5,}\d[xX]?")
_SPACES = re.compile(r"\s+")
# Punctuation and fillers at the ends do not make another question.
_EDGES = "。，、！？!?,.;；:：…~～ \"'“”‘’（）()【】[]"


class Channel(StrEnum):
    PUBLIC_CHAT = "public_chat"
    PUBLIC_ASK = "public_ask"
    STAFF = "staff"


class GapStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    DISMISSED = "dismissed"


CHANNEL_LABELS = {Channel.PUBLIC_CHAT: "智能客服", Channel.PUBLIC_ASK: "政策问答", Channel.STAFF: "话务员问答"}
STATUS_LABELS = {GapStatus.OPEN: "待补充", GapStatus.FILLED: "已补充条目", GapStatus.DISMISSED: "无需补充"}


def mask(text: str) -> str:
    """The question as stored and shown: personal numbers and addresses replaced, spaces collapsed."""
    text = _EMAIL.sub("[邮箱]", text)  # \d and \w match full-width digits and letters too
    text = _LONG_NUMBER.sub("[号码]", text)
    return _SPACES.sub(" ", text).strip()[:TEXT_MAX]


def fingerprint(masked: str) -> str:
    """What makes two wordings the same question: case, inner spaces and edge punctuation ignored."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", masked).lower()).strip(_EDGES)[:TEXT_MAX]


MIN_HAN = 2  # a gap worth an editor's time says something in Chinese


def record(db: Session, *, question: str, channel: Channel, now: datetime) -> None:
    """Count one unanswered question (its own commit). One statement: two workers counting the
    same wording at once both count, and a closed row is opened again."""
    shown = mask(question)
    key = fingerprint(shown)
    if not key or sum(1 for ch in shown if "\u4e00" <= ch <= "\u9fff") < MIN_HAN:
        return  # "？", "123", "ok": nothing an editor could write an answer to
    values: dict[str, Any] = {"fingerprint": key, "text": shown, "channel": str(channel), "asked": 1,
                              "status": str(GapStatus.OPEN), "first_at": now, "last_at": now}
    dialect = db.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(UnansweredQuestion).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["fingerprint"], set_={
        "asked": UnansweredQuestion.asked + 1, "last_at": now, "channel": str(channel),
        "status": str(GapStatus.OPEN)})
    db.execute(stmt)
    db.commit()


@dataclass(frozen=True)
class GapFilters:
    status: GapStatus | None = GapStatus.OPEN
    text: str | None = None
    since: datetime | None = None  # last asked at or after


def _where(filters: GapFilters) -> list[Any]:
    where: list[Any] = []
    if filters.status is not None:
        where.append(UnansweredQuestion.status == str(filters.status))
    if filters.text:
        # icontains: SQLite's LIKE ignores ASCII case and PostgreSQL's does not (ETC, App…)
        where.append(UnansweredQuestion.text.icontains(filters.text, autoescape=True))
    if filters.since is not None:
        where.append(UnansweredQuestion.last_at >= filters.since)
    return where


def _require(who: rules.Who) -> None:
    if not rules.may_tend_gaps(who):
        raise Forbidden("kb_gap_forbidden", "只有知识库编辑、中心督办人员或管理员可以查看和处理知识盲区")


def list_gaps(db: Session, *, who: rules.Who, filters: GapFilters, page: int = 1,
              page_size: int = 50) -> tuple[list[UnansweredQuestion], int]:
    """Most asked first, then most recent."""
    _require(who)
    where = _where(filters)
    total = db.execute(select(func.count()).select_from(UnansweredQuestion).where(*where)).scalar_one()
    rows = db.execute(
        select(UnansweredQuestion).where(*where)
        .order_by(UnansweredQuestion.asked.desc(), UnansweredQuestion.last_at.desc(), UnansweredQuestion.id.desc())
        .offset((page - 1) * page_size).limit(page_size)
    ).scalars().all()
    return list(rows), int(total)


def counts(db: Session) -> dict[str, int]:
    """Rows per status (the page's tabs)."""
    rows = db.execute(select(UnansweredQuestion.status, func.count()).group_by(UnansweredQuestion.status)).all()
    return {str(s): int(n) for s, n in rows}


def may_dismiss(who: rules.Who) -> bool:
    """The centre's staff (its editors, reviewers) and the administrator; a unit's editor only fills."""
    return who.in_centre or rules.may_review(who) or who.role == Role.ADMIN


def adopt_as_phrasing(db: Session, rt: Runtime, *, who: rules.Who, gap_id: int, article_id: int,
                      now: datetime) -> tuple[UnansweredQuestion, Article]:
    """Add an open question to an article as a phrasing (a revision submitted for review) and mark
    it filled by that article — one transaction: both happen or neither."""
    from hotline.knowledge import harvest  # harvest builds on this module

    _require(who)
    stmt = select(UnansweredQuestion).where(UnansweredQuestion.id == gap_id)
    if db.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # SQLite: the write lock of the first statement below serialises
    gap = db.execute(stmt).scalar_one_or_none()
    if gap is None:
        raise NotFound("kb_gap_not_found", "没有这条未能答复的问题")
    if gap.status != GapStatus.OPEN:
        raise DomainError("kb_gap_not_open", "这个问题已处理，请刷新页面", status_code=409)
    try:
        article = harvest.adopt(db, rt, actor=who.actor, article_id=article_id, wording=gap.text, commit=False)
        gap = close(db, who=who, gap_id=gap_id, now=now, filled=True, article_key=article.key,
                    note="已作为问法加入条目（修订待审核）")  # commits both
    except Exception:
        db.rollback()
        raise
    return gap, article


def close(db: Session, *, who: rules.Who, gap_id: int, now: datetime, filled: bool,
          article_key: str | None = None, note: str | None = None) -> UnansweredQuestion:
    """Mark a gap filled by an article (its key must exist) or dismissed (a reason is required).
    The gap list is the whole city's: a unit's editor may mark a gap filled by their own unit's
    article; deciding that a question needs no answer is the centre's call."""
    _require(who)
    centre = may_dismiss(who)
    gap = db.get(UnansweredQuestion, gap_id)
    if gap is None:
        raise NotFound("kb_gap_not_found", "没有这条未能答复的问题")
    if gap.status != str(GapStatus.OPEN):  # a decision already made is not overwritten by a second one
        raise Conflict("kb_gap_closed", f"该问题已处理（{gap.closed_by_name or '—'}），不能重复处理")
    note = (note or "").strip()[:NOTE_MAX] or None
    key = (article_key or "").strip() or None
    if filled:
        if key is None:
            raise DomainError("kb_gap_key_required", "请填写补充的知识条目编号", status_code=422)
        row = db.execute(select(Article.owner_unit_id, Article.status, Article.audience)
                         .where(Article.key == key)).first()
        if row is None:
            raise DomainError("kb_gap_key_unknown", f"知识条目“{key}”不存在，请核对编号", status_code=422)
        if not centre and row.owner_unit_id != who.actor.unit_id:
            raise Forbidden("kb_gap_other_unit", f"知识条目“{key}”不属于本单位，请填写本单位的条目编号")
        # A draft or one in review may fill it (it answers once approved); a withdrawn or expired
        # one never will, and an internal answer never reaches the public who asked.
        if row.status in (ArticleStatus.WITHDRAWN, ArticleStatus.EXPIRED):
            raise DomainError("kb_gap_key_gone", f"知识条目“{key}”已撤回或已失效，不能用于补充", status_code=422)
        if gap.channel != Channel.STAFF and row.audience not in PUBLIC_AUDIENCES:
            raise DomainError("kb_gap_key_internal", f"知识条目“{key}”是内部口径，公众提出的问题须由公开条目补充",
                              status_code=422)
    elif not centre:
        raise Forbidden("kb_gap_dismiss_centre", "“无需补充”由12345中心判断，本单位可起草条目后标记已补充")
    elif note is None:
        raise DomainError("kb_gap_note_required", "请说明无需补充的理由（如：不属于本市政务服务事项）",
                          status_code=422)
    gap.status = str(GapStatus.FILLED if filled else GapStatus.DISMISSED)
    gap.article_key = key if filled else None
    gap.note = note
    gap.closed_at = now
    gap.closed_by_name = who.actor.name
    audit.record(db, actor=who.actor, at=now, action="kb_gap_filled" if filled else "kb_gap_dismissed",
                 object_type="kb_unanswered", object_id=gap.id, detail=key or note)
    db.commit()
    return gap


def search_text(raw: str | None) -> str | None:
    text = (raw or "").strip()[:100]
    return text or None


def status_of(raw: str | None) -> GapStatus | None:
    """'' or 'all' -> every status; unknown values -> open (the default view)."""
    if raw == "all":
        return None
    try:
        return GapStatus(raw or GapStatus.OPEN)
    except ValueError:
        return GapStatus.OPEN

