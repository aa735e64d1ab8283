"""查漏纠错 from the public (page and API alike): only on an article the public can read now, and at
most 20 reports an hour from one client address — enough for honest use, not for flooding owners.
An article the public cannot read gets the same "不存在或已下线" as the public pages, so that
drafts and internal answers are not revealed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from hotline.knowledge import reading, service
from hotline.knowledge.models import ArticleReport
from hotline.runtime import Runtime
from hotline.security import throttle
from hotline.security.actor import Actor

REPORTS_PER_CLIENT = throttle.Rule(limit=20, window=timedelta(hours=1))


def report(db: Session, rt: Runtime, *, key: str, client: str | None, text: str,
           contact: str | None) -> ArticleReport:
    now = rt.clock.now()
    article, _ = reading.public_article(db, key=key, now=now)
    if client:  # counted in the report's own transaction (its commit)
        throttle.take(db, checks=[(f"kb-report-client:{client}", REPORTS_PER_CLIENT,
                                   "提交纠错过于频繁，请 {minutes} 分钟后再提交")], now=now)
    return service.report_error(db, rt, actor=Actor.requester(client), article_id=article.id, text=text,
                                contact=contact)
