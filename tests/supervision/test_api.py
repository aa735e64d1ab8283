"""The supervision API through the app's client: manual orders, escalate, close, Excel, meetings and
interviews, findings by unit, the inbox and the scheduler's log."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook

from tests.factories import intake
from tests.test_pages import login

API = "/api/v1/supervision"


def dispatched(client, as_user, unit_id: int, **overrides) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/tickets", headers=as_user("operator"),
                    json=intake(dispatch={"lead_unit_id": unit_id}, **overrides))
    assert r.status_code == 201, r.text
    return r.json()


def test_manual_order_escalate_close_and_export(client, as_user, org) -> None:
    t = dispatched(client, as_user, org.units["housing"].id)
    body = {"ticket_number": t["number"], "reason": "群众反映强烈，请加快办理", "days": 3}
    # Only supervisors issue orders; units and dispatchers cannot.
    assert client.post(f"{API}/orders", headers=as_user("dispatcher"), json=body).status_code == 409
    assert client.post(f"{API}/orders", headers=as_user("housing_manager"), json=body).status_code == 409
    r = client.post(f"{API}/orders", headers=as_user("supervisor"), json=body)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["level"] == 1 and order["source"] == "manual" and order["unit_name"] == "市房产局"
    assert order["due_at"].startswith("2026-11-05")  # 3 working days from Mon 2 Nov
    # Too short a reason: a clear Chinese message.
    r = client.post(f"{API}/orders", headers=as_user("supervisor"), json={**body, "reason": "快"})
    assert r.status_code == 422
    # a second open order on the same ticket: refused, naming the one in force (QA: both were accepted)
    r = client.post(f"{API}/orders", headers=as_user("supervisor"), json={**body, "reason": "再次督办，请尽快答复"})
    assert r.status_code == 409 and r.json()["code"] == "order_already_open" and order["number"] in r.json()["message"]

    r = client.post(f"{API}/orders/{order['id']}/escalate", headers=as_user("supervisor"), json={"note": "单位未反馈"})
    assert r.status_code == 200 and r.json()["level"] == 2
    assert r.json()["escalations"][0]["audience"] == "manager"
    r = client.post(f"{API}/orders/{order['id']}/close", headers=as_user("supervisor"),
                    json={"outcome": "单位已反馈处理计划，督办结束"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = client.post(f"{API}/orders/{order['id']}/escalate", headers=as_user("supervisor"), json={"note": "再升级"})
    assert r.status_code == 409 and "已办结" in r.json()["message"]

    # The ticket's timeline shows both 督办 events; the unit's manager got the order and the escalation.
    ev = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("supervisor")).json()
    assert [e["action"] for e in ev].count("supervise") == 2
    inbox = client.get(f"{API}/notifications", headers=as_user("housing_manager")).json()
    assert inbox["total"] == 2
    assert client.get(f"{API}/notifications", headers=as_user("housing_handler")).json()["total"] == 1

    # A unit sees its own orders only; another unit sees none.
    assert client.get(f"{API}/orders", headers=as_user("housing_handler")).json()["total"] == 1
    assert client.get(f"{API}/orders", headers=as_user("market_handler")).json()["total"] == 0
    assert client.get(f"{API}/orders/{order['id']}", headers=as_user("market_handler")).status_code == 403

    r = client.get(f"{API}/orders.xlsx", headers=as_user("supervisor"))
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    assert ws["A1"].value == "督办单号" and ws["B2"].value == t["number"] and ws["G2"].value == "已办结"
    assert ws["L1"].value == "是否逾期" and ws["L2"].value in ("是", "否")  # never blank


def test_orders_respect_the_data_scope(client, as_user, org) -> None:
    dispatched(client, as_user, org.units["housing"].id, jurisdiction_code="320104", address="秦淮区中华路1号")
    t = dispatched(client, as_user, org.units["housing"].id)
    for ticket in client.get("/api/v1/tickets", headers=as_user("supervisor")).json()["items"]:
        client.post(f"{API}/orders", headers=as_user("supervisor"),
                    json={"ticket_id": ticket["id"], "reason": "请加快办理并反馈"})
    assert client.get(f"{API}/orders", headers=as_user("supervisor")).json()["total"] == 2
    mine = client.get(f"{API}/orders", headers=as_user("xuanwu_viewer")).json()
    assert mine["total"] == 1 and mine["items"][0]["ticket_number"] == t["number"]


def test_meetings_and_interviews(client, as_user, org) -> None:
    t = dispatched(client, as_user, org.units["market"].id)
    body = {"kind": "interview", "title": "约谈市市场监管局", "topic": "多次不当退单",
            "held_at": "2026-11-05T09:00:00+08:00", "location": "12345中心会议室", "host": "中心主任",
            "attendees": ["市市场监管局 王副局长", "12345中心 李科长"],
            "unit_ids": [org.units["market"].id], "ticket_numbers": [t["number"]]}
    assert client.post(f"{API}/meetings", headers=as_user("analyst"), json=body).status_code == 403
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"), json={**body, "unit_ids": []})
    assert r.status_code == 422 and "被约谈单位" in r.json()["message"]
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"), json={**body, "ticket_numbers": ["NJ0"]})
    assert r.status_code == 404
    # A ticket outside a district supervisor's scope reads as missing (its title was shown back).
    away = client.post("/api/v1/tickets", headers=as_user("operator"),
                       json=intake(jurisdiction_code="320104", address="秦淮区某路1号")).json()
    r = client.post(f"{API}/meetings", headers=as_user("xuanwu_viewer"),
                    json={**body, "ticket_numbers": [away["number"]]})
    assert r.status_code == 404 and away["title"] not in r.text
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"), json=body)
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["kind_label"] == "约谈" and m["tickets"][0]["number"] == t["number"] and m["status"] == "scheduled"
    r = client.post(f"{API}/meetings/{m['id']}/outcome", headers=as_user("supervisor"),
                    json={"outcome": "单位承认问题，承诺一周内整改", "follow_up": "每周报送整改进展"})
    assert r.status_code == 200 and r.json()["status"] == "concluded"
    listed = client.get(f"{API}/meetings?kind=interview", headers=as_user("analyst")).json()
    assert listed["total"] == 1
    assert client.get(f"{API}/meetings?kind=coordination", headers=as_user("analyst")).json()["total"] == 0
    inbox = client.get(f"{API}/notifications", headers=as_user("market_manager")).json()
    assert inbox["items"][0]["kind"] == "meeting"



def test_a_district_supervisor_reads_a_meeting_without_another_districts_tickets(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: a city-wide meeting linking a 秦淮区 ticket showed its number and title to 玄武区's supervisor."""
    here = dispatched(client, as_user, org.units["market"].id)
    away = dispatched(client, as_user, org.units["market"].id, jurisdiction_code="320104",
                      address="秦淮区中华路1号", title="秦淮区某商铺占道经营")
    r = client.post(f"{API}/meetings", headers=as_user("supervisor"), json={
        "kind": "coordination", "title": "占道经营专题协调会", "topic": "两区占道经营问题",
        "held_at": "2026-11-05T09:00:00+08:00", "host": "中心主任", "unit_ids": [org.units["market"].id],
        "ticket_numbers": [here["number"], away["number"]]})
    assert r.status_code == 201 and len(r.json()["tickets"]) == 2
    mid = r.json()["id"]
    seen = client.get(f"{API}/meetings/{mid}", headers=as_user("xuanwu_viewer")).json()
    assert [t["number"] for t in seen["tickets"]] == [here["number"]]
    listed = client.get(f"{API}/meetings", headers=as_user("xuanwu_viewer")).json()
    assert [t["number"] for t in listed["items"][0]["tickets"]] == [here["number"]]
    login(client, "xuanwu_viewer")
    page = client.get(f"/supervision/meetings/{mid}").text
    assert here["number"] in page and away["number"] not in page and away["title"] not in page


