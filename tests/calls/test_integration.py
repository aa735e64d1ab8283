"""The calls package beside the blacklist (hotline.blacklist) and the hotline registry
(hotline.hotlines), both built separately: skipped while they are not installed."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from tests.calls.conftest import answered_call
from tests.conftest import START


def _module(name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed")


@pytest.fixture()
def blacklist(engine: Engine) -> Iterator[object]:
    service = _module("hotline.blacklist.service")
    models = _module("hotline.blacklist.models")
    yield service
    with engine.begin() as conn:
        for name in ("PoliceReferral", "BlacklistEvidence", "AbuseReport", "BlacklistAppeal", "BlacklistEvent",
                     "TicketVerdict", "BlacklistEntry"):
            if hasattr(models, name):
                conn.execute(delete(getattr(models, name)))


@pytest.fixture()
def registry(engine: Engine) -> Iterator[object]:
    service = _module("hotline.hotlines.service")
    models = _module("hotline.hotlines.models")
    yield service
    with engine.begin() as conn:
        conn.execute(delete(models.HotlineExpert))
        conn.execute(delete(models.HotlineChange))
        conn.execute(delete(models.HotlineLine))


def test_the_screen_pop_shows_a_listed_caller(client, feed, as_user, db, rt, org, blacklist) -> None:  # type: ignore[no-untyped-def]
    phone = "13955556666"
    report = blacklist.report_abuse(db, rt, actor=org.actor("operator"), phone=phone,
                                    description="来电人连续辱骂话务员十余分钟")
    blacklist.confirm(db, rt, actor=org.actor("supervisor"), entry_id=report.entry_id, reason="多次辱骂话务员，经核实")
    db.rollback()
    r = feed(answered_call("bl1", START, caller=phone))
    call_id = r.json()["call_ids"]["bl1"]
    pop = client.get(f"/api/calls/{call_id}", headers=as_user("operator")).json()
    assert pop["blacklist"]["available"] is True and pop["blacklist"]["listed"] is True
    assert "多次辱骂话务员" in pop["blacklist"]["reason"]
    from tests.test_pages import login

    login(client, "operator")
    page = client.get(f"/hall/calls/{call_id}").text
    assert "该号码在黑名单中" in page and "紧急求助与新的诉求仍须受理" in page


def test_utility_lines_come_from_the_registry(client, feed, as_user, db, rt, registry) -> None:  # type: ignore[no-untyped-def]
    from hotline.security.actor import Actor

    registry.import_reference(db, rt, actor=Actor.system(), cities=["南京市"])
    db.rollback()
    targets = client.get("/api/calls/transfer-targets", headers=as_user("operator")).json()
    utilities = [t for t in targets if t["kind"] == "utility"]
    assert "95598" in {t["number"] for t in utilities}  # State Grid's national number, in the reference list
    call_id = feed(answered_call("u1", START)).json()["call_ids"]["u1"]
    r = client.post(f"/api/calls/{call_id}/transfers", json={"target": "95598", "reason": "小区大面积停电"},
                    headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["target_kind"] == "utility" and "95598" in r.json()["target_label"]


def test_another_citys_line_names_no_transfer_here(client, feed, as_user, db, rt, registry) -> None:  # type: ignore[no-untyped-def]
    """QA: a number registered only for 宿迁市 was labelled from that city's row in a 南京市 hall."""
    from hotline.security.actor import Actor

    registry.import_reference(db, rt, actor=Actor.system(), cities=["宿迁市"])
    db.rollback()
    call_id = feed(answered_call("q1", START)).json()["call_ids"]["q1"]
    r = client.post(f"/api/calls/{call_id}/transfers", json={"target": "96510", "reason": "不动产登记咨询"},
                    headers=as_user("operator"))
    assert r.status_code == 201 and (r.json()["target_kind"], r.json()["target_label"]) == ("other", "96510")
    registry.import_reference(db, rt, actor=Actor.system(), cities=["南京市"])
    db.rollback()
    r = client.post(f"/api/calls/{call_id}/transfers", json={"target": "96510", "reason": "不动产登记咨询"},
                    headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["target_kind"] == "line" and "不动产登记" in r.json()["target_label"]
