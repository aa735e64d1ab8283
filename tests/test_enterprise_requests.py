"""一企来: enterprises' requests found by search, served by their own dispatch tab with a faster 派单时限,
and reported beside all requests (涉企诉求)."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from openpyxl import load_workbook

from tests.conftest import START
from tests.test_pages import dispatch_to, login, new_ticket


def numbers(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return sorted(t["number"] for t in response.json()["items"])


def test_search_by_enterprise_channel_and_urgency(client, as_user) -> None:
    firm = new_ticket(client, as_user, is_enterprise=True, requester_org="南京某某科技有限公司", channel="web")
    person = new_ticket(client, as_user, urgency="urgent")
    staff = as_user("dispatcher")
    assert numbers(client.get("/api/v1/tickets", params={"enterprise": "true"}, headers=staff)) == [firm["number"]]
    assert numbers(client.get("/api/v1/tickets", params={"enterprise": "false"}, headers=staff)) == [person["number"]]
    assert numbers(client.get("/api/v1/tickets", params={"channel": "web"}, headers=staff)) == [firm["number"]]
    assert numbers(client.get("/api/v1/tickets", params={"urgency": "urgent"}, headers=staff)) == [person["number"]]
    bad = client.get("/api/v1/tickets", params={"channel": "fax"}, headers=staff)
    assert bad.status_code == 422
    login(client, "dispatcher")
    page = client.get("/tickets", params={"enterprise": "1"}).text
    assert firm["number"] in page and person["number"] not in page
    assert 'name="enterprise"' in page and "企业诉求（一企来）" in page
    ignored = client.get("/tickets", params={"enterprise": "maybe", "channel": "fax"}).text  # dropped, not refused
    assert firm["number"] in ignored and person["number"] in ignored
    sheet = load_workbook(BytesIO(client.get("/tickets/export.xlsx", params={"enterprise": "1"}).content)).active
    cells = {c.value for row in sheet.iter_rows() for c in row}
    assert firm["number"] in cells and person["number"] not in cells


def test_the_dispatch_queue_has_a_tab_for_enterprises_with_a_faster_limit(client, as_user) -> None:
    firm = new_ticket(client, as_user, is_enterprise=True, requester_org="南京某某科技有限公司")
    person = new_ticket(client, as_user)
    assert datetime.fromisoformat(firm["dispatch_due_at"]) == START + timedelta(hours=1)  # not 2 as a complaint
    assert datetime.fromisoformat(person["dispatch_due_at"]) == START + timedelta(hours=2)
    login(client, "dispatcher")
    tab = client.get("/hall/dispatch", params={"tab": "enterprise"}).text
    assert "一企来" in tab and firm["number"] in tab and person["number"] not in tab
    queue = client.get("/hall/dispatch").text
    assert queue.index(firm["number"]) < queue.index(person["number"])  # the nearer limit first


def test_the_report_sets_enterprises_beside_all_requests(client, as_user, clock) -> None:
    firm = new_ticket(client, as_user, is_enterprise=True, requester_org="南京某某科技有限公司")
    new_ticket(client, as_user)
    new_ticket(client, as_user)
    clock.advance(timedelta(minutes=30))
    dispatch_to(client, as_user, firm, 2)
    report = client.get("/api/v1/reports/2026-11", headers=as_user("supervisor")).json()
    table = next(t for t in report["tables"] if t["key"] == "enterprise")
    rows = {r[0]: r[1:] for r in table["rows"]}
    assert rows["受理量"] == [1, 3]
    assert rows["占受理总量"] == ["33.3%", "100.0%"]
    assert rows["派单及时率"] == ["100.0%", "100.0%"]
    assert rows["满意率"] == ["—", "—"]
    assert any("涉企诉求（一企来）1 件，占受理总量 33.3%" in line for line in report["summary"])


def test_the_list_filters_are_named_in_chinese_when_refused(client, as_user) -> None:
    """A filter that cannot be read is named as the page names it (QA: "enterprise须为是/否",
    "dispatch_overdue须为是/否", "unit_id须为数字")."""
    staff = as_user("supervisor")
    for url in ("/api/v1/tickets", "/api/v1/exports/tickets.xlsx"):
        r = client.get(url, params={"enterprise": "maybe", "dispatch_overdue": "x", "unit_id": "x"}, headers=staff)
        assert r.status_code == 422
        message = r.json()["message"]
        assert "一企来（企业诉求）须为是/否" in message and "派单超时须为是/否" in message
        assert "承办单位须为数字" in message and "enterprise" not in message
