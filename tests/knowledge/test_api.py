"""The knowledge base through HTTP: personas, the workflow endpoints, public search and ask."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.knowledge.models import Article, UnansweredQuestion
from tests.factories import Org
from tests.knowledge.conftest import article_data

BASE = "/api/v1/kb"


def test_workflow_over_http(client: TestClient, as_user: Callable[..., dict[str, str]], org: Org) -> None:
    r = client.post(f"{BASE}/articles", json={**article_data(), "key": "GJJ-1"}, headers=as_user("housing_handler"))
    assert r.status_code == 201, r.text
    art = r.json()
    assert art["status"] == "draft" and art["key"] == "GJJ-1" and art["current"]["number"] == 1
    aid = art["id"]
    assert client.post(f"{BASE}/articles", json=article_data(), headers=as_user("operator")).status_code == 403
    r = client.post(f"{BASE}/articles", json={**article_data(), "key": "GJJ-1"}, headers=as_user("editor"))
    assert r.status_code == 409 and "已被" in r.json()["message"]

    assert client.post(f"{BASE}/articles/{aid}/submit", json={}, headers=as_user("housing_handler")).status_code == 200
    r = client.post(f"{BASE}/articles/{aid}/return", json={}, headers=as_user("supervisor"))
    assert r.status_code == 422 and "审核意见" in r.json()["message"]
    r = client.post(f"{BASE}/articles/{aid}/approve", json={"comment": "同意"}, headers=as_user("housing_manager"))
    assert r.status_code == 403
    r = client.post(f"{BASE}/articles/{aid}/approve", json={"comment": "同意"}, headers=as_user("supervisor"))
    assert r.status_code == 200 and r.json()["published"] is True

    changed = article_data(answer="提取住房公积金可在网上服务大厅办理。", change_note="增加网上渠道")
    r = client.put(f"{BASE}/articles/{aid}", json=changed, headers=as_user("housing_handler"))
    assert r.status_code == 200 and r.json()["status"] == "draft" and r.json()["published"] is True
    assert r.json()["published_version"]["number"] == 1 and r.json()["current"]["number"] == 2
    r = client.get(f"{BASE}/articles/{aid}/diff", params={"from": 1, "to": 2}, headers=as_user("editor"))
    assert r.status_code == 200 and "+提取住房公积金可在网上服务大厅办理。" in r.json()["diff"]
    assert len(client.get(f"{BASE}/articles/{aid}/versions", headers=as_user("editor")).json()) == 2
    events = client.get(f"{BASE}/articles/{aid}/events", headers=as_user("editor")).json()
    assert [e["action_label"] for e in events] == ["起草", "提交审核", "审核通过", "修订"]
    r = client.get(f"{BASE}/articles/by-key/GJJ-1", headers=as_user("operator"))
    assert r.status_code == 200
    for q in ("gjj-1", "GJJ", "ｇｊｊ－１"):  # a key in any case, in part, full-width
        assert client.get(f"{BASE}/articles", params={"q": q}, headers=as_user("editor")).json()["total"] == 1, q
    assert client.get(f"{BASE}/articles", params={"q": "GJJ-9"}, headers=as_user("editor")).json()["total"] == 0
    r = client.get(f"{BASE}/articles", params={"status": "draft"}, headers=as_user("editor"))
    assert r.json()["total"] == 1


def test_drafts_are_hidden_from_other_units(client: TestClient, as_user: Callable[..., dict[str, str]]) -> None:
    r = client.post(f"{BASE}/articles", json=article_data(), headers=as_user("housing_handler"))
    aid = r.json()["id"]
    assert client.get(f"{BASE}/articles/{aid}", headers=as_user("market_handler")).status_code == 404
    assert client.get(f"{BASE}/articles/{aid}", headers=as_user("housing_manager")).status_code == 200
    assert client.get(f"{BASE}/articles", headers=as_user("market_handler")).json()["total"] == 0
    assert client.get(f"{BASE}/articles/{aid}").status_code == 401
    key = r.json()["key"]
    hidden = client.get(f"{BASE}/articles/by-key/{key}", headers=as_user("market_handler"))
    unknown = client.get(f"{BASE}/articles/by-key/NO-SUCH-KEY", headers=as_user("market_handler"))
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["message"] == f"外部编号为 {key} 的知识条目不存在"  # not "知识条目 <id> 不存在"


def test_a_revision_in_review_is_not_read_by_other_units(client: TestClient,
                                                        as_user: Callable[..., dict[str, str]]) -> None:
    """QA: once v1 was published, v2's unapproved answer was readable by anyone (article, versions, diff)."""
    aid = client.post(f"{BASE}/articles", json=article_data(), headers=as_user("housing_handler")).json()["id"]
    client.post(f"{BASE}/articles/{aid}/submit", json={}, headers=as_user("housing_handler"))
    client.post(f"{BASE}/articles/{aid}/approve", json={"comment": "同意"}, headers=as_user("supervisor"))
    draft = article_data(answer="尚未审核的新答复口径：提取额度另行规定。", change_note="调整额度")
    assert client.put(f"{BASE}/articles/{aid}", json=draft, headers=as_user("housing_handler")).status_code == 200
    client.post(f"{BASE}/articles/{aid}/submit", json={}, headers=as_user("housing_handler"))
    for outsider in ("market_handler", "operator", "analyst"):
        who = as_user(outsider)
        art = client.get(f"{BASE}/articles/{aid}", headers=who).json()
        assert art["current"]["number"] == 1 and "尚未审核" not in str(art), outsider
        assert [v["number"] for v in client.get(f"{BASE}/articles/{aid}/versions", headers=who).json()] == [1]
        r = client.get(f"{BASE}/articles/{aid}/diff", params={"from": 1, "to": 2}, headers=who)
        assert r.status_code == 404
        events = client.get(f"{BASE}/articles/{aid}/events", headers=who).json()
        assert [e["action_label"] for e in events] == ["起草", "提交审核", "审核通过"]
    for insider in ("housing_manager", "supervisor", "editor"):  # the owner unit, reviewers, the KB's editors
        art = client.get(f"{BASE}/articles/{aid}", headers=as_user(insider)).json()
        assert art["current"]["number"] == 2, insider
    # nor in the review queue's page (QA: every unit read every unit's unapproved answers there)
    from tests.test_pages import login

    login(client, "market_handler")
    queue = client.get("/kb/review")
    assert queue.status_code == 200 and "尚未审核" not in queue.text
    client.cookies.clear()
    login(client, "supervisor")
    assert "尚未审核" in client.get("/kb/review").text


