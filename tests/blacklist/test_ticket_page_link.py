"""The ticket page leads the people who may record it to the verdict form (属实/不属实)."""

from __future__ import annotations

from tests.factories import intake
from tests.test_pages import login


def test_verdict_link_once_a_ticket_is_replied(client, as_user, org) -> None:
    tid = client.post("/api/v1/tickets", json=intake(), headers=as_user("operator")).json()["id"]
    number = client.get(f"/api/v1/tickets/{tid}", headers=as_user("operator")).json()["number"]
    client.post(f"/api/v1/tickets/{tid}/actions/dispatch", headers=as_user("dispatcher"),
                json={"lead_unit_id": org.units["housing"].id})
    login(client, "housing_handler")
    assert "核实诉求是否属实" not in client.get(f"/tickets/{number}").text  # still being handled
    client.post(f"/api/v1/tickets/{tid}/actions/acknowledge", headers=as_user("housing_handler"), json={})
    r = client.post(f"/api/v1/tickets/{tid}/actions/reply", headers=as_user("housing_handler"),
                    json={"content": "经现场核实，反映情况不存在。"})
    assert r.status_code == 200, r.text
    page = client.get(f"/tickets/{number}").text
    assert f'href="/blacklist/verdict?ticket={number}"' in page
    form = client.get(f"/blacklist/verdict?ticket={number}").text
    assert f'value="{number}"' in form