def test_scheduler_run_findings_and_inbox(client, as_user, org, clock) -> None:
    t = dispatched(client, as_user, org.units["market"].id, kind="consultation")
    client.post(f"/api/v1/tickets/{t['id']}/actions/return", headers=as_user("market_manager"),
                json={"reason": "不属于本单位职责范围"})
    client.post(f"/api/v1/tickets/{t['id']}/actions/refuse_return", headers=as_user("dispatcher"),
                json={"reason": "属于本单位职责"})
    clock.advance(timedelta(days=5))
    assert client.post(f"{API}/scheduler/run", headers=as_user("analyst")).status_code == 403
    r = client.post(f"{API}/scheduler/run", headers=as_user("supervisor"))
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["findings"] == 1 and r.json()["counts"]["orders"] == 1
    runs = client.get(f"{API}/scheduler/runs", headers=as_user("analyst")).json()
    assert runs[0]["mode"] == "manual" and runs[0]["status"] == "ok"
    by_unit = client.get(f"{API}/findings/by-unit", headers=as_user("analyst")).json()
    assert by_unit == [{"unit_id": org.units["market"].id, "unit_name": "市市场监管局",
                        "counts": {"improper_return": 1, "buck_passing": 0, "false_reply": 0}, "total": 1}]
    found = client.get(f"{API}/findings?kind=improper_return", headers=as_user("analyst")).json()
    assert found["items"][0]["ticket_number"] == t["number"]

    inbox = client.get(f"{API}/notifications?unread=true", headers=as_user("market_handler")).json()
    assert sorted(n["kind"] for n in inbox["items"]) == ["decision", "order"]  # the refused return, the order
    nid = next(n["id"] for n in inbox["items"] if n["kind"] == "order")
    # Another unit cannot mark it read.
    assert client.post(f"{API}/notifications/{nid}/read", headers=as_user("housing_handler")).json()["marked"] == 0
    assert client.post(f"{API}/notifications/{nid}/read", headers=as_user("market_handler")).json()["marked"] == 1
    assert client.get(f"{API}/notifications?unread=true", headers=as_user("market_handler")).json()["total"] == 1


