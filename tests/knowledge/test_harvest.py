"""Phrasings learned from the hall: tickets answered directly from an article under a wording the
search does not put first for it are suggested as the article's phrasings; adopting one is a
revision submitted for review, after which the wording finds the article first."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.knowledge import harvest
from hotline.knowledge.models import Article, ArticleVersion
from hotline.runtime import Runtime
from tests.factories import Org
from tests.test_pages import intake_form, login, post_page

BASE = "/api/v1/kb"
# How a caller put it: no word in common with the article's questions and phrasings.
WORDING = "辞职以后那笔钱咋拿回来"
# ... and another article that shares its first words.
OTHER = {"key": "SB-1", "questions": ["辞职以后社保怎么办？"], "phrasings": [],
         "answer": "辞职后社保可以由新单位接续缴纳，或以灵活就业人员身份个人缴纳。", "tags": []}
CONTENT = "市民来电咨询离职后如何取出住房公积金。"


def _answer_directly(client: TestClient, key: str, title: str, **extra: str) -> None:
    form = intake_form(kind="consultation", title=title, content=CONTENT, next_step="answer", kb_key=key, **extra)
    r = post_page(client, "/hall/intake", "/hall/intake", form)
    assert r.status_code == 303, r.text


def test_cited_key_is_read_from_the_citation() -> None:
    assert harvest.cited_key("知识库 GJJ-1 第3版《住房公积金怎么提取？》") == "GJJ-1"
    assert harvest.cited_key("口头答复") is None and harvest.cited_key(None) is None


def test_wordings_answered_from_an_article_become_phrasings(
        client: TestClient, db: Session, rt: Runtime, org: Org, as_user: Callable[..., dict[str, str]],
        publish: Callable[..., Article]) -> None:
    key = publish(key="GJJ-1").key
    publish(**OTHER)
    db.rollback()
    login(client, "operator")
    for title in ("住房公积金怎么提取", "电话13800138000来电问公积金", WORDING + "？", WORDING):  # newest last
        _answer_directly(client, key, title)
    # a confidential or anonymous request's title is never shown to editors
    _answer_directly(client, key, "举报人说那笔钱辞职后拿不回来", confidential="1")
    _answer_directly(client, key, "匿名来电问辞职后那笔钱怎么拿", requester_anonymous="1")

    r = client.get(f"{BASE}/phrasing-suggestions", headers=as_user("editor"))
    assert r.status_code == 200
    found = r.json()
    # the article's own question is found first already; a wording with a phone number is never kept
    assert [(s["key"], s["wording"], s["tickets"]) for s in found] == [(key, WORDING, 2)]
    assert found[0]["rank"] != 1
    assert client.get(f"{BASE}/phrasing-suggestions", headers=as_user("operator")).status_code == 403

    article_id = found[0]["article_id"]
    r = client.post(f"{BASE}/articles/{article_id}/phrasings", json={"wording": "太短"}, headers=as_user("editor"))
    assert r.status_code == 422
    r = client.post(f"{BASE}/articles/{article_id}/phrasings", json={"wording": WORDING}, headers=as_user("editor"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_review" and r.json()["version_count"] == 2
    pending = db.execute(select(ArticleVersion).where(ArticleVersion.article_id == article_id,
                                                      ArticleVersion.number == 2)).scalar_one()
    assert pending.phrasings[-1] == WORDING and pending.change_note == harvest.CHANGE_NOTE
    db.rollback()
    # the pending revision already holds it: no longer suggested, and not added twice
    assert client.get(f"{BASE}/phrasing-suggestions", headers=as_user("editor")).json() == []
    r = client.post(f"{BASE}/articles/{article_id}/phrasings", json={"wording": "离职后公积金怎么取出来"},
                    headers=as_user("editor"))
    assert r.status_code == 409 and "未发布的修订" in r.json()["message"]

    r = client.post(f"{BASE}/articles/{article_id}/approve", json={}, headers=as_user("supervisor"))
    assert r.status_code == 200, r.text
    hits = client.get(f"{BASE}/search", params={"q": WORDING}, headers=as_user("operator")).json()
    assert hits[0]["key"] == key  # the caller's wording now finds the article first
    r = client.post(f"{BASE}/articles/{article_id}/phrasings", json={"wording": WORDING + "。"},
                    headers=as_user("editor"))
    assert r.status_code == 409 and "已在条目中" in r.json()["message"]


def test_phrasing_page(client: TestClient, db: Session, publish: Callable[..., Article]) -> None:
    key = publish(key="GJJ-1").key
    publish(**OTHER)
    db.rollback()
    login(client, "operator")
    _answer_directly(client, key, WORDING)
    client.cookies.clear()
    login(client, "housing_handler")
    assert client.get("/kb/gaps/phrasings").status_code == 403
    client.cookies.clear()
    login(client, "editor")
    page = client.get("/kb/gaps/phrasings")
    assert page.status_code == 200 and f"<strong>{WORDING}</strong>" in page.text and "位" in page.text
    article_id = db.execute(select(Article.id).where(Article.key == key)).scalar_one()
    db.rollback()
    r = post_page(client, "/kb/gaps/phrasings", "/kb/gaps/phrasings",
                  {"article_id": str(article_id), "wording": WORDING})
    assert r.status_code == 303
    page = client.get("/kb/gaps/phrasings")
    assert f"已在条目 {key} 中加入问法“{WORDING}”并提交审核（第 2 版）" in page.text
    assert "暂无建议" in page.text
    r = post_page(client, "/kb/gaps/phrasings", "/kb/gaps/phrasings", {"article_id": "x", "wording": WORDING})
    assert r.status_code == 303 and "请选择知识条目" in client.get("/kb/gaps/phrasings").text
