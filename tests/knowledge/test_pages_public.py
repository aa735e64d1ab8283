"""The public knowledge page (no login): search, categories, reading one answer, 查漏纠错; drafts,
internal answers and expired ones never show. And the staff lookup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.clock import FixedClock
from hotline.knowledge import service
from hotline.knowledge.models import Article, ArticleReport
from hotline.knowledge.schemas import ArticleCreate
from hotline.runtime import Runtime
from tests.conftest import START
from tests.factories import Org
from tests.knowledge.conftest import article_data
from tests.test_pages import csrf_of, login, post_page

INTERNAL = {"questions": ["话务员内部：公积金提取热点口径"], "phrasings": [], "audience": "internal",
            "answer": "内部口径：公积金提取问题先核实缴存城市。", "key": "INT-1"}


def _setup(db: Session, rt: Runtime, org: Org, publish: Callable[..., Article]) -> dict[str, str]:
    keys = {"public": publish(key="GJJ-1").key, "internal": publish(**INTERNAL).key}
    draft = service.create(db, rt, actor=org.actor("housing_handler"),
                           data=ArticleCreate(**article_data(key="GJJ-DRAFT", questions=["公积金提取新规草稿"],
                                                             answer="草稿答复：尚未审核的公积金内容。")))
    keys["draft"] = draft.key
    db.rollback()
    return keys


def test_public_pages_show_only_published_public_answers(client: TestClient, db: Session, rt: Runtime, org: Org,
                                                         publish: Callable[..., Article]) -> None:
    keys = _setup(db, rt, org, publish)
    home = client.get("/public/kb")
    assert home.status_code == 200 and "政策问答" in home.text
    assert "/public/kb/GJJ-1" in home.text and "INT-1" not in home.text and "GJJ-DRAFT" not in home.text
    assert "按类别浏览" in home.text and "/public/kb?category=0301" in home.text
    found = client.get("/public/kb", params={"q": "公积金怎么取出来"})
    assert found.status_code == 200 and 'data-key="GJJ-1"' in found.text and "<mark>" in found.text
    assert "INT-1" not in found.text and "GJJ-DRAFT" not in found.text and "草稿答复" not in found.text
    assert 'data-kind="answer"' in found.text and "智能客服" in found.text
    none = client.get("/public/kb", params={"q": "火星移民签证"})
    assert "没有找到相关答复" in none.text
    assert 'data-kind="abstain"' in none.text and "没有找到能可靠回答" in none.text
    page = client.get(f"/public/kb/{keys['public']}")
    assert page.status_code == 200 and "请携带身份证" in page.text and "国务院令第350号" in page.text
    for hidden in (keys["internal"], keys["draft"], "NO-SUCH"):
        r = client.get(f"/public/kb/{hidden}")
        assert r.status_code == 404 and "不存在或已下线" in r.text, hidden
    by_category = client.get("/public/kb", params={"category": "0301"})
    assert 'data-key="GJJ-1"' in by_category.text


def test_expired_answers_leave_the_public_page(client: TestClient, clock: FixedClock,
                                               publish: Callable[..., Article]) -> None:
    key = publish(key="SOON-1", expires_at=START + timedelta(days=3)).key
    assert client.get(f"/public/kb/{key}").status_code == 200
    clock.advance(timedelta(days=4))  # past the expiry, before any sweep
    assert client.get(f"/public/kb/{key}").status_code == 404
    assert f"/public/kb/{key}" not in client.get("/public/kb").text
    assert 'data-key="SOON-1"' not in client.get("/public/kb", params={"q": "公积金怎么提取"}).text


def test_public_error_report_reaches_the_owner(client: TestClient, db: Session,
                                               publish: Callable[..., Article]) -> None:
    key = publish(key="GJJ-1").key
    r = client.post(f"/public/kb/{key}/report", data={"text": "网点地址已经变了"}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
    r = post_page(client, f"/public/kb/{key}", f"/public/kb/{key}/report", {"text": "错"})
    assert r.status_code == 422 and "问题说明" in r.text
    r = post_page(client, f"/public/kb/{key}", f"/public/kb/{key}/report",
                  {"text": "网点地址已经变了", "contact": "13900000000"})
    assert r.status_code == 303 and r.headers["location"] == f"/public/kb/{key}"
    assert "感谢您的反馈" in client.get(r.headers["location"]).text
    report = db.execute(select(ArticleReport)).scalars().one()
    report_id, reporter = report.id, report.reporter_name
    db.rollback()
    assert reporter  # the public reporter, as the service names it

    login(client, "housing_handler")
    listed = client.get("/kb/reports")
    assert "网点地址已经变了" in listed.text
    assert '<span class="contact">13900000000</span>' in listed.text  # so the owner can call back
    r = post_page(client, "/kb/reports", f"/kb/reports/{report_id}/answer",
                  {"answer": "已核实，将更新网点地址", "accepted": "yes", "back": "/kb/reports"})
    assert r.status_code == 303
    answered = db.execute(select(ArticleReport.status, ArticleReport.accepted)).one()
    flags = db.execute(select(Article.flags).where(Article.key == key)).scalar_one()
    db.rollback()
    assert tuple(answered) == ("answered", True) and "error_reported" not in flags


def test_staff_lookup_includes_internal_answers(client: TestClient, db: Session, rt: Runtime, org: Org,
                                                publish: Callable[..., Article]) -> None:
    _setup(db, rt, org, publish)
    login(client, "operator")
    page = client.get("/knowledge", params={"q": "公积金提取口径"})
    assert page.status_code == 200
    assert 'data-key="INT-1"' in page.text and 'data-key="GJJ-1"' in page.text
    assert "GJJ-DRAFT" not in page.text and "完整答复口径" in page.text
    assert csrf_of(client, "/knowledge")  # the page carries the session's token for the logout form


def test_public_reports_are_limited_per_client(client: TestClient, publish: Callable[..., Article]) -> None:
    key = publish(key="GJJ-1").key
    token = csrf_of(client, f"/public/kb/{key}")
    for i in range(20):
        r = client.post(f"/public/kb/{key}/report", data={"text": f"第{i}条反馈内容", "csrf_token": token},
                        follow_redirects=False)
        assert r.status_code == 303, (i, r.text)
    r = client.post(f"/public/kb/{key}/report", data={"text": "再来一条反馈", "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 429 and "提交纠错过于频繁" in r.text


def test_an_answer_lists_related_public_questions(client: TestClient, db: Session, rt: Runtime, org: Org,
                                                 publish: Callable[..., Article]) -> None:
    keys = _setup(db, rt, org, publish)  # GJJ-1 (公积金提取), an internal one and a draft on 公积金 too
    publish(key="GJJ-2", questions=["公积金贷款利率是多少？"], phrasings=[],
            answer="首套房公积金贷款利率按国家规定执行。")
    publish(key="YB-1", questions=["医保卡丢了怎么补办？"], phrasings=[], answer="先挂失，再到社保经办机构补办。",
            category_code=None, tags=[])
    db.rollback()
    page = client.get(f"/public/kb/{keys['public']}").text
    assert "相关问题" in page
    related = page.split('id="related"')[1].split("</section>")[0]
    assert 'href="/public/kb/GJJ-2"' in related  # the same subject
    assert "GJJ-1" not in related  # not itself
    assert "INT-1" not in related and "GJJ-DRAFT" not in related  # nothing the public may not read
    assert "YB-1" not in related  # another subject


def test_a_local_answer_says_where_it_holds(client: TestClient, publish: Callable[..., Article]) -> None:
    key = publish(key="MEAL-XLW", questions=["社区助餐食堂在哪里吃饭？"], phrasings=[],
                  answer="孝陵卫街道的社区助餐点在钟灵街50号，每天11点开餐。", jurisdiction_code="320102001").key
    page = client.get("/public/kb", params={"q": "社区助餐食堂在哪里吃饭"})
    assert page.status_code == 200 and "本答复适用于孝陵卫街道" in page.text and "适用：孝陵卫街道" in page.text
    assert "本答复适用于孝陵卫街道" in client.get(f"/public/kb/{key}").text
    body = client.post("/api/v1/public/kb/ask", json={"query": "社区助餐食堂在哪里吃饭"}).json()
    assert body["key"] == key and body["jurisdiction_name"] == "孝陵卫街道"
    hits = client.get("/api/v1/public/kb/search", params={"q": "社区助餐食堂"}).json()
    assert hits[0]["jurisdiction_name"] == "孝陵卫街道"
    # the same question answered for another district: asked which, each choice with its place
    publish(key="MEAL-QH", questions=["社区助餐食堂在哪里吃饭？"], phrasings=[],
            answer="秦淮区的社区助餐点设在各社区党群服务中心，需提前一天预约。", jurisdiction_code="320104")
    body = client.post("/api/v1/public/kb/ask", json={"query": "社区助餐食堂在哪里吃饭"}).json()
    assert body["kind"] == "clarify" and body["key"] is None and body["jurisdiction_name"] is None
    assert {o["jurisdiction_name"] for o in body["options"]} == {"孝陵卫街道", "秦淮区"}
    page = client.get("/public/kb", params={"q": "社区助餐食堂在哪里吃饭"}).text
    assert "（适用：孝陵卫街道）" in page and "（适用：秦淮区）" in page
    city = publish(key="GJJ-CITY").key  # a city-wide answer names no place
    assert client.get("/api/v1/public/kb/search", params={"q": "公积金提取"}).json()[0]["jurisdiction_name"] is None
    assert "本答复适用于" not in client.get(f"/public/kb/{city}").text


def test_an_article_page_shows_every_question_its_title_does_not(client: TestClient,
                                                                 publish: Callable[..., Article]) -> None:
    publish(key="GJJ-T", title="公积金提取指南", questions=["住房公积金怎么提取？", "公积金能取出来吗？"])
    page = client.get("/public/kb/GJJ-T").text
    assert "<h1>公积金提取指南</h1>" in page
    assert "<li>住房公积金怎么提取？</li>" in page and "<li>公积金能取出来吗？</li>" in page


def test_an_empty_error_report_asks_for_it_and_an_unknown_category_lists_all(
        client: TestClient, publish: Callable[..., Article]) -> None:
    key = publish(key="GJJ-E").key
    r = post_page(client, f"/public/kb/{key}", f"/public/kb/{key}/report", {"text": "", "contact": ""})
    assert r.status_code == 422 and "请填写纠错内容" in r.text and "过短" not in r.text
    page = client.get("/public/kb", params={"category": "zzz"}).text
    assert "<h2>常见问题</h2>" in page and "<h2>zzz</h2>" not in page  # not a heading of its own
