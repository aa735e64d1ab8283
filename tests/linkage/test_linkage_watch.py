"""联动转办 watched: a platform's answer late past the policy's linkage_answer (5 working days by default), a
request passed in not reported back past linkage_report (1 working day from closing) — the centre's inbox is
told once per passing, and not about passings answered or reported in time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.db import make_session_factory
from hotline.linkage import watch
from hotline.supervision.models import Notification
from hotline.supervision.policy import load_supervision_policy
from tests.factories import intake
from tests.test_pages import login

NOTES = "/api/v1/supervision/notifications"


def _act(client, as_user, ticket_id, action, body):  # type: ignore[no-untyped-def]
    r = client.post(f"/api/v1/tickets/{ticket_id}/actions/{action}", headers=as_user("dispatcher"), json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _pass(engine, rt, db) -> int:  # type: ignore[no-untyped-def]
    db.rollback()  # SQLite: the test's own session must not hold the write lock
    return watch.watch_linkage(make_session_factory(engine), rt, load_supervision_policy("default")).created


def _late(db) -> list[str]:  # type: ignore[no-untyped-def]
    db.rollback()
    titles = list(db.execute(select(Notification.title).where(Notification.kind == "linkage_late")
                             .order_by(Notification.id)).scalars())
    db.rollback()
    return titles


def test_a_late_answer_and_a_result_owed_back_are_told_once(client, as_user, lines, engine, rt, db, clock) -> None:
    out = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    _act(client, as_user, out["id"], "transfer_out", {"line_id": lines["shanghai"], "reason": "属上海市办理的事项"})
    answered = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    _act(client, as_user, answered["id"], "transfer_out", {"line_id": lines["water"], "reason": "供水管网抢修事项"})
    inbound = client.post("/api/v1/tickets", json=intake(linked_from_line_id=lines["police"],
                                                         linked_from_ref="JJ-7"), headers=as_user("operator")).json()
    _act(client, as_user, inbound["id"], "answer_directly",
         {"answer": "已告知来电人相关政策和办理渠道", "answer_source": "政策文件：办事指南"})

    clock.advance(timedelta(hours=4))  # a Monday: nothing is late yet
    assert _pass(engine, rt, db) == 0
    _act(client, as_user, answered["id"], "linked_answer", {"content": "已抢修完毕，恢复供水"})

    clock.advance(timedelta(days=2))  # Wednesday: the report back (1 working day from closing) is late
    assert _pass(engine, rt, db) == 1
    assert _late(db) == [f"【待反馈转入方】工单 {inbound['number']} 已办结，超过时限（11月03日 23:59）尚未向"
                         "南京市公安局110报警服务台反馈"]
    clock.advance(timedelta(days=6))  # the next Tuesday: past 5 working days since the passing out (ends Monday)
    assert _pass(engine, rt, db) == 1
    assert _late(db)[1].startswith(f"【联动超时】工单 {out['number']} 转至上海市12345市民服务热线")
    assert _pass(engine, rt, db) == 0  # told once
    # the centre reads it in its inbox, linked to the ticket
    items = client.get(NOTES, headers=as_user("dispatcher")).json()["items"]
    late = [n for n in items if n["kind"] == "linkage_late"]
    assert {n["ticket_number"] for n in late} == {out["number"], inbound["number"]}


def test_the_list_marks_the_late_ones(client, as_user, lines, clock) -> None:
    t = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    _act(client, as_user, t["id"], "transfer_out", {"line_id": lines["shanghai"], "reason": "属上海市办理的事项"})
    first = client.get("/api/v1/linkage", headers=as_user("dispatcher")).json()["items"][0]
    assert first["overdue"] is False and first["due_at"].startswith("2026-11-09T15:59:59")  # Monday 23:59:59 Beijing
    clock.advance(timedelta(days=8))
    first = client.get("/api/v1/linkage", headers=as_user("dispatcher")).json()["items"][0]
    assert first["overdue"] is True
    login(client, "dispatcher")
    assert 'data-field="linkage-overdue"' in client.get("/hall/linkage").text


def test_a_request_passed_in_and_merged_is_owed_back_from_its_parents_closing(client, as_user, lines, engine, rt,
                                                                               db, clock) -> None:
    parent = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()
    child = client.post("/api/v1/tickets", json=intake(linked_from_line_id=lines["police"], linked_from_ref="JJ-8"),
                        headers=as_user("operator")).json()
    _act(client, as_user, child["id"], "merge", {"parent_id": parent["id"]})
    clock.advance(timedelta(days=3))  # Thursday: the parent not answered yet, nothing is owed
    assert _pass(engine, rt, db) == 0
    _act(client, as_user, parent["id"], "answer_directly",
         {"answer": "已告知来电人相关政策和办理渠道", "answer_source": "政策文件：办事指南"})
    clock.advance(timedelta(days=4))  # the next Monday: past 1 working day from the parent's closing
    assert _pass(engine, rt, db) == 1
    assert _late(db) == [f"【待反馈转入方】工单 {child['number']} 已办结，超过时限（11月06日 23:59）尚未向"
                         "南京市公安局110报警服务台反馈"]
