"""即将签收超时: when a ticket still waiting for its lead unit's acknowledgement (签收) reaches its
warning time (tickets.ack_warn_at), the scheduler's job `ack_warning` tells the lead unit once per
acknowledgement deadline — not a ticket taken, returned or reassigned meanwhile; a new lead unit gets
its own notice at its own warning time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from hotline.clock import CHINA_TZ, to_local
from hotline.supervision import service
from hotline.supervision.models import Notification, Reminder
from hotline.tickets.models import Ticket, TicketEvent


def local(at: datetime) -> str:
    return to_local(at).strftime("%Y-%m-%d %H:%M")


def warnings(db) -> list[Reminder]:  # type: ignore[no-untyped-def]
    rows = list(db.execute(select(Reminder).where(Reminder.step == "ack_warning").order_by(Reminder.id)).scalars())
    db.rollback()
    return rows


def told(db, org, who: str) -> int:  # type: ignore[no-untyped-def]
    """The 即将签收超时 notices in a persona's inbox (a reassignment tells units of other things too)."""
    inbox, _ = service.notifications(db, actor=org.actor(who))
    return sum(n.title.startswith("【即将签收超时】") for n in inbox)


def test_the_lead_unit_is_told_once_when_the_acknowledgement_deadline_nears(db, clock, org, open_ticket,
                                                                            run) -> None:
    # Dispatched Monday 10:00: to be acknowledged by the end of Tuesday, warned from Tuesday 14:29.
    t = open_ticket(assisting=("street",))
    tid, number, ack_due, ack_warn = t.id, t.number, t.ack_due_at, t.ack_warn_at
    assert (local(ack_warn), local(ack_due)) == ("2026-11-03 14:29", "2026-11-03 23:59")
    clock.set(ack_warn - timedelta(minutes=1))
    assert run().counts["ack_warning"] == 0

    clock.set(ack_warn + timedelta(minutes=1))
    report = run()
    assert (report.counts["ack_warning"], report.counts["ack_overdue"], report.counts["reminders"]) == (1, 0, 0)
    assert run().counts["ack_warning"] == 0  # a second pass sends nothing twice
    inbox, unread = service.notifications(db, actor=org.actor("housing_handler"))
    assert unread == 1
    assert inbox[0].title == f"【即将签收超时】工单 {number} 将于11月03日 23:59超过签收时限，请尽快签收"
    assert inbox[0].ticket_id == tid and inbox[0].kind == "reminder"
    assert service.notifications(db, actor=org.actor("housing_manager"))[1] == 1  # the unit's managers too
    assert service.notifications(db, actor=org.actor("street_handler"))[1] == 0  # assisting: not on this deadline
    event = db.execute(select(TicketEvent).where(TicketEvent.ticket_id == tid,
                                                 TicketEvent.action == "remind")).scalar_one()
    assert event.data["step"] == "ack_warning" and event.actor_role == "system" and "即将签收超时" in event.note
    assert db.get(Ticket, tid, populate_existing=True).remind_count == 1
    db.rollback()
    [row] = warnings(db)
    assert row.unit_id == org.units["housing"].id and row.due_at == ack_due


def test_a_pass_after_the_deadline_sends_the_late_notice_only(db, clock, open_ticket, run) -> None:
    # The scheduler was down through the warning window: the unit hears that it is late, not that it soon will be.
    t = open_ticket()
    clock.set(t.ack_due_at + timedelta(minutes=5))
    report = run()
    assert (report.counts["ack_warning"], report.counts["ack_overdue"]) == (0, 1)
    assert warnings(db) == []


def test_a_deadline_after_the_weekend_warns_before_it(db, clock, org, open_ticket, run) -> None:
    # Dispatched Friday 10:00, to be acknowledged by the end of Monday: the unit is told on Friday.
    clock.set(datetime(2026, 11, 6, 10, 0, tzinfo=CHINA_TZ))
    t = open_ticket()
    assert (local(t.ack_warn_at), local(t.ack_due_at)) == ("2026-11-06 10:00", "2026-11-09 23:59")
    clock.advance(timedelta(minutes=1))
    assert run().counts["ack_warning"] == 1
    inbox, _ = service.notifications(db, actor=org.actor("housing_handler"))
    assert "将于11月09日 23:59超过签收时限" in inbox[0].title


def test_tickets_taken_returned_or_withdrawn_meanwhile_are_not_told(db, clock, org, answered_tickets, run) -> None:
    taken = answered_tickets[0]
    clock.set(taken.ack_warn_at + timedelta(minutes=1))
    assert run().counts["ack_warning"] == 0
    assert db.execute(select(func.count()).select_from(Notification)
                      .where(Notification.title.like("%即将签收超时%"))).scalar_one() == 0
    db.rollback()


def test_a_reassigned_ticket_warns_its_new_lead_unit_at_its_own_time(db, clock, org, open_ticket, act,
                                                                     run) -> None:
    t = open_ticket()
    first_warn = t.ack_warn_at
    clock.set(first_warn - timedelta(hours=1))
    # Reassigned before the first unit's warning time: the first unit is never told.
    act(t, "dispatcher", "reassign", lead_unit_id=org.units["market"].id, reason="派单有误，改派市场监管局")
    moved = db.get(Ticket, t.id, populate_existing=True)
    ack_due, ack_warn = moved.ack_due_at, moved.ack_warn_at
    db.rollback()
    assert ack_warn > clock.now() + timedelta(hours=1)
    clock.set(first_warn + timedelta(minutes=1))  # the first unit's warning time passes
    assert run().counts["ack_warning"] == 0
    clock.set(ack_warn + timedelta(minutes=1))
    assert run().counts["ack_warning"] == 1
    assert run().counts["ack_warning"] == 0
    [row] = warnings(db)
    assert row.unit_id == org.units["market"].id and row.due_at == ack_due
    assert (told(db, org, "housing_handler"), told(db, org, "market_handler")) == (0, 1)

    # Reassigned again after that warning: the next unit gets its own, the market office no second one.
    act(t, "dispatcher", "reassign", lead_unit_id=org.units["housing"].id, reason="经核实仍由房产局主办")
    again = db.get(Ticket, t.id, populate_existing=True)
    db.rollback()
    clock.set(again.ack_warn_at + timedelta(minutes=1))
    assert run().counts["ack_warning"] == 1
    assert [r.unit_id for r in warnings(db)] == [org.units["market"].id, org.units["housing"].id]
    assert (told(db, org, "housing_handler"), told(db, org, "market_handler")) == (1, 1)


def test_two_workers_at_once_warn_each_unit_once(db, clock, open_ticket, two_at_once) -> None:
    tickets = [open_ticket() for _ in range(10)]
    clock.set(tickets[0].ack_warn_at + timedelta(minutes=1))
    reports = two_at_once()
    assert sum(r.counts["ack_warning"] for r in reports) == 10
    assert len(warnings(db)) == 10
    assert db.execute(select(func.count()).select_from(Notification)).scalar_one() == 10
    assert sum(db.execute(select(Ticket.remind_count)).scalars()) == 10
    db.rollback()
