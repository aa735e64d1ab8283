"""Knowledge editors' and reviewers' pages: the home with its expiry lists, the list and its
filters, drafting through the form (CSRF included), review decisions, versions and diffs."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.knowledge.models import Article, ArticleVersion
from tests.conftest import START
from tests.test_pages import login, post_page

FORM = {
    "questions": "住房公积金怎么提取？",
    "phrasings": "公积金能取出来吗\n怎么把公积金取出来用",
    "answer": "职工购买自住住房，可以申请提取住房公积金。",
    "policy_basis": "《住房公积金管理条例》第二十四条",
    "policy_source": "国务院令第350号",
    "category_code": "",
    "audience": "public",
    "tags": "公积金、提取",
}


@dataclass(frozen=True)
class Snap:
    id: int
    key: str
    status: str
    owner_unit_id: int | None
    published_version_id: int | None
    version_count: int


def _article(db: Session, key: str | None = None) -> Snap:
    """The newest (or the named) article as plain values; the read transaction ends at once (SQLite)."""
    stmt = select(Article).order_by(Article.id.desc())
    if key:
        stmt = stmt.where(Article.key == key)
    a = db.execute(stmt).scalars().first()
    assert a is not None
    snap = Snap(a.id, a.key, a.status, a.owner_unit_id, a.published_version_id, a.version_count)
    db.rollback()
    return snap


def test_pages_render_per_role(client: TestClient) -> None:
    login(client, "editor")
    r = client.get("/", follow_redirects=False)
    assert r.headers["location"] == "/kb"
    page = client.get("/kb")
    assert page.status_code == 200
    assert "知识库工作台" in page.text and "即将到期 / 已过期" in page.text and 'href="/kb"' in page.text
    assert "新建知识条目" in page.text
    for url in ("/kb/articles", "/kb/review", "/kb/reports", "/kb/new", "/knowledge"):
        assert client.get(url).status_code == 200, url
    assert "知识库还没有条目" in client.get("/kb/articles").text
    assert "审核队列为空" in client.get("/kb/review").text


def test_operator_gets_lookup_not_workspace(client: TestClient) -> None:
    login(client, "operator")
    page = client.get("/hall/intake")
    assert 'href="/knowledge"' in page.text and 'href="/kb"' not in page.text
    r = client.get("/kb")
    assert r.status_code == 403 and "无权访问" in r.text
    assert client.get("/knowledge").status_code == 200


def test_draft_submit_review_publish_through_forms(client: TestClient, db: Session) -> None:
    login(client, "housing_handler")
    r = post_page(client, "/kb/new", "/kb/new", {**FORM, "intent": "save"})
    assert r.status_code == 303, r.text
    article = _article(db)
    assert article.status == "draft" and article.owner_unit_id is not None
    page = client.get(r.headers["location"])
    assert "住房公积金怎么提取" in page.text and "提交审核" in page.text
    r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/submit", {"comment": ""})
    assert r.status_code == 303
    assert _article(db).status == "in_review"

    client.cookies.clear()
    login(client, "supervisor")
    queue = client.get("/kb/review")
    assert article.key in queue.text and "通过并发布" in queue.text
    # Returning needs a comment: the service's message is shown beside the form.
    r = post_page(client, "/kb/review", f"/kb/articles/{article.id}/return", {"comment": ""})
    assert r.status_code == 422 and "退回修改必须填写审核意见" in r.text
    r = post_page(client, "/kb/review", f"/kb/articles/{article.id}/approve", {"comment": "同意", "back": "/kb/review"})
    assert r.status_code == 303 and r.headers["location"] == "/kb/review"
    assert _article(db).status == "approved" and _article(db).published_version_id is not None


def test_the_review_queue_decides_a_batch_each_on_its_own(client: TestClient, db: Session, rt, org) -> None:  # type: ignore[no-untyped-def]
    from hotline.knowledge import service
    from hotline.knowledge.schemas import ArticleCreate
    from tests.knowledge.conftest import article_data

    ids = []
    for i, author in enumerate(("housing_handler", "housing_handler", "editor")):
        a = service.create(db, rt, actor=org.actor(author), data=ArticleCreate(**article_data(
            key=f"BATCH-{i}", questions=[f"批量审核的问题{i}"])))
        service.submit(db, rt, actor=org.actor(author), article_id=a.id)
        ids.append(a.id)
    login(client, "editor")
    queue = client.get("/kb/review").text
    assert f'name="ids" value="{ids[0]}"' in queue and f'name="ids" value="{ids[2]}"' not in queue  # own: no box
    r = post_page(client, "/kb/review", "/kb/review/batch", {"decision": "return", "ids": [str(ids[0])]})
    assert r.status_code == 303 and "批量退回必须填写审核意见" in client.get("/kb/review").text
    # The editor's own version slipped into the batch is refused by name; the others are published.
    r = post_page(client, "/kb/review", "/kb/review/batch", {"decision": "approve", "ids": [str(i) for i in ids]})
    assert r.status_code == 303
    page = client.get("/kb/review").text
    assert "「审核通过并发布」2 条；1 条未能处理——BATCH-2：" in page
    assert [_article(db, f"BATCH-{i}").status for i in range(3)] == ["approved", "approved", "in_review"]


def test_forms_need_the_csrf_token(client: TestClient, db: Session) -> None:
    login(client, "editor")
    r = client.post("/kb/new", data=FORM, follow_redirects=False)
    assert r.status_code == 403 and "安全校验未通过" in r.text
    assert db.execute(select(Article)).first() is None
    db.rollback()


def test_form_errors_are_chinese_and_keep_the_input(client: TestClient) -> None:
    login(client, "editor")
    r = post_page(client, "/kb/new", "/kb/new", {**FORM, "answer": "", "expires_on": "2026-10-01",
                                                 "valid_from": "2026-12-01"})
    assert r.status_code == 422
    assert "保存未成功" in r.text and "住房公积金怎么提取" in r.text
    r = post_page(client, "/kb/new", "/kb/new", {**FORM, "title": "长" * 301, "questions": "  "})
    assert r.status_code == 422 and "标题过长，最多 300 个字符" in r.text and "诉求标题" not in r.text
    assert "问题至少需要 1 项" in r.text and "List should" not in r.text


def test_line_breaks_count_as_the_browser_counts_them(client: TestClient, db: Session) -> None:
    login(client, "editor")
    answer = "办理须知一二三四五\r\n" * 1900  # 20,900 characters as sent, 19,000 as the form counts
    r = post_page(client, "/kb/new", "/kb/new", {**FORM, "answer": answer})
    assert r.status_code == 303, r.text[:300]
    stored = db.execute(select(ArticleVersion.answer)).scalars().one()
    db.rollback()
    assert "\r" not in stored and len(stored) == 19000 - 1  # LF kept, the trailing one trimmed


def test_own_version_cannot_be_reviewed(client: TestClient, db: Session) -> None:
    login(client, "editor")
    r = post_page(client, "/kb/new", "/kb/new", {**FORM, "intent": "submit"})
    assert r.status_code == 303
    article = _article(db)
    assert article.status == "in_review"
    page = client.get(f"/kb/articles/{article.id}")
    assert "这是您起草的版本" in page.text
    r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/approve", {"comment": "好"})
    assert r.status_code == 403 and "不能审核自己起草的版本" in r.text


def test_two_editors_of_one_version_the_second_is_told_not_overwritten(
        client: TestClient, db: Session, publish: Callable[..., Article]) -> None:
    """QA: two editors opened the same version; the second save silently put the old answer back."""
    article = _article(db, publish().key)
    login(client, "housing_handler")
    url = f"/kb/articles/{article.id}/edit"
    base = re.search(r'name="base_version" value="(\d+)"', client.get(url).text)
    assert base and base.group(1) == "1"
    first = post_page(client, url, url, {**FORM, "answer": "第一位编辑改的答复。", "base_version": "1"})
    assert first.status_code == 303
    second = post_page(client, url, url, {**FORM, "phrasings": "公积金能取吗", "base_version": "1"})
    assert second.status_code == 409 and "已保存第 2 版" in second.text and "您是在第 1 版上修改的" in second.text
    assert "公积金能取吗" in second.text and 'name="base_version" value="2"' in second.text  # typed text kept
    assert "diff?from=1&amp;to=2" in second.text
    assert _article(db, article.key).version_count == 2
    again = post_page(client, url, url, {**FORM, "phrasings": "公积金能取吗", "base_version": "2"})
    assert again.status_code == 303 and _article(db, article.key).version_count == 3  # deliberate


def test_the_api_refuses_a_revision_of_a_stale_version(client: TestClient, db: Session, as_user,  # type: ignore[no-untyped-def]
                                                        publish: Callable[..., Article]) -> None:
    article = _article(db, publish().key)
    body = {"questions": ["住房公积金怎么提取？", "住房公积金怎么提取？"], "answer": "答复。",
            "tags": ["公积金", "公积金"], "phrasings": ["住房公积金怎么提取？", "公积金能取吗"]}
    ok = client.put(f"/api/v1/kb/articles/{article.id}", headers=as_user("housing_handler"),
                    json={**body, "base_version": 1})
    assert ok.status_code == 200, ok.text
    stale = client.put(f"/api/v1/kb/articles/{article.id}", headers=as_user("housing_handler"),
                       json={**body, "base_version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "kb_edit_conflict"
    v = db.execute(select(ArticleVersion).where(ArticleVersion.article_id == article.id,
                                                ArticleVersion.number == 2)).scalar_one()
    assert v.questions == ["住房公积金怎么提取？"] and v.tags == ["公积金"] and v.phrasings == ["公积金能取吗"]
    db.rollback()


def test_revision_history_and_diff(client: TestClient, db: Session, publish: Callable[..., Article]) -> None:
    article = _article(db, publish().key)
    login(client, "housing_handler")
    edit = client.get(f"/kb/articles/{article.id}/edit")
    assert edit.status_code == 200 and "住房公积金管理条例" in edit.text
    r = post_page(client, f"/kb/articles/{article.id}/edit", f"/kb/articles/{article.id}/edit",
                  {**FORM, "answer": "提取住房公积金可在网上服务大厅办理。", "change_note": "增加网上渠道"})
    assert r.status_code == 303
    fresh = _article(db, article.key)
    assert fresh.version_count == 2 and fresh.status == "draft" and fresh.published_version_id is not None
    page = client.get(f"/kb/articles/{article.id}")
    assert "在用版本：第 1 版" in page.text and "第 2 版（草稿）" in page.text
    diff = client.get(f"/kb/articles/{article.id}/diff?from=1&to=2")
    assert diff.status_code == 200
    assert re.search(r'kb-diff-add".*提取住房公积金可在网上服务大厅办理。', diff.text)
    assert re.search(r'kb-diff-del".*职工购买、建造', diff.text)
    # A number typed as a superscript or other non-decimal digit is ignored, never a server error.
    for bad in ("²", "9" * 5000):  # nor is a number too long for any integer
        for url in (f"/kb/articles/{article.id}/diff?to={bad}", f"/kb/articles/{article.id}/edit?from={bad}",
                    f"/kb/articles?unit={bad}", f"/kb/articles/export.xlsx?unit={bad}"):
            assert client.get(url).status_code == 200, url[:60]


def test_withdraw_then_restore(client: TestClient, db: Session, publish: Callable[..., Article]) -> None:
    article = _article(db, publish().key)
    login(client, "housing_manager")
    r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/withdraw", {"comment": "政策废止"})
    assert r.status_code == 303
    assert _article(db, article.key).status == "withdrawn"
    page = client.get(f"/kb/articles/{article.id}")
    assert "恢复此版" in page.text
    for bad in ("99", "²", "9" * 4400):
        r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/restore", {"number": bad})
        assert r.status_code == 422 and f"版本号“{bad}”无效" in r.text
    r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/restore", {"number": "1"})
    assert r.status_code == 303
    fresh = _article(db, article.key)
    assert fresh.status == "draft" and fresh.version_count == 2
    # Restoring again on the draft is refused: it would only pile up copies.
    r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/restore", {"number": "1"})
    assert r.status_code == 409 and "只有已撤回或已过期的条目可以恢复" in r.text
    assert _article(db, article.key).version_count == 2


def test_an_expired_article_restored_drops_its_past_expiry_and_can_be_submitted(
        client: TestClient, db: Session, rt, clock, publish: Callable[..., Article]) -> None:  # type: ignore[no-untyped-def]
    from hotline.knowledge import service

    key = publish(expires_at=(clock.now() + timedelta(days=1)).isoformat()).key
    clock.advance(timedelta(days=2))
    service.expire_due(db, rt)
    article = _article(db, key)
    assert article.status == "expired"
    login(client, "housing_handler")
    r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/restore", {"number": "1"})
    assert r.status_code == 303
    assert "原失效日期已过，已清除" in client.get(r.headers["location"]).text
    r = post_page(client, f"/kb/articles/{article.id}", f"/kb/articles/{article.id}/submit", {})
    assert r.status_code == 303 and _article(db, key).status == "in_review"


def test_saving_the_form_untouched_keeps_the_exact_expiry(client: TestClient, db: Session,
                                                          publish: Callable[..., Article]) -> None:
    from hotline.clock import CHINA_TZ
    from hotline.knowledge.models import ArticleVersion

    ends = (START + timedelta(days=40)).astimezone(CHINA_TZ).replace(hour=23, minute=59, second=59, microsecond=0)
    article = _article(db, publish(expires_at=ends.isoformat()).key)
    login(client, "housing_handler")
    edit = client.get(f"/kb/articles/{article.id}/edit").text
    # The form shows the first day it no longer applies (the day after 23:59:59).
    next_day = (ends + timedelta(seconds=1)).date().isoformat()
    assert f'name="expires_on" value="{next_day}"' in edit
    form = {**FORM, "expires_on": next_day, "change_note": "只改了答复"}
    r = post_page(client, f"/kb/articles/{article.id}/edit", f"/kb/articles/{article.id}/edit", form)
    assert r.status_code == 303, r.text
    versions = db.execute(select(ArticleVersion.expires_at).where(ArticleVersion.article_id == article.id)
                          .order_by(ArticleVersion.number)).scalars().all()
    db.rollback()
    assert versions[0] == versions[1] == ends
    # Someone else's article: no form to fill in that could not be saved.
    login(client, "market_handler")
    assert client.get(f"/kb/articles/{article.id}/edit").status_code == 403


def test_home_lists_expiring_and_expired(client: TestClient, db: Session, rt, publish) -> None:  # type: ignore[no-untyped-def]
    soon = _article(db, publish(questions=["居住证怎么办理？"], expires_at=START + timedelta(days=10)).key)
    later = _article(db, publish(questions=["养老保险怎么缴费？"], expires_at=START + timedelta(days=200)).key)
    gone = _article(db, publish(questions=["老年卡在哪里办？"], expires_at=START + timedelta(days=1)).key)
    from hotline.knowledge import service

    rt.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    assert service.expire_due(db, rt) == 1
    db.rollback()
    login(client, "editor")
    page = client.get("/kb")
    expiring = page.text.split('id="expiring"')[1].split('id="expired"')[0]
    expired = page.text.split('id="expired"')[1].split('id="reports"')[0]
    assert soon.key in expiring and later.key not in expiring and gone.key not in expiring
    assert gone.key in expired
    listed = client.get("/kb/articles?expiring=1").text
    assert soon.key in listed and later.key not in listed
    # A unit's staff are shown their own unit's answers to maintain, not every unit's.
    for user, sees in (("housing_handler", True), ("market_handler", False)):
        client.cookies.clear()
        login(client, user)
        expiring = client.get("/kb").text.split('id="expiring"')[1].split('id="expired"')[0]
        assert (soon.key in expiring) is sees, user


def test_list_filters_pagination_and_export(client: TestClient, db: Session, rt, org, publish) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from openpyxl import load_workbook

    from hotline.knowledge import service
    from hotline.knowledge.schemas import ArticleCreate
    from tests.knowledge.conftest import article_data

    for i in range(22):
        publish(key=f"GJJ-{i:02d}", questions=[f"公积金问题{i:02d}"])
    service.create(db, rt, actor=org.actor("market_handler"),
                   data=ArticleCreate(**article_data(key="SC-1", questions=["营业执照怎么办理？"],
                                                     category_code="0401")))
    reported = _article(db, "GJJ-03")
    service.report_error(db, rt, actor=org.actor("operator"), article_id=reported.id, text="电话号码已变")
    db.rollback()
    login(client, "editor")
    first = client.get("/kb/articles")
    assert "共 23 条" in first.text and 'rel="next"' in first.text
    assert first.text.count('class="kb-row"') == 20
    second = client.get("/kb/articles?page=2")
    assert second.text.count('class="kb-row"') == 3
    assert 'data-key="SC-1"' in client.get("/kb/articles?status=draft").text
    assert 'data-key="SC-1"' not in client.get("/kb/articles?status=approved").text
    by_unit = client.get(f"/kb/articles?unit={org.units['market'].id}")
    assert 'data-key="SC-1"' in by_unit.text and "共 1 条" in by_unit.text
    assert "共 1 条" in client.get("/kb/articles?category=0401").text
    assert 'data-key="GJJ-07"' in client.get("/kb/articles?q=问题07").text
    flagged = client.get("/kb/articles?flagged=1")
    assert 'data-key="GJJ-03"' in flagged.text and "共 1 条" in flagged.text
    empty = client.get("/kb/articles?q=没有这个标题")
    assert "没有符合条件的知识条目" in empty.text and "清除条件" in empty.text
    r = client.get("/kb/articles/export.xlsx?status=approved")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    ws = load_workbook(BytesIO(r.content)).active
    assert ws.max_row == 23 and ws["A1"].value == "编号"
    # A unit's handler sees only what the rules let them: their own drafts and published answers.
    client.cookies.clear()
    login(client, "housing_handler")
    assert 'data-key="SC-1"' not in client.get("/kb/articles").text


def test_the_article_page_names_the_place_and_marks_an_answer_not_yet_in_force(
        client: TestClient, db: Session, publish: Callable[..., Article]) -> None:
    later = (START + timedelta(days=5)).isoformat()
    article = _article(db, publish(jurisdiction_code="320102001", valid_from=later).key)
    login(client, "housing_handler")
    page = client.get(f"/kb/articles/{article.id}").text
    assert "<dt>属地</dt><dd>孝陵卫街道</dd>" in page and "待生效" in page


def test_a_date_in_year_one_is_named_and_the_form_kept(client: TestClient) -> None:
    login(client, "housing_handler")
    r = post_page(client, "/kb/new", "/kb/new", {**FORM, "valid_from": "0001-01-01", "expires_on": "0001-01-02"})
    assert r.status_code == 422 and "超出范围：须在 2000 年至 2999 年之间" in r.text
    assert "职工购买自住住房，可以申请提取住房公积金。" in r.text  # what was typed stays


def test_the_draft_form_and_its_links_only_for_who_may_draft(client: TestClient) -> None:
    r = client.post("/api/v1/public/kb/ask", json={"query": "火星移民签证怎么办理"})  # a gap to list
    assert r.status_code == 200 and r.json()["abstained"] is True
    login(client, "supervisor")
    assert client.get("/kb/new").status_code == 403
    gaps = client.get("/kb/gaps").text
    assert "火星移民签证怎么办理" in gaps and "起草条目" not in gaps
    login(client, "editor")
    assert "起草条目" in client.get("/kb/gaps").text and client.get("/kb/new").status_code == 200


def test_an_unchanged_save_makes_no_version(client: TestClient, db: Session, as_user,  # type: ignore[no-untyped-def]
                                            publish: Callable[..., Article]) -> None:
    """Saving a revision identical to the last version is refused (it only lengthened the history and
    the reviewers' queue); 保存并提交审核 on an unchanged draft submits the draft as it stands; a withdrawn
    article may be saved as it was to bring it back to draft."""
    login(client, "housing_handler")
    r = post_page(client, "/kb/new", "/kb/new", {**FORM, "intent": "save"})
    article = _article(db)
    edit = f"/kb/articles/{article.id}/edit"
    same = {**FORM, "base_version": "1", "change_note": "只改了修订说明"}
    r = post_page(client, edit, edit, {**same, "intent": "save"})
    assert r.status_code == 422 and "内容与第 1 版完全相同，未保存新版本" in r.text and "提交审核" in r.text
    assert _article(db).version_count == 1
    r = post_page(client, edit, edit, {**same, "intent": "submit"})
    assert r.status_code == 303
    after = _article(db)
    assert after.status == "in_review" and after.version_count == 1
    assert "内容未改动，未另存新版本并提交审核" in client.get(r.headers["location"]).text

    from tests.knowledge.conftest import article_data

    published = _article(db, publish(key="KB-SAME").key)
    body = article_data()  # what the article was published with
    r = client.put(f"/api/v1/kb/articles/{published.id}", headers=as_user("housing_handler"), json=body)
    assert r.status_code == 422 and r.json()["code"] == "kb_unchanged", r.text
    assert "已发布的内容保持不变" in r.json()["message"]
    changed = client.put(f"/api/v1/kb/articles/{published.id}", headers=as_user("housing_handler"),
                         json={**body, "answer": body["answer"] + "（补充说明）"})
    assert changed.status_code == 200 and changed.json()["version_count"] == 2, changed.text
    r = client.post(f"/api/v1/kb/articles/{published.id}/withdraw", headers=as_user("housing_handler"),
                    json={"reason": "事项调整"})
    assert r.status_code == 200, r.text
    again = client.put(f"/api/v1/kb/articles/{published.id}", headers=as_user("housing_handler"),
                       json={**body, "answer": body["answer"] + "（补充说明）"})
    assert again.status_code == 200 and again.json()["status"] == "draft", again.text
