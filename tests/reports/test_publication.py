"""政务公开: a month's figures published to the portal — who may, what is shown (no ticket text), the
snapshot kept as published, withdrawal, the public page and API, the staff page, the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from hotline.reports.models import PublishedFigures
from hotline.security.models import AuditEntry
from tests.factories import intake
from tests.reports.test_reports import _history
from tests.test_pages import login, post_page

DECEMBER = timedelta(days=30)  # START is 2 November: 2 December, November has ended


@pytest.fixture(autouse=True)
def _no_publications(engine) -> Iterator[None]:  # type: ignore[no-untyped-def]
    yield
    with engine.begin() as conn:
        conn.execute(delete(PublishedFigures))


def _figures(body: dict) -> dict[str, str]:
    return {f["label"]: f["value"] for f in body["figures"]}


def test_a_published_month_is_public_with_its_figures_and_no_ticket_text(client, as_user, org, clock) -> None:
    _history(client, as_user, org, clock)
    clock.advance(DECEMBER)
    assert client.get("/api/v1/public/figures/2026-11").status_code == 404  # not yet published
    r = client.put("/api/v1/reports/2026-11/publication", json={"with_units": True}, headers=as_user("admin"))
    assert r.status_code == 200, r.text
    # Anyone, without a login: the month list and the month.
    assert [m["period"] for m in client.get("/api/v1/public/figures").json()] == ["2026-11"]
    body = client.get("/api/v1/public/figures/2026-11").json()
    figures = _figures(body)
    assert figures["受理总量"] == "4" and figures["直接答复"] == "1" and figures["直接答复率"] == "25.0%"
    assert figures["按时答复率"] == "100.0%" and figures["满意率"] == "100.0%" and figures["解决率"] == "100.0%"
    assert "超期未答复" not in figures and body["scope"] == "南京市全市"
    assert [t["key"] for t in body["tables"]] == ["channel", "kind", "category", "satisfaction", "rating",
                                                  "enterprise", "unit"]
    assert "好评率" in figures and "派单及时率" in figures  # 好差评 and the centre's own limit, published too
    units = next(t for t in body["tables"] if t["key"] == "unit")["rows"]
    assert [r[:3] for r in units] == [["市房产局", 1, 1], ["市市场监管局", 1, 0]]
    # No ticket text, no requester, no hotspot analysis, no summary that quotes them.
    text = json.dumps(body, ensure_ascii=False)
    for private in ("噪音扰民", "公积金提取材料", "群众表示满意", "张三", "138", "hotspot", "summary"):
        assert private not in text, private


def test_the_published_snapshot_stays_until_republished(client, as_user, org, clock, db) -> None:
    _history(client, as_user, org, clock)
    clock.advance(DECEMBER)
    r = client.put("/api/v1/reports/2026-11/publication", json={"with_units": False}, headers=as_user("supervisor"))
    assert r.status_code == 200 and [t["key"] for t in r.json()["tables"]] == ["channel", "kind", "category",
                                                                              "satisfaction", "rating", "enterprise"]
    # A November ticket found late (its time set back as an import would): the published month keeps its figures.
    r = client.post("/api/v1/tickets", json=intake(title="补录的十一月诉求"), headers=as_user("operator"))
    assert r.status_code == 201, r.text
    from hotline.tickets.models import Ticket
    ticket = db.get(Ticket, r.json()["id"])
    ticket.created_at = ticket.created_at - DECEMBER
    db.commit()
    assert _figures(client.get("/api/v1/public/figures/2026-11").json())["受理总量"] == "4"
    assert _figures(client.get("/api/v1/reports/2026-11", headers=as_user("analyst")).json())["受理总量"] == "5"
    # Republishing refreshes it, and is audited as such.
    r = client.put("/api/v1/reports/2026-11/publication", json={}, headers=as_user("admin"))
    assert r.status_code == 200 and _figures(r.json())["受理总量"] == "5"
    db.rollback()
    details = db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "publish_figures")
                         .order_by(AuditEntry.id)).all()
    assert details == ["公开", "重新公开，含承办单位数据"]


def test_who_may_publish_which_month(client, as_user, org, clock, db) -> None:
    clock.advance(DECEMBER)
    for who in ("analyst", "operator", "housing_manager"):
        r = client.put("/api/v1/reports/2026-11/publication", json={}, headers=as_user(who))
        assert r.status_code == 403, (who, r.text)
    r = client.put("/api/v1/reports/2026-11/publication", json={}, headers=as_user("xuanwu_viewer"))
    assert r.status_code == 403 and "全市" in r.json()["message"]  # a district supervisor: not the city's figures
    r = client.put("/api/v1/reports/2026-12/publication", json={}, headers=as_user("admin"))
    assert r.status_code == 422 and "尚未结束" in r.json()["message"]
    r = client.put("/api/v1/reports/2026-W45/publication", json={}, headers=as_user("admin"))
    assert r.status_code == 422 and "仅可公开月度数据" in r.json()["message"]
    assert client.get("/api/v1/public/figures/2026-W45").status_code == 404
    assert client.get("/api/v1/public/figures/nonsense").status_code == 404
    assert client.put("/api/v1/reports/2026-11/publication", json={}).status_code == 401


def test_a_withdrawn_month_leaves_the_portal(client, as_user, org, clock, db) -> None:
    clock.advance(DECEMBER)
    for period in ("2026-10", "2026-11"):
        assert client.put(f"/api/v1/reports/{period}/publication", json={}, headers=as_user("admin")).status_code == 200
    assert [m["period"] for m in client.get("/api/v1/public/figures").json()] == ["2026-11", "2026-10"]
    r = client.delete("/api/v1/reports/2026-11/publication", headers=as_user("supervisor"))
    assert r.status_code == 204
    assert client.get("/api/v1/public/figures/2026-11").status_code == 404
    assert [m["period"] for m in client.get("/api/v1/public/figures").json()] == ["2026-10"]
    assert client.delete("/api/v1/reports/2026-11/publication", headers=as_user("admin")).status_code == 404
    db.rollback()
    audited = db.execute(select(AuditEntry.action, AuditEntry.object_id, AuditEntry.username)
                         .where(AuditEntry.object_type == "published_figures").order_by(AuditEntry.id)).all()
    assert [(a, o) for a, o, _ in audited] == [("publish_figures", "2026-10"), ("publish_figures", "2026-11"),
                                                ("unpublish_figures", "2026-11")]


def test_the_portal_page_and_the_staff_page(client, as_user, org, clock) -> None:
    _history(client, as_user, org, clock)
    clock.advance(DECEMBER)
    r = client.get("/public/figures")
    assert r.status_code == 200 and "暂未公开月度数据" in r.text and 'href="/public/figures"' in r.text
    login(client, "supervisor")
    page = client.get("/reports/publication")
    assert page.status_code == 200 and "2026年11月" in page.text and "未公开" in page.text
    r = post_page(client, "/reports/publication", "/reports/publication",
                  {"period": "2026-11", "act": "publish", "with_units": "1"})
    assert r.status_code == 303
    page = client.get("/reports/publication")
    assert "已公开（" in page.text and "含承办单位数据" in page.text and "重新公开" in page.text
    r = post_page(client, "/reports/publication", "/reports/publication", {"period": "2026-12", "act": "publish"})
    assert r.status_code == 303 and "尚未结束" in client.get("/reports/publication").text
    client.post("/logout", data={"csrf_token": ""})
    client.cookies.clear()
    r = client.get("/public/figures")  # no login: the newest published month
    assert r.status_code == 200 and "南京市12345热线2026年11月运行数据" in r.text and "直接答复率" in r.text
    assert r.text.count('<svg class="chart"') == 6 and "噪音扰民" not in r.text  # 涉企诉求 is not drawn
    assert client.get("/public/figures/2026-11").status_code == 200
    r = client.get("/public/figures/2026-10")
    assert r.status_code == 404 and "尚未公开" in r.text


def test_the_staff_page_is_for_whole_city_supervisors_and_administrators(client) -> None:
    login(client, "analyst")
    assert client.get("/reports/publication").status_code == 403
    client.cookies.clear()
    login(client, "xuanwu_viewer")
    assert client.get("/reports/publication").status_code == 403
