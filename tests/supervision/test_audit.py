"""Supervisors' own acts — issuing, escalating and closing supervision orders, calling meetings and
interviews and recording their outcome — leave audit entries (谁使用、谁负责), in the same transaction
as the act: a refused attempt leaves none. Read back through the audit API and the audit log page."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.security.models import AuditEntry
from tests.supervision.test_api import API, dispatched


def _entries(db: Session, object_type: str) -> list[tuple[str, str, str, str | None]]:
    db.rollback()
    rows = db.execute(select(AuditEntry.action, AuditEntry.username, AuditEntry.object_id, AuditEntry.detail)
                      .where(AuditEntry.object_type == object_type).order_by(AuditEntry.id)).all()
    db.rollback()  # SQLite: a reading test session must not keep the write lock from the app
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_order_actions_are_audited(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = dispatched(client, as_user, org.units["housing"].id)
    body = {"ticket_number": t["number"], "reason": "群众反映强烈，请加快办理", "days": 3}
    assert client.post(f"{API}/orders", headers=as_user("dispatcher"), json=body).status_code == 409
    assert client.post(f"{API}/orders", headers=as_user("supervisor"), json={**body, "reason": "快"}).status_code == 422
    assert _entries(db, "supervision_order") == []  # refused attempts leave nothing
    order = client.post(f"{API}/orders", headers=as_user("supervisor"), json=body).json()
    oid = str(order["id"])
    assert client.post(f"{API}/orders/{oid}/escalate", headers=as_user("supervisor"),
                       json={"note": "单位未反馈"}).status_code == 200
    assert client.post(f"{API}/orders/{oid}/close", headers=as_user("supervisor"),
                       json={"outcome": "单位已反馈处理计划，督办结束"}).status_code == 200
    # Closing again is refused and is not audited a second time.
    assert client.post(f"{API}/orders/{oid}/close", headers=as_user("supervisor"),
                       json={"outcome": "再次办结督办单"}).status_code == 409
    entries = _entries(db, "supervision_order")
    assert [(a, u, o) for a, u, o, _d in entries] == [
        ("supervision_order_create", "supervisor", oid),
        ("supervision_order_escalate", "supervisor", oid),
        ("supervision_order_close", "supervisor", oid),
    ]
    assert t["number"] in (entries[0][3] or "") and "群众反映强烈" in (entries[0][3] or "")
    assert entries[1][3] == "第1级→第2级：单位未反馈"
    assert entries[2][3] == "单位已反馈处理计划，督办结束"
    # The audit API shows them to an administrator, filtered by action.
    r = client.get("/api/v1/audit?action=supervision_order_escalate", headers=as_user("admin"))
    assert r.status_code == 200 and [e["object_id"] for e in r.json()["items"]] == [oid]


def test_meeting_actions_are_audited(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = dispatched(client, as_user, org.units["market"].id)
    body = {"kind": "interview", "title": "约谈市市场监管局", "topic": "多次不当退单",
            "held_at": "2026-11-05T09:00:00+08:00", "location": "12345中心会议室", "host": "中心主任",
            "attendees": ["市市场监管局 王副局长"], "unit_ids": [org.units["market"].id],
            "ticket_numbers": [t["number"]]}
    assert client.post(f"{API}/meetings", headers=as_user("analyst"), json=body).status_code == 403
    assert client.post(f"{API}/meetings", headers=as_user("supervisor"),
                       json={**body, "unit_ids": []}).status_code == 422
    assert _entries(db, "supervision_meeting") == []
    m = client.post(f"{API}/meetings", headers=as_user("supervisor"), json=body).json()
    assert client.post(f"{API}/meetings/{m['id']}/outcome", headers=as_user("supervisor"),
                       json={"outcome": "短"}).status_code == 422
    assert client.post(f"{API}/meetings/{m['id']}/outcome", headers=as_user("supervisor"),
                       json={"outcome": "单位承认问题，承诺一周内整改", "follow_up": "每周报送"}).status_code == 200
    entries = _entries(db, "supervision_meeting")
    assert [(a, u, o) for a, u, o, _d in entries] == [
        ("supervision_meeting_create", "supervisor", str(m["id"])),
        ("supervision_meeting_outcome", "supervisor", str(m["id"])),
    ]
    assert entries[0][3] == "约谈：约谈市市场监管局（单位 1 个，工单 1 件）"
    assert entries[1][3] == "单位承认问题，承诺一周内整改"


def test_audit_log_page_lists_supervision_actions(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    import re

    from tests.factories import PASSWORD

    t = dispatched(client, as_user, org.units["housing"].id)
    client.post(f"{API}/orders", headers=as_user("supervisor"),
                json={"ticket_number": t["number"], "reason": "请加快办理并反馈"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    page = client.get("/admin/audit?action=supervision_order_create")
    assert page.status_code == 200 and "人工督办" in page.text and t["number"] in page.text


def test_the_api_export_of_orders_is_audited_and_keeps_the_search(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    """QA: the page's export was audited, the API's (the same ticket titles) was not; it also dropped q."""
    first = dispatched(client, as_user, org.units["housing"].id)
    second = dispatched(client, as_user, org.units["housing"].id)
    for t in (first, second):
        assert client.post(f"{API}/orders", headers=as_user("supervisor"),
                           json={"ticket_number": t["number"], "reason": "请加快办理并反馈"}).status_code == 201
    r = client.get(f"{API}/orders.xlsx", headers=as_user("supervisor"), params={"q": second["number"]})
    assert r.status_code == 200
    ws = load_workbook(BytesIO(r.content)).active
    assert [row[1] for row in ws.iter_rows(min_row=2, values_only=True) if row[1]] == [second["number"]]
    assert [(a, u, d) for a, u, _o, d in _entries(db, "supervision_order") if a == "export_orders"] == [
        ("export_orders", "supervisor", "共1张，导出1张")]
