"""The knowledge search is built when the app starts (on a thread), not by the first question: off in
the suite by default (`auto` in the test environment), on when the setting says so, and a failure is
logged without stopping the app."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from hotline.app import create_app
from hotline.config import Settings
from hotline.knowledge import search, warmup


@pytest.mark.parametrize(("environment", "setting", "on"), [
    ("test", "auto", False), ("development", "auto", True), ("production", "auto", True),
    ("production", "off", False), ("test", "on", True)])
def test_auto_warms_outside_the_test_suite(environment: str, setting: str, on: bool) -> None:
    settings = Settings(environment=environment, kb_warm_at_start=setting, secret_key="s" * 32)
    assert warmup.enabled(settings) is on


def test_the_suite_starts_without_warming(client) -> None:  # type: ignore[no-untyped-def]
    assert client.app.state.kb_warmup is None


def test_the_index_is_built_when_the_app_starts(settings, engine, clock, org, publish) -> None:  # type: ignore[no-untyped-def]
    publish()
    search.reset_all()
    index = search.index_for(engine)
    assert index.last_seq == -1  # nothing built: the first search would build it
    app = create_app(settings.model_copy(update={"kb_warm_at_start": "on"}), engine=engine, clock=clock)
    with TestClient(app) as c:
        thread = app.state.kb_warmup
        assert c.get("/healthz").status_code == 200  # start-up did not wait for it
        thread.join(60)
        assert not thread.is_alive()
    assert index.last_seq >= 0 and len(index.backend) == 1  # type: ignore[arg-type]


def test_a_failed_warm_up_is_logged_not_fatal(settings, engine, clock, org, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    def broken(db: object) -> None:
        raise RuntimeError("database not reachable")

    monkeypatch.setattr(warmup.service, "prepare_search", broken)
    app = create_app(settings.model_copy(update={"kb_warm_at_start": "on"}), engine=engine, clock=clock)
    with caplog.at_level(logging.ERROR, logger="hotline.knowledge.warmup"), TestClient(app) as c:
        app.state.kb_warmup.join(30)
        assert c.get("/healthz").status_code == 200
    assert any("warming the knowledge search" in r.getMessage() and r.exc_info for r in caplog.records)
