"""Blacklist pages through the app: list and search, an entry with its forms, the hall's forms."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.test_pages import csrf_of, login, post_page


def test_pages_end_to_end(client: TestClient, as_user: Callable[..., dict[str, str]]) -> None:
    login(client, "operator")
    page = client.get("/blacklist")
    assert page.status_code == 200 and "没有符合条件的记录" in page.text and "按历史记录提出候选" not in page.text
    r = post_page(client, "/blacklist/abuse/new", "/blacklist/abuse/new",
                  {"phone": "13800002222", "description": "x"})
    assert r.status_code == 400 and "辱骂骚扰情况" in r.text and "13800002222" in r.text
    r = post_page(client, "/blacklist/abuse/new", "/blacklist/abuse/new",
                  {"phone": "13800002222", "description": "来电人辱骂话务员", "ticket": "NOPE"})
    assert r.status_code == 404 and "工单 NOPE 不存在" in r.text
    r = post_page(client, "/blacklist/abuse/new", "/blacklist/abuse/new",
                  {"phone": "13800002222", "description": "来电人辱骂话务员"})
    assert r.status_code == 303
    entry_url = r.headers["location"]
    page = client.get(entry_url)
    assert page.status_code == 200 and "13800002222" in page.text and "登记警情移交" in page.text
    assert "bl-decide" not in page.text  # an operator does not decide
    report_id = page.text.split('name="abuse_report_id" value="')[1].split('"')[0]
    r = post_page(client, entry_url, f"{entry_url}/refer",
                  {"abuse_report_id": report_id, "police_unit": "玄武公安分局", "reference": "JQ-77"})
    assert r.status_code == 303
    assert "警情编号 JQ-77" in client.get(entry_url).text
    client.cookies.clear()

    login(client, "supervisor")
    listing = client.get("/blacklist", params={"phone": "2222"})
    assert "13800002222" in listing.text and "按历史记录提出候选" in listing.text
    r = post_page(client, entry_url, f"{entry_url}/confirm", {"reason": "", "days": "30"})
    assert r.status_code == 400 and "列入理由" in r.text
    r = post_page(client, entry_url, f"{entry_url}/confirm", {"reason": "辱骂属实", "days": "30"})
    assert r.status_code == 303
    page = client.get(entry_url)
    assert "生效中" in page.text and "提前移出黑名单" in page.text
    r = post_page(client, "/blacklist", "/blacklist/propose", {})
    assert r.status_code == 303
    assert "新增 0 条" in client.get("/blacklist?state=active").text
    client.cookies.clear()

    login(client, "analyst")
    assert "138****2222" in client.get("/blacklist?state=active").text
    client.cookies.clear()
    login(client, "housing_handler")
    assert client.get("/blacklist").status_code == 403
    form = client.get("/blacklist/verdict")
    assert form.status_code == 200
    r = client.post("/blacklist/verdict", data={"ticket": "NJ1", "verdict": "unfounded", "note": "不实",
                                                "csrf_token": csrf_of(client, "/blacklist/verdict")})
    assert r.status_code == 404 and "工单 NJ1 不存在" in r.text


def test_a_districts_supervisor_is_not_offered_the_city_wide_rules(client: TestClient) -> None:
    login(client, "xuanwu_viewer")
    page = client.get("/blacklist")
    assert page.status_code == 200 and "按历史记录提出候选" not in page.text
    login(client, "supervisor")
    assert "按历史记录提出候选" in client.get("/blacklist").text