def test_the_centres_decisions_on_a_units_ticket_reach_its_inbox(client, as_user, org) -> None:
    """QA: a refused return, an extension decided, a reopen landed back in the queue unannounced."""
    t = dispatched(client, as_user, org.units["housing"].id)
    act = f"/api/v1/tickets/{t['id']}/actions"
    assert client.post(f"{act}/acknowledge", headers=as_user("housing_handler"), json={}).status_code == 200
    r = client.post(f"{act}/return", headers=as_user("housing_manager"), json={"reason": "该事项属市场监管职责"})
    assert r.status_code == 200, r.text
    r = client.post(f"{act}/refuse_return", headers=as_user("dispatcher"), json={"reason": "经核实属住房职责"})
    assert r.status_code == 200, r.text
    r = client.post(f"{act}/request_extension", headers=as_user("housing_manager"),
                    json={"days": 2, "reason": "需协调多部门联合处置"})
    assert r.status_code == 200, r.text
    assert client.post(f"{act}/approve_extension", headers=as_user("dispatcher"), json={}).status_code == 200
    inbox = client.get(f"{API}/notifications", headers=as_user("housing_handler")).json()["items"]
    titles = [n["title"] for n in inbox]
    assert f"退单未获批准，请继续办理：{t['number']} {t['title']}" in titles
    approved = next(n for n in inbox if n["title"].startswith("延期申请已批准"))
    assert approved["body"].startswith("办理期限：") and approved["kind"] == "decision"
    assert client.get(f"{API}/notifications", headers=as_user("market_handler")).json()["total"] == 0


