"""The blacklist over HTTP: the API end to end, roles, masking, and Chinese errors."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.security.models import AuditEntry
from tests.factories import intake

BASE = "/api/v1/blacklist"
PHONE = "13955556666"


def _closed_ticket(client: TestClient, as_user: Callable[..., dict[str, str]]) -> int:
    body = intake(kind="consultation", requester_phone=PHONE,
                  direct_answer={"answer": "已按政策口径答复来电人。", "answer_source": "知识库"})
    r = client.post("/api/v1/tickets", json=body, headers=as_user("operator"))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_false_reports_to_listing_over_http(client: TestClient, as_user: Callable[..., dict[str, str]],
                                            db: Session) -> None:
    for _ in range(3):
        tid = _closed_ticket(client, as_user)
        r = client.put(f"{BASE}/tickets/{tid}/verdict", json={"verdict": "unfounded", "note": "回访核实反映不实"},
                       headers=as_user("callback"))
        assert r.status_code == 200, r.text
    r = client.post(f"{BASE}/propose", json={}, headers=as_user("operator"))
    assert r.status_code == 403 and "无权" in r.json()["message"]
    r = client.post(f"{BASE}/propose", json={"false_report_min": 0}, headers=as_user("supervisor"))
    assert r.status_code == 422
    r = client.post(f"{BASE}/propose", json={}, headers=as_user("supervisor"))
    assert r.status_code == 200 and len(r.json()["created"]) == 1
    eid = r.json()["created"][0]

    listing = client.get(f"{BASE}/entries", params={"state": "proposed"}, headers=as_user("supervisor")).json()
    assert listing["total"] == 1 and listing["items"][0]["phone"] == PHONE
    masked = client.get(f"{BASE}/entries", headers=as_user("analyst")).json()
    assert masked["items"][0]["phone"] == "139****6666"
    assert client.get(f"{BASE}/entries", headers=as_user("housing_handler")).status_code == 403

    r = client.post(f"{BASE}/entries/{eid}/confirm", json={"reason": ""}, headers=as_user("supervisor"))
    assert r.status_code == 400 and "列入理由" in r.json()["message"]
    r = client.post(f"{BASE}/entries/{eid}/confirm", json={"reason": "三次虚假反映", "days": 90},
                    headers=as_user("supervisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "active" and body["state_label"] == "生效中" and len(body["evidence"]) == 3
    assert [e["action_label"] for e in body["events"]] == ["提出候选", "审核列入"]

    s = client.get(f"{BASE}/standing", params={"phone": PHONE}, headers=as_user("operator")).json()
    assert s["listed"] is True and s["entry_id"] == eid and "紧急求助" in s["rule"]
    r = client.post(f"{BASE}/entries/{eid}/appeal", json={"text": "来电人称并非故意反映不实"},
                    headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["appeal_pending"] is True
    r = client.post(f"{BASE}/entries/{eid}/appeal/decision", json={"decision": "granted", "reason": "核实有误会"},
                    headers=as_user("supervisor"))
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    s = client.get(f"{BASE}/standing", params={"phone": PHONE}, headers=as_user("operator")).json()
    assert s["listed"] is False
    r = client.post(f"{BASE}/entries/{eid}/revoke", json={"reason": "再撤销"}, headers=as_user("supervisor"))
    assert r.status_code == 409
    assert client.get(f"{BASE}/entries/999999", headers=as_user("supervisor")).status_code == 404

    db.rollback()
    actions = set(db.execute(select(AuditEntry.action)).scalars())
    assert {"blacklist_confirm", "blacklist_appeal", "blacklist_decide_appeal", "view_personal_data"} <= actions


def test_abuse_and_police_referral_over_http(client: TestClient, as_user: Callable[..., dict[str, str]]) -> None:
    r = client.post(f"{BASE}/abuse-reports", json={"phone": "138-0000-1111", "description": "辱骂并威胁话务员"},
                    headers=as_user("operator"))
    assert r.status_code == 201, r.text
    report = r.json()
    r = client.post(f"{BASE}/abuse-reports/{report['id']}/referrals",
                    json={"police_unit": "玄武公安分局", "reference": "JQ-2026-0001"}, headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["reference"] == "JQ-2026-0001"
    again = client.post(f"{BASE}/abuse-reports/{report['id']}/referrals",
                        json={"police_unit": "玄武公安分局", "reference": "JQ-2026-0001"}, headers=as_user("operator"))
    assert again.status_code == 409 and "已登记过" in again.json()["message"]  # the same referral once
    r = client.post(f"{BASE}/abuse-reports/{report['id']}/referrals",
                    json={"police_unit": "玄武公安分局", "reference": "JQ-1", "referred_at": "2026-11-02T08:00:00"},
                    headers=as_user("operator"))
    assert r.status_code == 400 and "时区" in r.json()["message"]
    detail = client.get(f"{BASE}/entries/{report['entry_id']}", headers=as_user("supervisor")).json()
    assert detail["ground"] == "abuse" and detail["abuse_reports"][0]["referrals"][0]["police_unit"] == "玄武公安分局"
    r = client.post(f"{BASE}/abuse-reports", json={"phone": "abc", "description": "辱骂话务员"},
                    headers=as_user("operator"))
    assert r.status_code == 400 and "电话号码" in r.json()["message"]
    r = client.get(f"{BASE}/entries", params={"phone": "12"}, headers=as_user("operator"))
    assert r.status_code == 400 and "后四位" in r.json()["message"]


def test_who_reported_the_abuse_does_not_list_the_caller(client: TestClient,
                                                         as_user: Callable[..., dict[str, str]]) -> None:
    """QA: a supervisor reported abuse against themself and listed the number for ten years (回避)."""
    # on a 玄武区 ticket: the second supervisor below is authorised for that district (and sees its entries only)
    ticket = client.post("/api/v1/tickets", json=intake(requester_phone="13600003333"), headers=as_user("operator"))
    r = client.post(f"{BASE}/abuse-reports", json={"phone": "13600003333", "description": "来电辱骂督办员本人",
                                                   "ticket_id": ticket.json()["id"]}, headers=as_user("supervisor"))
    assert r.status_code == 201, r.text
    entry = r.json()["entry_id"]
    r = client.post(f"{BASE}/entries/{entry}/confirm", json={"reason": "本人亲历", "days": 3650},
                    headers=as_user("supervisor"))
    assert r.status_code == 403 and "回避" in r.json()["message"]
    r = client.post(f"{BASE}/entries/{entry}/confirm", json={"reason": "录音核实辱骂属实", "days": 90},
                    headers=as_user("xuanwu_viewer"))
    assert r.status_code == 200 and r.json()["state"] == "active"


def test_a_districts_supervisor_sees_and_decides_its_districts_entries_only(
        client: TestClient, as_user: Callable[..., dict[str, str]], db: Session) -> None:
    """QA: a supervisor authorised for 玄武区 listed and decided the whole city's blacklist."""
    from datetime import UTC, datetime

    from hotline.calls.models import Call

    def ticket(code: str, phone: str) -> int:
        r = client.post("/api/v1/tickets", json=intake(requester_phone=phone, jurisdiction_code=code),
                        headers=as_user("operator"))
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def abuse(phone: str, **on: int) -> int:
        r = client.post(f"{BASE}/abuse-reports", json={"phone": phone, "description": "通话中辱骂话务员", **on},
                        headers=as_user("operator"))
        assert r.status_code == 201, r.text
        return int(r.json()["entry_id"])

    here = abuse("13900000001", ticket_id=ticket("320102001", "13900000001"))  # 玄武区 (a street of it)
    there = abuse("13900000002", ticket_id=ticket("320104", "13900000002"))  # 秦淮区
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    call = Call(call_ref="bl-scope", status="ended", caller="13900000003", event_count=0, rejected_count=0,
                transfer_count=0, callback_attempts=0, created_at=at, updated_at=at,
                ticket_id=ticket("320102", "13900000003"))
    loose = Call(call_ref="bl-loose", status="ended", caller="13900000004", event_count=0, rejected_count=0,
                 transfer_count=0, callback_attempts=0, created_at=at, updated_at=at)
    db.add_all([call, loose])
    db.commit()
    try:
        by_call = abuse("13900000003", call_id=call.id)  # a call registered as a 玄武区 ticket
        hall_only = abuse("13900000004", call_id=loose.id)  # a call with no ticket: no district
        # QA: an unknown call, or another caller's, was filed as evidence
        for phone, call_id, said in (("13900000004", 999999, "通话 999999 不存在"),
                                     ("13900000005", loose.id, f"通话 {loose.id} 的来电号码不是")):
            r = client.post(f"{BASE}/abuse-reports", headers=as_user("operator"),
                            json={"phone": phone, "description": "辱骂话务员", "call_id": call_id})
            assert r.status_code in (404, 422) and said in r.json()["message"], r.text
        scoped = as_user("xuanwu_viewer")
        listed = client.get(f"{BASE}/entries", params={"state": "proposed"}, headers=scoped).json()
        assert {e["id"] for e in listed["items"]} == {here, by_call} and listed["total"] == 2
        everyone = client.get(f"{BASE}/entries", params={"state": "proposed"}, headers=as_user("supervisor")).json()
        assert {here, there, by_call, hall_only} <= {e["id"] for e in everyone["items"]}
        assert client.get(f"{BASE}/entries/{here}", headers=scoped).status_code == 200
        for other in (there, hall_only):
            r = client.get(f"{BASE}/entries/{other}", headers=scoped)
            assert r.status_code == 404 and "不存在" in r.json()["message"]
            r = client.post(f"{BASE}/entries/{other}/confirm", json={"reason": "多次辱骂话务员"}, headers=scoped)
            assert r.status_code == 404
            r = client.post(f"{BASE}/entries/{other}/reject", json={"reason": "证据不足"}, headers=scoped)
            assert r.status_code == 404
        r = client.post(f"{BASE}/entries/{here}/confirm", json={"reason": "多次辱骂话务员"}, headers=scoped)
        assert r.status_code == 200 and r.json()["status"] == "confirmed"
        r = client.post(f"{BASE}/entries/{here}/revoke", json={"reason": "来电人已致歉"}, headers=scoped)
        assert r.status_code == 200
        # the rules run over the whole city: not a district's to start
        r = client.post(f"{BASE}/propose", json={}, headers=scoped)
        assert r.status_code == 403 and "全市范围" in r.json()["message"]
        # a police referral on another district's abuse report reads as missing
        report = client.get(f"{BASE}/entries/{there}", headers=as_user("supervisor")).json()["abuse_reports"][0]["id"]
        r = client.post(f"{BASE}/abuse-reports/{report}/referrals", json={"police_unit": "秦淮分局", "reference": "J1"},
                        headers=scoped)
        assert r.status_code == 404
    finally:
        db.rollback()
        db.delete(db.get(Call, call.id))
        db.delete(db.get(Call, loose.id))
        db.commit()
