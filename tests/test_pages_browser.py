"""The whole closed loop once through the pages, in real headless Chromium (Debian's build).

The app is served by uvicorn in a background thread on a free local port, with the test database
and the test clock. Without /usr/bin/chromium the test is skipped, except in CI (CI=true) where
a missing browser is a failure.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def live_server(app: Any) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture()
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def _session(browser: Any, base: str, username: str, viewport: dict[str, int] = DESKTOP) -> Any:
    """A fresh browser context (its own cookies) logged in as one persona."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator(".who-name")).to_have_text(username)
    return page


def _act(page: Any, action: str) -> None:
    page.locator(f"form[data-action={action}] button[type=submit]").click()


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_closed_loop_through_the_pages(browser: Any, live_server: str, org: Any) -> None:
    from playwright.sync_api import expect

    base = live_server

    # 受理: the operator registers a complaint through the intake form.
    op = _session(browser, base, "operator")
    assert op.url.endswith("/hall/intake")
    expect(op.locator(".who")).to_contain_text("话务员")
    op.select_option("select[name=kind]", "complaint")
    op.fill("input[name=requester_name]", "张三")
    op.fill("input[name=requester_phone]", "13912345678")
    op.click("[data-history-button]")  # the page's script asks the API with the page session
    expect(op.locator("[data-history]")).to_contain_text("该号码的历史工单（共 0 件）")
    op.fill("input[name=occurred_desc]", "近一周每晚十点后")
    op.fill("input[name=address]", "玄武区孝陵卫街道钟灵街50号")
    op.select_option("select[name=jurisdiction_code]", "320102001")
    op.fill("input[name=title]", "小区楼下餐馆夜间噪音扰民")
    op.fill("textarea[name=content]", "小区楼下餐馆每晚营业到凌晨，排风扇噪音很大，影响休息，请求处理。")
    op.fill("textarea[name=circumstances]", "多次与店家沟通无果。")
    expect(op.locator("[data-step=dispatch]")).to_be_hidden()
    op.click("button.primary.big")
    flash = op.locator(".flash")
    expect(flash).to_contain_text("受理成功，工单编号 NJ20261102-")
    number = re.search(r"NJ\d{8}-\d{6}", flash.inner_text()).group(0)  # type: ignore[union-attr]
    assert op.url.endswith(f"/tickets/{number}")
    expect(op.locator(".ticket-head .state")).to_have_text("待派单")
    expect(op.locator("[data-field=requester_phone]")).to_have_text("13912345678")
    op.context.close()

    # 派单: the dispatcher finds it in the queue and dispatches it to the housing bureau.
    dp = _session(browser, base, "dispatcher")
    assert dp.url.endswith("/hall/dispatch")
    expect(dp.locator(".tabs a[aria-current=page]")).to_contain_text("待派单 1")
    dp.click(f"a.num:text('{number}')")
    dp.select_option("form[data-action=dispatch] select[name=lead_unit_id]", label="南京市住房保障和房产局")
    _act(dp, "dispatch")
    expect(dp.locator(".flash")).to_have_text("「派单」已完成，工单当前状态：待签收")
    expect(dp.locator(".ticket-main")).to_contain_text("15个工作日")

    # 签收 and 答复: the housing bureau's handler, on a phone.
    unit = _session(browser, base, "housing_handler", PHONE)
    assert unit.url.endswith("/unit")
    row = unit.locator(f".ticket-row[data-number='{number}']")
    expect(row).to_be_visible()
    expect(row).to_contain_text("正常")
    assert unit.eval_on_selector(".list thead", "e => getComputedStyle(e).display") == "none"  # cards
    assert _fits_the_screen(unit)
    row.locator("a.num").click()
    expect(unit.locator("[data-field=requester_phone]")).to_have_text("13912345678")
    _act(unit, "acknowledge")
    expect(unit.locator(".flash")).to_have_text("「签收」已完成，工单当前状态：办理中")
    unit.fill("form[data-action=reply] textarea[name=content]",
              "已责令餐馆加装消声设备并限定营业时间，经复测噪音达标。")
    _act(unit, "reply")
    expect(unit.locator(".ticket-head .state")).to_have_text("已答复待办结")
    assert _fits_the_screen(unit)
    unit.goto(f"{base}/unit")
    expect(unit.locator(".empty")).to_have_text("暂无工单")
    unit.context.close()

    # 办结: back to the dispatcher.
    dp.goto(f"{base}/hall/dispatch?tab=replied")
    dp.click(f"a.num:text('{number}')")
    _act(dp, "close")
    expect(dp.locator(".ticket-head .state")).to_have_text("已办结待回访")
    dp.context.close()

    # 回访: the callback agent records a satisfied callback.
    cb = _session(browser, base, "callback")
    assert cb.url.endswith("/callbacks")
    cb.click(f"a.num:text('{number}')")
    cb.check("form[data-action=callback] input[name=solved][value=yes]")
    cb.select_option("form[data-action=callback] select[name=satisfaction]", "satisfied")
    _act(cb, "callback")
    expect(cb.locator(".ticket-head .state")).to_have_text("已回访归档")
    expect(cb.locator("[data-field=callback]")).to_have_text("已解决，满意")
    cb.context.close()

    # 查询 and 评价: the citizen, on a phone, with the number and the phone's last four digits.
    pub = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    pub.goto(f"{base}/public/lookup")
    pub.fill("input[name=number]", number)
    pub.fill("input[name=phone_last4]", "5678")
    pub.click("form[action='/public/lookup'] button[type=submit]")
    result = pub.locator("[data-result]")
    expect(result).to_contain_text("已回访归档")
    expect(result.locator("[data-field=reply]")).to_contain_text("已责令餐馆加装消声设备")
    expect(result).to_contain_text("南京市住房保障和房产局")
    expect(result).not_to_contain_text("housing_handler")  # no staff names in public
    pub.check("form[data-rate] input[value=very_satisfied]")
    pub.click("form[data-rate] button[type=submit]")
    expect(pub.locator(".flash")).to_have_text("感谢您的评价！")
    expect(pub.locator("[data-field=rating]")).to_have_text("非常满意")
    expect(pub.locator("form[data-rate]")).to_have_count(0)
    assert _fits_the_screen(pub)
    pub.context.close()