def test_a_merge_or_a_withdrawal_tells_the_units_that_had_the_ticket(client, as_user, org) -> None:
    """QA: a ticket merged into another, or withdrawn by its requester, vanished from the lead and
    assisting units' 待办 list without a word in their inbox."""
    parent = dispatched(client, as_user, org.units["market"].id)
    merged = dispatched(client, as_user, org.units["housing"].id, title="钟灵街餐馆噪音（重复）")
    withdrawn = dispatched(client, as_user, org.units["housing"].id, title="钟灵街餐馆噪音（撤回）")
    for t in (merged, withdrawn):  # an assisting unit too, added after the dispatch
        r = client.post(f"/api/v1/tickets/{t['id']}/actions/adjust_assisting", headers=as_user("dispatcher"),
                        json={"assisting_unit_ids": [org.units["street"].id], "reason": "增加协办单位"})
        assert r.status_code == 200, r.text
    assert client.post(f"/api/v1/tickets/{merged['id']}/actions/acknowledge", headers=as_user("housing_handler"),
                       json={}).status_code == 200
    r = client.post(f"/api/v1/tickets/{merged['id']}/actions/merge", headers=as_user("dispatcher"),
                    json={"parent_number": parent["number"], "note": "同一餐馆噪音"})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/public/withdraw",
                    json={"number": withdrawn["number"], "phone_last4": "5678", "reason": "已与店家协商解决"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
    for who in ("housing_handler", "street_handler"):
        items = client.get(f"{API}/notifications", headers=as_user(who)).json()["items"]
        inbox = {n["title"]: n["body"] for n in items}
        merged_title = (f"工单已并入 {parent['number']}，随主工单一并办理，本单位在此工单的任务结束："
                        f"{merged['number']} {merged['title']}")
        assert inbox[merged_title] == "同一餐馆噪音", inbox
        assert inbox[f"诉求已撤回，本单位办理任务结束：{withdrawn['number']} {withdrawn['title']}"] == \
            "撤回原因：已与店家协商解决", inbox
    # the unit of the parent keeps its ticket: nothing for it
    assert client.get(f"{API}/notifications", headers=as_user("market_handler")).json()["total"] == 0


def test_orders_found_by_their_own_number_or_part_of_the_tickets(client, as_user, org) -> None:
    """QA: the search box matched only a whole ticket number; DB-000019 (shown in the list) found nothing."""
    t = dispatched(client, as_user, org.units["housing"].id)
    order = client.post(f"{API}/orders", headers=as_user("supervisor"),
                        json={"ticket_number": t["number"], "reason": "请尽快办理并反馈"}).json()
    for q in (order["number"], order["number"].lower(), t["number"][-6:], t["number"].lower()):
        found = client.get(f"{API}/orders", params={"q": q}, headers=as_user("supervisor")).json()
        assert [o["id"] for o in found["items"]] == [order["id"]], q
    assert client.get(f"{API}/orders", params={"q": "DB-999999"}, headers=as_user("supervisor")).json()["total"] == 0


def test_supervise_from_the_ticket_issues_an_order(client, as_user, org) -> None:
    from tests.test_pages import login, post_page

    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/dispatch", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["housing"].id})
    assert r.status_code == 200, r.text
    # The ticket API's 督办 with too short a note is refused in Chinese and issues nothing.
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/supervise", headers=as_user("supervisor"), json={"note": "快"})
    assert r.status_code == 422 and "督办意见" in r.json()["message"]
    assert client.get(f"{API}/orders?ticket={t['number']}", headers=as_user("supervisor")).json()["total"] == 0

    # From the ticket page: a 督办单 for the lead unit, named in the confirmation.
    login(client, "supervisor")
    page = f"/tickets/{t['number']}"
    r = post_page(client, page, f"{page}/actions/supervise", {"note": "群众多次来电，请限期办结"})
    assert r.status_code == 303
    orders = client.get(f"{API}/orders", headers=as_user("supervisor")).json()["items"]
    order = next(o for o in orders if o["ticket_number"] == t["number"])
    assert order["status"] == "open" and order["source"] == "manual"
    assert order["number"] in client.get(page).text
    ticket = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("supervisor")).json()
    assert ticket["supervise_count"] == 1

    # A second 督办 through the ticket API points at the open order instead of starting another ladder.
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/supervise", headers=as_user("supervisor"),
                    json={"note": "再次督办，请立即办理"})
    assert r.status_code == 409 and r.json()["code"] == "order_already_open" and order["number"] in r.json()["message"]


