"""The maintenance report in real headless Chromium: the wide table fits a phone (a card per unit)
and scrolls inside its card on a desktop rather than widening the page."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hotline.clock import FixedClock
from hotline.knowledge.models import Article
from hotline.runtime import Runtime
from tests.factories import Org
from tests.knowledge.test_maintenance import build
from tests.knowledge.test_pages_browser import _session
from tests.test_pages_browser import DESKTOP, PHONE, _fits_the_screen, browser, live_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_report_fits_phone_and_desktop(browser: Any, live_server: str, db: Session, rt: Runtime,  # noqa: F811
                                       clock: FixedClock, org: Org, publish: Callable[..., Article]) -> None:
    build(db, rt, clock, org, publish)
    housing = org.units["housing"].id
    shots = os.environ.get("HOTLINE_SCREENSHOTS")  # a folder to look at the pages by eye
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = _session(browser, live_server, "supervisor", viewport)
        for path in ("/kb/maintenance", f"/kb/maintenance/units/{housing}"):
            page.goto(f"{live_server}{path}")
            assert page.locator("table.list tbody tr").count() >= 2
            assert _fits_the_screen(page), (name, path)
            if shots:
                page.screenshot(path=f"{shots}/kb-maintenance-{name}-{path.count('/')}.png", full_page=True)
        page.context.close()
