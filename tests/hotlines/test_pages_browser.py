"""The hotline registry pages in real headless Chromium (skipped without /usr/bin/chromium, as the
main browser test is): the list with its filters, the Excel export link (downloaded and read), a
line's page with a change and its history, the progress per city and its links back to the list,
at desktop and phone width."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.test_pages_browser import PHONE, _fits_the_screen, _session, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_registry_list_export_line_history_and_progress(browser: Any, live_server: str, org: Any,  # noqa: F811
                                                         imported: Any) -> None:
    from playwright.sync_api import expect

    base = live_server
    page = _session(browser, base, "admin")

    # The list: every line of the imported registry, paginated; filters through the form.
    page.goto(f"{base}/hotlines")
    expect(page.locator("h1")).to_have_text("热线归并清单")
    expect(page.locator(".pager-info")).to_contain_text(f"共 {len(imported.created)} 条")
    assert page.locator("tr.hotline-row").count() > 0
    page.select_option("form.filters select[name=city]", label="宿迁市")
    page.select_option("form.filters select[name=mode]", value="dual_number")
    page.click("form.filters button[type=submit]")
    expect(page.locator("tr.hotline-row")).to_have_count(5)
    expect(page.locator("table.list")).to_contain_text("全国税务系统统一电话")
    assert "mode=dual_number" in page.url

    # The Excel link carries the same filters: the download holds exactly the rows on the page.
    link = page.locator("form.filters a", has_text="导出 Excel")
    assert "mode=dual_number" in (link.get_attribute("href") or "")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("hotlines-") and download.suggested_filename.endswith(".xlsx")
    body = open(download.path(), "rb").read()  # noqa: SIM115 - a temporary file Playwright owns
    assert body[:2] == b"PK"
    rows = list(load_workbook(BytesIO(body)).active.iter_rows(values_only=True))
    numbers_on_page = sorted(page.locator("tr.hotline-row").evaluate_all("rs => rs.map(r => r.dataset.number)"))
    header = [str(v) for v in rows[0]]
    numbers_in_file = sorted(str(r[header.index("号码")]) for r in rows[1:] if any(r))
    assert numbers_in_file == numbers_on_page

    # A line's page: change its merge mode; the history shows the change with the reason.
    page.goto(f"{base}/hotlines?city=南京市&q=12366")
    page.locator("tr.hotline-row[data-number='12366'] a.num").click()
    expect(page.locator("h1")).to_contain_text("12366")
    before = page.locator("tr.change-row").count()
    assert before >= 1  # the import itself is recorded
    page.locator("details.action summary", has_text="变更归并方式").click()
    form = page.locator("form[action$='/mode']")
    form.locator("select[name=merge_mode]").select_option("dual_number")
    form.locator("textarea[name=reason]").fill("分中心座席并入12345")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("已变更归并方式")
    changed = page.locator("tr.change-row[data-field='mode']", has_text="分中心座席并入12345")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("双号并行")
    # The mode change may bring a seat arrangement change with it: one history row each, none lost.
    assert page.locator("tr.change-row").count() > before
    expect(page.locator(".tags")).to_contain_text("双号并行")

    # Progress per city, and each figure opens the matching part of the list.
    page.goto(f"{base}/hotlines")
    page.click("text=查看各城市归并进度")
    expect(page.locator("h1")).to_have_text("热线归并进度")
    cards = page.locator("section.progress-card")
    expect(cards).to_have_count(2)
    suqian = page.locator("section.progress-card[data-city='宿迁市']")
    expect(suqian.locator(".progress-pct")).to_contain_text("%")
    stat = suqian.locator("a.stat", has_text="双号并行")
    expected = int(stat.locator(".stat-n").inner_text())
    stat.click()
    expect(page.locator("tr.hotline-row")).to_have_count(expected)
    assert "city=" in page.url and "mode=dual_number" in page.url


def test_registry_pages_fit_a_phone(browser: Any, live_server: str, org: Any, imported: Any,  # noqa: F811
                                    line_of: Any) -> None:
    from playwright.sync_api import expect

    page = _session(browser, live_server, "supervisor", PHONE)
    page.goto(f"{live_server}/hotlines")
    expect(page.locator("tr.hotline-row").first).to_be_visible()
    assert _fits_the_screen(page)
    page.goto(f"{live_server}/hotlines/{line_of('12345').id}")
    expect(page.locator("h1")).to_contain_text("12345")
    assert page.locator("details.action").count() == 0  # no administrator's forms for a supervisor
    assert _fits_the_screen(page)
    page.goto(f"{live_server}/hotlines/progress")
    expect(page.locator("section.progress-card")).to_have_count(2)
    assert _fits_the_screen(page)
