"""联动转办 through the API: a request passed out to a linked platform and its answer or its return; a request
passed in by one, and the result reported back to it; the platforms; the centre's list."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import intake

LIST = "/api/v1/linkage"


def _act(client, as_user, ticket_id, who, action, body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/v1/tickets/{ticket_id}/actions/{action}", headers=as_user(who), json=body)


def _new(client, as_user, **extra) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/tickets", json=intake(**extra), headers=as_user("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def test_the_platforms_are_the_linked_lines_and_another_places_12345(client, as_user, lines) -> None:
    r = client.get(f"{LIST}/lines", headers=as_user("dispatcher"))
    assert r.status_code == 200, r.text
    got = [(x["city"], x["number"]) for x in r.json()]
    # another place's 12345 first, then the city's emergency line, then its utilities; not our own 12345,
    # not a department line merged into it, not a cancelled number
    assert got == [("上海市", "12345"), ("南京市", "110"), ("南京市", "96889")]
    assert r.json()[1]["kind_label"] == "紧急热线"
    assert client.get(f"{LIST}/lines", headers=as_user("housing_handler")).status_code == 403


def test_passed_out_answered_and_called_back(client, as_user, lines, clock) -> None:
    t = _new(client, as_user)
    body = {"line_id": lines["shanghai"], "reason": "诉求发生地在上海市浦东新区，属上海市办理"}
    # a unit, or the callback desk, may not pass a request on
    assert _act(client, as_user, t["id"], "callback", "transfer_out", body).status_code == 409
    r = _act(client, as_user, t["id"], "dispatcher", "transfer_out", {"reason": "属外地事项"})
    assert r.status_code == 422 and r.json()["code"] == "line_required"
    r = _act(client, as_user, t["id"], "dispatcher", "transfer_out", {"line_id": lines["shanghai"], "reason": "外地"})
    assert r.status_code == 422 and r.json()["code"] == "reason_required" and "转出理由" in r.json()["message"]
    r = _act(client, as_user, t["id"], "dispatcher", "transfer_out", body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "transferred" and out["state_label"] == "已转出待反馈"
    assert [(x["direction"], x["status"], x["line_name"], x["status_label"]) for x in out["linkages"]] == [
        ("out", "waiting", "上海市12345市民服务热线", "待对方反馈")]
    assert set(out["allowed_actions"]) >= {"linked_answer", "linked_return"}

    listed = client.get(LIST, headers=as_user("supervisor")).json()
    assert [i["ticket_number"] for i in listed["items"]] == [t["number"]]
    assert listed["counts"]["out_waiting"] == 1 and listed["counts"]["all"] == 1

    clock.advance(timedelta(days=2))
    r = _act(client, as_user, t["id"], "dispatcher", "linked_answer", {"content": "好"})
    assert r.status_code == 422 and "对方办理结果" in r.json()["message"]
    answer = "已由浦东新区城管执法局现场处置，占道经营摊点已清理"
    r = _act(client, as_user, t["id"], "dispatcher", "linked_answer",
             {"content": answer, "external_ref": "SH2026112800123"})
    assert r.status_code == 200, r.text
    out = r.json()
    # the platform's answer is the reply the callback desk reads; the ticket waits for its callback
    assert out["state"] == "closed" and out["reply_content"] == answer and out["callback_due_at"]
    assert out["linkages"][0]["status"] == "answered" and out["linkages"][0]["external_ref"] == "SH2026112800123"
    assert client.get(LIST, headers=as_user("supervisor")).json()["total"] == 0

    r = _act(client, as_user, t["id"], "callback", "callback", {"solved": True, "satisfaction": "satisfied"})
    assert r.status_code == 200 and r.json()["state"] == "finished", r.text
    history = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("supervisor")).json()
    actions = [e["action"] for e in history]
    assert actions[:3] == ["register", "transfer_out", "linked_answer"]
    assert "上海市12345市民服务热线" in history[1]["note"]


def test_a_platform_that_will_not_take_it_sends_it_back_for_dispatch(client, as_user, lines, clock) -> None:
    t = _new(client, as_user)
    r = _act(client, as_user, t["id"], "operator", "transfer_out",
             {"line_id": lines["police"], "reason": "反映有人聚众赌博，属公安机关管辖"})
    assert r.status_code == 200, r.text
    clock.advance(timedelta(hours=5))
    r = _act(client, as_user, t["id"], "dispatcher", "linked_return", {"reason": "非警情，属市场监管部门职责"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "registered" and out["linkages"][0]["status"] == "returned"
    # a fresh 派单时限 from the return: the hours at the platform are not the centre's
    assert out["dispatch_due_at"] > t["dispatch_due_at"]
    r = _act(client, as_user, t["id"], "dispatcher", "dispatch", {"lead_unit_id": _unit(client, as_user)})
    assert r.status_code == 200 and r.json()["state"] == "dispatched", r.text


def _unit(client, as_user) -> int:  # type: ignore[no-untyped-def]
    units = client.get("/api/v1/units", headers=as_user("dispatcher")).json()
    items = units["items"] if isinstance(units, dict) else units
    return next(u["id"] for u in items if u["short_name"] == "市房产局")


def test_not_a_platform_is_refused_and_nothing_changes(client, as_user, lines) -> None:
    t = _new(client, as_user)
    for key, code in (("merged", "not_a_linked_line"), ("own", "not_a_linked_line"), ("gone", "line_cancelled")):
        r = _act(client, as_user, t["id"], "dispatcher", "transfer_out",
                 {"line_id": lines[key], "reason": "属其他平台办理的事项"})
        assert r.status_code == 422 and r.json()["code"] == code, (key, r.text)
    r = _act(client, as_user, t["id"], "dispatcher", "transfer_out", {"line_id": 999999, "reason": "属其他平台办理"})
    assert r.status_code == 422 and r.json()["code"] == "unknown_line"
    got = client.get(f"/api/v1/tickets/{t['id']}", headers=as_user("dispatcher")).json()
    assert got["state"] == "registered" and got["linkages"] == []


def test_withdrawn_while_at_the_platform(client, as_user, lines) -> None:
    t = _new(client, as_user)
    _act(client, as_user, t["id"], "dispatcher", "transfer_out", {"line_id": lines["water"], "reason": "供水管网抢修"})
    r = _act(client, as_user, t["id"], "operator", "withdraw", {"reason": "来电人表示已自行联系供水公司"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn", r.text
    assert r.json()["linkages"][0]["status"] == "withdrawn"


def test_passed_in_and_reported_back(client, as_user, lines) -> None:
    # a ref without its platform says what is missing
    r = client.post("/api/v1/tickets", json=intake(linked_from_ref="110-20261102-0008"), headers=as_user("operator"))
    assert r.status_code == 422 and "联动平台" in r.text
    r = client.post("/api/v1/tickets", json=intake(linked_from_line_id=lines["merged"]), headers=as_user("operator"))
    assert r.status_code == 422 and r.json()["code"] == "not_a_linked_line"

    t = _new(client, as_user, linked_from_line_id=lines["police"], linked_from_ref="110-20261102-0008")
    assert [(x["direction"], x["status"], x["external_ref"]) for x in t["linkages"]] == [
        ("in", "open", "110-20261102-0008")]
    history = client.get(f"/api/v1/tickets/{t['id']}/events", headers=as_user("supervisor")).json()
    assert "联动转入：南京市公安局110报警服务台（110）" in history[0]["note"]
    # nothing to report while it is being handled
    assert client.get(LIST, params={"view": "in_handling"}, headers=as_user("dispatcher")).json()["total"] == 1
    assert "report_back" not in t["allowed_actions"]

    r = _act(client, as_user, t["id"], "dispatcher", "answer_directly",
             {"answer": "已告知来电人噪声扰民可向属地街道反映", "answer_source": "政策文件：南京市噪声污染防治条例"})
    assert r.status_code == 200, r.text
    assert "report_back" in r.json()["allowed_actions"]
    owed = client.get(LIST, params={"view": "in_owed"}, headers=as_user("dispatcher")).json()
    assert [i["ticket_number"] for i in owed["items"]] == [t["number"]]
    r = _act(client, as_user, t["id"], "dispatcher", "report_back", {"content": "已答复来电人，办理结果已告知"})
    assert r.status_code == 200, r.text
    assert r.json()["linkages"][0]["status"] == "reported" and "report_back" not in r.json()["allowed_actions"]
    r = _act(client, as_user, t["id"], "dispatcher", "report_back", {"content": "再次反馈办理结果"})
    assert r.status_code == 409 and r.json()["code"] == "already_reported_back"
    assert client.get(LIST, params={"view": "in_owed"}, headers=as_user("dispatcher")).json()["total"] == 0


def test_report_back_only_for_requests_passed_in(client, as_user, lines) -> None:
    t = _new(client, as_user)
    r = _act(client, as_user, t["id"], "dispatcher", "answer_directly",
             {"answer": "已告知来电人办理流程和所需材料", "answer_source": "政策文件：办事指南"})
    assert r.status_code == 200 and "report_back" not in r.json()["allowed_actions"]
    r = _act(client, as_user, t["id"], "dispatcher", "report_back", {"content": "办理结果已告知对方"})
    assert r.status_code == 409 and r.json()["code"] == "not_linked_in"


def test_the_list_refuses_what_it_cannot_use(client, as_user, lines) -> None:
    r = client.get(LIST, params={"view": "foo"}, headers=as_user("dispatcher"))
    assert r.status_code == 422 and "列表" in r.json()["message"]
    r = client.get(LIST, params={"sent_from": "2026-11-05T00:00:00", "sent_to": "2026-11-01T00:00:00"},
                   headers=as_user("dispatcher"))
    assert r.status_code == 422 and r.json()["code"] == "period_invalid"
    assert client.get(LIST, headers=as_user("housing_manager")).status_code == 403
    r = client.get(f"{LIST}.xlsx", params={"view": "all"}, headers=as_user("supervisor"))
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_the_requester_sees_where_it_went_not_why(client, as_user, lines) -> None:
    t = _new(client, as_user)
    _act(client, as_user, t["id"], "dispatcher", "transfer_out",
         {"line_id": lines["shanghai"], "reason": "内部备注：来电人情绪激动，属上海事项"})
    r = client.post("/api/v1/public/lookup", json={"number": t["number"], "phone_last4": "5678"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state_label"] == "已转出待反馈" and out["can_withdraw"] is True
    notes = [(e["label"], e["note"]) for e in out["timeline"]]
    assert ("联动转出", "已转至上海市12345市民服务热线办理") in notes
    assert "内部备注" not in r.text
    _act(client, as_user, t["id"], "dispatcher", "linked_answer", {"content": "已由浦东新区处置完毕"})
    out = client.post("/api/v1/public/lookup", json={"number": t["number"], "phone_last4": "5678"}).json()
    assert out["reply_content"] == "已由浦东新区处置完毕"
    notes = [(e["label"], e["note"]) for e in out["timeline"]]
    assert ("联动反馈", "上海市12345市民服务热线反馈：已由浦东新区处置完毕") in notes


def test_a_request_passed_in_and_merged_is_reported_back_on_its_parents_answer(client, as_user, lines) -> None:
    """QA: 110 passed a request in that duplicated one already registered; merged into it, it left every tab but
    全部 and 反馈转入方 was refused (已并单): 110 was never told. Its answer is its parent's."""
    parent = _new(client, as_user)
    child = _new(client, as_user, linked_from_line_id=lines["police"], linked_from_ref="JJ-0042")
    r = _act(client, as_user, child["id"], "dispatcher", "merge", {"parent_id": parent["id"]})
    assert r.status_code == 200 and r.json()["state"] == "merged", r.text
    # the parent is being handled: so is the request passed in
    listed = client.get(LIST, params={"view": "in_handling"}, headers=as_user("dispatcher")).json()
    assert [i["ticket_number"] for i in listed["items"]] == [child["number"]]
    r = _act(client, as_user, child["id"], "dispatcher", "report_back", {"content": "已并入其他工单办理中"})
    assert r.status_code == 409 and r.json()["code"] == "parent_not_answered", r.text
    assert "主工单" in r.json()["message"]

    r = _act(client, as_user, parent["id"], "dispatcher", "answer_directly",
             {"answer": "已告知来电人噪声扰民可向属地街道反映", "answer_source": "政策文件：南京市噪声污染防治条例"})
    assert r.status_code == 200, r.text
    owed = client.get(LIST, params={"view": "in_owed"}, headers=as_user("dispatcher")).json()
    assert [i["ticket_number"] for i in owed["items"]] == [child["number"]]
    assert owed["items"][0]["due_at"] is not None and owed["counts"]["in_handling"] == 0
    got = client.get(f"/api/v1/tickets/{child['id']}", headers=as_user("dispatcher")).json()
    assert "report_back" in got["allowed_actions"]
    r = _act(client, as_user, child["id"], "dispatcher", "report_back", {"content": "已并入同一诉求办理，结果已告知"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "merged" and r.json()["linkages"][0]["status"] == "reported"
    assert client.get(LIST, params={"view": "in_owed"}, headers=as_user("dispatcher")).json()["total"] == 0


def test_the_list_and_its_excel_mask_the_requester_in_the_answers(client, as_user, lines) -> None:
    """QA: lists are masked, but the list and its Excel (read by analysts and administrators, who never see
    personal data) showed the platform's answer as written, with the requester's name and phone in it."""
    import io

    from openpyxl import load_workbook

    t = _new(client, as_user)
    _act(client, as_user, t["id"], "dispatcher", "transfer_out",
         {"line_id": lines["water"], "reason": "张三家中停水，属供水管网抢修事项"})
    r = _act(client, as_user, t["id"], "dispatcher", "linked_answer",
             {"content": "已抢修完毕，已电话告知张三（13912345678）恢复供水"})
    assert r.status_code == 200, r.text
    for who in ("analyst", "dispatcher"):
        got = client.get(LIST, params={"view": "all"}, headers=as_user(who))
        assert got.status_code == 200, got.text
        item = got.json()["items"][0]
        assert item["answer"] == "已抢修完毕，已电话告知张*（139****5678）恢复供水"
        assert item["reason"] == "张*家中停水，属供水管网抢修事项"
        assert "张三" not in got.text and "13912345678" not in got.text
    xlsx = client.get(f"{LIST}.xlsx", params={"view": "all"}, headers=as_user("analyst"))
    cells = [str(c) for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
             for c in row if c is not None]
    assert "已抢修完毕，已电话告知张*（139****5678）恢复供水" in cells
    assert not [c for c in cells if "张三" in c or "13912345678" in c]


def test_a_request_passed_in_and_withdrawn_is_owed_back(client, as_user, lines) -> None:
    """QA: withdrawn, it left every tab but 全部 and 反馈转入方 was refused: 110 was never told."""
    t = _new(client, as_user, linked_from_line_id=lines["police"], linked_from_ref="JJ-9")
    r = _act(client, as_user, t["id"], "operator", "withdraw", {"reason": "来电人表示问题已自行解决"})
    assert r.status_code == 200 and "report_back" in r.json()["allowed_actions"], r.text
    owed = client.get(LIST, params={"view": "in_owed"}, headers=as_user("dispatcher")).json()
    assert [i["ticket_number"] for i in owed["items"]] == [t["number"]] and owed["items"][0]["due_at"]
    r = _act(client, as_user, t["id"], "dispatcher", "report_back", {"content": "诉求人已撤回，告知110指挥中心"})
    assert r.status_code == 200 and r.json()["linkages"][0]["status"] == "reported", r.text


def test_reopening_a_platforms_answer_asks_for_a_unit_and_says_why(client, as_user, lines) -> None:
    t = _new(client, as_user)
    _act(client, as_user, t["id"], "dispatcher", "transfer_out",
         {"line_id": lines["water"], "reason": "供水管网抢修事项"})
    _act(client, as_user, t["id"], "dispatcher", "linked_answer", {"content": "已抢修完毕，恢复供水"})
    r = _act(client, as_user, t["id"], "callback", "reopen", {"solved": False, "satisfaction": "unsatisfied"})
    assert r.status_code == 409 and "由联动平台反馈办理结果" in r.json()["message"], r.text
    r = _act(client, as_user, t["id"], "callback", "reopen",
             {"solved": False, "satisfaction": "unsatisfied", "lead_unit_id": _unit(client, as_user)})
    assert r.status_code == 200 and r.json()["state"] == "dispatched", r.text
