"""派单时限: the centre's own time limit on the 待派单 queue — set at registration from the policy, shown in
the queue (nearest limit first), told to the centre's inbox once when passed, and measured (派单及时率)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from hotline.supervision.models import Notification
from hotline.tickets.models import Ticket, TicketEvent
from tests.conftest import START
from tests.factories import intake
from tests.test_pages import dispatch_to, login, new_ticket


def late_notices(db) -> list[Notification]:  # type: ignore[no-untyped-def]
    rows = list(db.execute(select(Notification).where(Notification.kind == "dispatch_late")
                           .order_by(Notification.id)).scalars())
    db.rollback()
    return rows


def test_the_limit_follows_the_policy_and_is_shown_while_the_ticket_waits(client, as_user, clock) -> None:
    """Guangdong preset: 特急 30 minutes, 加急 1 hour, complaints and reports 2 hours, the rest 4 hours."""
    cases = {"critical": ("consultation", 30), "urgent": ("consultation", 60), "normal": ("complaint", 120)}
    for urgency, (kind, minutes) in cases.items():
        t = new_ticket(client, as_user, urgency=urgency, kind=kind)
        assert t["dispatch_status"] == "on_time" and t["dispatch_label"] == "派单时限"
        assert datetime.fromisoformat(t["dispatch_due_at"]) == START + timedelta(minutes=minutes), urgency
    plain = new_ticket(client, as_user, kind="suggestion")
    clock.advance(timedelta(hours=3, minutes=5))  # the last quarter of 4 hours: about to expire
    got = client.get(f"/api/v1/tickets/{plain['id']}", headers=as_user("dispatcher")).json()
    assert (got["dispatch_status"], got["dispatch_label"]) == ("about_to_expire", "即将派单超时")
    assert got["dispatch_remaining"] == "剩余 55分钟"
    clock.advance(timedelta(hours=1))
    got = client.get(f"/api/v1/tickets/{plain['id']}", headers=as_user("dispatcher")).json()
    assert (got["dispatch_status"], got["dispatch_label"]) == ("overdue", "派单超时")
    dispatch_to(client, as_user, plain, 2)
    got = client.get(f"/api/v1/tickets/{plain['id']}", headers=as_user("dispatcher")).json()
    assert got["dispatch_status"] == "none" and got["dispatch_label"] == ""  # out of the queue: no badge


def test_the_queue_serves_the_nearest_limit_first_and_has_a_late_tab(client, as_user, clock) -> None:
    old = new_ticket(client, as_user, kind="suggestion", title="早上登记的一般建议")  # 4 hours
    clock.advance(timedelta(minutes=20))
    urgent = new_ticket(client, as_user, urgency="critical", title="刚登记的特急诉求")  # due in 30 minutes
    login(client, "dispatcher")
    page = client.get("/hall/dispatch").text
    assert page.index(urgent["number"]) < page.index(old["number"])
    assert "派单时限" in page and "派单超时" in page  # the badge, and the tab
    listed = client.get("/api/v1/tickets", params={"dispatch_overdue": "true"}, headers=as_user("dispatcher"))
    assert listed.json()["total"] == 0
    clock.advance(timedelta(minutes=45))  # the 特急 one is 15 minutes past its limit
    late = client.get("/hall/dispatch", params={"tab": "dispatch_overdue"}).text
    assert urgent["number"] in late and old["number"] not in late
    assert 'data-dispatch="overdue"' in late
    listed = client.get("/api/v1/tickets", params={"dispatch_overdue": "true"}, headers=as_user("dispatcher"))
    assert [t["number"] for t in listed.json()["items"]] == [urgent["number"]]


def test_the_centre_is_told_once_when_a_ticket_waits_past_its_limit(client, db, as_user, clock, run) -> None:
    waiting = new_ticket(client, as_user, urgency="critical")
    taken = new_ticket(client, as_user, urgency="critical")
    assert run().counts["dispatch_overdue"] == 0  # within the limit
    clock.advance(timedelta(minutes=10))
    dispatch_to(client, as_user, taken, 2)
    clock.advance(timedelta(minutes=25))
    assert run().counts["dispatch_overdue"] == 1
    assert run().counts["dispatch_overdue"] == 0  # told once
    (notice,) = late_notices(db)
    assert (notice.unit_id, notice.audience, notice.ticket_id) == (None, "centre", waiting["id"])
    assert notice.title.startswith(f"【派单超时】工单 {waiting['number']} 已超过派单时限")
    db.rollback()  # SQLite: reading the notice's attributes opened a transaction
    inbox = client.get("/api/v1/supervision/notifications", headers=as_user("dispatcher")).json()
    assert waiting["number"] in "".join(n["title"] for n in inbox["items"])
    unit = client.get("/api/v1/supervision/notifications", headers=as_user("housing_handler")).json()
    assert waiting["number"] not in "".join(n["title"] for n in unit["items"])


def test_tickets_waiting_before_the_limit_existed_get_one_from_registration(client, db, as_user, clock, run) -> None:
    t = new_ticket(client, as_user, kind="complaint")  # 2 hours
    db.execute(update(Ticket).where(Ticket.id == t["id"]).values(dispatch_due_at=None, dispatch_warn_at=None))
    db.commit()
    clock.advance(timedelta(hours=3))
    assert run().counts["dispatch_overdue"] == 1
    ticket = db.get(Ticket, t["id"])
    assert ticket is not None and ticket.dispatch_due_at == START + timedelta(hours=2)
    assert ticket.dispatch_warn_at == START + timedelta(hours=1, minutes=30)
    db.rollback()


def test_the_dispatch_records_whether_it_was_in_time_and_the_report_rates_it(client, db, as_user, clock) -> None:
    quick, slow = new_ticket(client, as_user), new_ticket(client, as_user)  # complaints: 2 hours
    direct = client.post("/api/v1/tickets", headers=as_user("operator"), json={  # dispatched at intake
        **intake(title="受理时当场派单"),
        "dispatch": {"lead_unit_id": 2}})
    assert direct.status_code == 201, direct.text
    clock.advance(timedelta(minutes=30))
    dispatch_to(client, as_user, quick, 2)
    clock.advance(timedelta(hours=2))
    dispatch_to(client, as_user, slow, 2)
    verdicts = {e.ticket_id: e.data.get("dispatch_on_time") for e in db.execute(
        select(TicketEvent).where(TicketEvent.action == "dispatch")).scalars()}
    db.rollback()
    assert verdicts == {quick["id"]: True, slow["id"]: False, direct.json()["id"]: True}
    report = client.get("/api/v1/reports/2026-11", headers=as_user("supervisor")).json()
    figure = next(f for f in report["figures"] if f["label"] == "派单及时率")
    assert figure["value"] == "66.7%" and "3 件" in figure["hint"]
