"""知识库同步: the feed of public answers that data-sharing accounts read (GET /api/share/v1/kb/articles) —
upserts and tombstones in change order after a cursor, nothing of internal answers or drafts, audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hotline.knowledge import expiry, service
from hotline.knowledge.models import Article
from hotline.knowledge.schemas import ArticleCreate, ArticleIn
from hotline.security.models import AuditEntry
from tests.knowledge.conftest import article_data
from tests.test_sharing import _account

URL = "/api/share/v1/kb/articles"


def _feed(client: Any, key: str, after: str = "0", **params: Any) -> dict[str, Any]:
    r = client.get(URL, params={"after": after, **params}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    return r.json()


def _ops(page: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(i["key"], i["op"], i["reason"]) for i in page["items"]]


def test_public_answers_come_in_change_order_and_leave_as_tombstones(client, as_user, db, rt, org, publish) -> None:
    key = _account(client, as_user, "zwfw-kb-sync")
    public = publish(key="KB-GJJ", phrasings=["公积金能取出来吗"]).key
    publish(key="KB-INTERNAL", audience="internal", questions=["内部口径：系统故障时如何登记？"])
    draft = service.create(db, rt, actor=org.actor("housing_handler"),
                           data=ArticleCreate(**article_data(key="KB-DRAFT", questions=["尚未审核的问题？"])))
    assert draft.change_seq == 0
    db.rollback()

    page = _feed(client, key)
    assert _ops(page) == [("KB-GJJ", "upsert", None)]  # no internal answer, no draft — not even their keys
    article = page["items"][0]["article"]
    assert article["answer"].startswith("职工购买") and article["policy_source"] == "国务院令第350号"
    assert article["version"] == 1 and article["url"] == "/public/kb/KB-GJJ" and article["category"]
    assert "phrasings" not in article and "公积金能取出来吗" not in str(page)  # what the public page shows only
    assert page["has_more"] is False
    cursor = page["next_after"]
    assert _feed(client, key, after=cursor)["items"] == []

    # A revision approved: the new version. Turned internal: a tombstone. Withdrawn: a tombstone.
    article_id = db.execute(select(Article.id).where(Article.key == public)).scalar_one()
    db.rollback()
    revised = article_data(answer="可在“我的南京”App 在线申请提取住房公积金，也可到服务网点办理。")
    service.update(db, rt, actor=org.actor("housing_handler"), article_id=article_id, data=ArticleIn(**revised))
    service.submit(db, rt, actor=org.actor("housing_handler"), article_id=article_id)
    service.approve(db, rt, actor=org.actor("supervisor"), article_id=article_id)
    db.rollback()
    page = _feed(client, key, after=cursor)
    assert _ops(page) == [("KB-GJJ", "upsert", None)] and page["items"][0]["article"]["version"] == 2
    assert page["items"][0]["article"]["answer"].startswith("可在")
    cursor = page["next_after"]

    other = publish(key="KB-LATER", questions=["医保卡丢了怎么补办？"]).id
    service.withdraw(db, rt, actor=org.actor("supervisor"), article_id=other, reason="政策调整")
    db.rollback()
    page = _feed(client, key, after=cursor)
    assert _ops(page) == [("KB-LATER", "delete", "withdrawn")] and page["items"][0]["article"] is None

    # Every page taken is in the audit log under the account.
    db.rollback()
    details = db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "kb_feed_read",
                                                         AuditEntry.username == "zwfw-kb-sync")
                         .order_by(AuditEntry.id)).all()  # in the order they were read (PostgreSQL has no default)
    assert len(details) == 3 and details[0].startswith("知识条目 1 条（更新 1，删除 0）")


def test_expiry_is_a_tombstone_at_once_and_batches_page_without_loss(client, as_user, db, rt, org, publish,
                                                                        clock) -> None:
    key = _account(client, as_user, "site-kb-sync")
    ends = clock.now() + timedelta(days=1)
    for n in range(3):
        publish(key=f"KB-E{n}", questions=[f"第{n}个到期的问题？"], expires_at=ends)
    db.rollback()
    first = _feed(client, key)
    assert [i["article"]["expires_at"] is not None for i in first["items"]] == [True] * 3
    cursor = first["next_after"]
    clock.advance(timedelta(days=2))
    # Past its expiry the public no longer sees it: the feed says so already (its row has not changed yet).
    assert _feed(client, key)["items"][0]["op"] == "delete"
    # The sweep expires all three under one change number: read one at a time, each comes once.
    assert expiry.sweep(db, rt)[0] == 3
    db.rollback()
    seen = []
    for _ in range(4):
        page = _feed(client, key, after=cursor, limit=1)
        seen += _ops(page)
        cursor = page["next_after"]
        if not page["has_more"]:
            break
    assert seen == [(f"KB-E{n}", "delete", "expired") for n in range(3)]
    assert _feed(client, key, after=cursor)["items"] == []


def test_only_data_sharing_accounts_read_it(client, as_user, db, publish) -> None:
    publish(key="KB-AUTH")
    db.rollback()
    assert client.get(URL).status_code == 401
    r = client.get(URL, headers=as_user("admin"))
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"
    key = _account(client, as_user, "kb-sync-cursor")
    for bad in ("abc", "-1", "1.2.3"):
        r = client.get(URL, params={"after": bad}, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 422 and r.json()["code"] == "cursor_invalid", bad
    r = client.get(URL, params={"limit": 0}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 422
