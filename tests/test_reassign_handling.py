"""改派 while the lead unit is handling the ticket (办理中): the centre takes it back with a reason."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import intake
from tests.test_pages import login, post_page

NOTES = "/api/v1/supervision/notifications"


def _act(client, as_user, t, who, action, body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who), json=body)


def _handling(client, as_user, org, assisting=("street",)) -> dict:  # type: ignore[no-untyped-def]
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    r = _act(client, as_user, t, "dispatcher", "dispatch",
             {"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [org.units[k].id for k in assisting]})
    assert r.status_code == 200, r.text
    r = _act(client, as_user, t, "housing_handler", "acknowledge", {})
    assert r.status_code == 200 and r.json()["state"] == "handling", r.text
    return r.json()


def _titles(client, as_user, who) -> list[str]:  # type: ignore[no-untyped-def]
    return [n["title"] for n in client.get(NOTES, headers=as_user(who)).json()["items"]]


def test_the_centre_reassigns_a_ticket_being_handled(client, as_user, org, clock) -> None:
    t = _handling(client, as_user, org)
    clock.advance(timedelta(days=3))
    r = _act(client, as_user, t, "housing_manager", "request_extension", {"days": 3, "reason": "需协调多部门现场核查"})
    assert r.status_code == 200, r.text
    market = org.units["market"].id

    # a reason is required, and another lead unit
    r = _act(client, as_user, t, "dispatcher", "reassign", {"lead_unit_id": market})
    assert r.status_code == 422 and r.json()["code"] == "reason_required" and "改派理由" in r.json()["message"]
    r = _act(client, as_user, t, "dispatcher", "reassign",
             {"lead_unit_id": org.units["housing"].id, "reason": "单位长期未处理"})
    assert r.status_code == 409 and r.json()["code"] == "reassign_same_lead"
    # a unit may not take the ticket from itself
    r = _act(client, as_user, t, "housing_manager", "reassign", {"lead_unit_id": market, "reason": "不归我们管"})
    assert r.status_code == 409 and "无权" in r.json()["message"]

    r = _act(client, as_user, t, "supervisor", "reassign", {"lead_unit_id": market, "reason": "经核实属市场监管职责"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "dispatched" and out["lead_unit"] == "市市场监管局"
    # a fresh round with its own deadline, counted from now; the extension request went with the old round
    assert out["extension_pending"] is False and out["extension_requested_days"] is None
    assert out["dispatched_at"] > t["dispatched_at"]
    assert out["due_at"] > t["due_at"]
    old = [a for a in out["assignments"] if a["round"] == 1]
    assert {(a["unit"]["short_name"], a["status"], a["is_open"]) for a in old} == {
        ("市房产局", "ended", False), ("孝陵卫街道", "ended", False)}
    new = [a for a in out["assignments"] if a["round"] == 2]
    assert [(a["unit"]["short_name"], a["role"], a["status"], a["due_at"]) for a in new] == [
        ("市市场监管局", "lead", "pending", out["due_at"])]

    # the former lead and the assisting unit are told; the queues follow
    housing = _titles(client, as_user, "housing_handler")
    assert any(f"工单已改派市市场监管局办理，本单位主办任务结束：{t['number']}" in s for s in housing)
    note = next(n for n in client.get(NOTES, headers=as_user("housing_handler")).json()["items"]
                if "主办任务结束" in n["title"])
    assert "改派理由：经核实属市场监管职责" in note["body"] and "延期申请（3个工作日）随改派撤销" in note["body"]
    assert any("工单已改派，本单位协办任务结束" in s for s in _titles(client, as_user, "street_handler"))
    assert client.get("/api/v1/queue", headers=as_user("housing_handler")).json()["total"] == 0
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 0
    assert client.get("/api/v1/queue", headers=as_user("market_handler")).json()["total"] == 1

    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    ev = events[-1]
    assert (ev["action"], ev["from_state"], ev["to_state"]) == ("reassign", "handling", "dispatched")
    assert ev["note"].startswith("经核实属市场监管职责；主办：市市场监管局")
    assert ev["data"]["previous_lead_unit_id"] == org.units["housing"].id
    assert ev["data"]["assisting_ended"] == ["孝陵卫街道"] and ev["data"]["extension_cancelled"] == 3
    # the new lead handles it as any dispatched ticket
    assert _act(client, as_user, t, "market_handler", "acknowledge", {}).json()["state"] == "handling"


def test_assisting_units_named_again_keep_their_part_and_learn_the_new_lead(client, as_user, org) -> None:
    t = _handling(client, as_user, org)
    street = org.units["street"].id
    r = _act(client, as_user, t, "dispatcher", "reassign",
             {"lead_unit_id": org.units["market"].id, "assisting_unit_ids": [street, org.units["housing"].id],
              "reason": "主办单位调整为市场监管局"})
    assert r.status_code == 200, r.text
    new = {(a["unit"]["short_name"], a["role"]) for a in r.json()["assignments"] if a["is_open"]}
    assert new == {("市市场监管局", "lead"), ("孝陵卫街道", "assisting"), ("市房产局", "assisting")}
    street_notes = _titles(client, as_user, "street_handler")
    assert any("工单已改派市市场监管局主办，请继续协办" in s for s in street_notes)
    assert not any("协办任务结束" in s for s in street_notes)
    assert any("本单位改为协办" in s for s in _titles(client, as_user, "housing_handler"))
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    assert "assisting_ended" not in events[-1]["data"] and "extension_cancelled" not in events[-1]["data"]


def test_the_ticket_page_offers_reassign_while_handling(client, as_user, org) -> None:
    t = _handling(client, as_user, org)
    login(client, "dispatcher")
    page = client.get(f"/tickets/{t['number']}").text
    assert 'id="action-reassign"' in page and "将告知原主办单位" in page
    # the reason is asked for: without it the form comes back with the message
    r = post_page(client, f"/tickets/{t['number']}", f"/tickets/{t['number']}/actions/reassign",
                  {"lead_unit_id": str(org.units["market"].id)})
    assert r.status_code == 422 and "请填写改派理由" in r.text
    r = post_page(client, f"/tickets/{t['number']}", f"/tickets/{t['number']}/actions/reassign",
                  {"lead_unit_id": str(org.units["market"].id), "reason": "原单位长期未处理"})
    assert r.status_code == 303, r.text
    page = client.get(f"/tickets/{t['number']}").text
    assert "待签收" in page and "原单位长期未处理；主办：市市场监管局" in page
    assert "协办单位孝陵卫街道的协办任务随之结束" in page
    client.cookies.clear()
    login(client, "housing_handler")  # the unit neither sees the form nor may post it
    page = client.get(f"/tickets/{t['number']}").text
    assert 'id="action-reassign"' not in page


def test_units_see_no_reassign_form_while_handling(client, as_user, org) -> None:
    t = _handling(client, as_user, org)
    r = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("housing_manager")).json()
    assert "reassign" not in r["allowed_actions"]
    r = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("supervisor")).json()
    assert "reassign" in r["allowed_actions"]


def test_a_reply_typed_before_a_reassignment_is_kept_to_copy(client, as_user, org) -> None:
    """QA: the handler typed a long reply while the centre reassigned the ticket: the refusal's page had
    no reply form any more, and the text was gone."""
    t = _handling(client, as_user, org, assisting=())
    login(client, "housing_handler")
    page = f"/tickets/{t['number']}"
    from tests.test_pages import csrf_of

    token = csrf_of(client, page)  # the page as it was opened, before the reassignment
    r = _act(client, as_user, t, "dispatcher", "reassign", {"lead_unit_id": org.units["market"].id,
                                                            "reason": "属市场监管职责"})
    assert r.status_code == 200, r.text
    typed = "经现场核查，已责令餐馆加装消声设备并限定营业时间，复测达标。"
    r = client.post(f"{page}/actions/reply", data={"content": typed, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 409 and "不能执行「答复」：该工单已不由本单位承办（如已改派）" in r.text
    assert 'data-unsent="reply"' in r.text and f"答复内容<textarea rows=\"3\" readonly>{typed}</textarea>" in r.text
    # a refusal whose form is still there keeps the text in the form itself, not twice
    login(client, "market_handler")
    assert _act(client, as_user, t, "market_handler", "acknowledge", {}).status_code == 200
    r = post_page(client, page, f"{page}/actions/reply", {"content": "已处理"})
    assert r.status_code == 422 and ">已处理</textarea>" in r.text and "data-unsent" not in r.text


def test_after_a_return_reassigning_to_the_same_unit_is_refused(client, as_user, org) -> None:
    """QA: 改派 back to the unit that had just returned the ticket was accepted: its history said
    「退单理由成立」, the unit was not told, and the improper return went uncounted (驳回退单 is for that)."""
    t = _handling(client, as_user, org, assisting=())
    r = _act(client, as_user, t, "housing_manager", "return", {"reason": "该事项属市场监管职责"})
    assert r.status_code == 200 and r.json()["state"] == "return_review", r.text
    r = _act(client, as_user, t, "dispatcher", "reassign", {"lead_unit_id": org.units["housing"].id})
    assert r.status_code == 409 and r.json()["code"] == "reassign_same_lead", r.text
    assert "工单正是该单位退回的" in r.json()["message"] and "请驳回退单" in r.json()["message"]
    r = _act(client, as_user, t, "dispatcher", "reassign", {"lead_unit_id": org.units["market"].id})
    assert r.status_code == 200 and r.json()["state"] == "dispatched", r.text
