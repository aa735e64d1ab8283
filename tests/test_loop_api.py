"""The whole closed loop through the HTTP API, as the people in each role would drive it."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import intake


def test_closed_loop_end_to_end(client, as_user, org, clock) -> None:
    # 受理: the operator registers a complaint with all five elements.
    r = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator"))
    assert r.status_code == 201, r.text
    ticket = r.json()
    tid = ticket["id"]
    assert ticket["state"] == "registered"
    assert ticket["number"].startswith("NJ20261102-")

    # 派单: lead unit housing, assisting unit the street office.
    r = client.post(f"/api/v1/tickets/{tid}/actions/dispatch", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [org.units["street"].id]})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "dispatched"
    assert r.json()["time_limit_label"] == "15个工作日"

    # The housing bureau's queue shows it; the market bureau's does not.
    queue = client.get("/api/v1/queue", headers=as_user("housing_handler")).json()
    assert [t["id"] for t in queue["items"]] == [tid]
    assert client.get("/api/v1/queue", headers=as_user("market_handler")).json()["total"] == 0

    clock.advance(timedelta(hours=1))
    r = client.post(f"/api/v1/tickets/{tid}/actions/acknowledge", headers=as_user("housing_handler"), json={})
    assert r.json()["state"] == "handling"
    r = client.post(f"/api/v1/tickets/{tid}/actions/assist_acknowledge", headers=as_user("street_handler"), json={})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/tickets/{tid}/actions/assist_reply", headers=as_user("street_handler"),
                    json={"content": "街道已上门核实，餐馆排风设备确有噪音。"})
    assert r.status_code == 200 and r.json()["state"] == "handling"

    # 延期: requested by the unit manager, approved by the dispatcher.
    due_before = r.json()["due_at"]
    r = client.post(f"/api/v1/tickets/{tid}/actions/request_extension", headers=as_user("housing_manager"),
                    json={"days": 3, "reason": "需协调环保部门联合检测噪音"})
    assert r.status_code == 200 and r.json()["extension_pending"] is True
    r = client.post(f"/api/v1/tickets/{tid}/actions/approve_extension", headers=as_user("dispatcher"), json={})
    assert r.json()["extension_days_used"] == 3 and r.json()["due_at"] > due_before

    # 催办 then 答复.
    r = client.post(f"/api/v1/tickets/{tid}/actions/remind", headers=as_user("supervisor"), json={"note": "请加快办理"})
    assert r.json()["remind_count"] == 1
    r = client.post(f"/api/v1/tickets/{tid}/actions/reply", headers=as_user("housing_handler"),
                    json={"content": "已责令餐馆加装消声设备并限定营业时间，经复测噪音达标。"})
    assert r.json()["state"] == "replied"
    assert client.get("/api/v1/queue", headers=as_user("housing_handler")).json()["total"] == 0

    # 办结 by 12345; the operator may not close what a unit owns.
    r = client.post(f"/api/v1/tickets/{tid}/actions/close", headers=as_user("operator"), json={})
    assert r.status_code == 409 and "无权" in r.json()["message"]
    r = client.post(f"/api/v1/tickets/{tid}/actions/close", headers=as_user("dispatcher"), json={})
    assert r.json()["state"] == "closed"

    # 回访: not satisfied → 退回重办 to the same lead unit, with a fresh deadline.
    r = client.post(f"/api/v1/tickets/{tid}/actions/reopen", headers=as_user("callback"),
                    json={"solved": False, "satisfaction": "unsatisfied", "note": "噪音仍存在"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "dispatched" and r.json()["reopen_count"] == 1
    assert r.json()["lead_unit"] == "市房产局"
    # …with the street office that assisted in the first round
    assert [(a["unit"]["short_name"], a["role"]) for a in r.json()["assignments"] if a["round"] == 2] == [
        ("市房产局", "lead"), ("孝陵卫街道", "assisting")]
    for user, action, body in [
        ("housing_handler", "acknowledge", {}),
        ("street_handler", "assist_reply", {"content": "街道再次上门，噪音已明显减轻。"}),
        ("housing_handler", "reply", {"content": "再次上门，餐馆已停用旧排风扇，更换为低噪设备。"}),
        ("dispatcher", "close", {}),
        ("callback", "callback", {"solved": True, "satisfaction": "satisfied"}),
    ]:
        r = client.post(f"/api/v1/tickets/{tid}/actions/{action}", headers=as_user(user), json=body)
        assert r.status_code == 200, (action, r.text)
    assert r.json()["state"] == "finished"

    # 评价 through the public portal with the phone's last four digits.
    number = r.json()["number"]
    r = client.post("/api/v1/public/rate", json={"number": number, "phone_last4": "5678",
                                                   "satisfaction": "very_satisfied"})
    assert r.status_code == 200 and r.json()["public_rating"] == "very_satisfied"

    events = client.get(f"/api/v1/tickets/{tid}/events", headers=as_user("supervisor")).json()
    assert [e["action"] for e in events] == [
        "register", "dispatch", "acknowledge", "assist_acknowledge", "assist_reply", "request_extension",
        "approve_extension", "remind", "reply", "close", "reopen", "acknowledge", "assist_reply", "reply", "close",
        "callback", "rate",
    ]
    assert all(e["actor_name"] for e in events)


def test_an_extension_past_the_known_calendar_is_refused_when_asked(client, as_user, org, db) -> None:
    """QA: it was accepted, then could never be approved (the date was counted on approval only)."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from hotline.tickets.models import Ticket

    tid = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()["id"]
    client.post(f"/api/v1/tickets/{tid}/actions/dispatch", headers=as_user("dispatcher"),
                json={"lead_unit_id": org.units["housing"].id})
    client.post(f"/api/v1/tickets/{tid}/actions/acknowledge", headers=as_user("housing_handler"), json={})
    db.execute(update(Ticket).where(Ticket.id == tid).values(due_at=datetime(2026, 12, 28, 15, 59, 59, tzinfo=UTC)))
    db.commit()
    r = client.post(f"/api/v1/tickets/{tid}/actions/request_extension", headers=as_user("housing_manager"),
                    json={"days": 10, "reason": "需协调多部门联合处置"})
    assert r.status_code == 422 and r.json()["code"] == "calendar_out_of_range", r.text
    ticket = client.get(f"/api/v1/tickets/{tid}", headers=as_user("housing_manager")).json()
    assert ticket["extension_pending"] is False


