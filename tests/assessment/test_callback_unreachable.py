"""无法联系 (the requester never answered the callback) is neither satisfied nor unsatisfied: the
assessment and the monthly report leave such tickets out of the satisfaction and resolution rates."""

from __future__ import annotations

from datetime import date, timedelta

from hotline.assessment import facts, service
from tests.test_callback_attempts import closed_ticket, no_answer


def test_unreachable_tickets_count_in_no_rate(client, as_user, org, clock, db) -> None:
    """Neither satisfied nor unsatisfied: the assessment and the monthly report leave them out."""
    happy = closed_ticket(client, as_user, org, title="回访满意的诉求")
    lost = closed_ticket(client, as_user, org, title="联系不上的诉求")
    client.post(f"/api/v1/tickets/{happy['id']}/actions/callback", headers=as_user("callback"),
                json={"solved": True, "satisfaction": "satisfied"})
    for _ in range(3):
        assert no_answer(client, as_user, lost["id"]).status_code == 200
        clock.advance(timedelta(days=1))
    assert client.get(f"/api/v1/tickets/{lost['id']}", headers=as_user("supervisor")).json()["state"] == "finished"

    facts.refresh(db, now=clock.now())
    month = service.Period(date(2026, 11, 1), date(2026, 11, 30))
    housing = facts.totals(db, start=month.start, end=month.end)[org.units["housing"].id]
    assert housing["satisfaction_rate"] == (1, 1)
    assert housing["resolution_rate"] == (1, 1)
    assert housing["reopen_rate"] == (0, 1)
    db.rollback()

    report = client.get("/api/v1/reports/2026-11", headers=as_user("analyst")).json()
    figures = {f["label"]: f for f in report["figures"]}
    assert figures["满意率"]["value"] == "100.0%" and figures["解决率"]["value"] == "100.0%"
    assert "无法联系 1 件不计入" in figures["满意率"]["hint"]
