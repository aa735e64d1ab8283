"""The knowledge sync feed (知识库互联共享、同步更新): the public answers, for a 政务服务平台 or a government
website to keep its own copy in step, read by data-sharing machine accounts after a cursor they keep.

It is a feed of states, not of events: every article whose `change_seq` moved past the cursor is served
once, as it is now — the published version in force (`upsert`), or a tombstone (`delete`, the key
only) when it has left the public answers (withdrawn, expired, turned internal, flagged as the policy
changed). Articles never published for the public are not served at all, not even their keys.

Taking a `change_seq` locks the counter row until commit (service._next_seq), so numbers become visible
in order and a cursor never passes a change still being written; several articles may share one
number (an import, the expiry sweep), so the cursor is the pair "seq.id". Validity windows do not move
`change_seq`: an upsert carries `valid_from` and `expires_at`, and the receiver applies them (the expiry
sweep then sends the tombstone)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.orm import Session

from hotline.errors import DomainError
from hotline.knowledge.enums import PUBLIC_AUDIENCES, ArticleStatus, Flag
from hotline.knowledge.models import Article, ArticleVersion
from hotline.knowledge.reading import place_names
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import ensure_role
from hotline.security.roles import Role
from hotline.tickets.categories import full_name

DEFAULT_LIMIT, MAX_LIMIT = 100, 500
CURSOR = re.compile(r"^(\d{1,12})(?:\.(\d{1,12}))?$")
PUBLIC = [str(a) for a in PUBLIC_AUDIENCES]


@dataclass(frozen=True)
class FeedItem:
    seq: int
    key: str
    op: str  # "upsert" | "delete"
    reason: str | None  # a tombstone's: withdrawn | expired | policy_changed | not_public
    article: dict[str, Any] | None  # an upsert's published version


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next_after: str
    has_more: bool


def parse_cursor(text: str) -> tuple[int, int]:
    m = CURSOR.match((text or "0").strip())
    if not m:
        raise DomainError("cursor_invalid", "after 须为上次返回的 next_after（首次读取用 0）", status_code=422)
    return int(m.group(1)), int(m.group(2) or 0)


def _ever_public() -> Any:
    """Published for the public at some time: a version approved with a public audience."""
    return exists(select(ArticleVersion.id).where(ArticleVersion.article_id == Article.id,
                                                  ArticleVersion.review_outcome == "approved",
                                                  ArticleVersion.audience.in_(PUBLIC)))


def _reason(article: Article) -> str:
    flags = article.flags or []
    if article.status == ArticleStatus.WITHDRAWN:
        return "withdrawn"
    if article.status == ArticleStatus.EXPIRED or Flag.EXPIRED in flags:
        return "expired"
    if article.published_version_id is not None and article.audience in PUBLIC:
        return "expired"  # public and published, but past its expiry (see _is_live)
    if Flag.POLICY_CHANGED in flags:
        return "policy_changed"
    return "not_public"


def _is_live(article: Article, now: datetime) -> bool:
    """In the public answers now. One past its expiry that the sweep has not reached yet is already
    hidden from the public search: it goes out as expired at once (the sweep's change repeats it)."""
    return (article.published_version_id is not None and article.audience in PUBLIC
            and (article.expires_at is None or article.expires_at > now))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _article(a: Article, v: ArticleVersion, places: dict[str, str]) -> dict[str, Any]:
    """What the public article page shows (no phrasings, owner or review notes), with its version."""
    return {"key": a.key, "version": v.number, "title": v.title, "questions": list(v.questions),
            "answer": v.answer, "policy_basis": v.policy_basis, "policy_source": v.policy_source,
            "category_code": v.category_code, "category": full_name(v.category_code) if v.category_code else None,
            "audience": v.audience, "jurisdiction_path": v.jurisdiction_path,
            "place": places.get(v.jurisdiction_path or ""), "tags": list(v.tags or []),
            "valid_from": _iso(v.valid_from), "expires_at": _iso(v.expires_at),
            "published_at": _iso(v.reviewed_at or v.created_at), "url": f"/public/kb/{a.key}"}


def read(db: Session, rt: Runtime, *, actor: Actor, after: str = "0", limit: int = DEFAULT_LIMIT) -> FeedPage:
    """Up to `limit` articles changed after the cursor, in change order. A read that returns any is
    audited (and committed): every copy taken is attributable to the account that took it."""
    ensure_role(actor, Role.DATA_SHARING)
    seq, aid = parse_cursor(after)
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError("limit_invalid", f"limit 须在 1 到 {MAX_LIMIT} 之间", status_code=422)
    rows = list(db.scalars(
        select(Article).where(tuple_(Article.change_seq, Article.id) > tuple_(seq, aid) if aid else
                              Article.change_seq > seq,
                              or_(and_(Article.published_version_id.is_not(None), Article.audience.in_(PUBLIC)),
                                  _ever_public()))
        .order_by(Article.change_seq, Article.id).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    now = rt.clock.now()
    live = [a for a in rows if _is_live(a, now)]
    versions = {v.id: v for v in db.scalars(select(ArticleVersion).where(
        ArticleVersion.id.in_([a.published_version_id for a in live])))} if live else {}
    places = place_names(db, (v.jurisdiction_path for v in versions.values()))
    items = [FeedItem(seq=a.change_seq, key=a.key, op="upsert", reason=None,
                      article=_article(a, versions[a.published_version_id], places))
             if a.published_version_id in versions else
             FeedItem(seq=a.change_seq, key=a.key, op="delete", reason=_reason(a), article=None)
             for a in rows]
    next_after = f"{rows[-1].change_seq}.{rows[-1].id}" if rows else (after.strip() or "0")
    if items:
        upserts = sum(1 for i in items if i.op == "upsert")
        audit.record(db, actor=actor, at=now, action="kb_feed_read", object_type="kb_feed",
                     object_id=actor.username or str(actor.user_id),
                     detail=f"知识条目 {len(items)} 条（更新 {upserts}，删除 {len(items) - upserts}），至 {next_after}")
        db.commit()
    return FeedPage(items=items, next_after=next_after, has_more=has_more)
