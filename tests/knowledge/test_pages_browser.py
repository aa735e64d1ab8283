"""The knowledge pages in real headless Chromium: suggestions appear as the operator types and one
click answers directly citing the article; the editors' and the public pages fit a phone."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.knowledge import gaps, service
from hotline.knowledge.models import Article
from hotline.knowledge.schemas import ArticleCreate
from hotline.runtime import Runtime
from hotline.tickets.models import Ticket
from tests.factories import PASSWORD, Org
from tests.knowledge.conftest import article_data
from tests.test_pages_browser import DESKTOP, PHONE, _fits_the_screen, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser
# The machine running the suite may be shared and busy: allow slow page loads.
TIMEOUT_MS = 30_000


def _session(browser: Any, base: str, username: str, viewport: dict[str, int] = DESKTOP) -> Any:  # noqa: F811
    """A fresh browser context logged in as one persona."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)  # process-wide: only ever loosens other tests' waits
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".who-name")).to_have_text(username)
    return page


def test_typing_suggests_and_one_click_answers(browser: Any, live_server: str, db: Session,  # noqa: F811
                                               publish: Callable[..., Article]) -> None:
    from playwright.sync_api import expect

    key = publish(key="GJJ-1").key
    db.rollback()
    op = _session(browser, live_server, "operator")
    assert op.url.endswith("/hall/intake")
    op.select_option("select[name=kind]", "consultation")
    op.fill("input[name=requester_name]", "李四")
    op.fill("input[name=requester_phone]", "13912345678")
    op.fill("input[name=title]", "公积金提取咨询")
    op.locator("textarea[name=content]").press_sequentially("请问公积金怎么取出来")
    suggestion = op.locator(f"[data-kb-suggest] li[data-key='{key}']")
    expect(suggestion).to_be_visible()
    expect(suggestion.locator("mark").first).to_be_visible()
    suggestion.locator("button.kb-pick").click()
    expect(op.locator("[data-step=answer]")).to_be_visible()
    expect(op.locator("textarea[name=answer]")).to_have_value(
        "职工购买、建造、翻建、大修自住住房，或偿还购房贷款本息，可以申请提取住房公积金。"
        "请携带身份证和相关证明材料到公积金管理中心服务网点办理，也可在网上服务大厅申请。")
    expect(op.locator("[data-kb-chosen]")).to_contain_text(f"知识库 {key} 第1版")
    op.click("button.primary.big")
    expect(op.locator(".flash")).to_contain_text("并已直接答复办结")
    expect(op.locator(".ticket-main")).to_contain_text(f"知识库 {key} 第1版《住房公积金怎么提取？》")
    op.context.close()
    ticket = db.execute(select(Ticket.state, Ticket.answer_source)).one()
    db.rollback()
    assert ticket.state == "closed" and ticket.answer_source.startswith(f"知识库 {key}")


def test_knowledge_pages_fit_a_phone(browser: Any, live_server: str, db: Session,  # noqa: F811
                                     publish: Callable[..., Article], rt: Runtime, org: Org) -> None:
    from playwright.sync_api import expect

    article = publish(key="GJJ-1")
    aid = article.id
    # A pending article asking the same: the review queue and its page show the published one.
    twin = service.create(db, rt, actor=org.actor("housing_handler"),
                          data=ArticleCreate(**article_data(questions=["怎样提取住房公积金？"], phrasings=[])))
    service.submit(db, rt, actor=org.actor("housing_handler"), article_id=twin.id)
    tid = twin.id
    gaps.record(db, question="我的公积金咋取出来", channel=gaps.Channel.PUBLIC_CHAT, now=rt.clock.now())
    db.rollback()
    ed = _session(browser, live_server, "editor", PHONE)
    assert ed.url.endswith("/kb")
    for path in ("/kb", "/kb/articles", "/kb/review", f"/kb/articles/{aid}", f"/kb/articles/{aid}/edit", "/kb/new",
                 f"/kb/articles/{tid}"):
        ed.goto(f"{live_server}{path}")
        expect(ed.locator("h1")).to_be_visible()
        assert _fits_the_screen(ed), path
    expect(ed.locator(f"#similar a[href='/kb/articles/{aid}']")).to_be_visible()
    if shots := os.environ.get("HOTLINE_SCREENSHOTS"):  # for a person to look at
        ed.screenshot(path=f"{shots}/kb_similar_phone.png", full_page=True)
    ed.goto(f"{live_server}/kb/review")
    expect(ed.locator(".kb-similar-note")).to_contain_text("可能重复")
    if shots:
        ed.screenshot(path=f"{shots}/kb_review_phone.png", full_page=True)
    ed.goto(f"{live_server}/kb/gaps")  # each open question with its nearest article
    expect(ed.locator(".kb-nearest")).to_contain_text("GJJ-1")
    assert _fits_the_screen(ed)
    if shots:
        ed.screenshot(path=f"{shots}/kb_gaps_phone.png", full_page=True)
    ed.context.close()
    pub = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    pub.set_default_timeout(TIMEOUT_MS)
    pub.goto(f"{live_server}/public/kb")
    pub.fill("input[name=q]", "公积金怎么取出来")
    pub.click("form.kb-search button[type=submit]")
    pub.locator(".kb-hit[data-key='GJJ-1'] a").click()
    expect(pub.locator("[data-field=answer]")).to_contain_text("请携带身份证")
    assert _fits_the_screen(pub)
    pub.context.close()
