"""The scheduler's expiry sweep: past their expiry, articles leave public answers; their owners are
told ahead, once per article and expiry date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hotline.clock import FixedClock
from hotline.knowledge import expiry
from hotline.knowledge.enums import ArticleStatus
from hotline.knowledge.models import Article
from hotline.runtime import Runtime
from hotline.supervision import jobs
from hotline.supervision import service as sv
from hotline.supervision.models import DailyJob, Notification
from tests.factories import Org


def test_expired_leave_and_owners_are_told_ahead_once(db: Session, rt: Runtime, clock: FixedClock, org: Org,
                                                      publish: Callable[..., Article]) -> None:
    now = clock.now()
    soon = publish(key="SOON-1", expires_at=(now + timedelta(days=10)).isoformat())
    publish(key="LATER-1", expires_at=(now + timedelta(days=40)).isoformat())
    past = publish(key="PAST-1", expires_at=(now + timedelta(days=1)).isoformat())
    past_id = past.id
    clock.advance(timedelta(days=2))
    try:
        assert expiry.sweep(db, rt) == (1, 1)
        assert db.get(Article, past_id).status == ArticleStatus.EXPIRED
        inbox, total = sv.notifications(db, actor=org.actor("housing_handler"))
        assert total == 1 and inbox[0].title.startswith("知识条目即将到期：SOON-1（")
        assert f"/kb/articles/{soon.id}" in (inbox[0].body or "")
        assert expiry.sweep(db, rt) == (0, 0)  # told once
        # As a scheduler job, with its label.
        assert jobs.JOB_LABELS["kb_expiry"] == "知识到期（下线与提醒）"
        sf = lambda: Session(db.get_bind())  # noqa: E731
        assert jobs.sweep_kb_expiry(sf, rt, None).created == 0  # type: ignore[arg-type]
        # Owners are told once a day: a new article expiring soon waits for tomorrow's first pass.
        publish(key="SOON-2", expires_at=(clock.now() + timedelta(days=5)).isoformat())
        db.commit()
        assert jobs.sweep_kb_expiry(sf, rt, None).created == 0  # type: ignore[arg-type]
        clock.advance(timedelta(days=1))
        assert jobs.sweep_kb_expiry(sf, rt, None).created == 1  # type: ignore[arg-type]
    finally:
        db.rollback()
        db.execute(delete(Notification))
        db.execute(delete(DailyJob).where(DailyJob.job == jobs.KB_NOTICE_JOB))
        db.commit()


def test_a_report_is_heard_at_once_and_recalled_if_left_unanswered(db: Session, rt: Runtime, clock: FixedClock,
                                                                    org: Org, publish: Callable[..., Article]) -> None:
    from hotline.knowledge import service

    article = publish(key="REPORTED-1")
    try:
        service.report_error(db, rt, actor=org.actor("operator"), article_id=article.id, text="网点电话已变更")
        inbox, total = sv.notifications(db, actor=org.actor("housing_handler"))
        assert total == 1 and inbox[0].title.startswith("知识条目收到纠错：REPORTED-1")
        assert "网点电话已变更" in (inbox[0].body or "")
        assert expiry.sweep(db, rt) == (0, 0)  # not yet late
        clock.advance(timedelta(days=expiry.REPORT_REMIND_DAYS + 1))
        assert expiry.sweep(db, rt) == (0, 1)
        inbox, total = sv.notifications(db, actor=org.actor("housing_manager"))
        assert total == 2 and inbox[0].title.startswith("纠错待答复：REPORTED-1")
        assert expiry.sweep(db, rt) == (0, 0)  # reminded once
        # The centre's own articles: its knowledge editors are told (they read their unit's inbox)
        own = publish(key="CENTRE-1", drafter="editor")
        service.report_error(db, rt, actor=org.actor("operator"), article_id=own.id, text="政策已调整")
        inbox, total = sv.notifications(db, actor=org.actor("editor"))
        assert total == 1 and inbox[0].title.startswith("知识条目收到纠错：CENTRE-1")
    finally:
        db.rollback()
        db.execute(delete(Notification))
        db.commit()


def test_a_knowledge_editor_opens_the_inbox(client) -> None:  # type: ignore[no-untyped-def]
    from tests.test_pages import login

    login(client, "editor")
    page = client.get("/notifications")
    assert page.status_code == 200 and 'href="/notifications"' in client.get("/kb").text
