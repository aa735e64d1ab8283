"""/api/analytics/… and the analysis pages through the app's client, on imported synthetic messages."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from hotline.analytics.importer import Columns, import_messages
from tests.factories import intake
from tests.test_pages import login

COLS = Columns(id="留言编号", title="留言主题", content="留言详情", time="留言时间", votes="点赞数")


@pytest.fixture()
def imported(db, rt, messages_csv):  # type: ignore[no-untyped-def]
    path, msgs = messages_csv
    import_messages(db, rt, path=path, columns=COLS)
    db.commit()
    return msgs


def test_hotspots_api(client, as_user, imported) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/analytics/hotspots?top=5&tickets=true", headers=as_user("analyst"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tickets"] == len(imported)
    first = body["items"][0]
    assert first["place"] == "翠微花园" and first["size"] == 12
    assert set(first["external_ids"]) == {m.key for m in imported if m.topic == "A"}
    assert len(first["tickets"]) == 12 and first["tickets"][0]["id"] and first["tickets"][0]["number"]
    places = [c["place"] for c in body["items"]]
    assert places[:3] == ["翠微花园", "梧桐山庄", "鑫融投资"]
    assert [c["label"] for c in body["items"][:3]] == places[:3]  # a place is its own label


def test_hotspots_download_csv_and_xlsx(client, as_user, imported) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/analytics/hotspots?format=csv", headers=as_user("supervisor"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("排名,地点/事项") and "翠微花园" in text
    r = client.get("/api/analytics/hotspots?format=xlsx", headers=as_user("admin"))
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws["B2"].value == "翠微花园" and ws["D2"].value == 12
    growth = [ws.cell(row, 6).value for row in range(2, ws.max_row + 1)]
    assert all(g is None or round(g, 1) == g for g in growth)  # QA: 3.999, not rounded
    # every download is attributable (they list ticket numbers): written to the audit log
    log = client.get("/api/v1/audit", params={"action": "export_analytics"}, headers=as_user("admin")).json()
    taken = {(e["username"], e["object_id"]) for e in log["items"]}
    assert taken >= {("supervisor", "hotspots"), ("admin", "hotspots")}


def test_volume_api(client, as_user, imported) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/analytics/volume?by=kind", headers=as_user("analyst"))
    body = r.json()
    assert body["total"] == len(imported)
    assert {i["key"] for i in body["items"]} <= {"complaint", "report", "suggestion", "consultation", "praise", "help"}
    r = client.get("/api/analytics/volume?by=channel", headers=as_user("analyst"))
    assert r.json()["items"] == [{"key": "web", "label": "网站", "count": len(imported)}]
    r = client.get("/api/analytics/volume?by=time&since=2026-08-01&until=2026-08-31", headers=as_user("analyst"))
    items = r.json()["items"]
    assert len(items) == 31 and items[0]["key"] == "2026-08-01"
    r = client.get("/api/analytics/volume?by=district&format=xlsx", headers=as_user("analyst"))
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = client.get("/api/analytics/volume?by=time&since=2026-09-01&until=2026-08-01", headers=as_user("analyst"))
    assert r.status_code == 422 and "结束日期" in r.json()["message"]


def test_warnings_and_monthly_issues(client, as_user, imported) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/analytics/monthly-issues?min_months=3", headers=as_user("analyst"))
    assert r.status_code == 200
    assert {c["place"] for c in r.json()["items"]} <= {"翠微花园", "梧桐山庄", "鑫融投资"}
    assert all(len(c["months"]) >= 3 for c in r.json()["items"])
    r = client.get("/api/analytics/warnings", headers=as_user("analyst"))
    assert r.status_code == 200 and all(c["warning"] for c in r.json()["items"])


@pytest.mark.parametrize("persona", ["operator", "housing_handler", "callback"])
def test_other_roles_are_refused(client, as_user, persona) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/analytics/hotspots", headers=as_user(persona))
    assert r.status_code == 403


def test_jurisdiction_scope_limits_the_data(client, as_user, imported) -> None:  # type: ignore[no-untyped-def]
    everyone = client.get("/api/analytics/volume?by=kind", headers=as_user("analyst")).json()["total"]
    xuanwu = client.get("/api/analytics/volume?by=kind", headers=as_user("xuanwu_viewer")).json()["total"]
    named = sum(1 for m in imported if "玄武区" in m.title + m.content and not any(
        d in m.title + m.content for d in ("秦淮区",)))
    assert 0 < xuanwu <= named < everyone


def test_pages(client, imported) -> None:  # type: ignore[no-untyped-def]
    login(client, "analyst")
    page = client.get("/analytics")
    assert page.status_code == 200 and "<svg" in page.text and "诉求量走势" in page.text
    assert "/api/analytics/volume?by=kind&amp;format=csv" in page.text
    hot = client.get("/analytics/hotspots")
    assert hot.status_code == 200 and "翠微花园" in hot.text and "每月一题" in hot.text
    # on a phone each cell is a card line: every cell names its column (QA: bare numbers)
    for label in ("地点/事项", "件数", "点赞", "增长"):
        assert f'data-label="{label}"' in hot.text
    import re

    link = re.search(r'href="(/tickets/NJ[0-9-]+)"', hot.text)
    assert link and client.get(link.group(1)).status_code == 200
    m = client.get("/analytics/map")
    assert m.status_code == 200 and "玄武区" in m.text and "秦淮区" in m.text and "<svg" in m.text
    # Data behind the page session: a GET download needs no CSRF header.
    assert client.get("/api/analytics/volume?by=district&format=csv").status_code == 200
    bad = client.get("/analytics?since=yesterday")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


def test_pages_refused_and_empty(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "operator")
    assert client.get("/analytics").status_code == 403
    client.cookies.clear()
    login(client, "supervisor")
    page = client.get("/analytics")
    assert page.status_code == 200 and "没有诉求" in page.text
    assert "没有热点" in client.get("/analytics/hotspots").text


def test_the_volume_of_a_running_month_stops_at_today(client, as_user) -> None:  # type: ignore[no-untyped-def]
    """QA: this month's trend fell to 0 after today, and its downloads listed the coming days as 0."""
    assert client.post("/api/v1/tickets", headers=as_user("operator"), json=intake()).status_code == 201
    r = client.get("/api/analytics/volume", headers=as_user("analyst"),
                   params={"by": "time", "since": "2026-11-01", "until": "2026-11-30"})
    assert [(i["key"], i["count"]) for i in r.json()["items"]] == [("2026-11-01", 0), ("2026-11-02", 1)]
    r = client.get("/api/analytics/volume", headers=as_user("analyst"),
                   params={"by": "time", "since": "2026-10-25", "until": "2026-10-31"})
    # QA: no ticket in the period was an empty list (no line, a download without rows); its days are 0
    assert [(i["key"], i["count"]) for i in r.json()["items"]] == [(f"2026-10-{d}", 0) for d in range(25, 32)]
    assert r.json()["total"] == 0
    r = client.get("/api/analytics/volume", headers=as_user("analyst"),
                   params={"by": "time", "since": "2026-11-10", "until": "2026-11-20"})
    assert r.json()["items"] == []  # a period still to come has no days yet
    r = client.get("/api/analytics/volume", headers=as_user("analyst"), params={"by": "time", "since": "2026-10-31"})
    assert [(i["key"], i["count"]) for i in r.json()["items"]] == [("2026-10-31", 0), ("2026-11-01", 0),
                                                                  ("2026-11-02", 1)]
    r = client.get("/api/analytics/volume", headers=as_user("analyst"),
                   params={"by": "time", "since": "2026-10-30", "until": "2026-11-02"})
    assert [i["key"] for i in r.json()["items"]] == ["2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02"]
