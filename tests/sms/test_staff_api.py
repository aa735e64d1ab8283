"""The staff's JSON API for texts (the page 短信受理's work): who may use it, the list and its filters,
one text, 忽略, 回复短信, the texts sent to a number, a ticket's texts; masked numbers; the audit log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.security.models import AuditEntry
from hotline.sms.models import SmsInbound, SmsOutbound
from tests.conftest import START
from tests.sms.conftest import text

ALICE, BOB = "13912345678", "13800001111"


def _three(push) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    r = push([text("a1", ALICE, "小区楼下餐馆每晚营业到凌晨", START - timedelta(minutes=40)),
              text("b1", BOB, "地铁站出口的共享单车乱停", START - timedelta(minutes=35)),
              text("a2", ALICE, "排风扇噪音很大，影响休息", START - timedelta(minutes=30))])
    assert r.status_code == 200, r.text
    ids = r.json()["ids"]
    return ids["a1"], ids["a2"], ids["b1"]


def _audit(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    rows = list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))
    db.expunge_all()
    db.rollback()
    return rows


def test_the_roles_of_the_page_and_no_machine_account(client, push, as_user, gateway) -> None:  # type: ignore[no-untyped-def]
    a1, _, _ = _three(push)
    for who in ("operator", "dispatcher", "supervisor"):
        assert client.get("/api/sms/texts", headers=as_user(who)).status_code == 200, who
        assert client.get(f"/api/sms/texts/{a1}", headers=as_user(who)).status_code == 200, who
        assert client.get("/api/sms/outbound", headers=as_user(who)).status_code == 200, who
    for who in ("housing_handler", "analyst", "admin", "callback"):
        r = client.get("/api/sms/texts", headers=as_user(who))
        assert r.status_code == 403 and r.json() == {"code": "role_forbidden", "message": "当前角色无权执行此操作"}, who
        assert client.get("/api/sms/outbound", headers=as_user(who)).status_code == 403, who
    # Texts carry no district: a district's supervisor reads none of them (as the call records).
    district = client.get("/api/sms/texts", headers=as_user("xuanwu_viewer"))
    assert district.status_code == 403 and district.json()["code"] == "scope_forbidden"
    assert client.get(f"/api/sms/texts/{a1}", headers=as_user("xuanwu_viewer")).status_code == 403
    assert client.get("/api/sms/outbound", headers=as_user("xuanwu_viewer")).status_code == 403
    machine = client.get("/api/sms/texts", headers=gateway)
    assert machine.status_code == 403 and machine.json()["code"] == "machine_account"
    assert client.get("/api/sms/texts").status_code == 401
    # A supervisor reads but does not handle (as on the page).
    sup = client.post("/api/sms/texts/ignore", json={"ids": [a1], "reason": "advertising"},
                      headers=as_user("supervisor"))
    assert sup.status_code == 403
    assert client.post(f"/api/sms/texts/{a1}/reply", json={"text": "你好"}, headers=as_user("supervisor")) \
        .status_code == 403


def test_the_list_filters_paginates_and_masks(client, push, as_user) -> None:  # type: ignore[no-untyped-def]
    a1, a2, b1 = _three(push)
    op = as_user("operator")
    r = client.get("/api/sms/texts?status=pending", headers=op)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and [i["id"] for i in body["items"]] == [a1, b1, a2]  # waiting: oldest first
    assert {i["sender"] for i in body["items"]} == {"139****5678", "138****1111"}
    assert ALICE not in r.text and BOB not in r.text
    assert body["items"][0]["status_label"] == "待处理"
    # by number, typed as people type it
    assert [i["id"] for i in client.get("/api/sms/texts", params={"phone": "+86 139-1234-5678"},
                                        headers=op).json()["items"]] == [a2, a1]  # not waiting only: latest first
    # a date range, Beijing time without an offset
    window = {"received_from": (START - timedelta(minutes=36)).isoformat(),
              "received_to": (START - timedelta(minutes=31)).isoformat()}
    assert [i["id"] for i in client.get("/api/sms/texts", params=window, headers=op).json()["items"]] == [b1]
    page2 = client.get("/api/sms/texts?status=pending&page=2&page_size=2", headers=op).json()
    assert (page2["total"], [i["id"] for i in page2["items"]], page2["page"]) == (3, [a2], 2)
    assert client.get("/api/sms/texts?status=registered", headers=op).json()["total"] == 0
    bad = client.get("/api/sms/texts?status=done", headers=op)
    assert bad.status_code == 422 and "短信状态取值无效" in bad.json()["message"] and "pending（待处理）" in \
        bad.json()["message"]
    bad_time = client.get("/api/sms/texts?received_from=昨天", headers=op)
    assert "接收时间（起）不是有效的时间" in bad_time.json()["message"]


def test_one_text_with_the_texts_sent_to_its_number(client, push, as_user, db) -> None:  # type: ignore[no-untyped-def]
    a1, _, _ = _three(push)
    db.add(SmsOutbound(phone=ALICE, text="请补充地址【12345】", purpose="reply", status="failed", attempts=4,
                       last_error="网络超时", failed_reason="网络超时", created_at=START - timedelta(days=1)))
    db.commit()
    r = client.get(f"/api/sms/texts/{a1}", headers=as_user("operator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["id"], body["sender"], body["status"], body["ticket_number"]) == (a1, "139****5678", "pending", None)
    [sent] = body["recent_sent"]
    assert (sent["phone"], sent["status_label"], sent["attempts"], sent["failed_reason"]) == \
        ("139****5678", "发送失败", 4, "网络超时")
    assert ALICE not in r.text
    missing = client.get("/api/sms/texts/999999999", headers=as_user("operator"))
    assert missing.status_code == 404 and missing.json() == {"code": "sms_not_found", "message": "短信不存在"}
    assert client.get("/api/sms/texts/99999999999", headers=as_user("operator")).status_code == 422


def test_ignore_as_the_page_does(client, push, as_user, db) -> None:  # type: ignore[no-untyped-def]
    a1, a2, b1 = _three(push)
    op = as_user("operator")
    no_reason = client.post("/api/sms/texts/ignore", json={"ids": [b1], "reason": ""}, headers=op)
    assert no_reason.status_code == 422 and no_reason.json()["message"] == "请选择忽略原因"
    wrong = client.post("/api/sms/texts/ignore", json={"ids": [b1], "reason": "spam"}, headers=op)
    assert "忽略原因取值无效" in wrong.json()["message"] and "advertising（广告推销）" in wrong.json()["message"]
    other = client.post("/api/sms/texts/ignore", json={"ids": [b1], "reason": "other"}, headers=op)
    assert other.status_code == 422 and other.json()["code"] == "ignore_note_required"
    assert client.post("/api/sms/texts/ignore", json={"ids": [], "reason": "invalid"}, headers=op) \
        .json()["message"] == "短信编号至少需要 1 项"
    mixed = client.post("/api/sms/texts/ignore", json={"ids": [a1, b1], "reason": "invalid"}, headers=op)
    assert mixed.status_code == 422 and "同一号码" in mixed.json()["message"]
    r = client.post("/api/sms/texts/ignore", json={"ids": [a1, a2], "reason": "other", "note": "市民来电已说明"},
                    headers=op)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ignored"] == 2 and [i["status"] for i in body["items"]] == ["ignored", "ignored"]
    assert body["items"][0]["ignore_reason_label"] == "其他" and body["items"][0]["handled_by"] == "operator"
    assert [e.detail for e in _audit(db, "sms_ignore")] == ["忽略 2 条短信（其他）：市民来电已说明"]
    again = client.post("/api/sms/texts/ignore", json={"ids": [a1], "reason": "invalid"}, headers=op)
    assert again.status_code == 409 and again.json()["code"] == "sms_already_handled"
    listed = client.get("/api/sms/texts?status=ignored", headers=op).json()
    assert listed["total"] == 2 and listed["items"][0]["ignore_note"] == "市民来电已说明"


def test_reply_with_the_pages_checks(client, push, as_user, db, gateway) -> None:  # type: ignore[no-untyped-def]
    _, a2, _ = _three(push)
    op = as_user("operator")
    long = client.post(f"/api/sms/texts/{a2}/reply", json={"text": "长" * 201}, headers=op)
    assert long.status_code == 422
    assert long.json()["message"] == "回复内容最多 200 个字（不含签名【12345】），当前 201 个字"
    assert client.post(f"/api/sms/texts/{a2}/reply", json={"text": "  "}, headers=op).json()["message"] \
        == "请填写回复内容"
    assert client.post(f"/api/sms/texts/{a2}/reply", json={}, headers=op).json()["message"] == "缺少必填项：回复内容"
    r = client.post(f"/api/sms/texts/{a2}/reply", json={"text": "您好，请补充具体地址。"}, headers=op)
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["text"], out["status"], out["status_label"], out["purpose_label"], out["phone"], out["inbound_id"]) \
        == ("您好，请补充具体地址。【12345】", "queued", "待发送", "人工回复", "139****5678", a2)
    assert [i["id"] for i in client.get("/api/sms/outbox", headers=gateway).json()["items"]] == [out["id"]]
    assert [e.object_id for e in _audit(db, "sms_reply")] == [str(a2)]
    text_row = db.get(SmsInbound, a2)
    assert text_row is not None and text_row.status == "pending"  # a reply leaves it waiting
    db.rollback()
    assert client.post("/api/sms/texts/999999999/reply", json={"text": "你好"}, headers=op).status_code == 404
    # The texts sent to a number, the latest first, filtered by status.
    sent = client.get("/api/sms/outbound", params={"phone": ALICE}, headers=op).json()
    assert sent["total"] == 1 and sent["items"][0]["id"] == out["id"]
    assert client.get("/api/sms/outbound", params={"phone": BOB}, headers=op).json()["total"] == 0
    assert client.get("/api/sms/outbound?status=sent", headers=op).json()["total"] == 0
    assert "发送状态取值无效" in client.get("/api/sms/outbound?status=x", headers=op).json()["message"]


def test_a_tickets_texts_as_its_page_shows_them(client, push, as_user, db, rt, org) -> None:  # type: ignore[no-untyped-def]
    from hotline.sms import service
    from hotline.tickets.schemas import TicketCreate
    from tests.factories import intake

    a1, a2, _ = _three(push)
    ticket, _ = service.register_ticket(db, rt, actor=org.actor("operator"), ids=[a1, a2],
                                        data=TicketCreate(**intake(channel="sms", requester_phone=ALICE)))
    ticket_id, number = ticket.id, ticket.number
    db.rollback()
    r = client.get(f"/api/sms/tickets/{ticket_id}", headers=as_user("operator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [m["id"] for m in body["received"]] == [a1, a2]
    [ack] = body["sent"]
    assert (ack["purpose_label"], ack["status_label"]) == ("受理告知", "待发送") and number in ack["text"]
    assert ALICE not in r.text and "phone" not in ack
    # The registered texts name the ticket in the list.
    listed = client.get("/api/sms/texts?status=registered", headers=as_user("dispatcher")).json()
    assert {i["ticket_number"] for i in listed["items"]} == {number}
    # Whoever may not read the ticket may not read its texts.
    denied = client.get(f"/api/sms/tickets/{ticket_id}", headers=as_user("housing_handler"))
    assert denied.status_code == 403 and denied.json()["code"] == "ticket_forbidden"
    assert client.get("/api/sms/tickets/999999999", headers=as_user("operator")).status_code == 404


def test_the_staff_api_is_published(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/openapi.json").json()["paths"]
    for path, method in [("/api/sms/texts", "get"), ("/api/sms/texts/{inbound_id}", "get"),
                         ("/api/sms/texts/ignore", "post"), ("/api/sms/texts/{inbound_id}/reply", "post"),
                         ("/api/sms/texts/register", "post"),
                         ("/api/sms/outbound", "get"), ("/api/sms/outbound/{outbound_id}/resend", "post"),
                         ("/api/sms/tickets/{ticket_id}", "get")]:
        op = paths[path][method]
        ok = op["responses"]["201" if path.endswith(("reply", "resend", "register")) else "200"]
        assert "$ref" in str(ok["content"]["application/json"]["schema"]), path
        assert op["summary"] and not op["summary"].isascii(), path


def test_register_texts_as_a_ticket(client, push, as_user, db, gateway) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import intake

    a1, a2, b1 = _three(push)
    ticket = intake(requester_phone=None, title="餐馆夜间噪音", content="小区楼下餐馆每晚营业到凌晨")
    denied = client.post("/api/sms/texts/register", json={"ids": [a1, a2], "ticket": ticket},
                         headers=as_user("supervisor"))
    assert denied.status_code == 403
    mixed = client.post("/api/sms/texts/register", json={"ids": [a1, b1], "ticket": ticket},
                        headers=as_user("operator"))
    assert mixed.status_code == 422 and "同一号码" in mixed.json()["message"]
    r = client.post("/api/sms/texts/register", json={"ids": [a1, a2], "ticket": ticket}, headers=as_user("operator"))
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["channel"], out["requester_phone"], out["personal_data_masked"]) == ("sms", "139****5678", True)
    rows = list(db.scalars(select(SmsInbound).order_by(SmsInbound.id)))
    db.expunge_all()
    db.rollback()
    assert {r.id: r.status for r in rows} == {a1: "registered", a2: "registered", b1: "pending"}
    [ack] = client.get("/api/sms/outbox", headers=gateway).json()["items"]
    assert ack["to"] == ALICE and out["number"] in ack["text"]
    assert [e.detail for e in _audit(db, "sms_register")] == [f"2 条短信登记为工单 {out['number']}"]
    again = client.post("/api/sms/texts/register", json={"ids": [a1, a2], "ticket": ticket},
                        headers=as_user("operator"))
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == out["number"]
    other = client.post("/api/sms/texts/register", json={"ids": [a1, a2], "ticket": ticket},
                        headers=as_user("dispatcher"))
    assert other.status_code == 409 and out["number"] in other.json()["message"]
    lacking = {**ticket, "circumstances": None, "occurred_desc": None}
    incomplete = client.post("/api/sms/texts/register", json={"ids": [b1], "ticket": lacking},
                             headers=as_user("operator"))
    assert incomplete.status_code == 422 and "受理要素不全" in incomplete.json()["message"], incomplete.text
    assert client.get(f"/api/sms/texts/{b1}", headers=as_user("operator")).json()["status"] == "pending"
