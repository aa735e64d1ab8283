"""Dispatch tests: the catalogue and the place names are emptied after each test that touched the database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from hotline.dispatch import catalogue
from hotline.dispatch.models import DispatchRule, PlaceName


@pytest.fixture(autouse=True)
def _clean_catalogue(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as conn:
        conn.execute(delete(DispatchRule))
        conn.execute(delete(PlaceName))
    catalogue.forget()
