"""Lead and assisting units (主办/协办): the lead answers for all, and an assisting unit sees its part."""

from __future__ import annotations

from tests.factories import intake
from tests.test_pages import login, post_page

NOTES = "/api/v1/supervision/notifications"


def _dispatched_with_street(client, as_user, org) -> dict:  # type: ignore[no-untyped-def]
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/dispatch", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [org.units["street"].id]})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/tickets/{t['id']}/actions/acknowledge", headers=as_user("housing_handler"), json={})
    assert r.status_code == 200, r.text
    return t


def _act(client, as_user, t, who, action, body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tickets/{t['id']}/actions/{action}", headers=as_user(who), json=body)


def _titles(client, as_user, who) -> list[str]:  # type: ignore[no-untyped-def]
    return [n["title"] for n in client.get(NOTES, headers=as_user(who)).json()["items"]]


REPLY = {"content": "已责令餐馆加装消声设备，经复测噪音达标。"}


def test_reply_waits_for_assisting_opinion_or_says_why(client, as_user, org) -> None:
    t = _dispatched_with_street(client, as_user, org)
    street = org.units["street"].short_name

    r = _act(client, as_user, t, "housing_handler", "reply", REPLY)
    assert r.status_code == 409 and r.json()["code"] == "assisting_pending"
    assert street in r.json()["message"] and "先行答复" in r.json()["message"]
    for short in ("急", "。。。。。。"):
        r = _act(client, as_user, t, "housing_handler", "reply", {**REPLY, "reason": short})
        assert r.status_code == 409, "a reason of fewer than 5 letters does not count"

    r = _act(client, as_user, t, "housing_handler", "reply", {**REPLY, "reason": "街道逾期未反馈，先行答复"})
    assert r.status_code == 200 and r.json()["state"] == "replied"
    street_part = next(a for a in r.json()["assignments"] if a["role"] == "assisting")
    assert street_part["status"] == "ended" and street_part["is_open"] is False

    # The history says whose opinion was missing and why the lead went first; the street's inbox is told.
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    reply = next(e for e in events if e["action"] == "reply")
    assert reply["data"]["assisting_pending"] == [street]
    assert reply["data"]["early_reply_reason"] == "街道逾期未反馈，先行答复" and reply["note"] == REPLY["content"]
    # the citizen reads the reply, not the units' business (QA: the reason showed on the public lookup)
    public = client.post("/api/v1/public/lookup", json={"number": t["number"], "phone_last4": "5678"}).json()
    assert "街道逾期未反馈" not in str(public) and street not in str(public)
    inbox = client.get(NOTES, headers=as_user("street_handler")).json()
    assert any("协办任务结束" in n["title"] and t["number"] in n["title"] for n in inbox["items"])
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 0
    from tests.test_pages import login

    login(client, "dispatcher")
    assert "先行答复理由：街道逾期未反馈" in client.get(f"/tickets/{t['number']}").text  # the staff's history


def test_reply_after_every_opinion_needs_no_reason(client, as_user, org) -> None:
    t = _dispatched_with_street(client, as_user, org)
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 1
    r = _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    assert r.status_code == 200, r.text
    # its part done, the street's 待办 no longer holds the ticket (it still reads it in the search)
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 0
    r = _act(client, as_user, t, "housing_handler", "reply", REPLY)
    assert r.status_code == 200, r.text
    street_part = next(a for a in r.json()["assignments"] if a["role"] == "assisting")
    assert street_part["status"] == "replied"
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    assert "assisting_pending" not in (next(e for e in events if e["action"] == "reply")["data"] or {})
    inbox = client.get(NOTES, headers=as_user("street_handler")).json()
    assert not any("协办任务结束" in n["title"] for n in inbox["items"])


def test_pages_show_each_unit_its_part(client, as_user, org) -> None:
    t = _dispatched_with_street(client, as_user, org)
    login(client, "street_handler")
    queue = client.get("/unit").text
    assert t["number"] in queue and "协办·待签收" in queue
    client.cookies.clear()
    login(client, "housing_handler")
    assert "主办·已签收" in client.get("/unit").text
    # The lead's reply form asks why it goes first only while an opinion is missing.
    page = client.get(f"/tickets/{t['number']}").text
    assert "先行答复理由" in page
    _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    assert "先行答复理由" not in client.get(f"/tickets/{t['number']}").text


def test_a_reassignment_tells_the_assisting_units_their_task_ended(client, as_user, org) -> None:
    """QA: 改派 ended the assisting units' tasks without a word, and the history did not name them."""
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    _act(client, as_user, t, "dispatcher", "dispatch",
         {"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [org.units["street"].id]})
    _act(client, as_user, t, "street_handler", "assist_acknowledge", {})
    r = _act(client, as_user, t, "dispatcher", "reassign",
             {"lead_unit_id": org.units["market"].id, "reason": "职责调整"})
    assert r.status_code == 200, r.text
    inbox = client.get(NOTES, headers=as_user("street_handler")).json()
    assert any("工单已改派，本单位协办任务结束" in n["title"] for n in inbox["items"])
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    reassign = next(e for e in events if e["action"] == "reassign")
    assert reassign["data"]["assisting_ended"] == [org.units["street"].short_name]


def test_a_unit_named_again_is_not_told_its_task_ended(client, as_user, org) -> None:
    """QA: reassigning with the same assisting unit told it "协办任务结束" though it kept the ticket."""
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    street = org.units["street"].id
    _act(client, as_user, t, "dispatcher", "dispatch",
         {"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [street]})
    r = _act(client, as_user, t, "dispatcher", "reassign",
             {"lead_unit_id": org.units["market"].id, "assisting_unit_ids": [street], "reason": "职责调整"})
    assert r.status_code == 200, r.text
    inbox = client.get(NOTES, headers=as_user("street_handler")).json()
    assert not any("协办任务结束" in n["title"] for n in inbox["items"])
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 1


def test_the_requester_reads_a_reply_only_once_the_centre_closed_on_it(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: the public lookup showed a unit's reply before the centre's review, and kept showing it after
    the centre sent it back (then a second, different reply)."""
    t = _dispatched_with_street(client, as_user, org)
    _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})

    def lookup() -> dict:
        r = client.post("/api/v1/public/lookup", json={"number": t["number"], "phone_last4": "5678"})
        assert r.status_code == 200, r.text
        return r.json()

    draft = {"content": "内部草稿：此事已敷衍处理。"}
    assert _act(client, as_user, t, "housing_handler", "reply", draft).status_code == 200
    seen = lookup()
    assert "内部草稿" not in str(seen)  # under review: the line is there, its text is not
    assert [e["note"] for e in seen["timeline"] if e["action"] == "reply"] == [None]
    r = _act(client, as_user, t, "dispatcher", "reject_reply", {"reason": "答复敷衍，重新办理"})
    assert r.status_code == 200 and r.json()["reply_content"] is None  # the staff's view: no answer now
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    assert any(e["action"] == "reply" and e["note"] == draft["content"] for e in events)  # kept in the history
    seen = lookup()
    assert "内部草稿" not in str(seen) and not [e for e in seen["timeline"] if e["action"] == "reply"]
    assert _act(client, as_user, t, "housing_handler", "reply", REPLY).status_code == 200
    assert _act(client, as_user, t, "dispatcher", "close", {}).status_code == 200
    seen = lookup()
    assert [e["note"] for e in seen["timeline"] if e["action"] == "reply"] == [REPLY["content"]]
    assert seen["reply_content"] == REPLY["content"] and "内部草稿" not in str(seen)


def test_a_reply_of_punctuation_says_nothing(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: 「。。。。。。。。。。」 was accepted as the reply, counted on time."""
    t = _dispatched_with_street(client, as_user, org)
    r = _act(client, as_user, t, "housing_handler", "reply",
             {"content": "。。。。。。。。。。！！", "reason": "街道逾期未反馈"})
    assert r.status_code == 422 and r.json()["code"] == "content_required" and "至少10个字" in r.json()["message"]
    r = _act(client, as_user, t, "street_handler", "assist_reply", {"content": "……  ……"})
    assert r.status_code == 422 and r.json()["code"] == "content_required"


def test_a_reply_says_it_withdrew_a_pending_extension(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: a reply silently dropped the unit's pending extension request from the 延期审核 tab."""
    t = _dispatched_with_street(client, as_user, org)
    _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    r = _act(client, as_user, t, "housing_manager", "request_extension",
             {"days": 3, "reason": "需协调多个部门现场核查"})
    assert r.status_code == 200, r.text
    assert _act(client, as_user, t, "housing_handler", "reply", REPLY).status_code == 200
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    assert next(e for e in events if e["action"] == "reply")["data"]["extension_withdrawn"] == 3
    login(client, "dispatcher")
    assert "待审核的延期申请（3 个工作日）随答复撤回" in client.get(f"/tickets/{t['number']}").text


def test_a_reply_sent_back_brings_back_the_assisting_units_it_ended(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: the lead replied before the street's 协办意见 (the street's task ended); the centre sent the reply
    back, and the redo went on without the street — its task stayed ended, nobody told it."""
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    _act(client, as_user, t, "dispatcher", "dispatch",
         {"lead_unit_id": org.units["housing"].id,
          "assisting_unit_ids": [org.units["street"].id, org.units["water"].id]})
    _act(client, as_user, t, "housing_handler", "acknowledge", {})
    _act(client, as_user, t, "street_handler", "assist_acknowledge", {})
    r = _act(client, as_user, t, "water_handler", "assist_reply", {"content": "管网无渗漏，已排除。"})
    assert r.status_code == 200, r.text
    r = _act(client, as_user, t, "housing_handler", "reply", {**REPLY, "reason": "街道逾期未反馈，先行答复"})
    assert r.status_code == 200, r.text
    r = _act(client, as_user, t, "dispatcher", "reject_reply", {"reason": "未附街道核实情况，重新办理"})
    assert r.status_code == 200 and r.json()["state"] == "handling"
    parts = {a["unit"]["short_name"]: a for a in r.json()["assignments"] if a["role"] == "assisting"}
    # the street's task is open again, as it was (acknowledged); the water company's opinion stands
    assert (parts["孝陵卫街道"]["status"], parts["孝陵卫街道"]["is_open"]) == ("acknowledged", True)
    assert (parts["南京水务"]["status"], parts["南京水务"]["is_open"]) == ("replied", True)
    notes = client.get(NOTES, headers=as_user("street_handler")).json()["items"]
    back = next(n for n in notes if "协办任务恢复" in n["title"])
    assert t["number"] in back["title"] and "未附街道核实情况" in back["body"]
    assert not any("协办任务恢复" in title for title in _titles(client, as_user, "water_handler"))
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 1
    assert client.get("/api/v1/queue", headers=as_user("water_handler")).json()["total"] == 0
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    assert events[-1]["action"] == "reject_reply" and events[-1]["data"]["assisting_reopened"] == ["孝陵卫街道"]

    # the redo waits for the street again (or says why it goes first once more)
    r = _act(client, as_user, t, "housing_handler", "reply", REPLY)
    assert r.status_code == 409 and r.json()["code"] == "assisting_pending" and "孝陵卫街道" in r.json()["message"]
    r = _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    assert r.status_code == 200, r.text
    r = _act(client, as_user, t, "housing_handler", "reply", REPLY)
    assert r.status_code == 200, r.text
    login(client, "dispatcher")
    assert "协办单位孝陵卫街道的协办任务恢复" in client.get(f"/tickets/{t['number']}").text


def test_a_reply_sent_back_with_every_opinion_in_tells_no_assisting_unit(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = _dispatched_with_street(client, as_user, org)
    _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    _act(client, as_user, t, "housing_handler", "reply", REPLY)
    r = _act(client, as_user, t, "dispatcher", "reject_reply", {"reason": "答复不完整"})
    assert r.status_code == 200, r.text
    street = next(a for a in r.json()["assignments"] if a["role"] == "assisting")
    assert street["status"] == "replied"
    assert not any("协办任务恢复" in title for title in _titles(client, as_user, "street_handler"))
    # nothing waits on the street: the lead replies again without a reason
    assert _act(client, as_user, t, "housing_handler", "reply", REPLY).status_code == 200


def _closed_with_street(client, as_user, org) -> dict:  # type: ignore[no-untyped-def]
    t = _dispatched_with_street(client, as_user, org)
    _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道已上门核实情况属实。"})
    assert _act(client, as_user, t, "housing_handler", "reply", REPLY).status_code == 200
    assert _act(client, as_user, t, "dispatcher", "close", {}).status_code == 200
    return t


UNSOLVED = {"solved": False, "satisfaction": "unsatisfied", "note": "噪音依旧"}


def test_a_reopened_ticket_goes_to_the_last_rounds_assisting_units_too(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: 退回重办 sent the ticket back to the lead unit only; the street that had assisted was left out."""
    t = _closed_with_street(client, as_user, org)
    r = _act(client, as_user, t, "callback", "reopen", UNSOLVED)
    assert r.status_code == 200 and r.json()["state"] == "dispatched", r.text
    new = [(a["unit"]["short_name"], a["role"], a["status"]) for a in r.json()["assignments"] if a["round"] == 2]
    assert new == [("市房产局", "lead", "pending"), ("孝陵卫街道", "assisting", "pending")]
    street_notes = client.get(NOTES, headers=as_user("street_handler")).json()["items"]
    told = next(n for n in street_notes if "退回重办，请继续协办" in n["title"])
    assert t["number"] in told["title"] and "办理期限" in told["body"] and "噪音依旧" in told["body"]
    assert any("回访未解决" in s for s in _titles(client, as_user, "housing_handler"))
    assert client.get("/api/v1/queue", headers=as_user("street_handler")).json()["total"] == 1
    events = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("dispatcher")).json()
    assert events[-1]["data"]["assisting_unit_ids"] == [org.units["street"].id]
    assert "协办：孝陵卫街道" in events[-1]["note"]


def test_the_requester_keeps_the_reply_closed_on_when_the_ticket_is_reopened(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """The public view across 退回重办: the first round's reply was closed on and stays readable; the
    second round's reply is a line without its text while under review, and gone once sent back."""
    t = _closed_with_street(client, as_user, org)
    assert _act(client, as_user, t, "callback", "reopen", UNSOLVED).status_code == 200
    assert _act(client, as_user, t, "housing_handler", "acknowledge", {}).status_code == 200
    _act(client, as_user, t, "street_handler", "assist_reply", {"content": "街道再次上门，噪音仍在。"})
    second = {"content": "第二轮草稿：已再次约谈餐馆负责人。"}
    assert _act(client, as_user, t, "housing_handler", "reply", second).status_code == 200

    def replies() -> list[str | None]:
        r = client.post("/api/v1/public/lookup", json={"number": t["number"], "phone_last4": "5678"})
        assert r.status_code == 200, r.text
        return [e["note"] for e in r.json()["timeline"] if e["action"] == "reply"]

    assert replies() == [REPLY["content"], None]
    assert _act(client, as_user, t, "dispatcher", "reject_reply", {"reason": "未说明复测结果"}).status_code == 200
    assert replies() == [REPLY["content"]]


def test_a_reopening_may_name_other_assisting_units_or_none(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = _closed_with_street(client, as_user, org)
    r = _act(client, as_user, t, "supervisor", "reopen", {**UNSOLVED, "assisting_unit_ids": []})
    assert r.status_code == 200, r.text
    assert [a["role"] for a in r.json()["assignments"] if a["round"] == 2] == ["lead"]
    assert not any("退回重办" in s for s in _titles(client, as_user, "street_handler"))


def test_the_reopen_form_comes_with_the_last_rounds_assisting_units(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    t = _closed_with_street(client, as_user, org)
    login(client, "callback")
    page = client.get(f"/tickets/{t['number']}").text
    form = page[page.index('id="action-reopen"'):]
    form = form[:form.index("</form>")]
    assert f'<option value="{org.units["street"].id}" selected' in form and "随主办单位一并重办" in form
    # a browser that keeps the choice sends it; one that clears it sends the list empty: no assisting unit
    r = post_page(client, f"/tickets/{t['number']}", f"/tickets/{t['number']}/actions/reopen",
                  {"solved": "no", "satisfaction": "unsatisfied", "assisting_units_shown": "1"})
    assert r.status_code == 303, r.text
    detail = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("dispatcher")).json()
    assert [a["role"] for a in detail["assignments"] if a["round"] == 2] == ["lead"]


def test_the_queue_api_says_the_units_part(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: /api/v1/queue did not say 主办 or 协办 (the page did): a client had to fetch every ticket."""
    t = _dispatched_with_street(client, as_user, org)
    lead = client.get("/api/v1/queue", headers=as_user("housing_handler")).json()["items"]
    street = client.get("/api/v1/queue", headers=as_user("street_handler")).json()["items"]
    [ours] = [x for x in lead if x["id"] == t["id"]]
    [theirs] = [x for x in street if x["id"] == t["id"]]
    assert ours["unit_roles"] == ["lead"] and ours["unit_part"].startswith("主办·")
    assert theirs["unit_roles"] == ["assisting"] and theirs["unit_part"].startswith("协办·")
    login(client, "street_handler")
    assert theirs["unit_part"] in client.get("/unit").text  # the page reads the same words


def test_a_reply_sent_back_is_offered_to_mend(client, as_user, org) -> None:  # type: ignore[no-untyped-def]
    """QA: after 答复退回 the unit's reply form was empty; the text was only in the history."""
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    assert _act(client, as_user, t, "dispatcher", "dispatch",
                {"lead_unit_id": org.units["housing"].id}).status_code == 200
    assert _act(client, as_user, t, "housing_handler", "acknowledge", {}).status_code == 200
    login(client, "housing_handler")
    page = client.get(f"/tickets/{t['number']}").text
    assert "已填入被退回的答复" not in page
    reply = {"content": "已约谈餐馆负责人，要求整改。"}
    assert _act(client, as_user, t, "housing_handler", "reply", reply).status_code == 200
    assert _act(client, as_user, t, "dispatcher", "reject_reply", {"reason": "未说明整改结果"}).status_code == 200
    page = client.get(f"/tickets/{t['number']}").text
    form = page.split('data-action="reply"')[1].split("</form>")[0]
    assert "已约谈餐馆负责人，要求整改。</textarea>" in form and "已填入被退回的答复" in form
