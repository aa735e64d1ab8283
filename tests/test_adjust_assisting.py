"""调整协办单位 (adjust_assisting): the centre changes a ticket's assisting units while a unit has it; the lead
unit's assignment, its 签收 and its deadlines stay as they were. 改派 to the same lead unit is refused."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import intake
from tests.test_pages import login, post_page

NOTES = "/api/v1/supervision/notifications"
LEAD_FIELDS = ("dispatched_at", "ack_due_at", "ack_warn_at", "return_due_at", "due_at", "time_limit_label",
               "acknowledged_at")


def _act(client, as_user, t, who, action, body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who), json=body)


def _dispatched(client, as_user, org, assisting=("street",)) -> dict:  # type: ignore[no-untyped-def]
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    r = _act(client, as_user, t, "dispatcher", "dispatch",
             {"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [org.units[k].id for k in assisting]})
    assert r.status_code == 200, r.text
    return r.json()


def _handling(client, as_user, org, assisting=("street",)) -> dict:  # type: ignore[no-untyped-def]
    t = _dispatched(client, as_user, org, assisting)
    r = _act(client, as_user, t, "housing_handler", "acknowledge", {})
    assert r.status_code == 200 and r.json()["state"] == "handling", r.text
    return r.json()


def _notes(client, as_user, who) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return {n["title"]: n["body"] for n in client.get(NOTES, headers=as_user(who)).json()["items"]}


def _events(client, as_user, t) -> list[dict]:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()


def _parts(out: dict) -> list[tuple[str, str, str, bool]]:
    return [(a["unit"]["short_name"], a["role"], a["status"], a["is_open"]) for a in out["assignments"]]


def test_units_added_and_removed_the_lead_unit_untouched(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    t = _handling(client, as_user, org)
    lead_before = next(a for a in t["assignments"] if a["role"] == "lead")
    assert _act(client, as_user, t, "street_handler", "assist_acknowledge", {}).status_code == 200
    clock.advance(timedelta(hours=5))
    r = _act(client, as_user, t, "supervisor", "adjust_assisting",
             {"assisting_unit_ids": [org.units["water"].id], "reason": "噪音源为供水泵房，需水务配合，街道无需协办"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "handling"
    # the lead unit: its assignment, 签收 and every deadline exactly as before
    assert {k: out[k] for k in LEAD_FIELDS} == {k: t[k] for k in LEAD_FIELDS}
    assert next(a for a in out["assignments"] if a["role"] == "lead") == lead_before
    assert _parts(out) == [("市房产局", "lead", "acknowledged", True), ("孝陵卫街道", "assisting", "removed", False),
                           ("南京水务", "assisting", "pending", True)]
    water = out["assignments"][-1]
    # the unit added: its own assignment of the same round, from now, on the ticket's handling deadline
    assert (water["round"], water["due_at"], water["acknowledged_at"]) == (1, t["due_at"], None)
    assert water["dispatched_at"] > lead_before["dispatched_at"]
    assert water["status_label"] == "待签收" and out["assignments"][1]["status_label"] == "已移出"

    # each unit concerned is told; the queues follow
    street = _notes(client, as_user, "street_handler")
    assert street[f"协办单位调整，本单位协办任务结束：{t['number']} {t['title']}"] == \
        "调整理由：噪音源为供水泵房，需水务配合，街道无需协办"
    [(title, body)] = _notes(client, as_user, "water_handler").items()
    assert title.startswith("工单增派本单位协办（市房产局主办），请签收并提交协办意见") and t["number"] in title
    assert "办理期限：" in body and "需水务配合" in body
    housing = _notes(client, as_user, "housing_handler")
    told = housing[f"协办单位已调整：{t['number']} {t['title']}"]
    assert told.startswith("增加协办：南京水务；移出协办：孝陵卫街道；调整理由")
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 0
    [item] = client.get("/api/v1/queue", headers=as_user("water_handler")).json()["items"]
    assert item["id"] == t["id"] and item["unit_roles"] == ["assisting"] and item["unit_part"] == "协办·待签收"
    assert client.get("/api/v1/queue", headers=as_user("housing_handler")).json()["total"] == 1

    ev = _events(client, as_user, t)[-1]
    assert (ev["action"], ev["action_label"], ev["from_state"], ev["to_state"]) == \
        ("adjust_assisting", "调整协办单位", "handling", "handling")
    assert ev["note"] == "噪音源为供水泵房，需水务配合，街道无需协办；增加协办：南京水务；移出协办：孝陵卫街道"
    assert ev["data"]["assisting_unit_ids"] == [org.units["water"].id]
    assert (ev["data"]["assisting_added"], ev["data"]["assisting_removed"]) == (["南京水务"], ["孝陵卫街道"])
    # the added unit takes its part as any assisting unit; the street's is over
    assert _act(client, as_user, t, "water_handler", "assist_acknowledge", {}).status_code == 200
    r = _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    assert (r.status_code, r.json()["code"]) == (409, "not_assisting_unit")


def test_units_kept_are_not_touched_nor_told(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    t = _handling(client, as_user, org)
    r = _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    street_before = next(a for a in r.json()["assignments"] if a["role"] == "assisting")
    clock.advance(timedelta(hours=1))
    r = _act(client, as_user, t, "dispatcher", "adjust_assisting",
             {"assisting_unit_ids": [org.units["market"].id, org.units["street"].id],
              "reason": "涉及无证经营，增加市场监管"})
    assert r.status_code == 200, r.text
    assert next(a for a in r.json()["assignments"] if a["unit"]["short_name"] == "孝陵卫街道") == street_before
    assert not [s for s in _notes(client, as_user, "street_handler") if "协办" in s]
    ev = _events(client, as_user, t)[-1]
    assert ev["note"] == "涉及无证经营，增加市场监管；增加协办：市市场监管局" and ev["data"]["assisting_removed"] == []
    # the lead unit's reply now waits for the new unit's opinion (or says why it goes first)
    r = _act(client, as_user, t, "housing_handler", "reply", {"content": "已责令餐馆加装消声设备，经复测噪音达标。"})
    assert r.status_code == 409 and r.json()["code"] == "assisting_pending" and "市市场监管局" in r.json()["message"]


def test_while_waiting_for_the_lead_units_acknowledgement(client, as_user, org, clock) -> None:  # type: ignore[no-untyped-def]
    """Before the lead unit's 签收: its acknowledgement deadline runs on — past it, its 签收 is late."""
    t = _dispatched(client, as_user, org, assisting=())
    clock.advance(timedelta(days=3))
    r = _act(client, as_user, t, "dispatcher", "adjust_assisting",
             {"assisting_unit_ids": [org.units["street"].id], "reason": "需街道上门核实"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "dispatched" and {k: out[k] for k in LEAD_FIELDS} == {k: t[k] for k in LEAD_FIELDS}
    assert out["ack_status"] == "overdue"  # not restarted, as 改派 to the same unit would have done
    assert _act(client, as_user, t, "housing_handler", "acknowledge", {}).status_code == 200
    ack = next(e for e in _events(client, as_user, t) if e["action"] == "acknowledge")
    assert ack["data"]["late"] is True
    # every assisting unit removed: an empty list
    r = _act(client, as_user, t, "dispatcher", "adjust_assisting",
             {"assisting_unit_ids": [], "reason": "街道已核实，无需协办"})
    assert r.status_code == 200 and [a["role"] for a in r.json()["assignments"] if a["is_open"]] == ["lead"]
    assert _events(client, as_user, t)[-1]["note"] == "街道已核实，无需协办；移出协办：孝陵卫街道"


def test_refusals_say_why_and_change_nothing(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = _handling(client, as_user, org)
    street, water, housing = org.units["street"].id, org.units["water"].id, org.units["housing"].id
    before = len(_events(client, as_user, t))
    cases = [
        ({"assisting_unit_ids": [water]}, 422, "reason_required", "请填写调整理由"),
        ({"assisting_unit_ids": [water], "reason": "。"}, 422, "reason_required", "调整理由"),
        ({"reason": "增加水务"}, 422, "assisting_units_required", "调整后的全部协办单位"),
        ({"assisting_unit_ids": [street, housing], "reason": "增加房产局"}, 422, "assisting_is_lead",
         "主办单位（市房产局）不能同时作为协办单位"),
        ({"assisting_unit_ids": [water, street, water], "reason": "增加水务"}, 422, "assisting_duplicate",
         "协办单位重复"),
        ({"assisting_unit_ids": [street], "reason": "再确认一遍"}, 409, "assisting_unchanged", "协办单位没有变化"),
        ({"assisting_unit_ids": [org.units["centre"].id, street], "reason": "中心协办"}, 422, "not_a_handling_unit",
         "12345中心不是承办单位"),
        ({"assisting_unit_ids": [999999], "reason": "增加单位"}, 422, "unknown_unit", "不存在或已停用"),
    ]
    for body, status, code, words in cases:
        r = _act(client, as_user, t, "dispatcher", "adjust_assisting", body)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
        assert words in r.json()["message"], r.json()["message"]
    for who in ("housing_manager", "street_handler", "operator"):  # whoever may not 改派
        r = _act(client, as_user, t, who, "adjust_assisting", {"assisting_unit_ids": [water], "reason": "增加水务"})
        assert r.status_code == 409 and r.json()["code"] == "role_not_allowed" and "无权" in r.json()["message"]
    assert len(_events(client, as_user, t)) == before
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("dispatcher")).json()
    assert _parts(detail) == [("市房产局", "lead", "acknowledged", True), ("孝陵卫街道", "assisting", "pending", True)]
    assert "adjust_assisting" in detail["allowed_actions"]
    assert "adjust_assisting" not in client.get(f"/api/v1/tickets/{t['id']}",
                                                headers=as_user("housing_manager")).json()["allowed_actions"]
    # not once the ticket is back with the centre (退单审核中) or answered
    assert _act(client, as_user, t, "housing_manager", "return", {"reason": "该事项属市场监管职责"}).status_code == 200
    r = _act(client, as_user, t, "dispatcher", "adjust_assisting",
             {"assisting_unit_ids": [water], "reason": "增加水务"})
    assert r.status_code == 409 and "「退单审核中」，不能执行「调整协办单位」" in r.json()["message"]


def test_reassign_to_the_same_lead_unit_points_to_the_new_action(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: 改派 to the same lead unit, to change the assisting units, restarted the lead's 签收 and clocks."""
    t = _dispatched(client, as_user, org)
    body = {"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [org.units["water"].id],
            "reason": "增加协办"}
    r = _act(client, as_user, t, "dispatcher", "reassign", body)
    assert r.status_code == 409 and r.json()["code"] == "reassign_same_lead"
    assert "改派须更换主办单位" in r.json()["message"] and "「调整协办单位」" in r.json()["message"]
    assert _act(client, as_user, t, "housing_handler", "acknowledge", {}).status_code == 200
    r = _act(client, as_user, t, "dispatcher", "reassign", body)
    message = r.json()["message"]
    assert r.status_code == 409 and "工单正由该单位办理" in message and "「调整协办单位」" in message
    # to another unit it is a reassignment as before
    r = _act(client, as_user, t, "dispatcher", "reassign", {**body, "lead_unit_id": org.units["market"].id})
    assert r.status_code == 200 and r.json()["lead_unit"] == "市市场监管局"


def test_a_unit_removed_stays_out_and_one_added_stays_in(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """答复退回 brings back the round's assisting units whose part the reply ended, and 退回重办 goes to the
    last round's: not a unit 调整协办单位 removed; a unit it added is one of them."""
    t = _handling(client, as_user, org)
    water = org.units["water"].id
    r = _act(client, as_user, t, "dispatcher", "adjust_assisting",
             {"assisting_unit_ids": [water], "reason": "改由水务协办"})
    assert r.status_code == 200, r.text
    reply = {"content": "已责令餐馆加装消声设备，经复测噪音达标。", "reason": "水务尚未反馈，先行答复"}
    assert _act(client, as_user, t, "housing_handler", "reply", reply).status_code == 200
    r = _act(client, as_user, t, "dispatcher", "reject_reply", {"reason": "未附水务意见"})
    assert r.status_code == 200, r.text
    assert _parts(r.json())[1:] == [("孝陵卫街道", "assisting", "removed", False),
                                    ("南京水务", "assisting", "pending", True)]
    assert not [s for s in _notes(client, as_user, "street_handler") if "恢复" in s]
    r = _act(client, as_user, t, "water_handler", "assist_reply", {"content": "泵房已加装减振垫。"})
    assert r.status_code == 200, r.text
    assert _act(client, as_user, t, "housing_handler", "reply", {"content": reply["content"]}).status_code == 200
    assert _act(client, as_user, t, "dispatcher", "close", {}).status_code == 200
    r = _act(client, as_user, t, "callback", "reopen", {"solved": False, "satisfaction": "unsatisfied"})
    assert r.status_code == 200, r.text
    assert [(a["unit"]["short_name"], a["role"]) for a in r.json()["assignments"] if a["round"] == 2] == [
        ("市房产局", "lead"), ("南京水务", "assisting")]
    # removed, then added again: a fresh assignment
    street = org.units["street"].id
    for ids in ([water, street], [water], [water, street]):
        assert _act(client, as_user, t, "dispatcher", "adjust_assisting",
                    {"assisting_unit_ids": ids, "reason": "调整街道协办"}).status_code == 200
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("dispatcher")).json()
    assert [(a["status"], a["is_open"]) for a in detail["assignments"]
            if a["round"] == 2 and a["unit"]["id"] == street] == [("removed", False), ("pending", True)]


def test_the_ticket_page_form(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = _handling(client, as_user, org)
    url = f"/tickets/{t['number']}"
    street, water = org.units["street"].id, org.units["water"].id
    login(client, "dispatcher")
    page = client.get(url).text
    form = page[page.index('id="action-adjust_assisting"'):]
    form = form[:form.index("</form>")]
    # it starts from the units assisting now, and asks for the reason
    assert f'<option value="{street}" selected' in form and f'<option value="{water}" selected' not in form
    assert "主办单位的签收和办理时限不变" in form and 'name="reason"' in form
    assert "只调整协办单位请用「调整协办单位」" in page  # the 改派 form says so too
    # unchanged: the form comes back with the message and what was chosen
    r = post_page(client, url, f"{url}/actions/adjust_assisting",
                  {"assisting_unit_ids": str(street), "assisting_units_shown": "1", "reason": "确认"})
    assert r.status_code == 409 and "协办单位没有变化" in r.text
    r = post_page(client, url, f"{url}/actions/adjust_assisting",
                  {"assisting_unit_ids": [str(street), str(water)], "assisting_units_shown": "1"})
    assert r.status_code == 422 and "请填写调整理由" in r.text
    r = post_page(client, url, f"{url}/actions/adjust_assisting",
                  {"assisting_unit_ids": [str(street), str(water)], "assisting_units_shown": "1",
                   "reason": "需水务配合排查管网"})
    assert r.status_code == 303, r.text
    page = client.get(url).text
    assert "「调整协办单位」已完成，工单当前状态：办理中" in page
    assert "需水务配合排查管网；增加协办：南京水务" in page
    # every unit deselected: the list is sent empty, no assisting unit is left
    r = post_page(client, url, f"{url}/actions/adjust_assisting", {"assisting_units_shown": "1", "reason": "无需协办"})
    assert r.status_code == 303, r.text
    assert "无需协办；移出协办：孝陵卫街道、南京水务" in client.get(url).text
    client.cookies.clear()
    login(client, "housing_handler")  # the lead unit has no such form
    assert 'id="action-adjust_assisting"' not in client.get(url).text


def test_the_added_units_workbench(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = _handling(client, as_user, org, assisting=())
    r = _act(client, as_user, t, "dispatcher", "adjust_assisting",
             {"assisting_unit_ids": [org.units["water"].id], "reason": "需水务配合排查管网"})
    assert r.status_code == 200, r.text
    login(client, "water_handler")
    queue = client.get("/unit").text
    assert t["number"] in queue and "协办·待签收" in queue
    page = client.get(f"/tickets/{t['number']}").text
    assert 'id="action-assist_acknowledge"' in page and 'id="action-assist_reply"' in page
