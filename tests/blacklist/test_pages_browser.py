"""The blacklist and seat-planning pages in real headless Chromium at phone width (skipped
without /usr/bin/chromium, as the main browser test is)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_pages_browser import PHONE, _fits_the_screen, _session, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_pages_fit_a_phone(browser: Any, live_server: str, org: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = _session(browser, live_server, "supervisor", PHONE)
    page.goto(f"{live_server}/workforce")
    expect(page.locator("svg.wf-chart")).to_be_visible()
    expect(page.locator(".stats")).to_contain_text("吉林标准座席")
    assert page.locator("svg.wf-chart rect.wf-bar").count() == 336
    assert _fits_the_screen(page)
    page.fill("input[name=aht]", "0")
    page.click("form.wf-form button[type=submit]")
    expect(page.locator(".errors")).to_contain_text("平均处理时长")

    # the operator abused reports it; a supervisor — another person (回避) — lists the caller
    op = _session(browser, live_server, "operator", PHONE)
    op.goto(f"{live_server}/blacklist/abuse/new")
    op.fill("input[name=phone]", "13800005555")
    op.fill("textarea[name=description]", "来电人辱骂话务员")
    op.click("form[action='/blacklist/abuse/new'] button[type=submit]")
    expect(op.locator(".flash")).to_contain_text("已登记辱骂骚扰")
    page.goto(op.url)
    page.fill(".bl-decide textarea[name=reason]", "录音核实辱骂属实")
    page.once("dialog", lambda dialog: dialog.accept())  # 确认将该号码列入黑名单？ (asked first, since stop 21)
    page.click("form[action$='/confirm'] button[type=submit]")
    expect(page.locator(".ticket-meta")).to_contain_text("生效中")
    assert _fits_the_screen(page)
    page.goto(f"{live_server}/blacklist?state=active")
    expect(page.locator(".bl-row")).to_have_count(1)
    assert _fits_the_screen(page)
