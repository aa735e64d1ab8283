"""Idempotency-Key on the ticket action API: a retried action answers the first answer and acts once; the
same key with another request is refused; a key lasts ACTION_KEY_TTL; a failed action keeps no key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from hotline.tickets.idempotency import ACTION_KEY_TTL
from hotline.tickets.models import IdempotencyKey, TicketEvent
from tests.factories import intake


def _dispatched(client: Any, as_user: Any, org: Any) -> dict[str, Any]:
    r = client.post("/api/v1/tickets", json=intake(dispatch={"lead_unit_id": org.units["housing"].id}),
                    headers=as_user("operator"))
    assert r.status_code == 201, r.text
    return r.json()


def _act(client: Any, ticket: dict[str, Any], action: str, headers: dict[str, str], body: dict[str, Any],
         key: str | None = None) -> Any:
    if key:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(f"/api/v1/tickets/{ticket['id']}/actions/{action}", json=body, headers=headers)


def _events(db: Any, ticket: dict[str, Any], action: str) -> int:
    n = db.execute(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket["id"], TicketEvent.action == action)).scalar_one()
    db.rollback()
    return n


def test_a_retried_action_replays_the_first_answer_and_acts_once(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = _dispatched(client, as_user, org)
    first = _act(client, t, "remind", as_user("dispatcher"), {"note": "请尽快签收办理"}, key="remind-1")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers, first.text
    assert first.json()["remind_count"] == 1
    again = _act(client, t, "remind", as_user("dispatcher"), {"note": "请尽快签收办理"}, key="remind-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content  # the first answer, as it was sent
    assert _events(db, t, "remind") == 1
    # The answer is the one an action without a key gets (masked, the ticket after the action).
    plain = _act(client, t, "remind", as_user("dispatcher"), {"note": "请尽快签收办理"})
    assert plain.json()["remind_count"] == 2 and plain.json()["requester_phone"] == first.json()["requester_phone"]
    assert set(plain.json()) == set(first.json())


def test_the_same_key_with_another_request_is_refused(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = _dispatched(client, as_user, org)
    other = _dispatched(client, as_user, org)
    assert _act(client, t, "remind", as_user("dispatcher"), {"note": "请尽快办理"}, key="k-2").status_code == 200
    for ticket, action, body in ((t, "remind", {"note": "请今天内办理"}),  # another body
                                 (other, "remind", {"note": "请尽快办理"}),  # another ticket
                                 (t, "reassign", {"lead_unit_id": org.units["market"].id, "reason": "改派"})):
        r = _act(client, ticket, action, as_user("dispatcher"), body, key="k-2")
        assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused", r.text
        assert "同一个键只能用于重发完全相同的请求" in r.json()["message"]
    assert _events(db, t, "remind") == 1 and _events(db, other, "remind") == 0
    # A registration's key is a key too: an action may not take it, nor a registration an action's.
    r = client.post("/api/v1/tickets", json=intake(), headers=as_user("dispatcher", **{"Idempotency-Key": "k-reg"}))
    assert r.status_code == 201
    r = _act(client, t, "remind", as_user("dispatcher"), {"note": "请尽快办理"}, key="k-reg")
    assert r.status_code == 409 and "同一个键只能用于重发完全相同的请求" in r.json()["message"]
    r = client.post("/api/v1/tickets", json=intake(), headers=as_user("dispatcher", **{"Idempotency-Key": "k-2"}))
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused"
    # Keys are each account's own: another user's "k-2" is a request of its own.
    r = _act(client, t, "remind", as_user("supervisor"), {"note": "请今天内办理"}, key="k-2")
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers


def test_a_refused_action_keeps_no_key(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = _dispatched(client, as_user, org)
    r = _act(client, t, "remind", as_user("dispatcher"), {"note": ""}, key="k-3")
    assert r.status_code == 422, r.text
    r = _act(client, t, "remind", as_user("dispatcher"), {"note": "请尽快办理"}, key="k-3")
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers
    assert _events(db, t, "remind") == 1


def test_a_key_expires_after_a_day_and_expired_keys_go(client, as_user, org, db, clock) -> None:  # type: ignore[no-untyped-def]
    t = _dispatched(client, as_user, org)
    body = {"note": "请尽快办理"}
    assert _act(client, t, "remind", as_user("dispatcher"), body, key="k-4").status_code == 200
    assert _act(client, t, "remind", as_user("dispatcher"), body, key="k-5").status_code == 200
    clock.advance(ACTION_KEY_TTL - timedelta(minutes=1))
    assert _act(client, t, "remind", as_user("dispatcher"), body, key="k-4").headers["Idempotent-Replayed"] == "true"
    clock.advance(timedelta(minutes=2))
    r = _act(client, t, "remind", as_user("dispatcher"), body, key="k-4")  # a new request: it acts
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers and r.json()["remind_count"] == 3
    # Storing it dropped the owner's expired keys (k-5); the new k-4 lasts a day from now.
    keys = db.execute(select(IdempotencyKey.key, IdempotencyKey.expires_at)
                      .where(IdempotencyKey.key.in_(["k-4", "k-5"]))).all()
    db.rollback()
    assert [(k, at) for k, at in keys] == [("k-4", clock.now() + ACTION_KEY_TTL)]


def test_supervise_with_a_key_is_one_order(client, as_user, org, db) -> None:  # type: ignore[no-untyped-def]
    t = _dispatched(client, as_user, org)
    body = {"note": "请于三日内办结并反馈"}
    first = _act(client, t, "supervise", as_user("supervisor"), body, key="sv-1")
    assert first.status_code == 200 and first.json()["supervise_count"] == 1, first.text
    again = _act(client, t, "supervise", as_user("supervisor"), body, key="sv-1")
    assert again.headers["Idempotent-Replayed"] == "true" and again.content == first.content
    assert _events(db, t, "supervise") == 1
    # Without the key a second 督办 is refused: one order is open.
    assert _act(client, t, "supervise", as_user("supervisor"), body).status_code == 409
