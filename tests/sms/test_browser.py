"""短信受理 in a real browser: a run of texts from one number becomes a ticket through the intake form,
and the list fits a phone's screen. Skipped without /usr/bin/chromium (like tests/test_pages_browser.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.conftest import START
from tests.sms.conftest import text
from tests.test_pages_browser import PHONE, _fits_the_screen, _session, browser, live_server  # noqa: F401


def test_texts_become_a_ticket_through_the_intake_form(browser: Any, live_server: str, push) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from playwright.sync_api import expect

    r = push([text("w1", "13912345678", "小区楼下餐馆每晚营业到凌晨", START - timedelta(minutes=40)),
              text("w2", "13912345678", "排风扇噪音很大，影响休息，请处理", START - timedelta(minutes=30))])
    assert r.status_code == 200, r.text
    op = _session(browser, live_server, "operator")
    op.click("nav.mainnav a:text('短信受理')")
    expect(op.locator(".sms-counts")).to_contain_text("待处理短信 2 条，来自 1 个号码")
    expect(op.locator("[data-sms-group]")).to_contain_text("139****5678")
    op.click("a.button:text('登记工单')")
    expect(op.locator("[data-sms-intake]")).to_be_visible()
    expect(op.locator("input[name=requester_phone]")).to_have_value("13912345678")
    expect(op.locator("select[name=channel]")).to_have_value("sms")
    expect(op.locator("textarea[name=content]")).to_have_value("小区楼下餐馆每晚营业到凌晨\n排风扇噪音很大，影响休息，请处理")
    op.fill("input[name=requester_name]", "王芳")
    op.select_option("select[name=kind]", "complaint")
    op.fill("input[name=occurred_desc]", "近一周每晚")
    op.fill("input[name=address]", "玄武区孝陵卫街道钟灵街50号")
    op.select_option("select[name=jurisdiction_code]", "320102001")
    op.fill("textarea[name=circumstances]", "多次与店家沟通无果。")
    op.click("button.primary.big")
    flash = op.locator(".flash")
    expect(flash).to_contain_text("已自动回复受理短信")
    number = re.search(r"NJ\d{8}-\d{6}", flash.inner_text()).group(0)  # type: ignore[union-attr]
    op.goto(f"{live_server}/sms")
    expect(op.locator(".empty")).to_have_text("暂无待处理的短信")
    op.goto(f"{live_server}/sms?tab=registered")
    expect(op.locator(f"a.num:text('{number}')")).to_have_count(2)
    op.context.close()


def test_the_list_fits_a_phone(browser: Any, live_server: str, push) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from playwright.sync_api import expect

    push([text(f"f{i}", f"1391234000{i}", "路灯不亮，" * 20, START - timedelta(minutes=50 - i)) for i in range(3)])
    op = _session(browser, live_server, "operator", PHONE)
    op.goto(f"{live_server}/sms")
    expect(op.locator("[data-sms-group]")).to_have_count(3)
    op.locator("details summary:text('忽略')").first.click()
    op.screenshot(path="/tmp/sms_phone.png", full_page=True)
    assert _fits_the_screen(op)
    op.context.close()
