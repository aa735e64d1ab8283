"""The call page's specialist transfer targets in real headless Chromium (skipped without
/usr/bin/chromium): the search box narrows the rows and hides an emptied group, Enter in it does not
submit the form, and a person's button records a three-way transfer naming them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.calls.conftest import answered_call
from tests.calls.test_integration import _rota, registry  # noqa: F401
from tests.conftest import START
from tests.test_pages_browser import _session, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_search_and_transfer_to_an_expert(browser: Any, live_server: str, client, feed, as_user, db, rt,  # noqa: F811
                                          registry) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from playwright.sync_api import expect

    _rota(client, as_user, db, rt, registry)
    call_id = feed(answered_call("b1", START)).json()["call_ids"]["b1"]
    page = _session(browser, live_server, "operator")
    page.goto(f"{live_server}/hall/calls/{call_id}")
    rows = page.locator("[data-target-list] .target-row")
    total = rows.count()
    assert total == 7  # 12316, merged whole with nobody on its expert seats' rota, is no target
    page.fill("input[data-target-filter]", "陈立新")
    page.keyboard.press("Enter")  # filters only: no transfer is posted
    expect(page.locator("[data-target-list] .target-row:visible")).to_have_count(1)
    expect(page.locator("fieldset.target-group:visible legend")).to_have_text(["专家座席"])
    page.fill("input[data-target-filter]", "")
    expect(page.locator("[data-target-list] .target-row:visible")).to_have_count(total)
    page.fill("input[name=reason]", "劳动合同纠纷法律咨询")
    page.locator("button", has_text="陈立新（市法律援助中心 8101）").click()
    expect(page.locator(".flash").first).to_contain_text("陈立新（8101）（三方通话）")
    expect(page.locator("table.compact")).to_contain_text("三方通话")
