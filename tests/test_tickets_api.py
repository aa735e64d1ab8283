"""Intake rules, bad input, idempotency, data scope, masking and audit, the public lookup."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from hotline.clock import CHINA_TZ
from hotline.security.models import AuditEntry
from hotline.tickets.models import Ticket
from tests.factories import intake

API = "/api/v1/tickets"


def _count(db: Any) -> int:
    n = db.execute(select(func.count()).select_from(Ticket)).scalar_one()
    db.rollback()
    return n


def _dispatched(client: Any, as_user: Any, org: Any, **kw: Any) -> dict[str, Any]:
    body = intake(**kw, dispatch={"lead_unit_id": org.units["housing"].id})
    r = client.post(API, json=body, headers=as_user("operator"))
    assert r.status_code == 201, r.text
    return r.json()


# ---- intake and bad input -------------------------------------------------------------------


def test_missing_intake_elements_are_named_in_chinese(client, as_user, db) -> None:
    r = client.post(API, json=intake(address=None, jurisdiction_code=None, circumstances=None),
                    headers=as_user("operator"))
    assert r.status_code == 422
    assert r.json()["code"] == "intake_elements_missing"
    assert "发生地点" in r.json()["message"] and "事情经过" in r.json()["message"]
    assert _count(db) == 0


def test_a_consultation_needs_only_who_and_what(client, as_user) -> None:
    body = intake(kind="consultation", address=None, jurisdiction_code=None, circumstances=None, occurred_desc=None)
    assert client.post(API, json=body, headers=as_user("operator")).status_code == 201


def test_anonymous_request_keeps_no_name(client, as_user) -> None:
    r = client.post(API, json=intake(requester_anonymous=True, requester_name="李四"), headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["requester_name"] == "匿名"


def test_bad_input_gets_clear_chinese_errors_and_writes_nothing(client, as_user, db) -> None:
    cases = [
        (intake(kind="gossip"), "诉求类型取值无效，可选：consultation、help、complaint、report、suggestion、praise"),
        (intake(title="x" * 201), "诉求标题过长"),
        (intake(content="太短"), "诉求内容过短"),
        (intake(requester_phone="call me"), "联系电话格式不正确"),
        (intake(category_code="999999"), "诉求分类代码 999999 不存在"),
        (intake(jurisdiction_code="999"), "属地代码 999 不存在"),
        (intake(surprise=1), "不认识的字段"),
        (intake(occurred_at="2026-11-01T08:00:00"), "发生时间须带时区"),
        (intake(dispatch={"lead_unit_id": 999999}), "承办单位（编号 999999）不存在"),
    ]
    for body, message in cases:
        r = client.post(API, json=body, headers=as_user("operator"))
        assert r.status_code == 422, (message, r.text)
        assert message in r.json()["message"], r.json()
    r = client.post(API, content=b"{not json", headers=as_user("operator", **{"Content-Type": "application/json"}))
    assert r.status_code == 422 and "JSON" in r.json()["message"]
    r = client.post(API, content=b"x" * (3 * 1024 * 1024), headers=as_user("operator"))
    assert r.status_code == 413 and "请求体过大" in r.json()["message"]
    chunked = (b"x" * (256 * 1024) for _ in range(12))  # no Content-Length: counted as it arrives
    r = client.post(API, content=chunked, headers=as_user("operator", **{"Content-Type": "application/json"}))
    assert r.status_code == 413 and "请求体过大" in r.json()["message"]
    assert _count(db) == 0


def test_no_token_no_access(client) -> None:
    r = client.get(API)
    assert r.status_code == 401 and "请先登录" in r.json()["message"]
    r = client.get(API, headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401 and "令牌无效" in r.json()["message"]


def test_login_issues_a_token(client) -> None:
    r = client.post("/api/v1/auth/token", json={"username": "dispatcher", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["message"] == "用户名或密码错误"
    r = client.post("/api/v1/auth/token", json={"username": "dispatcher", "password": "test-pass-123"})
    token = r.json()["access_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["role"] == "dispatcher" and me["role_label"] == "派单员"


def test_deadline_beyond_the_calendar_is_refused_cleanly(client, as_user, org, clock, db) -> None:
    clock.set(datetime(2026, 12, 21, 10, 0, tzinfo=CHINA_TZ))
    r = client.post(API, json=intake(dispatch={"lead_unit_id": org.units["housing"].id}),
                    headers=as_user("operator"))
    assert r.status_code == 422 and r.json()["code"] == "calendar_out_of_range"
    assert _count(db) == 0  # the registration rolled back with the dispatch


# ---- idempotency ----------------------------------------------------------------------------


def test_same_idempotency_key_returns_the_same_ticket(client, as_user, db) -> None:
    headers = as_user("operator", **{"Idempotency-Key": "call-7781-take-1"})
    first = client.post(API, json=intake(), headers=headers)
    second = client.post(API, json=intake(), headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["number"] == second.json()["number"]
    assert _count(db) == 1
    r = client.post(API, json=intake(title="另一件事情完全不同"), headers=headers)
    assert r.status_code == 409 and "Idempotency-Key" in r.json()["message"]
    assert _count(db) == 1


def test_numbers_are_daily_sequences(client, as_user) -> None:
    numbers = [client.post(API, json=intake(), headers=as_user("operator")).json()["number"] for _ in range(3)]
    assert numbers == [f"NJ20261102-{i:06d}" for i in (1, 2, 3)]


# ---- data scope, masking, audit ---------------------------------------------------------------


def test_a_unit_cannot_read_or_act_on_another_units_ticket(client, as_user, org) -> None:
    ticket = _dispatched(client, as_user, org)
    r = client.get(f"{API}/{ticket['id']}", headers=as_user("market_handler"))
    assert r.status_code == 403 and "无权查看" in r.json()["message"]
    r = client.post(f"{API}/{ticket['id']}/actions/acknowledge", json={}, headers=as_user("market_handler"))
    assert r.status_code == 403
    assert client.get(f"{API}/{ticket['id']}/events", headers=as_user("market_handler")).status_code == 403
    listed = client.get(API, headers=as_user("market_handler")).json()
    assert listed["total"] == 0
    assert client.get(f"{API}/{ticket['id']}", headers=as_user("housing_handler")).status_code == 200


def test_jurisdiction_scope_sees_its_subtree_only(client, as_user, org) -> None:
    inside = _dispatched(client, as_user, org)
    outside = _dispatched(client, as_user, org, jurisdiction_code="320104", address="秦淮区夫子庙")
    seen = {t["id"] for t in client.get(API, headers=as_user("xuanwu_viewer")).json()["items"]}
    assert inside["id"] in seen and outside["id"] not in seen
    assert client.get(f"{API}/{outside['id']}", headers=as_user("xuanwu_viewer")).status_code == 403


def test_personal_data_masked_for_analysts_and_reads_audited(client, as_user, org, db) -> None:
    ticket = _dispatched(client, as_user, org)
    analyst = client.get(f"{API}/{ticket['id']}", headers=as_user("analyst")).json()
    assert analyst["requester_phone"] == "139****5678" and analyst["requester_name"] == "张*"
    assert analyst["personal_data_masked"] is True
    handler = client.get(f"{API}/{ticket['id']}", headers=as_user("housing_handler")).json()
    assert handler["requester_phone"] == "13912345678"
    audits = db.execute(select(AuditEntry).where(AuditEntry.object_id == ticket["number"])).scalars().all()
    db.rollback()
    # the operator's own registration answer plus the handler's read; the analyst's masked read is not logged
    assert {a.username for a in audits} >= {"housing_handler"}
    assert "analyst" not in {a.username for a in audits}
    assert all(a.action == "view_personal_data" for a in audits)


def test_confidential_requester_hidden_from_units(client, as_user, org) -> None:
    ticket = _dispatched(client, as_user, org, kind="report", confidential=True)
    seen = client.get(f"{API}/{ticket['id']}", headers=as_user("housing_handler")).json()
    assert seen["requester_phone"] == "139****5678" and seen["personal_data_masked"] is True
    # Nor does a search by the full number tell it (QA: 10,000 tries of the middle digits found it).
    by_phone = {"phone": "13912345678"}
    assert client.get(API, params=by_phone, headers=as_user("housing_handler")).json()["total"] == 0
    ordinary = _dispatched(client, as_user, org)
    found = client.get(API, params=by_phone, headers=as_user("housing_handler")).json()
    assert [t["id"] for t in found["items"]] == [ordinary["id"]]


def test_roles_that_never_see_phones_cannot_search_by_one(client, as_user, org) -> None:
    _dispatched(client, as_user, org)
    for role in ("analyst", "editor"):
        r = client.get(API, params={"phone": "13912345678"}, headers=as_user(role))
        assert r.status_code == 403 and r.json()["code"] == "phone_search_forbidden", role
    assert client.get(API, params={"phone": "13912345678"}, headers=as_user("dispatcher")).json()["total"] == 1
    for typed in ("+86 139 1234 5678", "008613912345678", "１３９１２３４５６７８"):  # read as tickets keep it
        assert client.get(API, params={"phone": typed}, headers=as_user("dispatcher")).json()["total"] == 1, typed


def test_lists_are_masked_paginated_and_filtered(client, as_user, org) -> None:
    for i in range(5):
        _dispatched(client, as_user, org, title=f"第{i}号噪音投诉事项")
    client.post(API, json=intake(kind="consultation", title="公积金提取咨询"), headers=as_user("operator"))
    page = client.get(API, params={"page_size": 2, "page": 2, "state": "dispatched"},
                      headers=as_user("dispatcher")).json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert all(t["requester_phone"].startswith("139****") for t in page["items"])
    found = client.get(API, params={"q": "公积金"}, headers=as_user("dispatcher")).json()
    assert [t["title"] for t in found["items"]] == ["公积金提取咨询"]
    assert client.get(API, params={"kind": "consultation"}, headers=as_user("dispatcher")).json()["total"] == 1
    assert client.get(API, params={"phone": "13912345678"}, headers=as_user("operator")).json()["total"] == 6


def test_overdue_filter_and_status(client, as_user, org, clock) -> None:
    from datetime import timedelta

    ticket = _dispatched(client, as_user, org, kind="consultation")
    clock.advance(timedelta(days=6))
    page = client.get(API, params={"overdue": True}, headers=as_user("supervisor")).json()
    assert [t["id"] for t in page["items"]] == [ticket["id"]]
    assert page["items"][0]["deadline_status"] == "overdue" and page["items"][0]["remaining"].startswith("超期")


def test_a_deadline_filter_set_to_false_keeps_every_other_ticket(client, as_user, org, clock) -> None:
    """overdue, about_to_expire, ack_overdue and dispatch_overdue read false as enterprise and solved do: the
    tickets that are not so (QA: dispatch_overdue=false and overdue=false filtered nothing). A ticket
    without that deadline (still waiting for dispatch: no handling deadline) is among them."""
    from datetime import timedelta

    staff = as_user("supervisor")

    def ids(**params: str) -> list[int]:
        page = client.get(API, params={**params, "page_size": 200}, headers=staff).json()
        return sorted(t["id"] for t in page["items"])

    critical = client.post(API, json=intake(urgency="critical"), headers=as_user("operator")).json()  # 30 minutes
    plain = client.post(API, json=intake(kind="suggestion"), headers=as_user("operator")).json()  # 4 hours
    sent = _dispatched(client, as_user, org, kind="consultation")
    everyone = sorted([critical["id"], plain["id"], sent["id"]])
    clock.advance(timedelta(minutes=45))
    assert ids(dispatch_overdue="true") == [critical["id"]]
    assert ids(dispatch_overdue="false") == sorted([plain["id"], sent["id"]])
    clock.advance(timedelta(days=6))
    assert ids(overdue="true") == [sent["id"]] and ids(ack_overdue="true") == [sent["id"]]
    assert ids(overdue="false") == ids(ack_overdue="false") == sorted([critical["id"], plain["id"]])
    assert ids(dispatch_overdue="false") == [sent["id"]] and ids(about_to_expire="false") == everyone
    assert ids(overdue="false", dispatch_overdue="false") == []


def test_return_review_pauses_the_deadline(client, as_user, org, clock) -> None:
    from datetime import timedelta

    ticket = _dispatched(client, as_user, org)  # Monday 2 Nov, 15 working days: due Monday 23 Nov
    due = ticket["due_at"]
    client.post(f"{API}/{ticket['id']}/actions/return", json={"reason": "该事项不属于本单位职责"},
                headers=as_user("housing_manager"))
    clock.advance(timedelta(hours=20))  # the review took until Tuesday morning: one working day
    r = client.post(f"{API}/{ticket['id']}/actions/refuse_return", json={"reason": "属于房产局职责"},
                    headers=as_user("dispatcher"))
    assert r.json()["state"] == "handling"
    pushed = datetime.fromisoformat(r.json()["due_at"]) - datetime.fromisoformat(due)
    assert pushed == timedelta(days=1)


def test_a_pause_over_a_weekend_keeps_the_deadline_on_a_working_day(client, as_user, org, clock) -> None:

    clock.set(datetime(2026, 11, 5, 10, 0, tzinfo=CHINA_TZ))  # Thursday
    body = intake(dispatch={"lead_unit_id": org.units["housing"].id, "assisting_unit_ids": [org.units["street"].id]})
    ticket = client.post(API, json=body, headers=as_user("operator")).json()
    assert ticket["due_at"].startswith("2026-11-26")  # Thursday 26 Nov, 23:59:59 in Nanjing (15:59:59 UTC)
    clock.set(datetime(2026, 11, 6, 10, 0, tzinfo=CHINA_TZ))  # Friday: returned
    client.post(f"{API}/{ticket['id']}/actions/return", json={"reason": "该事项不属于本单位职责"},
                headers=as_user("housing_manager"))
    clock.set(datetime(2026, 11, 9, 10, 0, tzinfo=CHINA_TZ))  # Monday: return refused
    r = client.post(f"{API}/{ticket['id']}/actions/refuse_return", json={"reason": "属于房产局职责"},
                    headers=as_user("dispatcher")).json()
    assert r["due_at"].startswith("2026-11-27")  # Friday, not Sunday the 29th
    assert {a["due_at"] for a in r["assignments"] if a["is_open"]} == {r["due_at"]}  # assisting unit too


def test_units_see_no_personal_data_of_anonymous_requesters_or_after_reassignment(client, as_user, org) -> None:
    anonymous = _dispatched(client, as_user, org, requester_anonymous=True)
    seen = client.get(f"{API}/{anonymous['id']}", headers=as_user("housing_handler")).json()
    assert seen["requester_phone"] == "139****5678" and seen["personal_data_masked"] is True
    ticket = _dispatched(client, as_user, org)
    client.post(f"{API}/{ticket['id']}/actions/reassign", json={"lead_unit_id": org.units["market"].id,
                                                                  "reason": "职责调整"}, headers=as_user("dispatcher"))
    former = client.get(f"{API}/{ticket['id']}", headers=as_user("housing_handler")).json()
    assert former["personal_data_masked"] is True and former["requester_phone"] == "139****5678"
    current = client.get(f"{API}/{ticket['id']}", headers=as_user("market_handler")).json()
    assert current["requester_phone"] == "13912345678"


def test_text_search_is_case_insensitive_and_literal(client, as_user, org) -> None:
    client.post(API, json=intake(title="ETC 通行费扣费异常"), headers=as_user("operator"))
    client.post(API, json=intake(title="折扣100%返现活动"), headers=as_user("operator"))
    assert client.get(API, params={"q": "etc"}, headers=as_user("dispatcher")).json()["total"] == 1
    assert client.get(API, params={"q": "100%"}, headers=as_user("dispatcher")).json()["total"] == 1
    assert client.get(API, params={"q": "%"}, headers=as_user("dispatcher")).json()["total"] == 1


def test_reassign_after_accepted_return_moves_the_ticket(client, as_user, org) -> None:
    ticket = _dispatched(client, as_user, org)
    client.post(f"{API}/{ticket['id']}/actions/return", json={"reason": "该事项属市场监管职责"},
                headers=as_user("housing_manager"))
    r = client.post(f"{API}/{ticket['id']}/actions/reassign", json={"lead_unit_id": org.units["market"].id},
                    headers=as_user("dispatcher"))
    assert r.json()["state"] == "dispatched" and r.json()["lead_unit"] == "市市场监管局"
    assert client.get("/api/v1/queue", headers=as_user("housing_handler")).json()["total"] == 0
    assert client.get("/api/v1/queue", headers=as_user("market_handler")).json()["total"] == 1
    # the housing bureau keeps read access to what it once held
    assert client.get(f"{API}/{ticket['id']}", headers=as_user("housing_handler")).status_code == 200


def test_an_invisible_nul_is_dropped_on_every_database(client, as_user, db, org) -> None:
    # PostgreSQL refuses NUL in text; a pasted or imported text may carry one: it is not written
    r = client.post(API, json=intake(title="路灯\u0000不亮", content="钟灵街路灯\u0000坏了好几天，晚上很黑"),
                    headers=as_user("operator"))
    assert r.status_code == 201, r.text
    title, content = db.execute(select(Ticket.title, Ticket.content).where(Ticket.id == r.json()["id"])).one()
    db.rollback()
    assert (title, content) == ("路灯不亮", "钟灵街路灯坏了好几天，晚上很黑")
    # and the answer shows what was stored, not what was sent
    assert (r.json()["title"], r.json()["content"]) == (title, content)
    r = client.post(f"{API}/{r.json()['id']}/actions/dispatch", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["housing"].id, "note": "请\u0000核实"})
    assert r.status_code == 200
    events = client.get(f"{API}/{r.json()['id']}/events", headers=as_user("dispatcher")).json()
    assert "\u0000" not in str(events) and events[-1]["note"].endswith("请核实")


def test_merge_into_parent(client, as_user, org) -> None:
    parent = _dispatched(client, as_user, org)
    dup = client.post(API, json=intake(), headers=as_user("operator")).json()
    r = client.post(f"{API}/{dup['id']}/actions/merge", json={"parent_number": parent["number"]},
                    headers=as_user("operator"))
    assert r.json()["state"] == "merged" and r.json()["parent_number"] == parent["number"]
    r = client.post(f"{API}/{parent['id']}/actions/merge", json={"parent_id": parent["id"]},
                    headers=as_user("operator"))
    assert r.status_code == 409 and "不能并入自身" in r.json()["message"]
    # a ticket already handled (办结) takes no new one: it would never be handled
    closed = client.post(API, json=intake(kind="consultation", title="咨询公积金提取", direct_answer={
        "answer": "可通过“我的南京”APP在线提取公积金。", "answer_source": "知识库：住房公积金提取"}),
        headers=as_user("operator")).json()
    other = client.post(API, json=intake(title="另一件事"), headers=as_user("operator")).json()
    r = client.post(f"{API}/{other['id']}/actions/merge", json={"parent_number": closed["number"]},
                    headers=as_user("operator"))
    assert r.status_code == 409 and "已办结，不能并入" in r.json()["message"]
    # a number typed in lower case is the same ticket; a ticket merged elsewhere names where it went
    third = client.post(API, json=intake(title="第三件"), headers=as_user("operator")).json()
    r = client.post(f"{API}/{third['id']}/actions/merge", json={"parent_number": dup["number"].lower()},
                    headers=as_user("operator"))
    assert r.status_code == 409 and f"已并入 {parent['number']}" in r.json()["message"], r.text
    r = client.post(f"{API}/{third['id']}/actions/merge", json={"parent_number": f" {parent['number'].lower()} "},
                    headers=as_user("operator"))
    assert r.status_code == 200 and r.json()["parent_number"] == parent["number"]


def test_direct_answer_at_intake(client, as_user) -> None:
    body = intake(kind="consultation", direct_answer={"answer": "可通过“我的南京”APP在线提取公积金。",
                                                      "answer_source": "知识库：住房公积金提取"})
    r = client.post(API, json=body, headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["state"] == "closed"
    assert r.json()["answer_source"] == "知识库：住房公积金提取"


# ---- the public portal ----------------------------------------------------------------------


def test_public_submit_lookup_and_wrong_suffix(client) -> None:
    body = intake(channel="web")
    r = client.post("/api/v1/public/requests", json=body)
    assert r.status_code == 201
    number = r.json()["number"]
    ok = client.post("/api/v1/public/lookup", json={"number": number, "phone_last4": "5678"})
    assert ok.status_code == 200 and ok.json()["state_label"] == "待派单"
    wrong = client.post("/api/v1/public/lookup", json={"number": number, "phone_last4": "0000"})
    unknown = client.post("/api/v1/public/lookup", json={"number": "NJ20990101-000001", "phone_last4": "5678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["message"] == unknown.json()["message"] == "未找到工单：请核对工单编号和手机号后四位"
    r = client.post("/api/v1/public/rate", json={"number": number, "phone_last4": "5678", "satisfaction": "satisfied"})
    assert r.status_code == 409  # not closed yet
    r = client.post("/api/v1/public/withdraw", json={"number": number, "phone_last4": "5678", "reason": "已自行解决"})
    assert r.json()["state"] == "withdrawn"


def test_public_cannot_dispatch(client) -> None:
    r = client.post("/api/v1/public/requests", json=intake(channel="web", dispatch={"lead_unit_id": 1}))
    assert r.status_code == 422


def test_openapi_is_published(client) -> None:
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/tickets/{ticket_id}/actions/{action}" in spec["paths"]
    table = client.get("/api/v1/workflow", headers={}).json()
    assert any(t["action"] == "reopen" and t["target"] == "dispatched" for t in table)


def test_about_to_expire_filter_agrees_with_the_badge(client, as_user, org, clock) -> None:
    from datetime import timedelta

    ticket = _dispatched(client, as_user, org, kind="consultation")  # due Wednesday 23:59:59
    clock.advance(timedelta(hours=36))  # Tuesday 22:00: more than a quarter of the limit left
    page = client.get(API, params={"about_to_expire": True}, headers=as_user("supervisor")).json()
    assert page["total"] == 0
    clock.advance(timedelta(hours=14))  # Wednesday 12:00: inside the last quarter
    page = client.get(API, params={"about_to_expire": True}, headers=as_user("supervisor")).json()
    assert [t["id"] for t in page["items"]] == [ticket["id"]]
    assert page["items"][0]["deadline_status"] == "about_to_expire"


def test_guessing_the_phone_suffix_is_throttled(client, as_user, org, clock) -> None:
    from datetime import timedelta

    number = _dispatched(client, as_user, org)["number"]
    for guess in range(10):
        r = client.post("/api/v1/public/lookup", json={"number": number, "phone_last4": f"{guess:04d}"})
        assert r.status_code == 404
    r = client.post("/api/v1/public/lookup", json={"number": number, "phone_last4": "5678"})
    assert r.status_code == 429 and "尝试次数过多" in r.json()["message"]
    # The same number in other widths or case is the same ticket, and the same count (QA: a fresh one each).
    wide = number.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}).lower()
    r = client.post("/api/v1/public/lookup", json={"number": wide, "phone_last4": "5678"})
    assert r.status_code == 429
    clock.advance(timedelta(hours=1, minutes=1))
    assert client.post("/api/v1/public/lookup", json={"number": number, "phone_last4": "5678"}).status_code == 200
    # the digits typed full-width are the same digits (they were a miss, and used up an attempt)
    assert client.post("/api/v1/public/lookup", json={"number": number, "phone_last4": "５６７８"}).status_code == 200


def test_password_guessing_is_throttled(client) -> None:
    for _ in range(10):
        r = client.post("/api/v1/auth/token", json={"username": "analyst", "password": "wrong-password"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "analyst", "password": "test-pass-123"})
    assert r.status_code == 429


def test_public_submissions_have_a_quota_per_phone(client, clock) -> None:
    """QA: anyone could flood the centre with tickets through the portal. One phone may submit 10 in 24
    hours; the 11th is refused with a clear message (nothing is registered), other phones go on, and
    a replayed Idempotency-Key is no new submission."""
    from datetime import timedelta

    for i in range(10):
        r = client.post("/api/v1/public/requests", json=intake(channel="web", title=f"第{i + 1}件诉求"),
                        headers={"Idempotency-Key": f"quota-{i}"})
        assert r.status_code == 201
    replay = client.post("/api/v1/public/requests", json=intake(channel="web", title="第10件诉求"),
                         headers={"Idempotency-Key": "quota-9"})
    assert replay.status_code == 200  # the same submission again, not an 11th
    r = client.post("/api/v1/public/requests", json=intake(channel="web", title="第11件诉求"))
    assert r.status_code == 429 and r.json()["code"] == "quota_reached"
    assert "同一手机号 24 小时内最多在网上提交 10 件诉求" in r.json()["message"]
    # the same number typed another way is the same phone
    r = client.post("/api/v1/public/requests", json=intake(channel="web", requester_phone="139-1234-5678"))
    assert r.status_code == 429
    assert client.post("/api/v1/public/requests", json=intake(channel="web", requester_phone="13800001111")
                       ).status_code == 201
    clock.advance(timedelta(days=1, minutes=1))
    assert client.post("/api/v1/public/requests", json=intake(channel="web")).status_code == 201


def test_public_submissions_have_a_quota_per_client_address(client, clock) -> None:
    """30 submissions an hour from one address (a service hall's kiosks fit; a script does not); a
    request refused for another reason uses none of it."""
    from datetime import timedelta

    bad = client.post("/api/v1/public/requests", json=intake(channel="web", category_code="no-such-code"))
    assert bad.status_code == 422
    for i in range(30):
        r = client.post("/api/v1/public/requests", json=intake(channel="web", requester_phone=f"139000{i:05d}"))
        assert r.status_code == 201, r.text
    r = client.post("/api/v1/public/requests", json=intake(channel="web", requester_phone="13700000000"))
    assert r.status_code == 429 and "本网络提交诉求过于频繁" in r.json()["message"]
    clock.advance(timedelta(hours=1, minutes=1))
    assert client.post("/api/v1/public/requests", json=intake(channel="web", requester_phone="13700000000")
                       ).status_code == 201


def test_public_idempotency_keys_are_each_citizens_own_and_replays_say_so(client) -> None:
    """QA: every anonymous submitter shared one key space — one citizen's key refused another's request."""
    first = client.post("/api/v1/public/requests", json=intake(channel="web"), headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    again = client.post("/api/v1/public/requests", json=intake(channel="web"), headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    assert again.headers["idempotent-replayed"] == "true"
    other = client.post("/api/v1/public/requests", headers={"Idempotency-Key": "k-1"},
                        json=intake(channel="web", requester_phone="13800000001", title="另一位市民的诉求"))
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]
    spec = client.get("/api/openapi.json").json()["paths"]
    assert "200" in spec["/api/v1/public/requests"]["post"]["responses"]
    assert "200" in spec["/api/v1/tickets"]["post"]["responses"]


@pytest.mark.parametrize(("typed", "stored"), [("139 1234 5678", "13912345678"),
                                               ("０２５－５２３４５６７８", "025-52345678"),
                                               ("+86 139-1234-5678", "139-1234-5678"),
                                               ("008613912345678", "13912345678")])
def test_a_phone_as_people_write_it_is_accepted(client, db, typed, stored) -> None:
    from sqlalchemy import select

    from hotline.tickets.models import Ticket

    r = client.post("/api/v1/public/requests", json=intake(channel="web", requester_phone=typed))
    assert r.status_code == 201, r.text
    assert db.execute(select(Ticket.requester_phone).where(Ticket.number == r.json()["number"])).scalar() == stored
    db.rollback()


@pytest.mark.parametrize("typed", ["123", "----", "+++", "139123456789012345678901"])
def test_a_phone_no_one_could_be_called_back_on_is_refused(client, typed) -> None:
    r = client.post("/api/v1/public/requests", json=intake(channel="web", requester_phone=typed))
    assert r.status_code == 422 and "联系电话格式不正确" in r.json()["message"], r.text


@pytest.mark.parametrize("typed", ["0000000", "000-0000-0000", "11111111111", "+86 000 0000", "1234567",
                                   "9876543210"])
def test_a_junk_phone_is_refused(client, as_user, typed) -> None:  # type: ignore[no-untyped-def]
    """QA: 0000000 (typed when a caller would not give a number) was taken as the requester's phone,
    so every such ticket was one caller's: the screen pop's history, the lookup by 0000."""
    for url, who in (("/api/v1/public/requests", None), (API, "operator")):
        body = intake(channel="web" if who is None else "phone", requester_phone=typed)
        r = client.post(url, json=body, headers=as_user(who) if who else {})
        assert r.status_code == 422 and "联系电话无效" in r.json()["message"], r.text
    # real numbers that merely look plain are still taken
    for real in ("13900000000", "13333333333", "025-52345678"):
        assert client.post(API, json=intake(requester_phone=real), headers=as_user("operator")).status_code == 201


def test_the_public_cannot_set_what_the_centre_decides(client) -> None:
    """QA: a citizen's own 特急/复杂 set the time limit; fake attachment rows showed on the ticket page."""
    for extra, said in [({"urgency": "urgent"}, "紧急程度"), ({"is_complex": True}, "复杂事项"),
                        ({"category_code": "0101"}, "诉求分类"), ({"screening_confirmed": True}, "受理范围确认"),
                        ({"attachments": [{"filename": "x.png", "content_type": "image/png", "size_bytes": 1}]},
                         "附件登记信息"),
                        ({"channel": "phone"}, "公众提交的受理渠道只能是"), ({"channel": "open311"}, "受理渠道只能是"),
                        ({"requester_phone": None}, "请填写手机号码")]:
        r = client.post("/api/v1/public/requests", json={**intake(channel="web"), **extra})
        assert r.status_code == 422 and said in r.json()["message"], (extra, r.text)
    # Defaults written out are fine, and so is what a citizen does decide (一企来, 保密).
    r = client.post("/api/v1/public/requests", json={**intake(channel="web"), "urgency": "normal",
                                                     "is_enterprise": True, "confidential": True})
    assert r.status_code == 201, r.text


def test_an_actions_answer_shows_no_personal_data(client, as_user, org, db) -> None:
    """QA: the answer of an action carried the name and phone unmasked, and no audit entry said so."""
    from hotline.security.models import AuditEntry

    ticket = _dispatched(client, as_user, org)
    before = db.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    db.rollback()
    r = client.post(f"{API}/{ticket['id']}/actions/remind", json={"note": "请尽快处理"}, headers=as_user("dispatcher"))
    assert r.status_code == 200
    assert r.json()["requester_phone"] == "139****5678" and r.json()["personal_data_masked"] is True
    assert db.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before
    db.rollback()


def test_a_place_kept_by_the_dispatch_is_in_its_answer(client, as_user, org) -> None:
    """QA: the dispatch saved the place and answered jurisdiction: null."""
    t = client.post(API, json=intake(jurisdiction_code=None), headers=as_user("operator")).json()
    r = client.post(f"{API}/{t['id']}/actions/dispatch", headers=as_user("dispatcher"),
                    json={"lead_unit_id": org.units["housing"].id, "jurisdiction_code": "320102001"})
    assert r.status_code == 200 and r.json()["jurisdiction"] == "孝陵卫街道"
