"""Idempotency-Key: a client that sends a request again (a timeout, a lost answer, a machine's retry) gets
the first answer back instead of a second act.

One table for every keyed request (`idempotency_keys`), keyed per owner — a user or a machine account
(`user:{id}`), a citizen's phone, a call — and holding a hash of the request: the same key with a different
request is refused (409 `idempotency_key_reused`), never answered with another request's result.

- a registration's key (POST /tickets, the portal, Open311) names the ticket it created; it never expires
  (calls and waiting messages find their ticket by it);
- a ticket action's key (POST /tickets/{id}/actions/{action}) keeps the action's first answer, as sent,
  for ACTION_KEY_TTL; after that the key is free again. Expired keys are deleted when their owner next
  stores one (the owner's rows only: an index lookup), and ignored, then deleted, when met before."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hotline.errors import Conflict
from hotline.security.actor import Actor
from hotline.tickets.enums import Action
from hotline.tickets.models import IdempotencyKey
from hotline.tickets.schemas import ActionIn

ACTION_KEY_TTL = timedelta(hours=24)
REGISTRATION_REUSED = "该 Idempotency-Key 已用于另一份不同的诉求，请更换"
REQUEST_REUSED = ("该 Idempotency-Key 已用于另一个不同的请求：同一个键只能用于重发完全相同的请求"
                  "（同一工单、同一操作、同样的内容），新的操作请使用新的键")


def owner_of(actor: Actor) -> str:
    """The key space of a signed-in user or a machine account: its own keys, whoever else uses the same."""
    return f"user:{actor.user_id}"


def action_hash(ticket_id: int, action: Action, params: ActionIn) -> str:
    """The request an action's key stands for: the ticket, the action and the body as parsed (so that
    `{}` and `{"note": null}` are the same request, and a reordered body too)."""
    text = f"action:{ticket_id}:{action}:{params.model_dump_json(exclude_unset=False)}"
    return hashlib.sha256(text.encode()).hexdigest()


def find(db: Session, *, owner: str, key: str, request_hash: str, now: datetime,
         registration: bool = False) -> IdempotencyKey | None:
    """The stored key, if this owner used it for the same request and it has not expired. A key used for
    another request is refused (409); an expired one is deleted (in the caller's transaction) and is no key."""
    row = db.execute(select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
                     ).scalar_one_or_none()
    if row is None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        db.delete(row)
        db.flush()
        return None
    if row.request_hash != request_hash:
        reused = REGISTRATION_REUSED if registration and row.response is None else REQUEST_REUSED
        raise Conflict("idempotency_key_reused", reused)
    return row


def store_answer(db: Session, *, owner: str, key: str, request_hash: str, ticket_id: int, response: str,
                 now: datetime) -> None:
    """Keep an action's answer under its key (in the action's transaction: both or neither), and drop the
    owner's expired keys. A second request with the same key at the same time fails on the unique key."""
    db.execute(delete(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.expires_at <= now)
               .execution_options(synchronize_session=False))
    db.add(IdempotencyKey(owner=owner, key=key, request_hash=request_hash, ticket_id=ticket_id, created_at=now,
                          response=response, expires_at=now + ACTION_KEY_TTL))
    db.flush()
