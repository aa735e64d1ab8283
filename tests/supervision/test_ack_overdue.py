"""签收超时: a dispatched ticket the lead unit has not acknowledged within the policy's acknowledgement
limit is flagged (即将签收超时 from its warning time, 签收超时 after the deadline) on the unit's
workbench and the centre's lists, and the scheduler tells the unit's inbox of each once per deadline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.clock import to_local
from hotline.supervision import service
from hotline.supervision.models import Reminder
from hotline.tickets.models import Ticket, TicketEvent
from tests.test_pages import login


def local(at) -> str:  # type: ignore[no-untyped-def]
    return to_local(at).strftime("%Y-%m-%d %H:%M")


def summary(client, as_user, tid: int, who: str = "dispatcher") -> dict:  # type: ignore[no-untyped-def]
    found = client.get("/api/v1/tickets", headers=as_user(who)).json()["items"]
    return next(t for t in found if t["id"] == tid)


def test_late_acknowledgement_is_flagged_then_told_once(db, clock, org, open_ticket, act, run, client,
                                                         as_user) -> None:
    # Guangdong policy: a normal ticket is acknowledged within 1 working day — dispatched Monday 10:00,
    # due at the end of Tuesday; warned in the last quarter of the limit (Tuesday, a little before 14:30).
    t = open_ticket()
    tid, number = t.id, t.number  # read once: an expired attribute read later would begin a read that holds off writes
    assert local(t.ack_due_at) == "2026-11-03 23:59"
    assert local(t.ack_warn_at) == "2026-11-03 14:29"
    s = summary(client, as_user, t.id)
    assert (s["ack_status"], s["ack_label"]) == ("on_time", "")

    clock.set(t.ack_warn_at + timedelta(minutes=1))
    s = summary(client, as_user, t.id)
    assert (s["ack_status"], s["ack_label"]) == ("about_to_expire", "即将签收超时")
    report = run()  # not late yet: the inbox hears of the warning (tests/supervision/test_ack_warning.py)
    assert (report.counts["ack_warning"], report.counts["ack_overdue"]) == (1, 0)
    login(client, "housing_handler")
    page = client.get("/unit").text
    assert 'data-ack="about_to_expire"' in page
    assert '<span class="stat-n">1</span><span class="stat-l">即将签收超时</span>' in page

    clock.set(t.ack_due_at + timedelta(minutes=5))
    s = summary(client, as_user, t.id)
    assert (s["ack_status"], s["ack_label"]) == ("overdue", "签收超时")
    # The handling deadline (15 working days) is far: only the acknowledgement is late.
    assert s["deadline_status"] == "on_time"
    report = run()
    assert (report.counts["ack_overdue"], report.counts["ack_warning"]) == (1, 0)
    assert run().counts["ack_overdue"] == 0
    inbox, unread = service.notifications(db, actor=org.actor("housing_handler"))
    assert unread == 2 and inbox[0].title.startswith(f"【签收超时】工单 {number} 已超过签收时限（11月03日 23:59）")
    assert service.notifications(db, actor=org.actor("market_handler"))[1] == 0
    reminds = list(db.execute(select(TicketEvent).where(TicketEvent.ticket_id == t.id, TicketEvent.action == "remind")
                              .order_by(TicketEvent.id)).scalars())
    assert [e.data["step"] for e in reminds] == ["ack_warning", "ack_overdue"]
    assert reminds[1].actor_role == "system" and "签收超时" in reminds[1].note
    assert db.get(Ticket, t.id, populate_existing=True).remind_count == 2
    db.rollback()

    page = client.get("/unit").text
    assert 'data-ack="overdue"' in page
    assert '<span class="stat-n">1</span><span class="stat-l">签收超时</span>' in page
    # The centre: a badge in every list, and a tab of its own on the supervision page.
    login(client, "supervisor")
    page = client.get("/supervision?tab=ack_overdue").text
    assert "签收超时" in page and number in page and 'data-ack="overdue"' in page
    listed = client.get("/api/v1/tickets?ack_overdue=true", headers=as_user("supervisor")).json()
    assert [x["id"] for x in listed["items"]] == [tid]
    assert 'data-ack="overdue"' in client.get(f"/tickets/{number}").text
    searched = client.get("/tickets?ack_overdue=1").text
    assert number in searched and "仅看签收超时" in searched

    # Acknowledged late: no flag any more, and the acknowledgement is late for the assessment too.
    act(t, "housing_handler", "acknowledge")
    s = summary(client, as_user, t.id)
    assert (s["ack_status"], s["ack_label"]) == ("none", "")
    ack = db.execute(select(TicketEvent).where(TicketEvent.ticket_id == t.id,
                                               TicketEvent.action == "acknowledge")).scalar_one()
    assert ack.data["late"] is True
    db.rollback()
    assert client.get("/api/v1/tickets?ack_overdue=true", headers=as_user("supervisor")).json()["total"] == 0


def test_a_new_lead_unit_gets_its_own_deadline_and_notice(db, clock, org, open_ticket, act, run) -> None:
    t = open_ticket(assisting=("street",))
    clock.set(t.ack_due_at + timedelta(minutes=5))
    assert run().counts["ack_overdue"] == 1  # the lead unit only: assisting units are not on this deadline
    act(t, "dispatcher", "reassign", lead_unit_id=org.units["market"].id, reason="主办单位长时间未签收，改派")
    moved = db.get(Ticket, t.id, populate_existing=True)
    db.rollback()
    assert moved.ack_due_at > clock.now() and moved.ack_warn_at < moved.ack_due_at
    assert run().counts["ack_overdue"] == 0
    clock.set(moved.ack_due_at + timedelta(minutes=5))
    assert run().counts["ack_overdue"] == 1
    units = set(db.execute(select(Reminder.unit_id).where(Reminder.step == "ack_overdue")).scalars())
    db.rollback()
    assert units == {org.units["housing"].id, org.units["market"].id}


def test_acknowledged_returned_or_withdrawn_tickets_are_not_told(db, clock, org, answered_tickets, run) -> None:
    clock.advance(timedelta(days=3))
    assert run().counts["ack_overdue"] == 0
