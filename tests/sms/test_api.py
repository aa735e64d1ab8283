"""The gateway's API: pushes (idempotent, validated), the outbox and results, and who may call it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from hotline.sms.models import SmsInbound, SmsOutbound
from tests.conftest import START
from tests.sms.conftest import text


def _count(db) -> int:  # type: ignore[no-untyped-def]
    n = db.execute(select(func.count()).select_from(SmsInbound)).scalar_one()
    db.rollback()
    return int(n)


def test_a_text_is_stored_once_however_often_it_is_pushed(push, db) -> None:  # type: ignore[no-untyped-def]
    r = push(text("g1", sender="+86 139 1234 5678"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["rejected"], body["conflicts"]) == (1, 0, 0, 0)
    again = push(text("g1", sender="13912345678", at=START - timedelta(minutes=30)))  # same instant, other form
    assert again.status_code == 200 and again.json()["duplicates"] == 1 and again.json()["accepted"] == 0
    assert again.json()["ids"] == body["ids"]
    row = db.execute(select(SmsInbound)).scalar_one()
    db.rollback()
    assert (row.sender, row.status) == ("13912345678", "pending")


def test_another_content_under_the_same_id_is_a_409(push, db) -> None:  # type: ignore[no-untyped-def]
    assert push(text("g2")).status_code == 200
    r = push(text("g2", body="另一条内容"))
    assert r.status_code == 409
    assert r.json()["code"] == "id_conflict" and "短信内容" in r.json()["message"]
    assert _count(db) == 1


def test_a_batch_applies_the_good_texts_and_names_the_bad(push, db) -> None:  # type: ignore[no-untyped-def]
    r = push([text("b1"), text("b2", received_at="2026-11-02 09:00"), text("b3", sender="13800000001"),
              text("b1"), text("b3", body="改过的内容")])
    assert r.status_code == 409, r.text  # a reused id outranks bad data
    body = r.json()
    assert (body["accepted"], body["duplicates"], body["rejected"], body["conflicts"]) == (2, 1, 1, 1)
    assert body["code"] == "id_conflict" and "其余短信已处理" in body["message"]
    assert [(e["index"], e["code"]) for e in body["errors"]] == [(1, "received_at_no_timezone"), (4, "id_conflict")]
    assert _count(db) == 2
    bad = push([text("b4", text="")])
    assert bad.status_code == 422 and bad.json()["code"] == "messages_rejected"


def test_bad_bodies_are_refused_in_chinese(client, push, gateway) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/sms/inbound", content=b"not json", headers=gateway)
    assert r.status_code == 422 and r.json()["message"] == "请求体不是合法的 JSON"
    assert push([]).status_code == 422
    assert push([text(f"x{i}") for i in range(501)]).json()["code"] == "batch_too_large"
    one = push(text("x", sender="短信"))
    assert one.status_code == 422 and one.json()["code"] == "from_invalid" and "发送号码" in one.json()["message"]


def test_only_the_gateway_account_may_push_or_take_the_outbox(client, as_user) -> None:  # type: ignore[no-untyped-def]
    for who in ("operator", "admin", "housing_handler"):
        r = client.post("/api/sms/inbound", json=text("p1"), headers=as_user(who))
        assert r.status_code == 403 and r.json()["code"] == "sms_gateway_only", who
        assert client.get("/api/sms/outbox", headers=as_user(who)).status_code == 403
        assert client.post("/api/sms/outbox/1/result", json={"status": "sent"}, headers=as_user(who)).status_code == 403
    assert client.post("/api/sms/inbound", json=text("p1")).status_code == 401


def test_the_outbox_gives_queued_texts_oldest_first_until_reported(client, gateway, db) -> None:  # type: ignore[no-untyped-def]
    for i, minutes in enumerate((5, 20, 10)):
        db.add(SmsOutbound(phone=f"1391234000{i}", text=f"回复{i}【12345】", purpose="reply", status="queued",
                           created_at=START - timedelta(minutes=minutes)))
    db.commit()
    items = client.get("/api/sms/outbox?limit=2", headers=gateway).json()["items"]
    assert [i["to"] for i in items] == ["13912340001", "13912340002"]
    first, second = items[0]["id"], items[1]["id"]
    sent = client.post(f"/api/sms/outbox/{first}/result", json={"status": "sent", "gateway_id": "gw-9"},
                       headers=gateway)
    assert sent.status_code == 200 and sent.json()["status"] == "sent" and sent.json()["sent_at"]
    # The same report again is a retry; a contrary one is a conflict.
    assert client.post(f"/api/sms/outbox/{first}/result", json={"status": "sent", "gateway_id": "gw-9"},
                       headers=gateway).status_code == 200
    contrary = client.post(f"/api/sms/outbox/{first}/result", json={"status": "failed", "reason": "空号"},
                           headers=gateway)
    assert contrary.status_code == 409 and "已发送" in contrary.json()["message"]
    no_reason = client.post(f"/api/sms/outbox/{second}/result", json={"status": "failed"}, headers=gateway)
    assert no_reason.status_code == 422 and "原因" in no_reason.json()["message"]
    failed = client.post(f"/api/sms/outbox/{second}/result", json={"status": "failed", "reason": "空号"},
                         headers=gateway)
    assert failed.json()["failed_reason"] == "空号"
    assert [i["to"] for i in client.get("/api/sms/outbox", headers=gateway).json()["items"]] == ["13912340000"]
    assert client.post("/api/sms/outbox/999999/result", json={"status": "sent"}, headers=gateway).status_code == 404
    bad = client.post(f"/api/sms/outbox/{first}/result", json={"status": "done"}, headers=gateway)
    assert bad.status_code == 422


def test_the_api_is_published_with_chinese_summaries(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/openapi.json").json()["paths"]
    assert paths["/api/sms/inbound"]["post"]["summary"].startswith("短信网关推送")
    assert paths["/api/sms/outbox"]["get"]["summary"].startswith("短信网关领取")
    assert paths["/api/sms/outbox/{outbound_id}/result"]["post"]["summary"].startswith("短信网关报告")


def test_two_pushes_of_the_same_batch_at_once_store_it_once(engine, gateway_token, clock) -> None:  # type: ignore[no-untyped-def]
    """A gateway retrying while its first push is still running: the unique key decides, the loser
    reads the texts back as duplicates (on PostgreSQL it meets the key at commit and tries again)."""
    import threading

    from hotline.db import make_session_factory
    from hotline.org import service as org_service
    from hotline.org.models import User
    from hotline.sms import service

    factory = make_session_factory(engine)
    with factory() as db:
        actor = org_service.actor_for(db.execute(select(User).where(User.username == "sms-gateway")).scalar_one())
    batch = [text(f"race-{i}", sender=f"139000000{i:02d}") for i in range(40)]
    results: list[service.IngestResult] = []
    start = threading.Barrier(2)

    def push_once() -> None:
        with factory() as db:
            start.wait()
            results.append(service.ingest(db, actor=actor, items=batch, now=clock.now()))

    threads = [threading.Thread(target=push_once) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted((r.accepted, r.duplicates, r.conflicts) for r in results) == [(0, 40, 0), (40, 0, 0)]
    assert results[0].ids == results[1].ids and len(results[0].ids) == 40
    with factory() as db:
        assert db.execute(select(func.count()).select_from(SmsInbound)).scalar_one() == 40
