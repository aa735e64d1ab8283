"""Retries of texts the gateway could not send: a temporary failure goes back to the outbox after
1, 5 and 30 minutes, the fourth failure is final; repeated reports count once; a result without
`temporary` is final as before; 重发 by an operator (API and page)."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy import select

from hotline.security.models import AuditEntry
from hotline.sms import service
from hotline.sms.models import SmsOutbound
from tests.conftest import START
from tests.test_pages import csrf_of, login


def _queue(db, phone: str = "13912345678", text: str = "您好，请补充地址。【12345】") -> int:  # type: ignore[no-untyped-def]
    row = SmsOutbound(phone=phone, text=text, purpose="reply", status="queued", created_at=START - timedelta(minutes=1))
    db.add(row)
    db.commit()
    return row.id


def _outbox(client, gateway) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    r = client.get("/api/sms/outbox", headers=gateway)
    assert r.status_code == 200, r.text
    return r.json()["items"]  # type: ignore[no-any-return]


def _report(client, gateway, oid: int, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/sms/outbox/{oid}/result", json=body, headers=gateway)


def _row(db, oid: int) -> SmsOutbound:  # type: ignore[no-untyped-def]
    row = db.get(SmsOutbound, oid)
    db.expunge_all()
    db.rollback()
    return row  # type: ignore[no-any-return]


def test_a_temporary_failure_is_retried_after_a_backoff_then_fails_for_good(client, gateway, clock, db) -> None:  # type: ignore[no-untyped-def]
    oid = _queue(db)
    assert [(i["id"], i["attempt"]) for i in _outbox(client, gateway)] == [(oid, 1)]
    for attempt, delay in enumerate(service.RETRY_DELAYS, start=1):
        r = _report(client, gateway, oid, status="failed", reason="网络超时", temporary=True)
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["status"], body["attempts"], body["last_error"], body["failed_reason"]) == \
            ("queued", attempt, "网络超时", None)
        assert body["next_attempt_at"].startswith((clock.now() + delay).strftime("%Y-%m-%dT%H:%M:%S"))
        # not handed out again before its time
        assert _outbox(client, gateway) == []
        clock.advance(delay - timedelta(seconds=1))
        assert _outbox(client, gateway) == []
        clock.advance(timedelta(seconds=1))
        assert [(i["id"], i["attempt"]) for i in _outbox(client, gateway)] == [(oid, attempt + 1)]
    last = _report(client, gateway, oid, status="failed", reason="运营商拥塞", temporary=True)
    assert last.status_code == 200
    body = last.json()
    assert (body["status"], body["attempts"], body["failed_reason"], body["next_attempt_at"]) == \
        ("failed", service.MAX_ATTEMPTS, "运营商拥塞", None)
    clock.advance(timedelta(hours=1))
    assert _outbox(client, gateway) == []
    # the same final report again is a retry; a contrary one a conflict
    assert _report(client, gateway, oid, status="failed", reason="运营商拥塞", temporary=True).status_code == 200
    contrary = _report(client, gateway, oid, status="sent")
    assert contrary.status_code == 409 and "发送失败" in contrary.json()["message"]


def test_a_retried_text_may_be_sent_at_last(client, gateway, clock, db) -> None:  # type: ignore[no-untyped-def]
    oid = _queue(db)
    _report(client, gateway, oid, status="failed", reason="网络超时", temporary=True)
    clock.advance(timedelta(minutes=1))
    [item] = _outbox(client, gateway)
    r = _report(client, gateway, oid, status="sent", gateway_id="carrier-1", attempt=item["attempt"])
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["attempts"], r.json()["last_error"]) == ("sent", 2, "网络超时")
    # the earlier attempt's report arriving late changes nothing
    late = _report(client, gateway, oid, status="failed", reason="网络超时", temporary=True, attempt=1)
    assert late.status_code == 200 and late.json()["status"] == "sent"
    # the last attempt reported otherwise is a conflict, as before retries
    contrary = _report(client, gateway, oid, status="failed", reason="空号", attempt=2)
    assert contrary.status_code == 409 and "已发送" in contrary.json()["message"]
    assert _row(db, oid).status == "sent"


def test_a_report_repeated_counts_once(client, gateway, clock, db) -> None:  # type: ignore[no-untyped-def]
    oid = _queue(db)
    for _ in range(3):  # the gateway timed out and posted the same report again
        r = _report(client, gateway, oid, status="failed", reason="网络超时", temporary=True)
        assert r.status_code == 200 and r.json()["attempts"] == 1
    clock.advance(timedelta(minutes=2))  # due again: a report naming the attempt already counted is the same
    r = _report(client, gateway, oid, status="failed", reason="网络超时", temporary=True, attempt=1)
    assert r.status_code == 200 and r.json()["attempts"] == 1 and r.json()["status"] == "queued"
    r = _report(client, gateway, oid, status="failed", reason="网络超时", temporary=True, attempt=2)
    assert r.json()["attempts"] == 2


def test_a_failure_not_said_to_be_temporary_is_final_as_before(client, gateway, clock, db) -> None:  # type: ignore[no-untyped-def]
    first, second = _queue(db), _queue(db, phone="13800001111")
    r = _report(client, gateway, first, status="failed", reason="空号")
    assert (r.json()["status"], r.json()["failed_reason"], r.json()["attempts"]) == ("failed", "空号", 1)
    r = _report(client, gateway, second, status="failed", reason="停机", temporary=False)
    assert r.json()["status"] == "failed"
    clock.advance(timedelta(hours=1))
    assert _outbox(client, gateway) == []
    odd = _report(client, gateway, _queue(db), status="sent", temporary=True)
    assert odd.status_code == 422 and odd.json()["code"] == "temporary_not_failed"
    typo = _report(client, gateway, first, status="failed", reason="x", temporary="也许")
    assert typo.status_code == 422 and "是否暂时性失败须为是/否" in typo.json()["message"]


def test_resend_by_the_api(client, gateway, as_user, db, clock) -> None:  # type: ignore[no-untyped-def]
    oid = _queue(db)
    queued = client.post(f"/api/sms/outbound/{oid}/resend", headers=as_user("operator"))
    assert queued.status_code == 409 and queued.json()["message"] == "只有发送失败的短信可以重发（该短信：待发送）"
    _report(client, gateway, oid, status="failed", reason="网络超时", temporary=True)
    waiting = client.get("/api/sms/outbound", headers=as_user("operator")).json()["items"][0]
    assert (waiting["status_label"], waiting["attempts"], waiting["last_error"]) == ("待重发", 1, "网络超时")
    _report(client, gateway, oid, status="failed", reason="空号")
    failed = client.get("/api/sms/outbound?failed_only=true", headers=as_user("supervisor")).json()
    assert [i["id"] for i in failed["items"]] == [oid] and failed["items"][0]["failed_reason"] == "空号"
    assert client.post(f"/api/sms/outbound/{oid}/resend", headers=as_user("supervisor")).status_code == 403
    r = client.post(f"/api/sms/outbound/{oid}/resend", headers=as_user("operator"))
    assert r.status_code == 201, r.text
    again = r.json()
    assert (again["status"], again["resend_of_id"], again["attempts"], again["text"]) == \
        ("queued", oid, 0, "您好，请补充地址。【12345】")
    assert [(i["id"], i["attempt"]) for i in _outbox(client, gateway)] == [(again["id"], 1)]
    twice = client.post(f"/api/sms/outbound/{oid}/resend", headers=as_user("dispatcher"))
    assert twice.status_code == 409 and twice.json()["code"] == "sms_already_resent"
    listed = client.get("/api/sms/outbound", headers=as_user("operator")).json()["items"]
    assert {i["id"]: i["resent_as_id"] for i in listed} == {again["id"]: None, oid: again["id"]}
    assert client.get("/api/sms/outbound?failed_only=true", headers=as_user("operator")).json()["total"] == 0
    entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "sms_resend")))
    db.expunge_all()
    db.rollback()
    assert [(e.object_type, e.object_id) for e in entries] == [("sms_outbound", str(oid))]
    assert "原发送失败：空号" in entries[0].detail
    assert client.post("/api/sms/outbound/999999999/resend", headers=as_user("operator")).status_code == 404


def test_the_page_shows_failed_texts_with_their_error_and_resends(client, gateway, db) -> None:  # type: ignore[no-untyped-def]
    oid = _queue(db)
    _report(client, gateway, oid, status="failed", reason="用户拒收")
    login(client, "operator")
    page = html.unescape(client.get("/sms?tab=failed").text)
    assert f'data-sms-failed="{oid}"' in page and "用户拒收" in page and "已尝试 1 次" in page
    assert "139****5678" in page and "13912345678" not in page
    assert "发送失败 <span class=\"count\">1</span>" in page
    csrf = csrf_of(client, "/sms?tab=failed")
    r = client.post(f"/sms/outbound/{oid}/resend", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sms?tab=failed"
    after = html.unescape(client.get("/sms?tab=failed").text)
    assert "已重新提交发送" in after and "暂无发送失败的短信" in after
    r = client.post(f"/sms/outbound/{oid}/resend", data={"csrf_token": csrf}, follow_redirects=False)
    assert "该短信已重发过" in html.unescape(client.get("/sms?tab=failed").text)
    assert len(list(db.scalars(select(SmsOutbound)))) == 2
    db.rollback()


def test_a_supervisor_sees_failed_texts_without_the_button(client, gateway, db) -> None:  # type: ignore[no-untyped-def]
    oid = _queue(db)
    _report(client, gateway, oid, status="failed", reason="空号")
    login(client, "supervisor")
    page = client.get("/sms?tab=failed").text
    assert f'data-sms-failed="{oid}"' in page and f"/sms/outbound/{oid}/resend" not in page


def test_a_text_waiting_for_its_retry_shows_as_such_beside_the_waiting_texts(client, gateway, push, db) -> None:  # type: ignore[no-untyped-def]
    from tests.sms.conftest import text

    r = push(text("w1"))
    inbound = r.json()["ids"]["w1"]
    login(client, "operator")
    csrf = csrf_of(client, "/sms")
    client.post(f"/sms/{inbound}/reply", data={"text": "请补充地址", "csrf_token": csrf}, follow_redirects=False)
    [item] = _outbox(client, gateway)
    _report(client, gateway, item["id"], status="failed", reason="网络超时", temporary=True)
    assert "人工回复（待重发" in client.get("/sms").text
    assert "暂无发送失败的短信" in client.get("/sms?tab=failed").text  # not failed for good: no 重发 yet


def test_two_reports_of_one_attempt_at_once_count_it_once(engine, db, clock, gateway_token) -> None:  # type: ignore[no-untyped-def]
    import threading

    from hotline.db import make_session_factory
    from hotline.org import service as org_service
    from hotline.org.models import User

    oid = _queue(db)
    factory = make_session_factory(engine)
    with factory() as s:
        actor = org_service.actor_for(s.execute(select(User).where(User.username == "sms-gateway")).scalar_one())
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def report() -> None:
        with factory() as s:
            start.wait()
            try:
                service.report_result(s, actor=actor, outbound_id=oid, sent=False, gateway_id=None, reason="网络超时",
                                      now=clock.now(), temporary=True)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=report) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    row = _row(db, oid)
    assert (row.status, row.attempts) == ("queued", 1)
