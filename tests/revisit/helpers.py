"""Tickets brought to 已回访归档 through the real API: an unsatisfied callback finishes a ticket only once
reopening is used up (max_reopens), so these go round the loop that many times first."""

from __future__ import annotations

from typing import Any

from tests.factories import intake

REPLY = {"content": "已现场核查处理，并向诉求人说明处理情况。"}


def act(client: Any, as_user: Any, ticket: dict[str, Any], persona: str, action: str, **params: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/tickets/{ticket['id']}/actions/{action}", json=params, headers=as_user(persona))
    assert r.status_code == 200, (action, r.text)
    return r.json()


def handle_and_close(client: Any, as_user: Any, ticket: dict[str, Any], unit: str) -> None:
    act(client, as_user, ticket, f"{unit}_handler", "acknowledge")
    act(client, as_user, ticket, f"{unit}_handler", "reply", **REPLY)
    act(client, as_user, ticket, "dispatcher", "close")


def finished(client: Any, as_user: Any, org: Any, *, unit: str = "housing", solved: bool = False,
             satisfaction: str = "unsatisfied", reopens: int = 2, **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/v1/tickets", json=intake(**overrides), headers=as_user("operator"))
    assert r.status_code == 201, r.text
    ticket = r.json()
    act(client, as_user, ticket, "dispatcher", "dispatch", lead_unit_id=org.units[unit].id)
    for _ in range(reopens):
        handle_and_close(client, as_user, ticket, unit)
        act(client, as_user, ticket, "callback", "reopen", solved=False, satisfaction="unsatisfied")
    handle_and_close(client, as_user, ticket, unit)
    out = act(client, as_user, ticket, "callback", "callback", solved=solved, satisfaction=satisfaction)
    assert out["state"] == "finished"
    return out
