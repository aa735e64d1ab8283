"""The scheduler's jobs on the test clock: reminders, overdue orders, escalation, auto-closing,
across working days and the National Day holiday; and that nothing is ever created twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from hotline.clock import CHINA_TZ, to_local
from hotline.supervision import service
from hotline.supervision.jobs import run_pass
from hotline.supervision.models import Notification, OrderEscalation, Reminder, SchedulerRun, SupervisionOrder
from hotline.tickets.models import Ticket, TicketEvent


def count(db, model, *conds) -> int:  # type: ignore[no-untyped-def]
    n = db.execute(select(func.count()).select_from(model).where(*conds)).scalar_one()
    db.rollback()
    return n


def events(db, ticket_id: int, action: str) -> list[TicketEvent]:  # type: ignore[no-untyped-def]
    rows = list(db.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                     TicketEvent.action == action).order_by(TicketEvent.id)).scalars())
    db.rollback()
    return rows


def local(at: datetime) -> str:
    return to_local(at).strftime("%Y-%m-%d %H:%M")


def test_reminders_then_order_then_escalation_then_auto_close(db, rt, clock, org, open_ticket, act, run) -> None:
    # A complaint dispatched Monday 2 Nov 10:00 has 15 working days: due Mon 23 Nov 23:59:59.
    t = open_ticket()
    act(t, "housing_handler", "acknowledge")  # taken at once: no 签收超时 (tests/supervision/test_ack_overdue.py)
    assert local(t.due_at) == "2026-11-23 23:59"
    # the policy warns 24 h before; the day before is a Sunday: from the start of the Friday before it
    assert local(t.warn_at) == "2026-11-20 00:00"

    clock.set(t.warn_at - timedelta(minutes=1))
    assert run().counts["reminders"] == 0

    # At warn_at: the unit is reminded (临期提醒), once.
    clock.set(t.warn_at + timedelta(minutes=1))
    assert run().counts["reminders"] == 1
    assert run().counts["reminders"] == 0
    # 4 hours before the deadline: the unit's manager (临期催办).
    clock.set(t.due_at - timedelta(hours=3))
    assert run().counts["reminders"] == 1
    reminders = events(db, t.id, "remind")
    assert [e.data["step"] for e in reminders] == ["unit", "manager"]
    assert all(e.actor_role == "system" and "自动催办" in (e.note or "") for e in reminders)
    assert db.get(Ticket, t.id, populate_existing=True).remind_count == 2
    db.rollback()
    handler_inbox, _ = service.notifications(db, actor=org.actor("housing_handler"))
    manager_inbox, _ = service.notifications(db, actor=org.actor("housing_manager"))
    assert len(handler_inbox) == 1 and "临期提醒" in handler_inbox[0].title
    assert len(manager_inbox) == 2
    assert service.notifications(db, actor=org.actor("market_manager"))[1] == 0

    # Past the deadline: one supervision order to the lead unit, due in 2 working days.
    clock.set(t.due_at + timedelta(minutes=5))  # Tue 24 Nov 00:04
    report = run()
    assert report.counts["orders"] == 1 and report.counts["reminders"] == 0
    assert run().counts["orders"] == 0
    order = db.execute(select(SupervisionOrder)).unique().scalar_one()
    db.rollback()
    assert order.level == 1 and order.source == "auto_overdue" and order.unit_id == org.units["housing"].id
    assert local(order.due_at) == "2026-11-26 23:59"  # Wed 25, Thu 26
    assert [e.data["order_id"] for e in events(db, t.id, "supervise")] == [order.id]

    # The order's own deadline passes: level 2 (the unit's manager), then 3 (leadership), then no more.
    clock.set(order.due_at + timedelta(minutes=1))
    assert run().counts["escalations"] == 1
    assert run().counts["escalations"] == 0
    o2 = db.get(SupervisionOrder, order.id, populate_existing=True)
    assert o2.level == 2 and local(o2.due_at) == "2026-11-30 23:59"  # Fri 27 → Mon 30
    db.rollback()
    clock.set(o2.due_at + timedelta(minutes=1))
    assert run().counts["escalations"] == 1
    clock.advance(timedelta(days=10))
    assert run().counts["escalations"] == 0
    assert count(db, OrderEscalation) == 2
    # Housing has no parent unit: the leadership escalation lands in the 12345 centre's inbox.
    centre, _ = service.notifications(db, actor=org.actor("supervisor"))
    assert any("上级领导" in n.title for n in centre)
    assert db.get(Ticket, t.id, populate_existing=True).supervise_count == 3
    db.rollback()

    # The unit finally replies: the next pass closes the order.
    act(t, "housing_handler", "reply", content="已到现场处理完毕，餐馆已加装消声设备。")
    assert run().counts["orders_closed"] == 1
    closed = db.get(SupervisionOrder, order.id, populate_existing=True)
    assert closed.status == "closed" and "已答复" in closed.outcome
    db.rollback()


def test_order_deadline_skips_national_day(db, rt, clock, org, open_ticket, run) -> None:
    # A consultation (2 working days) dispatched Mon 28 Sep is due Wed 30 Sep; the order raised on
    # 1 Oct, the first day of the holiday, is due 2 working days later: after the holiday.
    clock.set(datetime(2026, 9, 28, 10, 0, tzinfo=CHINA_TZ))
    t = open_ticket(kind="consultation")
    assert local(t.due_at) == "2026-09-30 23:59"
    clock.set(datetime(2026, 10, 1, 9, 0, tzinfo=CHINA_TZ))
    assert run().counts["orders"] == 1
    order = db.execute(select(SupervisionOrder)).unique().scalar_one()
    db.rollback()
    assert local(order.due_at) == "2026-10-09 23:59"
    # During the holiday nothing escalates.
    clock.set(datetime(2026, 10, 8, 12, 0, tzinfo=CHINA_TZ))
    assert run().counts["escalations"] == 0


def test_replied_in_time_and_paused_tickets_are_left_alone(db, rt, clock, org, open_ticket, act, run) -> None:
    on_time = open_ticket(kind="consultation")
    returned = open_ticket(kind="consultation", unit="market")
    act(on_time, "housing_handler", "acknowledge")
    act(on_time, "housing_handler", "reply", content="您好，相关政策已电话告知，请留意短信。")
    act(returned, "market_manager", "return", reason="不属于本单位职责，应由街道处理")
    clock.advance(timedelta(days=10))
    report = run()
    assert report.counts["reminders"] == 0 and report.counts["orders"] == 0
    assert count(db, Notification) == 0


def test_extension_gets_its_own_reminders(db, rt, clock, org, open_ticket, act, run) -> None:
    t = open_ticket(kind="consultation")  # due Wed 4 Nov 23:59
    clock.set(t.warn_at + timedelta(minutes=1))
    assert run().counts["reminders"] == 1
    act(t, "housing_handler", "acknowledge")
    act(t, "housing_manager", "request_extension", days=2, reason="需要现场核实后再答复")
    act(t, "dispatcher", "approve_extension")
    t = db.get(Ticket, t.id, populate_existing=True)
    db.rollback()
    assert local(t.due_at) == "2026-11-06 23:59"
    assert run().counts["reminders"] == 0  # the new deadline is not near yet
    clock.set(t.warn_at + timedelta(minutes=1))
    assert run().counts["reminders"] == 1
    # two for the handling deadlines, and one for the acknowledgement that came after its deadline
    assert count(db, Reminder, Reminder.ticket_id == t.id, Reminder.step != "ack_overdue") == 2
    assert count(db, Reminder, Reminder.ticket_id == t.id) == 3


def test_assisting_units_are_reminded_until_they_reply(db, rt, clock, org, open_ticket, act, run) -> None:
    t = open_ticket(kind="consultation", assisting=("street", "water"))
    act(t, "water_handler", "assist_reply", content="供水管网无异常，不涉及本单位。")
    clock.set(t.warn_at + timedelta(minutes=1))
    assert run().counts["reminders"] == 2  # housing (lead) and the street office, not water
    units = set(db.execute(select(Reminder.unit_id)).scalars())
    db.rollback()
    assert units == {org.units["housing"].id, org.units["street"].id}


def test_running_twice_creates_nothing_twice(db, rt, clock, org, open_ticket, run) -> None:
    tickets = [open_ticket(kind="consultation") for _ in range(12)]
    clock.set(tickets[0].due_at - timedelta(hours=1))
    first = run()
    assert first.counts["reminders"] == 24  # unit + manager step for each
    clock.set(tickets[0].due_at + timedelta(hours=1))
    assert run().counts["orders"] == 12
    again = run()
    assert again.counts == {"reminders": 0, "ack_warning": 0, "ack_overdue": 0, "orders": 0, "escalations": 0,
                            "orders_closed": 0, "findings": 0, "assessment": 0, "blacklist": 0, "kb_imports": 0,
                            "kb_expiry": 0, "share_push": 0, "access_review": 0,
                            "dispatch_overdue": 0, "linkage_overdue": 0, "revisit_reminder": 0}
    assert set(again.job_ms) == set(again.counts)
    # 24 before the deadline, and 12 签收超时 (none was acknowledged)
    assert count(db, Reminder) == 36 and count(db, SupervisionOrder) == 12
    assert count(db, TicketEvent, TicketEvent.action == "supervise") == 12
    assert count(db, SchedulerRun) == 3


def test_two_workers_at_once_create_nothing_twice(db, clock, org, open_ticket, two_at_once) -> None:
    tickets = [open_ticket(kind="consultation") for _ in range(20)]
    clock.set(tickets[0].due_at + timedelta(hours=1))
    reports = two_at_once()
    assert sum(r.counts["orders"] for r in reports) == 20
    assert count(db, SupervisionOrder) == 20
    assert count(db, TicketEvent, TicketEvent.action == "supervise") == 20
    assert count(db, Notification) == 40  # 20 orders, and 20 签收超时 (none was acknowledged)
    assert sum(db.execute(select(Ticket.supervise_count)).scalars()) == 20


def test_batches_are_bounded_and_the_rest_follows_next_pass(db, rt, clock, org, open_ticket, sf) -> None:
    from hotline.supervision.policy import load_supervision_policy

    small = load_supervision_policy("default").model_copy(update={"batch_size": 2, "max_batches": 2})
    tickets = [open_ticket(kind="consultation") for _ in range(7)]
    clock.set(tickets[0].due_at + timedelta(hours=1))
    first = run_pass(sf, rt, mode="test", policy=small)
    assert first.counts["orders"] == 4 and "orders" in first.truncated
    second = run_pass(sf, rt, mode="test", policy=small)
    assert second.counts["orders"] == 3 and "orders" not in second.truncated
    runs = list(db.execute(select(SchedulerRun).order_by(SchedulerRun.id)).scalars())
    db.rollback()
    # 7 tickets never acknowledged: the 签收超时 job met the same bound
    assert runs[0].counts["truncated"] == ["ack_overdue", "orders"] and runs[0].status == "ok"


def test_a_failing_job_is_logged_and_the_others_run(db, rt, clock, org, open_ticket, sf, monkeypatch) -> None:
    from hotline.supervision import jobs

    def broken(*_a, **_k):  # type: ignore[no-untyped-def]
        raise RuntimeError("数据库暂时不可用")

    monkeypatch.setattr(jobs, "JOBS", (("reminders", broken), *jobs.JOBS[1:]))
    t = open_ticket(kind="consultation")
    clock.set(t.due_at + timedelta(hours=1))
    report = run_pass(sf, rt, mode="test")
    assert report.counts["orders"] == 1 and len(report.errors) == 1 and "临期催办" in report.errors[0]
    run = db.execute(select(SchedulerRun)).scalar_one()
    db.rollback()
    assert run.status == "error" and "数据库暂时不可用" in run.errors[0]


def test_the_run_log_keeps_thirty_days(db, rt, clock, run) -> None:
    run()
    clock.advance(timedelta(days=20))
    run()
    clock.advance(timedelta(days=15))
    run()
    kept = [r.started_at for r in db.execute(select(SchedulerRun).order_by(SchedulerRun.id)).scalars()]
    db.rollback()
    assert len(kept) == 2 and kept[-1] == rt.clock.now()