def test_the_centre_is_no_handling_unit(client, as_user, org) -> None:
    """QA: a ticket dispatched to the 12345 centre itself (as lead or assisting unit, by the API or a
    crafted form) waited for a 签收 nobody there could give; the page's list never offered it."""
    centre = org.units["centre"].id
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    for who, action, body in (
        ("dispatcher", "dispatch", {"lead_unit_id": centre}),
        ("dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [centre]}),
    ):
        r = client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who), json=body)
        assert r.status_code == 422 and r.json()["code"] == "not_a_handling_unit", r.text
        assert "12345中心不是承办单位" in r.json()["message"]
    r = client.post("/api/v1/tickets", json=intake(dispatch={"lead_unit_id": centre}), headers=as_user("operator"))
    assert r.status_code == 422 and r.json()["code"] == "not_a_handling_unit", r.text
    assert client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("dispatcher")).json()["state"] == "registered"
    # nor can a reassignment or a reopening send it there
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/dispatch", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["housing"].id})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/reassign", headers=as_user("dispatcher"),
                    json={"lead_unit_id": centre, "reason": "改派中心"})
    assert r.status_code == 422 and r.json()["code"] == "not_a_handling_unit", r.text


def test_no_extension_form_once_the_cap_is_used_up(client, as_user, org) -> None:
    """QA: with the 10 working days used, the page still offered 申请延期 (「还可延期 0 个工作日」, a box
    nobody could fill in) and the API listed it among the allowed actions."""
    from tests.test_pages import login

    t = client.post("/api/v1/tickets", json=intake(dispatch={"lead_unit_id": org.units["housing"].id}),
                    headers=as_user("operator")).json()
    act = f"/api/v1/tickets/{t['id']}/actions"
    assert client.post(f"{act}/acknowledge", headers=as_user("housing_handler"), json={}).status_code == 200
    r = client.post(f"{act}/request_extension", headers=as_user("housing_manager"),
                    json={"days": 10, "reason": "需协调多部门联合处置"})
    assert r.status_code == 200, r.text
    assert "request_extension" not in r.json()["allowed_actions"]  # one is pending
    r = client.post(f"{act}/approve_extension", headers=as_user("dispatcher"), json={})
    assert r.status_code == 200, r.text
    out = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("housing_manager")).json()
    assert out["extension_days_used"] == 10 and "request_extension" not in out["allowed_actions"]
    r = client.post(f"{act}/request_extension", headers=as_user("housing_manager"),
                    json={"days": 1, "reason": "需协调多部门联合处置"})
    assert r.status_code == 409 and r.json()["code"] == "extension_cap", r.text
    assert r.json()["message"] == "本工单已延期10个工作日，达到累计上限，不能再申请延期"
    login(client, "housing_manager")
    assert "/actions/request_extension" not in client.get(f"/tickets/{t['number']}").text


def test_input_an_action_needs_and_was_not_given_is_a_422(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: a dispatch without a unit, an extension without days, a callback without its outcome and a merge
    without a parent answered 409 (a refused transition) where a reply without content answers 422."""
    def act(who, action, body):  # type: ignore[no-untyped-def]
        return client.post(f"/api/v1/tickets/{tid}/actions/{action}", headers=as_user(who), json=body)

    tid = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()["id"]
    for who, action, body, said in [("dispatcher", "dispatch", {}, "请选择主办单位"),
                                    ("operator", "merge", {}, "请指定并入的主工单")]:
        r = act(who, action, body)
        assert r.status_code == 422 and said in r.json()["message"], r.text
    assert act("dispatcher", "dispatch", {"lead_unit_id": org.units["housing"].id}).status_code == 200
    assert act("housing_manager", "acknowledge", {}).status_code == 200
    r = act("housing_manager", "request_extension", {"reason": "需要协调多部门"})
    assert r.status_code == 422 and "请填写延期天数" in r.json()["message"], r.text
    assert act("housing_manager", "reply", {"content": "已责令餐馆加装消声设备并限定营业时间。"}).status_code == 200
    assert act("dispatcher", "close", {}).status_code == 200
    for action, body in [("callback", {"solved": True}), ("reopen", {"satisfaction": "unsatisfied"})]:
        r = act("callback", action, body)
        assert r.status_code == 422 and r.json()["code"] == "callback_outcome_required", r.text
    # a transition refused for the ticket's state stays a 409
    assert act("callback", "callback", {"solved": False, "satisfaction": "unsatisfied"}).status_code == 409
