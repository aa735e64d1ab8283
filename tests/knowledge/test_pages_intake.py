"""Knowledge at intake (接诉即答): suggestions for what the operator typed (the API the page's script
calls, and the no-script 查找知识 button), choosing an article, and the ticket citing it."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.knowledge import service
from hotline.knowledge.models import Article
from hotline.knowledge.schemas import ArticleCreate
from hotline.runtime import Runtime
from hotline.tickets.models import Ticket
from tests.factories import Org
from tests.knowledge.conftest import article_data
from tests.test_pages import intake_form, login, post_page

CONSULT = {"kind": "consultation", "title": "公积金提取咨询",
           "content": "市民来电咨询住房公积金怎么取出来，需要带什么材料。"}


def _published_and_draft(db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> tuple[str, str]:
    key = publish().key
    draft = service.create(db, rt, actor=org.actor("housing_handler"),
                           data=ArticleCreate(**article_data(key="GJJ-DRAFT", questions=["公积金提取新规（草稿）"])))
    draft_key = draft.key
    db.rollback()
    return key, draft_key


def test_suggestion_endpoint_returns_published_matches(client: TestClient, db: Session, rt: Runtime, org: Org,
                                                       publish: Callable[..., Article]) -> None:
    key, draft_key = _published_and_draft(db, rt, org, publish)
    login(client, "operator")  # the page's script calls the API with the page session
    r = client.get("/api/v1/kb/search", params={"q": "公积金怎么取出来", "limit": 5})
    assert r.status_code == 200, r.text
    keys = [h["key"] for h in r.json()]
    assert keys == [key] and draft_key not in keys
    assert "<mark>" in r.json()[0]["snippet"] and r.json()[0]["version"] == 1
    r = client.get(f"/api/v1/kb/articles/by-key/{key}")
    assert r.status_code == 200 and r.json()["published_version"]["number"] == 1
    page = client.get("/hall/intake")
    assert "/static/kb.js" in page.text and "data-kb-suggest" in page.text and "查找知识" in page.text
    assert client.get("/static/kb.js").status_code == 200


def test_find_and_pick_without_script(client: TestClient, db: Session, rt: Runtime, org: Org,
                                      publish: Callable[..., Article]) -> None:
    key, draft_key = _published_and_draft(db, rt, org, publish)
    login(client, "operator")
    form = intake_form(**CONSULT)
    r = post_page(client, "/hall/intake", "/hall/intake", {**form, "intent": "kb"})
    assert r.status_code == 200
    assert f'name="kb_pick" value="{key}"' in r.text and draft_key not in r.text
    assert "可能相关的知识" in r.text and "<mark>" in r.text
    assert 'value="公积金提取咨询"' in r.text  # what was typed stays
    r = post_page(client, "/hall/intake", "/hall/intake", {**form, "kb_pick": key})
    assert r.status_code == 200
    assert f'name="kb_key" value="{key}"' in r.text
    assert re.search(r'name="next_step" value="answer" checked', r.text)
    assert "请携带身份证和相关证明材料" in r.text  # the answer is filled in from the article
    assert f"知识库 {key} 第1版《住房公积金怎么提取？》" in r.text
    # 不引用: the citation goes, the typed answer stays.
    r = post_page(client, "/hall/intake", "/hall/intake", {**form, "intent": "kb_clear", "kb_key": key,
                                                           "next_step": "answer", "answer": "自己写的答复内容"})
    assert r.status_code == 200 and 'name="kb_key" value=""' in r.text and "自己写的答复内容" in r.text


def test_answer_directly_cites_the_article_and_version(client: TestClient, db: Session, rt: Runtime, org: Org,
                                                       publish: Callable[..., Article]) -> None:
    key, _ = _published_and_draft(db, rt, org, publish)
    login(client, "operator")
    form = intake_form(**CONSULT, next_step="answer", kb_key=key, answer="", answer_source="随便写的来源")
    r = post_page(client, "/hall/intake", "/hall/intake", form)
    assert r.status_code == 303, r.text
    ticket = db.execute(select(Ticket).order_by(Ticket.id.desc())).scalars().first()
    assert ticket is not None and ticket.state == "closed"
    assert ticket.answer_source == f"知识库 {key} 第1版《住房公积金怎么提取？》"
    assert ticket.reply_content and ticket.reply_content.startswith("职工购买")
    used = db.execute(select(Article.use_count).where(Article.key == key)).scalar_one()
    db.rollback()
    assert used == 1
    page = client.get(r.headers["location"])
    assert f"知识库 {key} 第1版" in page.text


def test_a_withdrawn_article_cannot_be_cited(client: TestClient, db: Session, rt: Runtime, org: Org,
                                             publish: Callable[..., Article]) -> None:
    article = publish()
    key = article.key
    service.withdraw(db, rt, actor=org.actor("supervisor"), article_id=article.id, reason="政策废止")
    db.rollback()
    login(client, "operator")
    r = post_page(client, "/hall/intake", "/hall/intake",
                  intake_form(**CONSULT, next_step="answer", kb_key=key, answer="答复内容五个字以上"))
    assert r.status_code == 422 and "已下线或不在有效期内" in r.text
    assert db.execute(select(Ticket)).first() is None
    db.rollback()
    r = post_page(client, "/hall/intake", "/hall/intake", {**intake_form(**CONSULT), "kb_pick": key})
    assert r.status_code == 422 and "不能引用" in r.text


def test_a_citation_typed_by_hand_is_checked_like_a_chosen_one(client: TestClient, db: Session, rt: Runtime,
                                                                org: Org, as_user,
                                                                publish: Callable[..., Article]) -> None:
    article = publish()
    key, article_id = article.key, article.id
    db.rollback()
    login(client, "operator")
    # An invented version of a real article: the ticket cites the version in force, and it counts.
    form = intake_form(**CONSULT, next_step="answer", kb_key="", answer="答复内容五个字以上",
                       answer_source=f"知识库 {key} 第9版《伪造》")
    assert post_page(client, "/hall/intake", "/hall/intake", form).status_code == 303
    ticket = db.execute(select(Ticket).order_by(Ticket.id.desc())).scalars().first()
    assert ticket.answer_source == f"知识库 {key} 第1版《住房公积金怎么提取？》"
    assert db.execute(select(Article.use_count).where(Article.key == key)).scalar_one() == 1
    db.rollback()
    # Through the API too; and an unknown key, or a withdrawn article, is refused.
    body = {**CONSULT, "requester_phone": "13912345678", "requester_name": "张三", "direct_answer": {
        "answer": "答复内容五个字以上", "answer_source": "知识库 NOPE-1 第1版《伪造》"}}
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=body)
    assert r.status_code == 422 and "知识条目 NOPE-1 不存在" in r.json()["message"]
    body["direct_answer"]["answer_source"] = "知识库 随便写的来源"
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=body)
    assert r.status_code == 422 and "须是知识条目的引用" in r.json()["message"]
    service.withdraw(db, rt, actor=org.actor("supervisor"), article_id=article_id, reason="政策废止")
    db.commit()
    body["direct_answer"]["answer_source"] = f"知识库 {key} 第1版《住房公积金怎么提取？》"
    r = client.post("/api/v1/tickets", headers=as_user("operator"), json=body)
    assert r.status_code == 422 and "已下线" in r.json()["message"]
    for spaced in (f"知识库{key} 第3版", f"知识库\u3000{key} 第1版", f"知识库 {key}第１版"):  # however spaced
        body["direct_answer"]["answer_source"] = spaced
        r = client.post("/api/v1/tickets", headers=as_user("operator"), json=body)
        assert r.status_code == 422 and "已下线" in r.json()["message"], spaced
    for free in ("知识库：公积金指南", "知识库政策汇编第3版"):  # no article's key: a source as written
        body["direct_answer"]["answer_source"] = free
        assert client.post("/api/v1/tickets", headers=as_user("operator"), json=body).status_code == 201
    body["direct_answer"]["answer_source"] = "《住房公积金管理条例》第二十四条"  # any other source stays as written
    assert client.post("/api/v1/tickets", headers=as_user("operator"), json=body).status_code == 201


def test_editor_home_shows_direct_answer_figures_and_gaps(client: TestClient, db: Session, rt: Runtime, org: Org,
                                                          publish: Callable[..., Article], as_user) -> None:  # type: ignore[no-untyped-def]
    key, _ = _published_and_draft(db, rt, org, publish)
    login(client, "operator")
    r = post_page(client, "/hall/intake", "/hall/intake", intake_form(**CONSULT, next_step="answer", kb_key=key))
    assert r.status_code == 303
    gap = {**CONSULT, "title": "电动自行车上牌在哪里办理", "content": "市民咨询电动自行车上牌的地点和所需材料。"}
    assert client.post("/api/v1/tickets", json=intake_form(**gap), headers=as_user("operator")).status_code == 201
    assert client.post("/api/v1/tickets", json=intake_form(), headers=as_user("operator")).status_code == 201
    client.cookies.clear()
    login(client, "editor")
    home = client.get("/kb").text
    figures = home.split('id="direct-answers"')[1].split('id="reports"')[0]
    assert "3 件，其中咨询 2 件" in figures
    assert "1 件（33.3%）" in figures and "1 件（占直接答复 100.0%）" in figures
    assert "电动自行车上牌在哪里办理" in figures and "公积金提取咨询" not in figures
    # A unit's staff do not get the hall's figures.
    client.cookies.clear()
    login(client, "housing_handler")
    assert 'id="direct-answers"' not in client.get("/kb").text


def test_find_with_nothing_typed_asks_for_the_request_first(client: TestClient, org: Org) -> None:
    """QA: 查找知识 on an empty form said 没有找到相关知识, as if the knowledge base had been searched."""
    login(client, "operator")
    r = post_page(client, "/hall/intake", "/hall/intake", {"intent": "kb", "title": "", "content": ""})
    assert r.status_code == 200 and "请先填写诉求标题或诉求内容，再查找知识" in r.text
    assert "没有找到相关知识" not in r.text
    r = post_page(client, "/hall/intake", "/hall/intake", {"intent": "kb", "title": "火星移民补贴申请"})
    assert "没有找到相关知识" in r.text and "请先填写诉求标题" not in r.text