def test_an_attachment_link_is_a_web_address(client: TestClient, as_user: Callable[..., dict[str, str]]) -> None:
    for url, ok in (("javascript:alert(1)", False), ("data:text/html,x", False), ("//evil.example/x", False),
                    ("https://www.nanjing.gov.cn/a.pdf", True), ("/static/a.pdf", True)):
        body = article_data(attachments=[{"filename": "a.pdf", "url": url}])
        r = client.post(f"{BASE}/articles", json=body, headers=as_user("housing_handler"))
        assert (r.status_code == 201) is ok, (url, r.text)
        if not ok:
            assert "附件链接须以 http:// 或 https:// 开头" in r.json()["message"]


def test_public_search_and_ask_need_no_login(client: TestClient, publish: Callable[..., Article]) -> None:
    art = publish()
    publish(questions=["话务员内部：公积金提取热点口径"], phrasings=[], audience="internal",
            answer="内部口径：公积金提取问题先核实缴存城市。")
    r = client.get("/api/v1/public/kb/search", params={"q": "公积金怎么取出来"})
    assert r.status_code == 200
    hits = r.json()
    assert [h["key"] for h in hits] == [art.key]
    assert "<mark>" in hits[0]["snippet"] and hits[0]["source"] == "国务院令第350号"
    r = client.post("/api/v1/public/kb/ask", json={"query": "公积金能取出来吗"})
    body = r.json()
    assert r.status_code == 200 and body["kind"] == "answer" and body["key"] == art.key
    assert "来源" in body["text"] and body["abstained"] is False
    r = client.post("/api/v1/public/kb/ask", json={"query": "航班延误了有没有赔偿"})
    assert r.json()["abstained"] is True and r.json()["key"] is None and "12345" in r.json()["text"]
    r = client.get("/api/v1/public/kb/search", params={"q": "公积金", "audience": "internal"})
    assert r.status_code == 422 and "内部口径" in r.json()["message"]
    assert client.get("/api/v1/public/kb/search", params={"q": ""}).status_code == 422


