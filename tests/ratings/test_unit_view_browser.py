"""本单位差评 on a phone, in real headless Chromium: from the workbench's tile to the list, which fits the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_pages_browser import PHONE, _fits_the_screen, _session, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_unit_reads_its_bad_ratings_on_a_phone(browser: Any, live_server: str, rated: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    noisy = rated("housing", "very_unsatisfied", "答复敷衍，夜间噪音依旧，希望再次到现场检测并给出明确的整改时限")
    rated("market", "unsatisfied", "缺斤少两")
    unit = _session(browser, live_server, "housing_handler", PHONE)
    assert unit.url.endswith("/unit")
    tile = unit.locator("a[data-stat=bad-ratings]")
    expect(tile).to_contain_text("1")
    tile.click()
    expect(unit.locator("h1")).to_have_text("本单位差评")
    rows = unit.locator(".rating-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(noisy["number"])
    expect(rows.first).to_contain_text("待核实")
    assert _fits_the_screen(unit)
    unit.context.close()
