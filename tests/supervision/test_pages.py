"""The supervision pages as a browser drives them: forms with CSRF, Chinese errors, the unit's inbox."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import intake
from tests.test_pages import csrf_of, login, post_page


def dispatched(client, as_user, unit_id: int, **overrides) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/tickets", headers=as_user("operator"),
                    json=intake(dispatch={"lead_unit_id": unit_id}, **overrides))
    assert r.status_code == 201, r.text
    return r.json()


def test_orders_pages_issue_escalate_close(client, as_user, org) -> None:
    t = dispatched(client, as_user, org.units["housing"].id)
    login(client, "supervisor")
    page = client.get("/supervision")
    assert page.status_code == 200 and "督办中" in page.text and "督办调度尚未运行" in page.text

    r = post_page(client, "/supervision/orders", "/supervision/orders",
                  {"ticket_number": t["number"], "reason": "短"})
    assert r.status_code == 422 and "提交未成功" in r.text
    r = post_page(client, "/supervision/orders", "/supervision/orders",
                  {"ticket_number": "NJ19990101-000001", "reason": "请尽快办理并反馈"})
    assert r.status_code == 404 and "不存在" in r.text
    for days in ("abc", "99999999999999999999"):  # refused as typed, not replaced by the default
        r = post_page(client, "/supervision/orders", "/supervision/orders",
                      {"ticket_number": t["number"], "reason": "请尽快办理并反馈", "days": days})
        assert r.status_code == 422 and "督办时限" in r.text, days
    r = post_page(client, "/supervision/orders", "/supervision/orders",
                  {"ticket_number": t["number"], "reason": "请尽快办理并反馈", "days": "2"})
    assert r.status_code == 303
    url = r.headers["location"]
    detail = client.get(url)
    assert "已下达督办单" in detail.text and "市房产局" in detail.text and "升级至第2级" in detail.text
    # The export holds what the list shows, the search text included (it was dropped).
    listed = client.get("/supervision/orders", params={"q": t["number"]}).text
    assert f"/supervision/orders.xlsx?q={t['number']}" in listed

    r = post_page(client, url, f"{url}/escalate", {"note": "单位未按时反馈"})
    assert r.status_code == 303
    assert "升级至第2级（单位负责人）" in client.get(url).text
    r = post_page(client, url, f"{url}/close", {"outcome": "短"})
    assert "至少5个字" in client.get(url).text
    r = post_page(client, url, f"{url}/close", {"outcome": "单位已答复，督办结束"})
    assert "单位已答复，督办结束" in client.get(url).text
    post_page(client, url, f"{url}/close", {"outcome": "短"})  # closed already: that is what is said
    assert "督办单已办结" in client.get(url).text

    listing = client.get("/supervision/orders?status=closed")
    assert t["number"] in listing.text
    assert "order-row" not in client.get("/supervision/orders?status=open").text
    # the unit reads its own orders (QA: 403 on the page while the API answered)
    login(client, "housing_handler")
    mine = client.get("/supervision/orders?status=closed")
    assert mine.status_code == 200 and t["number"] in mine.text and 'href="/supervision/orders"' in mine.text
    assert 'aria-label="督办"' not in mine.text  # no tabs to pages it cannot open
    assert 'method="post" action="/supervision/orders"' not in mine.text  # nor the form to issue one
    own = client.get(url)
    assert own.status_code == 200 and "单位已答复，督办结束" in own.text and f'action="{url}/escalate"' not in own.text
    assert client.get("/supervision/meetings").status_code == 403
    login(client, "market_handler")
    assert client.get(url).status_code in (403, 404)
    xlsx = client.get("/supervision/orders.xlsx?status=closed")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_meeting_pages(client, as_user, org) -> None:
    t = dispatched(client, as_user, org.units["market"].id)
    login(client, "supervisor")
    form = {"kind": "coordination", "title": "餐饮油烟扰民专题协调会", "topic": "多部门职责交叉，明确牵头单位",
            "held_at": "2026-11-04T15:00", "location": "12345中心", "host": "中心主任",
            "attendees": "市市场监管局 王科长\n孝陵卫街道 刘主任", "unit_ids": [str(org.units["market"].id),
                                                               str(org.units["street"].id)],
            "tickets": t["number"]}
    r = post_page(client, "/supervision/meetings", "/supervision/meetings", {**form, "held_at": ""})
    assert r.status_code == 422
    r = post_page(client, "/supervision/meetings", "/supervision/meetings",
                  {**form, "kind": "", "title": "", "topic": "", "host": ""})
    said = r.text.split('<div class="errors" role="alert">')[1].split("</div>")[0]
    assert r.status_code == 422 and "请选择会议类型" in said and "请填写会议标题" in said and "请填写议题" in said, said
    assert "诉求" not in said and "topic" not in said and "host" not in said
    r = post_page(client, "/supervision/meetings", "/supervision/meetings", form)
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = client.get(url)
    assert "刘主任" in page.text and t["number"] in page.text and "2026-11-04 15:00" in page.text
    r = post_page(client, url, f"{url}/outcome",
                  {"outcome": "明确由市市场监管局牵头，街道配合", "follow_up": "两周内反馈"})
    assert "明确由市市场监管局牵头" in client.get(url).text
    assert "餐饮油烟扰民专题协调会" in client.get("/supervision/meetings?kind=coordination").text


def test_findings_scheduler_and_inbox_pages(client, as_user, org, clock) -> None:
    t = dispatched(client, as_user, org.units["market"].id, kind="consultation")
    client.post(f"/api/v1/tickets/{t['id']}/actions/return", headers=as_user("market_manager"),
                json={"reason": "不属于本单位职责范围"})
    client.post(f"/api/v1/tickets/{t['id']}/actions/refuse_return", headers=as_user("dispatcher"),
                json={"reason": "属于本单位职责"})
    clock.advance(timedelta(days=5))
    login(client, "supervisor")
    r = post_page(client, "/supervision/scheduler", "/supervision/scheduler/run", {})
    assert r.status_code == 303
    page = client.get("/supervision/scheduler")
    assert "手动" in page.text and "超期督办单 1" in page.text
    findings = client.get("/supervision/findings")
    assert "不当退单" in findings.text and t["number"] in findings.text
    client.post("/logout", data={"csrf_token": csrf_of(client, "/supervision")})

    login(client, "market_handler")
    bench = client.get("/unit")
    assert re.search(r'unread-count">2<', bench.text)  # the order, and the refused return
    inbox = client.get("/notifications")
    assert "督办单" in inbox.text and t["number"] in inbox.text
    r = post_page(client, "/notifications", "/notifications/read", {})
    assert r.status_code == 303
    assert re.search(r'unread-count">0<', client.get("/unit").text)
    # A unit user has no supervision pages but its own orders (read only).
    assert client.get("/supervision").status_code == 403
    assert client.get("/supervision/orders").status_code == 200


def test_findings_with_a_period_ending_before_it_starts_say_so(client, as_user) -> None:  # type: ignore[no-untyped-def]
    """QA: 自 11-10 至 11-01 (or a mistyped date) listed nothing — or everything — without a word."""
    login(client, "supervisor")
    r = client.get("/supervision/findings", params={"from": "2026-11-10", "to": "2026-11-01"})
    assert r.status_code == 422 and "结束日期不能早于开始日期" in r.text
    r = client.get("/supervision/findings", params={"from": "2026-11-10", "to": "2026-11-09"})
    assert r.status_code == 422
    r = client.get("/supervision/findings", params={"from": "2026-13-01"})
    assert r.status_code == 422 and "日期格式应为 YYYY-MM-DD" in r.text
    assert client.get("/supervision/findings", params={"from": "2026-11-01", "to": "2026-11-01"}).status_code == 200
    for path in ("/api/v1/supervision/findings", "/api/v1/supervision/findings/by-unit"):
        r = client.get(path, headers=as_user("supervisor"),
                       params={"since": "2026-11-10T00:00:00+08:00", "until": "2026-11-01T00:00:00+08:00"})
        assert r.status_code == 422 and r.json()["message"] == "结束日期不能早于开始日期", path