def test_validation_errors_name_the_fields_in_chinese(client, as_user) -> None:  # type: ignore[no-untyped-def]
    """QA: a meeting's or an exemption's kind was called 诉求类型, and the analysis, assessment and seat
    planning parameters came back in English (from_month格式不正确, aht须为数字, by取值无效)."""
    h = as_user("supervisor")

    def message(r) -> str:  # type: ignore[no-untyped-def]
        assert r.status_code == 422, r.text
        return r.json()["message"]

    assert "会议类型取值无效" in message(client.get(f"{API}/meetings", headers=h, params={"kind": "x"}))
    assert "问题类型取值无效" in message(client.get(f"{API}/findings", headers=h, params={"kind": "x"}))
    assert "督办来源取值无效" in message(client.get(f"{API}/orders", headers=h, params={"source": "x"}))
    assert "manual（人工督办）" in message(client.get(f"{API}/orders", headers=h, params={"source": "x"}))
    msg = message(client.post("/api/v1/assessment/exemptions", headers=h, json={"kind": "x", "reason": "理由理由理由"}))
    assert "豁免类型取值无效" in msg and "诉求类型" not in msg
    msg = message(client.get("/api/v1/assessment/exemptions", headers=h, params={"status": "x"}))
    assert msg.startswith("审核状态取值无效") and "pending（待审核）" in msg and "enum" not in msg
    assert client.get("/api/v1/assessment/exemptions", headers=h, params={"status": "all"}).status_code == 200
    assert "起始月份格式不正确" in message(client.get("/api/v1/assessment/ranking", headers=h,
                                                    params={"from_month": "10/2026"}))
    assert "统计维度取值无效" in message(client.get("/api/analytics/volume", headers=h, params={"by": "x"}))
    assert "文件格式取值无效" in message(client.get("/api/v1/reports/2026-10/file", headers=h,
                                                    params={"format": "doc"}))
    msg = message(client.post("/api/v1/workforce/plan", headers=h, json={"aht": "x"}))
    assert msg == "平均处理时长（秒）须为数字"


def test_a_district_supervisor_inbox_holds_its_districts_messages_only(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: an order on a 秦淮区 ticket escalated to the centre's leadership showed in 玄武区's supervisor's
    inbox (ticket and order numbers), and 全部已读 there marked it read for the whole centre."""
    away = dispatched(client, as_user, org.units["market"].id, jurisdiction_code="320104",
                      address="秦淮区中华路1号")
    here = dispatched(client, as_user, org.units["market"].id)
    for t in (away, here):
        oid = client.post(f"{API}/orders", headers=as_user("supervisor"),
                          json={"ticket_number": t["number"], "reason": "请尽快办理并反馈"}).json()["id"]
        for _ in range(2):  # to level 3: the market bureau has no parent unit, so the centre's inbox
            assert client.post(f"{API}/orders/{oid}/escalate", headers=as_user("supervisor"),
                               json={"note": "单位未反馈"}).status_code == 200
    everyone = client.get(f"{API}/notifications", headers=as_user("supervisor")).json()
    assert {n["ticket_number"] for n in everyone["items"]} == {away["number"], here["number"]}
    mine = client.get(f"{API}/notifications", headers=as_user("xuanwu_viewer")).json()
    assert mine["total"] == 1 and mine["items"][0]["ticket_number"] == here["number"]
    assert client.post(f"{API}/notifications/read-all", headers=as_user("xuanwu_viewer")).json() == {"marked": 1}
    unread = client.get(f"{API}/notifications", headers=as_user("supervisor"), params={"unread": True}).json()
    assert [n["ticket_number"] for n in unread["items"]] == [away["number"]]
    login(client, "xuanwu_viewer")
    assert away["number"] not in client.get("/notifications").text


def test_a_district_supervisor_does_not_run_the_city_wide_scheduler(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    """QA: xuanwu_viewer ran a pass (API and page) that reminds, orders and escalates in every district."""
    from tests.test_pages import login, post_page

    dispatched(client, as_user, org.units["market"].id, kind="consultation")
    clock.advance(timedelta(days=5))
    r = client.post(f"{API}/scheduler/run", headers=as_user("xuanwu_viewer"))
    assert r.status_code == 403 and "全市范围的督办员" in r.json()["message"], r.text
    assert client.get(f"{API}/scheduler/runs", headers=as_user("supervisor")).json() == []
    login(client, "xuanwu_viewer")
    page = client.get("/supervision/scheduler").text
    assert 'action="/supervision/scheduler/run"' not in page
    r = post_page(client, "/supervision/scheduler", "/supervision/scheduler/run", {})
    assert r.status_code == 303 and "全市范围的督办员" in client.get("/supervision/scheduler").text
    assert client.get(f"{API}/scheduler/runs", headers=as_user("supervisor")).json() == []
    assert client.post(f"{API}/scheduler/run", headers=as_user("admin")).status_code == 200