def test_an_emergency_is_told_to_call_now_and_is_no_gap(client: TestClient, db: Session,
                                                        as_user: Callable[..., dict[str, str]],
                                                        publish: Callable[..., Article]) -> None:
    publish()
    r = client.post("/api/v1/public/kb/ask", json={"query": "我家着火了，快来人"})
    body = r.json()
    assert r.status_code == 200 and body["kind"] == "emergency" and body["abstained"] is True
    assert "119" in body["text"] and body["key"] is None
    r = client.post(f"{BASE}/ask", json={"query": "有人持刀抢劫"}, headers=as_user("operator"))
    assert r.json()["kind"] == "emergency" and "110" in r.json()["text"]
    page = client.get("/public/kb", params={"q": "我家着火了，快来人"})
    assert page.status_code == 200 and 'data-kind="emergency"' in page.text and "119" in page.text
    assert "的搜索结果" not in page.text  # no list of answers under a call to act now
    assert db.execute(select(func.count()).select_from(UnansweredQuestion)).scalar_one() == 0
    db.rollback()


def test_internal_search_sees_internal_articles(client: TestClient, as_user: Callable[..., dict[str, str]],
                                                publish: Callable[..., Article]) -> None:
    art = publish(audience="internal")
    r = client.get(f"{BASE}/search", params={"q": "公积金提取", "limit": 3}, headers=as_user("operator"))
    assert r.status_code == 200 and r.json()[0]["key"] == art.key
    assert client.get(f"{BASE}/search", params={"q": "公积金"}).status_code == 401


def test_public_error_report_and_owner_answer(client: TestClient, as_user: Callable[..., dict[str, str]],
                                              publish: Callable[..., Article]) -> None:
    art = publish()
    r = client.post(f"/api/v1/public/kb/articles/{art.key}/reports", json={"text": "服务网点电话已变更",
                                                                                 "contact": "13900000001"})
    assert r.status_code == 201
    rid = r.json()["id"]
    listing = client.get(f"{BASE}/reports", params={"status": "open"}, headers=as_user("housing_manager")).json()
    assert listing["total"] == 1 and listing["items"][0]["reporter_contact"] == "13900000001"
    other = client.get(f"{BASE}/reports", params={"status": "open"}, headers=as_user("market_manager")).json()
    assert other["total"] == 0  # another unit sees neither the report nor the contact
    body: dict[str, Any] = {"answer": "已更新电话", "accepted": True}
    r = client.post(f"{BASE}/reports/{rid}/answer", json=body, headers=as_user("market_manager"))
    assert r.status_code == 403 and r.json()["message"] == "只有条目所属单位或12345中心的知识库编辑可以答复该纠错"
    r = client.post(f"{BASE}/reports/{rid}/answer", json=body, headers=as_user("housing_manager"))
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = client.post(f"{BASE}/reports/{rid}/answer", json=body, headers=as_user("housing_manager"))
    assert r.status_code == 409


def test_public_reports_only_on_public_articles_and_throttled(client: TestClient,
                                                              publish: Callable[..., Article]) -> None:
    internal = publish(audience="internal")
    r = client.post(f"/api/v1/public/kb/articles/{internal.key}/reports", json={"text": "内部口径有误"})
    assert r.status_code == 404 and r.json()["message"] == "该知识条目不存在或已下线"
    r = client.post("/api/v1/public/kb/articles/NOPE/reports", json={"text": "不存在的条目"})
    assert r.status_code == 404 and r.json()["message"] == "该知识条目不存在或已下线"  # the same: nothing revealed
    art = publish(key="GJJ-PUBLIC")
    codes = [client.post(f"/api/v1/public/kb/articles/{art.key}/reports", json={"text": f"第{i}条反馈"}).status_code
             for i in range(21)]
    assert codes[:20] == [201] * 20 and codes[20] == 429


def test_expire_endpoint_is_for_the_centre(client: TestClient, as_user: Callable[..., dict[str, str]]) -> None:
    assert client.post(f"{BASE}/expire", headers=as_user("housing_manager")).status_code == 403
    assert client.post(f"{BASE}/expire", headers=as_user("supervisor")).json() == {"expired": 0}


def test_query_errors_name_what_the_route_means(client: TestClient, as_user: Callable[..., dict[str, str]],
                                                publish: Callable[..., Article]) -> None:
    art = publish()
    editor = as_user("editor")
    r = client.get(f"{BASE}/articles/{art.id}/diff", params={"from": "abc", "to": 1}, headers=editor)
    assert r.status_code == 422 and r.json()["message"] == "起始版本号须为数字"
    r = client.get(f"{BASE}/phrasing-suggestions", params={"days": 0}, headers=editor)
    assert r.status_code == 422 and r.json()["message"].startswith("统计天数不能小于")
    r = client.get(f"{BASE}/import/jobs/1", params={"outcome": "zzz"}, headers=editor)
    assert r.status_code == 422 and "处理结果取值无效，可选：" in r.json()["message"]
    assert "Input should" not in r.json()["message"]
