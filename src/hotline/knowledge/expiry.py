"""The knowledge base's expiry, kept by the scheduler (supervision/jobs.py, job "kb_expiry"): at
every pass, articles past their expiry leave public answers and are flagged (service.expire_due —
searches already hide them from that instant; the sweep records it); once a day, the owning unit
is told NOTICE_DAYS ahead that an article is about to expire, once for each article and expiry
date, in its 消息提醒 (an article without an owning unit: the centre's inbox)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import to_local
from hotline.knowledge import service
from hotline.knowledge.enums import ReportStatus
from hotline.knowledge.models import Article, ArticleReport
from hotline.runtime import Runtime
from hotline.supervision.enums import Audience, NotificationKind
from hotline.supervision.models import Notification
from hotline.supervision.timeline import notify

NOTICE_DAYS = 14
REPORT_REMIND_DAYS = 5  # an error report still unanswered after this many days is recalled to its owner


def notice_title(key: str, expires_on: str) -> str:
    return f"知识条目即将到期：{key}（{expires_on} 到期）"


def notify_expiring(db: Session, rt: Runtime) -> int:
    """Tell the owners of the published articles expiring within NOTICE_DAYS that were not told yet;
    how many were told (the caller commits)."""
    now = rt.clock.now()
    soon = db.execute(select(Article.id, Article.key, Article.title, Article.owner_unit_id, Article.expires_at)
                      .where(Article.published_version_id.is_not(None), Article.expires_at.is_not(None),
                             Article.expires_at > now, Article.expires_at <= now + timedelta(days=NOTICE_DAYS))
                      .order_by(Article.expires_at)).all()
    if not soon:
        return 0
    # A notice for an expiry within NOTICE_DAYS was sent within the last NOTICE_DAYS days, if at all.
    told = set(db.execute(select(Notification.title).where(
        Notification.kind == str(NotificationKind.KB_EXPIRING),
        Notification.created_at >= now - timedelta(days=NOTICE_DAYS + 1))).scalars())
    sent = 0
    for article_id, key, title, unit_id, expires_at in soon:
        heading = notice_title(key, f"{to_local(expires_at):%Y-%m-%d %H:%M}")
        if heading in told:
            continue
        notify(db, unit_id=unit_id, audience=Audience.UNIT, kind=NotificationKind.KB_EXPIRING, at=now,
               title=heading, body=f"《{title}》将到期并退出公开答复：请修订后提交审核，或确认延长有效期"
                                   f"（/kb/articles/{article_id}）")
        told.add(heading)
        sent += 1
    return sent


def remind_reports(db: Session, rt: Runtime) -> int:
    """Recall to their owning units the error reports unanswered for REPORT_REMIND_DAYS, once per
    report; how many (the caller commits)."""
    now = rt.clock.now()
    due = db.execute(select(ArticleReport.id, ArticleReport.created_at, Article.key, Article.owner_unit_id)
                     .join(Article, Article.id == ArticleReport.article_id)
                     .where(ArticleReport.status == str(ReportStatus.OPEN),
                            ArticleReport.created_at <= now - timedelta(days=REPORT_REMIND_DAYS))).all()
    if not due:
        return 0
    told = set(db.execute(select(Notification.title).where(
        Notification.kind == str(NotificationKind.KB_REPORT), Notification.title.startswith("纠错待答复"))).scalars())
    sent = 0
    for report_id, created_at, key, unit_id in due:
        heading = f"纠错待答复：{key}（第 {report_id} 号，{to_local(created_at):%Y-%m-%d} 收到）"
        if heading in told:
            continue
        notify(db, unit_id=unit_id, audience=Audience.UNIT, kind=NotificationKind.KB_REPORT, at=now,
               title=heading, body=f"该纠错已超过 {REPORT_REMIND_DAYS} 天未答复，请尽快答复：/kb/reports")
        sent += 1
    return sent


def sweep(db: Session, rt: Runtime) -> tuple[int, int]:
    """Both at once (articles expired now, owners told), committed: `hotline kb expire`'s and the
    tests' way; the scheduler tells owners once a day only."""
    expired = service.expire_due(db, rt)
    told = notify_expiring(db, rt) + remind_reports(db, rt)
    db.commit()
    return expired, told
