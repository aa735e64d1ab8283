"""The fast registration path (tickets/service.register): the row written by one Core INSERT is the
object returned, a refused registration leaves the session usable, and concurrent registrations never
share a number (PostgreSQL takes it in its own autocommitted statement, SQLite in the transaction).
The API's part: the bearer token's one-query actor equals the user's, and POST /api/v1/tickets, which
authenticates inside its single thread-pool trip, still answers 401 before reporting an invalid body."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from hotline.db import make_session_factory
from hotline.errors import DomainError
from hotline.org import service as org_service
from hotline.org.models import User
from hotline.runtime import Runtime
from hotline.tickets import service
from hotline.tickets.models import Ticket, TicketAttachment, TicketEvent
from hotline.tickets.schemas import TicketCreate
from tests.factories import intake


def _columns(ticket: Ticket) -> dict[str, Any]:
    return {attr.key: getattr(ticket, attr.key) for attr in inspect(Ticket).column_attrs}


def test_the_returned_ticket_is_the_stored_row(db, rt, org, engine) -> None:
    data = TicketCreate(**intake(
        attachments=[{"filename": "现场照片.jpg", "content_type": "image/jpeg", "size_bytes": 2048}],
        dispatch={"lead_unit_id": org.units["housing"].id},
    ))
    ticket, created = service.register(db, rt, actor=org.actor("operator"), data=data)
    assert created and ticket.state == "dispatched"
    returned = _columns(ticket)
    assert [a.filename for a in ticket.attachments] == ["现场照片.jpg"]
    assert [a.unit_id for a in ticket.assignments] == [org.units["housing"].id]

    with make_session_factory(engine)() as fresh:
        stored = fresh.get(Ticket, ticket.id)
        assert stored is not None
        assert _columns(stored) == returned
        attachments = fresh.execute(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)).scalars()
        assert [(a.filename, a.size_bytes) for a in attachments] == [("现场照片.jpg", 2048)]
        events = fresh.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                               .order_by(TicketEvent.id)).scalars().all()
        assert [(e.action, e.from_state, e.to_state) for e in events] == [
            ("register", None, "registered"), ("dispatch", "registered", "dispatched")]
        assert events[0].note == data.title and events[0].data == {}
        assert events[0].actor_user_id == org.actor("operator").user_id


def test_a_refused_registration_leaves_the_session_usable(db, rt, org, engine) -> None:
    operator = org.actor("operator")
    with pytest.raises(DomainError, match="承办单位（编号 999999）不存在"):
        service.register(db, rt, actor=operator, data=TicketCreate(**intake(dispatch={"lead_unit_id": 999999})))
    assert db.execute(select(Ticket)).first() is None
    ticket, _ = service.register(db, rt, actor=operator, data=TicketCreate(**intake()))
    assert db.get(Ticket, ticket.id) is ticket and ticket.state == "registered"
    # SQLite numbers inside the registration's transaction: the refused one used no number. PostgreSQL
    # takes the number in its own statement: the refused registration leaves a gap (docs/benchmarks.md).
    expected = 1 if engine.dialect.name == "sqlite" else 2
    assert ticket.number == f"NJ20261102-{expected:06d}"


def test_concurrent_registrations_never_share_a_number(engine: Engine, rt: Runtime, org) -> None:
    factory = make_session_factory(engine)
    operator = org.actor("operator")
    numbers: list[str] = []
    failures: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(5):
                with factory() as db:
                    ticket, _ = service.register(db, rt, actor=operator,
                                                 data=TicketCreate(**intake(title=f"并发登记测试 {k}-{i}")))
                    numbers.append(ticket.number)
        except BaseException as exc:  # reported below, in the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    assert sorted(numbers) == [f"NJ20261102-{i:06d}" for i in range(1, 21)]


def test_the_token_actor_is_the_users_actor(db, rt, org, tokens) -> None:
    for name, user in org.users.items():
        loaded = db.get(User, user.id)
        assert loaded is not None
        actor = org_service.actor_for_token(db, token=tokens[name], now=rt.clock.now(), client="10.0.0.1")
        assert actor == org_service.actor_for(loaded, "10.0.0.1"), name
    assert any(a.scope_path for a in (org_service.actor_for(db.get(User, u.id)) for u in org.users.values()))


def test_registration_authenticates_before_it_reports_an_invalid_body(client, as_user) -> None:
    api = "/api/v1/tickets"
    r = client.post(api, json={"kind": "nope"})
    assert r.status_code == 401 and "请先登录" in r.json()["message"]
    r = client.post(api, json={"kind": "nope"}, headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401 and "令牌无效" in r.json()["message"]
    r = client.post(api, json={"kind": "nope"}, headers={"Idempotency-Key": "k" * 200})
    assert r.status_code == 401
    # As before: malformed JSON is reported first, and a signed-in user gets the validation errors.
    r = client.post(api, content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["message"] == "请求体不是合法的 JSON"
    r = client.post(api, json={"kind": "nope"}, headers=as_user("operator"))
    assert r.status_code == 422
    r = client.post(api, json=intake(), headers=as_user("operator"))
    assert r.status_code == 201 and r.json()["state"] == "registered"
