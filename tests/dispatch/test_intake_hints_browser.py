"""The intake form's live hints in real headless Chromium: as the operator types, the screening,
the place read from a registered place name, and the catalogue's lead unit appear, and one click
puts a proposal into the form."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from hotline.dispatch.place_registry import PlaceNameIn, save_name
from hotline.runtime import Runtime
from tests.factories import Org
from tests.knowledge.test_pages_browser import _session
from tests.test_pages_browser import browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_typing_shows_the_hints_and_a_click_takes_one(browser: Any, live_server: str, db: Session,  # noqa: F811
                                                      rt: Runtime, org: Org, client: Any, as_user: Any) -> None:
    from playwright.sync_api import expect

    save_name(db, rt, actor=org.actor("admin"), data=PlaceNameIn(name="钟灵街", jurisdiction_code="320102001"))
    db.commit()
    r = client.post("/api/v1/dispatch/rules", headers=as_user("dispatcher"),
                    json={"jurisdiction_code": "320102001", "lead_unit_code": "xlw"})
    assert r.status_code == 201
    op = _session(browser, live_server, "operator")
    op.fill("input[name=address]", "玄武区钟灵街50号")
    op.fill("input[name=title]", "钟灵街楼下着火了")
    op.locator("textarea[name=content]").press_sequentially("火势很大，有人被困")
    hints = op.locator("[data-intake-hints]")
    expect(hints.locator("[data-screening=fire]")).to_contain_text("转 119")
    expect(hints).to_contain_text("玄武区孝陵卫街道（从地址中的地名库地名“钟灵街”识别，把握 99%）")
    hints.get_by_role("button", name="采用属地").click()
    expect(op.locator("select[name=jurisdiction_code]")).to_have_value("320102001")
    # A fire: the street's proposal is a hint beside the transfer, not a one-click dispatch.
    expect(hints).to_contain_text("紧急事项应先转接")
    hints.get_by_role("button", name="仅选为主办").click()
    expect(op.locator("select[name=lead_unit_id]")).to_have_value(str(org.units["street"].id))
    expect(op.locator("input[name=next_step][value=dispatch]")).not_to_be_checked()
    # A street matter with its category chosen: one click takes the proposal and the dispatch step.
    op.fill("input[name=title]", "钟灵街路灯不亮")
    op.locator("textarea[name=content]").fill("")
    op.locator("textarea[name=content]").press_sequentially("路灯坏了好几天")
    op.select_option("select[name=category_code]", "0102")
    hints.get_by_role("button", name="采用并派单").click()
    expect(op.locator("select[name=lead_unit_id]")).to_have_value(str(org.units["street"].id))
    expect(op.locator("input[name=next_step][value=dispatch]")).to_be_checked()


def test_two_places_named_side_by_side_offer_either(browser: Any, live_server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    op = _session(browser, live_server, "operator")
    op.fill("input[name=title]", "路灯不亮")
    op.locator("textarea[name=content]").press_sequentially("秦淮区和玄武区交界处的路灯坏了好几天")
    hints = op.locator("[data-intake-hints]")
    expect(hints).to_contain_text("把握 60%")  # contested: either may be meant
    other = "320104" if "玄武区（从" in hints.inner_text() else "320102"
    hints.get_by_role("button", name="采用", exact=True).click()
    expect(op.locator("select[name=jurisdiction_code]")).to_have_value(other)


def test_the_dispatch_pages_fit_a_phone(browser: Any, live_server: str, db: Session, rt: Runtime,  # noqa: F811
                                        org: Org) -> None:
    from tests.test_pages_browser import PHONE, _fits_the_screen

    save_name(db, rt, actor=org.actor("admin"), data=PlaceNameIn(name="钟灵街", jurisdiction_code="320102001",
                                                                 note="孝陵卫街道的主干道，路灯、井盖等问题较多"))
    db.commit()
    page = _session(browser, live_server, "dispatcher", PHONE)
    for path in ("/dispatch/places", "/dispatch/catalogue?try=1&try_category=0102&try_place=&try_kind="):
        page.goto(f"{live_server}{path}")
        assert _fits_the_screen(page), path
    op = _session(browser, live_server, "operator", PHONE)
    op.fill("input[name=address]", "玄武区钟灵街50号")
    op.fill("input[name=title]", "钟灵街楼下着火了")
    op.locator("textarea[name=content]").press_sequentially("火势很大")
    op.locator("[data-intake-hints] [data-screening=fire]").wait_for()
    assert _fits_the_screen(op)
