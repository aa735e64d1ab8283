"""The only code that changes tickets: registration, every workflow action, reads with scope checks.

Each public function is one use case and owns its transaction (one commit). Every change appends a
TicketEvent; a refused action raises before anything is written.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, case, false, func, insert, inspect, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from hotline.clock import add_working_days, same_local_day, to_local
from hotline.db import autocommit_execute, no_nul
from hotline.errors import DomainError, Forbidden, NotFound
from hotline.org.models import Jurisdiction, Unit, UnitKind
from hotline.phones import as_kept
from hotline.ratings.enums import BAD as BAD_RATINGS
from hotline.ratings.enums import GOOD as GOOD_RATINGS
from hotline.ratings.enums import RatingFilter
from hotline.runtime import Runtime
from hotline.security import audit, throttle
from hotline.security.actor import Actor
from hotline.security.permissions import can_view, ensure_can_view, visible_condition
from hotline.security.roles import PERSONAL_DATA_ROLES, UNIT_ROLES, Role
from hotline.tickets import idempotency, workflow
from hotline.tickets.categories import catalogue, full_name
from hotline.tickets.deadlines import shift_for_pause, warn_at
from hotline.tickets.elements import ELEMENT_LABELS, missing_elements
from hotline.tickets.enums import (
    REVIEW_CONCLUSION_LABELS,
    STATE_LABELS,
    Action,
    AssignmentRole,
    AssignmentStatus,
    Channel,
    DeadlineStatus,
    Kind,
    ReviewConclusion,
    State,
    Urgency,
)
from hotline.tickets.models import (
    IdempotencyKey,
    Ticket,
    TicketAssignment,
    TicketAttachment,
    TicketCounter,
    TicketEvent,
    TicketReview,
)
from hotline.tickets.schemas import ActionIn, TicketCreate

OPEN_STATES = (State.DISPATCHED, State.HANDLING, State.RETURN_REVIEW)
# The most rows one read returns (an Excel export); API pages are capped at 200 by the routers.
MAX_READ_ROWS = 10_000


# ---- registration -------------------------------------------------------------------------


def _public_owner(phone: str | None) -> str:
    """The key space of an anonymous submission: its phone's (hashed: the keys table is no place for
    a number), so that one citizen's key neither blocks another's request nor hands it theirs."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return "public:" + (hashlib.sha256(digits.encode()).hexdigest()[:32] if digits else "-")


def _count_public_submission(db: Session, actor: Actor, phone: str | None, now: datetime) -> None:
    """A request submitted without an account counts against its phone's and its client address's
    quotas (a replayed Idempotency-Key returned before this and counts nothing)."""
    hall = "如有急事请拨打 12345 热线"
    checks = []
    if any(ch.isdigit() for ch in phone or ""):  # the phone's hash, as the idempotency keys use it
        checks.append((f"submit-phone:{_public_owner(phone)}", throttle.SUBMIT_PER_PHONE,
                       f"同一手机号 24 小时内最多在网上提交 {throttle.SUBMIT_PER_PHONE.limit} 件诉求，"
                       f"请 {{minutes}} 分钟后再提交；{hall}"))
    if actor.client:
        checks.append((f"submit-client:{actor.client}", throttle.SUBMIT_PER_CLIENT,
                       f"本网络提交诉求过于频繁，请 {{minutes}} 分钟后再提交；{hall}"))
    throttle.take(db, checks=checks, now=now)


# An identical request sent again this soon by the same submitter without an Idempotency-Key is a
# retry (an app that timed out, a double tap), not a second matter: it gets the first ticket back.
RESUBMIT_WINDOW = timedelta(minutes=10)
_RESUBMIT_ROLES = (Role.REQUESTER, Role.CHANNEL)


def _resubmitted(db: Session, actor: Actor, data: TicketCreate, now: datetime) -> Ticket | None:
    """The ticket an identical submission from the same submitter made within RESUBMIT_WINDOW, if any.
    Only for the public and channel accounts (a hall operator may mean to register twice), and only
    when the submitter is known: by a phone, or by the channel account that sent it."""
    if actor.role not in _RESUBMIT_ROLES or not (data.requester_phone or actor.user_id):
        return None
    # a request withdrawn since is not handed back: sending it again means it again
    same = [Ticket.created_at >= now - RESUBMIT_WINDOW, Ticket.state != State.WITHDRAWN, Ticket.channel == data.channel,
            Ticket.title == data.title, Ticket.content == data.content, Ticket.kind == data.kind]
    for column, value in ((Ticket.requester_phone, data.requester_phone), (Ticket.address, data.address),
                          (Ticket.category_code, data.category_code), (Ticket.registered_by_id, actor.user_id)):
        same.append(column.is_(None) if value is None else column == value)
    return db.scalars(select(Ticket).where(*same).order_by(Ticket.id).limit(1)).first()


def register(
    db: Session,
    rt: Runtime,
    *,
    actor: Actor,
    data: TicketCreate,
    idempotency_key: str | None = None,
    idempotency_owner: str | None = None,
) -> tuple[Ticket, bool]:
    """Accept a request as a ticket; returns (ticket, created). A repeated Idempotency-Key returns
    the ticket it created before. Keys are each user's (or each citizen phone's) own, unless
    `idempotency_owner` names what they belong to (a call: one ticket whoever registers it)."""
    owner = idempotency_owner or (f"user:{actor.user_id}" if actor.user_id else _public_owner(data.requester_phone))
    request_hash = hashlib.sha256(data.model_dump_json().encode()).hexdigest() if idempotency_key else ""
    if idempotency_key:
        existing = _ticket_for_key(db, owner, idempotency_key, request_hash, rt.clock.now())
        if existing is not None:
            return existing, False
    now = rt.clock.now()
    workflow.check(workflow.Context(ticket=None, actor=actor, now=now, policy=rt.policy), Action.REGISTER)
    if not idempotency_key:
        again = _resubmitted(db, actor, data, now)
        if again is not None:
            return again, False
    fields = data.model_dump()
    missing = missing_elements(Kind(data.kind), fields)
    if missing:
        labels = "、".join(ELEMENT_LABELS[m] for m in missing)
        raise DomainError("intake_elements_missing", f"受理要素不全，请补充：{labels}", status_code=422)
    if not data.requester_anonymous and not data.requester_phone:
        raise DomainError("requester_phone_required", "请填写诉求人联系电话（匿名诉求请勾选匿名）", status_code=422)
    if data.category_code and data.category_code not in catalogue():
        raise DomainError("unknown_category", f"诉求分类代码 {data.category_code} 不存在", status_code=422)
    jurisdiction = _jurisdiction(db, data.jurisdiction_code) if data.jurisdiction_code else None
    linked_from = _linked_from(db, rt, data)
    if actor.role == Role.REQUESTER:
        _count_public_submission(db, actor, data.requester_phone, now)

    # The new row's values (columns left out are NULL or take their default in _insert_new).
    values: dict[str, Any] = dict(
        state=State.REGISTERED,
        channel=data.channel,
        kind=data.kind,
        category_code=data.category_code,
        urgency=data.urgency,
        is_enterprise=data.is_enterprise,
        is_complex=data.is_complex,
        confidential=data.confidential,
        requester_name=None if data.requester_anonymous else data.requester_name,
        requester_phone=data.requester_phone,
        requester_anonymous=data.requester_anonymous,
        requester_org=data.requester_org,
        occurred_at=data.occurred_at,
        occurred_desc=data.occurred_desc,
        address=data.address,
        jurisdiction_id=jurisdiction.id if jurisdiction else None,
        jurisdiction_path=jurisdiction.path if jurisdiction else None,
        title=data.title,
        content=data.content,
        circumstances=data.circumstances,
        created_at=now,
        updated_at=now,
        registered_by_id=actor.user_id,
    )
    values["dispatch_due_at"], values["dispatch_warn_at"] = dispatch_deadline(rt, values, now)
    ticket: Ticket | None = None
    try:
        values["number"] = _next_number(db, rt, now)
        # With its `register` event; the jurisdiction row loaded above: present.detail() reads it after the
        # commit without a lazy SELECT.
        note, screened = _screening_note(data)
        if linked_from is not None:
            said = f"联动转入：{linked_from.name}（{linked_from.number}）" + (
                f"，对方工单编号 {data.linked_from_ref}" if data.linked_from_ref else "")
            note = f"{said}。{note}" if note else said
            screened = {**(screened or {}), "linked_from": {"line_id": linked_from.id, "line_name": linked_from.name,
                                                            "external_ref": data.linked_from_ref}}
        ticket = _insert_new(db, values, _event_values(None, actor, now, Action.REGISTER, None, State.REGISTERED,
                                                       note=note, data=screened), jurisdiction=jurisdiction)
        if linked_from is not None:
            from hotline.linkage import service as linkage  # linkage reads tickets: import at call time

            inbound = linkage.received(db, ticket, linked_from, actor=actor, now=now, external_ref=data.linked_from_ref)
            set_committed_value(ticket, "linkages", [inbound])
        attachments = [TicketAttachment(ticket_id=ticket.id, created_at=now, **a.model_dump())
                       for a in data.attachments]
        db.add_all(attachments)
        set_committed_value(ticket, "attachments", attachments)
        if data.dispatch:
            _apply(db, rt, ticket, actor, now, Action.DISPATCH, ActionIn(**data.dispatch.model_dump()))
        elif data.direct_answer:
            _apply(db, rt, ticket, actor, now, Action.ANSWER_DIRECTLY, ActionIn(**data.direct_answer.model_dump()))
        if idempotency_key:
            db.add(IdempotencyKey(owner=owner, key=idempotency_key, request_hash=request_hash,
                                  ticket_id=ticket.id, created_at=now))
        db.commit()
    except IntegrityError:
        _forget(db, ticket)
        # Another request with the same key won the race: answer with its ticket.
        if idempotency_key:
            existing = _ticket_for_key(db, owner, idempotency_key, request_hash, rt.clock.now())
            if existing is not None:
                return existing, False
        raise
    except Exception:
        _forget(db, ticket)
        raise
    return ticket, True


def _linked_from(db: Session, rt: Runtime, data: TicketCreate) -> Any:
    """The linked platform a request was passed in by (checked before anything is stored), or None."""
    if not data.linked_from_line_id:
        return None
    from hotline.linkage import service as linkage  # linkage reads tickets: import at call time

    return linkage.checked_line(db, data.linked_from_line_id, home_city=rt.settings.city_name)


def _insert_new(db: Session, values: dict[str, Any], event: dict[str, Any], **related: Any) -> Ticket:
    """INSERT a new ticket and its first event (`event`, without ticket_id) and return the ticket attached to
    the session as if just loaded. Core statements: the event is not read back, so the unit of work need
    not track it. On PostgreSQL both rows go in one statement (a data-modifying WITH): one round trip less.

    Cheaper than letting the unit of work flush it (about 1 ms of CPU per registration): the ORM's INSERT
    names every column, NULL for the ~25 that are empty at registration, and over 50 parameters psycopg
    no longer caches the statement's parsing. Here only the columns with a value are sent (scalar column
    defaults are applied here, other defaults by the INSERT and read back through RETURNING). The object
    is then made from the row: every column goes straight into its __dict__ (what a load from the database
    does; setting ~50 instrumented attributes one by one cost more than the INSERT), and every relationship
    is set (`related`, or empty), so reading it (present.detail) never lazy-loads."""
    sent: dict[str, Any] = {}
    row_dict: dict[str, Any] = {}
    fetch: list[str] = []
    event = {k: no_nul(v) for k, v in event.items()}  # as stored: the object is made from these values
    for key, col_key, default, generated in _ticket_layout():
        value = no_nul(values.get(key))
        if value is None:
            value = default
        if value is not None:
            sent[col_key] = value
            row_dict[key] = value
        elif generated:
            fetch.append(key)
        else:
            row_dict[key] = None
    # A fixed statement with the values as parameters: SQLAlchemy caches its compiled form per set of
    # column names, where .values(...) would build and coerce a new statement on every call.
    if db.get_bind().dialect.name == "postgresql":
        params = {f"t_{k}": v for k, v in sent.items()}
        params.update((f"e_{k}", v) for k, v in event.items() if k != "ticket_id")
        row = db.execute(_ticket_with_event_insert(tuple(sent), tuple(fetch)), params).one()
    else:
        row = db.execute(_ticket_insert(tuple(fetch)), sent).one()
        db.execute(_EVENT_INSERT, {**event, "ticket_id": row[0]})
    row_dict["id"] = row[0]
    row_dict.update(zip(fetch, row[1:], strict=True))
    ticket: Ticket = inspect(Ticket).class_manager.new_instance()
    ticket.__dict__.update(row_dict)
    for rel in inspect(Ticket).relationships:
        # A new row: nothing refers to it yet, and its many-to-ones are those given (or none).
        set_committed_value(ticket, rel.key, related.get(rel.key, [] if rel.uselist else None))
    make_transient_to_detached(ticket)
    db.add(ticket)
    return ticket


@lru_cache(maxsize=1)
def _ticket_layout() -> tuple[tuple[str, str, Any, bool], ...]:
    """(attribute, column, scalar default, value made by the database) for each column of Ticket but the id."""
    layout = []
    for prop in inspect(Ticket).column_attrs:
        col = prop.columns[0]
        if col.primary_key:
            continue
        scalar = col.default.arg if col.default is not None and col.default.is_scalar else None
        generated = scalar is None and (col.server_default is not None or col.default is not None)
        layout.append((prop.key, col.key, scalar, generated))
    return tuple(layout)


@lru_cache(maxsize=64)
def _ticket_insert(returned: tuple[str, ...]) -> Any:
    table = Ticket.__table__
    return insert(table).returning(table.c.id, *(table.c[k] for k in returned))


@lru_cache(maxsize=64)
def _ticket_with_event_insert(sent: tuple[str, ...], returned: tuple[str, ...]) -> Any:
    """PostgreSQL: WITH new_ticket AS (INSERT INTO tickets … RETURNING …), new_event AS (INSERT INTO
    ticket_events … VALUES ((SELECT id FROM new_ticket), …)) SELECT … FROM new_ticket. Parameters t_<column>
    for the ticket, e_<column> for the event."""
    tickets, events = Ticket.__table__, TicketEvent.__table__
    new = (insert(tickets).values({k: bindparam(f"t_{k}", type_=tickets.c[k].type) for k in sent})
           .returning(tickets.c.id, *(tickets.c[k] for k in returned)).cte("new_ticket"))
    event = insert(events).values({
        "ticket_id": select(new.c.id).scalar_subquery(),
        **{c.key: bindparam(f"e_{c.key}", type_=c.type) for c in events.c if c.key not in ("id", "ticket_id")},
    }).cte("new_event")
    return select(new.c.id, *(new.c[k] for k in returned)).add_cte(event)


_EVENT_INSERT = insert(TicketEvent.__table__)
# The day's counter, bumped in one statement (PostgreSQL): creates the day's row or increments it.
_COUNTER_BUMP = (
    pg_insert(TicketCounter).values(day=bindparam("day"), value=1)
    .on_conflict_do_update(index_elements=[TicketCounter.day], set_={"value": TicketCounter.value + 1})
    .returning(TicketCounter.value)
)


def _forget(db: Session, ticket: Ticket | None) -> None:
    """Roll back, and drop the ticket attached by _insert_new: its row is gone (SQLite may even reuse
    the id), but the session would keep it as a persistent object."""
    db.rollback()
    if ticket is not None and ticket in db:
        db.expunge(ticket)


def _ticket_for_key(db: Session, owner: str, key: str, request_hash: str, now: datetime) -> Ticket | None:
    row = idempotency.find(db, owner=owner, key=key, request_hash=request_hash, now=now, registration=True)
    return None if row is None else db.get(Ticket, row.ticket_id)


def _next_number(db: Session, rt: Runtime, now: datetime) -> str:
    """NJ20261123-000123: city code, local date, the day's sequence.

    PostgreSQL: the counter is bumped by one autocommitted statement on a separate connection, so its
    row lock lasts only that statement, not the whole registration (every registration of the day
    used to queue on it: ~150 tickets/s at most, see docs/benchmarks.md). The trade-off: a registration
    that fails after this point (a database error, a dispatch at intake refused, a lost Idempotency-Key
    race) leaves a gap in the day's numbers. Numbers are never repeated. SQLite keeps the counter in the
    registration's own transaction: its writers are serialised anyway, and a second connection would
    wait for this transaction's write lock."""
    day = to_local(now).strftime("%Y%m%d")
    bind = db.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name == "postgresql":
        (value,) = autocommit_execute(engine, _COUNTER_BUMP, {"day": day})
        return f"{rt.settings.city_code}{day}-{value:06d}"
    value = db.execute(
        update(TicketCounter).where(TicketCounter.day == day).values(value=TicketCounter.value + 1)
        .returning(TicketCounter.value)
    ).scalar_one_or_none()
    if value is None:
        try:
            with db.begin_nested():
                db.execute(insert(TicketCounter).values(day=day, value=1))
            value = 1
        except IntegrityError:
            value = db.execute(
                update(TicketCounter).where(TicketCounter.day == day).values(value=TicketCounter.value + 1)
                .returning(TicketCounter.value)
            ).scalar_one()
    return f"{rt.settings.city_code}{day}-{value:06d}"


# Built once (as _TOKEN_ACTOR in org/service.py): building a select per call costs more CPU than running it.
_JURISDICTION_BY_CODE = select(Jurisdiction).where(Jurisdiction.code == bindparam("code"))


def _jurisdiction(db: Session, code: str) -> Jurisdiction:
    found = db.execute(_JURISDICTION_BY_CODE, {"code": code}).scalar_one_or_none()
    if found is None:
        raise DomainError("unknown_jurisdiction", f"属地代码 {code} 不存在", status_code=422)
    return found


# ---- workflow actions ---------------------------------------------------------------------


def act(
    db: Session, rt: Runtime, *, actor: Actor, ticket_id: int, action: Action, params: ActionIn,
    before_commit: Callable[[Session, Ticket], None] | None = None,
) -> Ticket:
    """Perform one workflow action on a ticket, as one transaction; `before_commit` adds to it (act_once:
    the Idempotency-Key and the answer it keeps)."""
    try:
        ticket = _load_for_update(db, ticket_id)
        ensure_can_view(actor, ticket)
        if action == Action.CALLBACK_NO_ANSWER and _the_same_unanswered_call(db, ticket, actor, rt.clock.now(), params):
            db.rollback()
            return ticket
        _apply(db, rt, ticket, actor, rt.clock.now(), action, params)
        if before_commit is not None:
            before_commit(db, ticket)
        db.commit()
    except Exception:
        db.rollback()
        raise
    return ticket


def act_once(
    db: Session, rt: Runtime, *, actor: Actor, ticket_id: int, action: Action, params: ActionIn, key: str,
    answer: Callable[[Ticket], str],
) -> tuple[str, bool]:
    """An action under the caller's Idempotency-Key (tickets.idempotency): (the answer, replayed).

    The first request acts and keeps its answer (`answer(ticket)`, the ticket as read back after the action)
    with the key, in the action's transaction; the same request again gets that answer and acts on nothing.
    A retry that ran alongside the first — refused by the workflow once the first had acted, or stopped by
    the key's unique index — is answered with the first's answer too, once that one is committed."""
    owner, digest = idempotency.owner_of(actor), idempotency.action_hash(ticket_id, action, params)
    now = rt.clock.now()
    first = idempotency.find(db, owner=owner, key=key, request_hash=digest, now=now)
    if first is not None and first.response is not None:
        response = first.response
        db.rollback()
        return response, True
    kept: list[str] = []

    def keep(session: Session, ticket: Ticket) -> None:
        session.flush()
        session.expire_all()  # read back as committed will be: counters bumped by UPDATE, relationships set
        fresh = session.get(Ticket, ticket.id)
        assert fresh is not None
        kept.append(answer(fresh))
        idempotency.store_answer(session, owner=owner, key=key, request_hash=digest, ticket_id=ticket.id,
                                 response=kept[0], now=now)

    try:
        if action == Action.SUPERVISE:  # 督办 is issued as a 督办单 (supervision reads tickets: import here)
            from hotline.supervision.service import supervise_ticket

            supervise_ticket(db, rt, actor=actor, ticket_id=ticket_id, note=params.note, before_commit=keep)
            ticket = get(db, actor=actor, ticket_id=ticket_id)
        else:
            ticket = act(db, rt, actor=actor, ticket_id=ticket_id, action=action, params=params, before_commit=keep)
    except Exception:
        db.rollback()
        again = idempotency.find(db, owner=owner, key=key, request_hash=digest, now=now)
        db.rollback()
        if again is not None and again.response is not None:
            return again.response, True
        raise
    # A repeated 未接通 acts on nothing and keeps nothing (act): answered as it is now.
    return (kept[0] if kept else answer(ticket)), False


# 未接通 sent again this soon by the same person with the same note is the same call: a double tap on a
# phone, a form resent over a slow network (QA: each counted a call, and three make the callback end as
# 无法联系 with no satisfaction asked). A redial a minute later is a call of its own.
REPEATED_CALL_WINDOW = timedelta(seconds=60)


def _the_same_unanswered_call(db: Session, ticket: Ticket, actor: Actor, now: datetime, params: ActionIn) -> bool:
    if ticket.callback_attempted_at is None or now - ticket.callback_attempted_at >= REPEATED_CALL_WINDOW:
        return False
    last = db.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                      .order_by(TicketEvent.id.desc()).limit(1)).unique().scalar_one_or_none()
    return (last is not None and last.action == Action.CALLBACK_NO_ANSWER and last.actor_user_id == actor.user_id
            and (last.data or {}).get("note") == params.note)


def _load_for_update(db: Session, ticket_id: int) -> Ticket:
    # Row lock on PostgreSQL (two dispatchers cannot both act); SQLite's IMMEDIATE
    # transaction already serialises writers.
    # populate_existing: a long-lived session (the demo builder) must not act on stale assignments.
    ticket = db.execute(
        select(Ticket).where(Ticket.id == ticket_id).with_for_update(of=Ticket)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()
    if ticket is None:
        raise NotFound("ticket_not_found", "工单不存在")
    return ticket


@dataclass
class Effect:
    note: str | None = None
    unit_id: int | None = None
    data: dict[str, Any] | None = None


def _apply(
    db: Session, rt: Runtime, ticket: Ticket, actor: Actor, now: datetime, action: Action, params: ActionIn
) -> None:
    raw = params.model_dump()
    if action == Action.MERGE and not raw.get("parent_id") and raw.get("parent_number"):
        raw["parent_id"] = _id_for_number(db, raw["parent_number"])
    if action == Action.ADJUST_ASSISTING and "assisting_unit_ids" not in params.model_fields_set:
        raw["assisting_unit_ids"] = None  # left out is not an empty list (no assisting unit): the guard asks for it
    ctx = workflow.Context(ticket=ticket, actor=actor, now=now, policy=rt.policy, params=raw)
    transition = workflow.check(ctx, action)
    before = State(ticket.state)
    effect = EFFECTS[action](db, rt, ticket, actor, now, params if action != Action.MERGE else ActionIn(**raw))
    after = transition.next_state(before)
    ticket.state = after
    ticket.updated_at = now
    _event(db, ticket, actor, now, action, before, after, note=effect.note, unit_id=effect.unit_id,
           data=effect.data)
    if action in UNIT_NOTICES and ticket.lead_unit_id is not None:
        _notify_unit(db, ticket, now, UNIT_NOTICES[action], effect)
    if action == Action.CALLBACK_NO_ANSWER and workflow.unreachable_rule_met(ticket, rt.policy):
        # The attempt that uses up the policy's calls ends the callback, as its own step of the history.
        _apply(db, rt, ticket, actor, now, Action.CALLBACK_UNREACHABLE, ActionIn())


# What the centre decides on a unit's ticket reaches the unit's inbox (消息提醒), not only its history:
# a refused return or a reopened ticket otherwise lands back in the queue unannounced.
UNIT_NOTICES = {
    Action.REFUSE_RETURN: "退单未获批准，请继续办理", Action.APPROVE_EXTENSION: "延期申请已批准",
    Action.REFUSE_EXTENSION: "延期申请未获批准", Action.REJECT_REPLY: "答复被退回，请重新办理",
    Action.REOPEN: "回访未解决，工单退回重办", Action.REMIND: "催办", Action.SUPERVISE: "督办",
    Action.REHANDLE: "回头看审核研判认为诉求合理、未解决，工单再办理",
}


def _notify_unit(db: Session, ticket: Ticket, now: datetime, what: str, effect: Effect) -> None:
    facts = []
    if effect.data and isinstance(effect.data.get("due_at"), str):
        facts.append(f"办理期限：{to_local(datetime.fromisoformat(effect.data['due_at'])):%Y-%m-%d %H:%M}")
    body = "；".join([*facts, *([effect.note] if effect.note else [])]) or None
    assert ticket.lead_unit_id is not None
    notify_unit(db, ticket, now, ticket.lead_unit_id, what, body=body)


def notify_unit(db: Session, ticket: Ticket, now: datetime, unit_id: int, what: str, *, body: str | None) -> None:
    from hotline.supervision.enums import Audience, NotificationKind  # supervision reads tickets: import here
    from hotline.supervision.timeline import notify

    notify(db, unit_id=unit_id, audience=Audience.UNIT, kind=NotificationKind.DECISION, at=now,
           title=f"{what}：{ticket.number} {ticket.title}", body=body, ticket_id=ticket.id)


def _event(
    db: Session,
    ticket: Ticket,
    actor: Actor,
    now: datetime,
    action: Action,
    before: State | None,
    after: State,
    *,
    note: str | None = None,
    unit_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    db.add(TicketEvent(**_event_values(ticket.id, actor, now, action, before, after, note=note, unit_id=unit_id,
                                       data=data)))


def _screening_note(data: TicketCreate) -> tuple[str, dict[str, Any] | None]:
    """The register event's note and data: the title, and the scope screening's hits when there are
    any (whatever the channel), with whether the operator confirmed registering anyway."""
    from hotline.dispatch.screening import screen  # reference rules only; no dispatch state

    hits = screen(data.title, data.content, data.circumstances)
    if not hits:
        return data.title, None
    said = "；".join(f"{h.reason}（{h.advice}）" for h in hits)
    who = "话务员已确认仍予登记" if data.screening_confirmed else "登记时未经确认"
    return (f"{data.title}\n受理范围提示：{said}。{who}",
            {"screening": [h.code for h in hits], "screening_confirmed": data.screening_confirmed})


def _event_values(
    ticket_id: int | None,
    actor: Actor,
    now: datetime,
    action: Action,
    before: State | None,
    after: State,
    *,
    note: str | None = None,
    unit_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "at": now,
        "action": action,
        "from_state": before,
        "to_state": after,
        "actor_user_id": actor.user_id,
        "actor_role": actor.role,
        "actor_name": actor.name,
        "unit_id": unit_id if unit_id is not None else actor.unit_id,
        "note": note,
        "data": data or {},
    }


def dispatch_deadline(rt: Runtime, ticket: dict[str, Any], since: datetime) -> tuple[datetime, datetime]:
    """派单时限 of a registered ticket (its column values), counted from `since`, and when it warns."""
    facts = {k: ticket.get(k) for k in ("kind", "urgency", "is_complex", "is_enterprise", "channel")}
    due = rt.policy.dispatch_limit(facts).apply(since)
    return due, warn_at(started_at=since, due_at=due, warn_before_hours=rt.policy.warn_before_hours)


def _facts(ticket: Ticket, unit: Unit) -> dict[str, Any]:
    return {
        "kind": ticket.kind,
        "urgency": ticket.urgency,
        "unit_kind": unit.kind,
        "is_complex": ticket.is_complex,
        "is_enterprise": ticket.is_enterprise,
        "channel": ticket.channel,
    }


def _unit(db: Session, unit_id: int) -> Unit:
    unit = db.get(Unit, unit_id)
    if unit is None or not unit.active:
        raise DomainError("unknown_unit", f"承办单位（编号 {unit_id}）不存在或已停用", status_code=422)
    if unit.kind == UnitKind.HOTLINE_CENTER:  # it dispatches, it does not handle: no one there would ever 签收
        raise DomainError("not_a_handling_unit",
                          f"{unit.short_name}不是承办单位，不能作为主办或协办单位，请选择承办单位", status_code=422)
    return unit


def _dispatch_to(db: Session, rt: Runtime, ticket: Ticket, now: datetime, lead_id: int,
                 assisting_ids: list[int]) -> Effect:
    """Open a new dispatch round: deadlines from now, the lead unit and any assisting units."""
    lead = _unit(db, lead_id)
    assisting = [_unit(db, uid) for uid in dict.fromkeys(assisting_ids) if uid != lead_id]
    limit = rt.policy.handling_limit(_facts(ticket, lead))
    due = limit.apply(now)
    ticket.lead_unit_id = lead.id
    ticket.lead_unit = lead
    ticket.dispatched_at = now
    ticket.due_at = due
    ticket.warn_at = warn_at(started_at=now, due_at=due, warn_before_hours=rt.policy.warn_before_hours)
    ticket.time_limit_label = limit.label
    ticket.ack_due_at = rt.policy.acknowledge_limit(_facts(ticket, lead)).apply(now)
    ticket.ack_warn_at = warn_at(started_at=now, due_at=ticket.ack_due_at,
                                 warn_before_hours=rt.policy.warn_before_hours)
    ticket.return_due_at = rt.policy.return_window.apply(now)
    ticket.paused_at = None
    ticket.extension_pending = False
    ticket.extension_requested_days = None
    ticket.replied_at = None
    ticket.reply_content = None
    ticket.closed_at = None
    ticket.callback_due_at = None
    _forget_attempts(ticket)
    round_no = max((a.round for a in ticket.assignments), default=0) + 1
    for unit, role in [(lead, AssignmentRole.LEAD), *[(u, AssignmentRole.ASSISTING) for u in assisting]]:
        assignment = TicketAssignment(
            ticket_id=ticket.id, unit_id=unit.id, role=role, status=AssignmentStatus.PENDING, is_open=True,
            round=round_no, dispatched_at=now, due_at=due,
        )
        assignment.unit = unit
        ticket.assignments.append(assignment)
        db.add(assignment)
    names = "、".join(u.short_name for u in assisting)
    note = f"主办：{lead.short_name}" + (f"；协办：{names}" if names else "") + f"；时限{limit.label}"
    return Effect(note=note, unit_id=lead.id,
                  data={"lead_unit_id": lead.id, "assisting_unit_ids": [u.id for u in assisting],
                        "due_at": due.isoformat(), "time_limit": limit.label})


def _end_assignments(ticket: Ticket, *, keep_status: bool = False) -> None:
    for a in ticket.assignments:
        if a.is_open:
            a.is_open = False
            if not keep_status and a.status not in (AssignmentStatus.RETURNED, AssignmentStatus.REPLIED):
                a.status = AssignmentStatus.ENDED


def _my_assignment(ticket: Ticket, actor: Actor, role: AssignmentRole) -> TicketAssignment:
    return next(a for a in ticket.assignments if a.is_open and a.unit_id == actor.unit_id and a.role == role)


def _lead(ticket: Ticket) -> TicketAssignment | None:
    leads = [a for a in ticket.assignments if a.role == AssignmentRole.LEAD]
    return leads[-1] if leads else None


EffectFn = Callable[[Session, Runtime, Ticket, Actor, datetime, ActionIn], Effect]


def _answer_directly(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    from hotline.knowledge.reading import checked_citation  # knowledge reads tickets: import at call time

    source = checked_citation(db, p.answer_source, now=now)  # a typed 知识库 citation must be a real one
    t.reply_content = p.answer
    t.answer_source = source
    t.replied_at = now
    t.closed_at = now
    t.callback_due_at = rt.policy.callback_window.apply(now)
    _forget_attempts(t)
    return Effect(note=p.answer, data={"answer_source": source})


def _dispatch(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    effect = _dispatch_to(db, rt, t, now, p.lead_unit_id or 0, p.assisting_unit_ids)
    if t.dispatch_due_at is not None and effect.data is not None:  # 派单及时率 counts these
        effect.data["dispatch_on_time"] = now <= t.dispatch_due_at
    kept = _keep_classification(db, t, p)
    if kept:
        effect.note = f"{effect.note}；{'，'.join(kept)}"
    if p.note:
        effect.note = f"{effect.note}。{p.note}"
    return effect


def _keep_classification(db: Session, t: Ticket, p: ActionIn) -> list[str]:
    """A category and a place the dispatch relied on, set on the ticket when it had none."""
    kept = []
    if p.category_code and not t.category_code:
        if p.category_code not in catalogue():
            raise DomainError("unknown_category", f"诉求分类代码 {p.category_code} 不存在", status_code=422)
        t.category_code = p.category_code
        kept.append(f"分类定为「{full_name(p.category_code)}」")
    if p.jurisdiction_code and not t.jurisdiction_id:
        place = _jurisdiction(db, p.jurisdiction_code)
        t.jurisdiction_id, t.jurisdiction_path = place.id, place.path
        t.jurisdiction = place  # the answer shows it too (it said null though the place was saved)
        kept.append(f"属地定为「{place.name}」")
    return kept


def _acknowledge(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    a = _my_assignment(t, actor, AssignmentRole.LEAD)
    a.status = AssignmentStatus.ACKNOWLEDGED
    a.acknowledged_at = now
    late = t.ack_due_at is not None and now > t.ack_due_at
    return Effect(note=p.note, data={"late": late})


def _assist_acknowledge(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    a = _my_assignment(t, actor, AssignmentRole.ASSISTING)
    a.status = AssignmentStatus.ACKNOWLEDGED
    a.acknowledged_at = now
    return Effect(note=p.note)


def _return(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    a = _my_assignment(t, actor, AssignmentRole.LEAD)
    a.status = AssignmentStatus.RETURNED
    a.return_reason = p.reason
    t.paused_at = now
    t.return_count += 1
    return Effect(note=p.reason)


def _tell_ended_assisting(db: Session, t: Ticket, now: datetime, why: str, p: ActionIn) -> list[str]:
    """The assisting units whose open task a reassignment or reopening ends are told (their queue
    otherwise just loses the ticket); their names, for the history. A unit named again (lead or
    assisting) keeps the ticket: it is not told its task ended."""
    staying = {*(p.assisting_unit_ids or ()), p.lead_unit_id or t.lead_unit_id}
    ended = [a for a in t.assignments
             if a.is_open and a.role == AssignmentRole.ASSISTING and a.unit_id not in staying]
    for a in ended:
        notify_unit(db, t, now, a.unit_id, f"{why}，本单位协办任务结束", body=None)
    return [a.unit.short_name for a in ended]


def _reassign(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    previous = t.lead_unit_id
    previous_state = State(t.state)
    kept_assisting = {a.unit_id for a in t.assignments if a.is_open and a.role == AssignmentRole.ASSISTING}
    ended = _tell_ended_assisting(db, t, now, "工单已改派", p)
    # A pending extension request was the former lead's: the new round starts with its own deadline.
    cancelled = {"extension_cancelled": t.extension_requested_days} if t.extension_pending else {}
    _end_assignments(t)
    effect = _dispatch_to(db, rt, t, now, p.lead_unit_id or 0, p.assisting_unit_ids)
    reason = p.reason or "退单理由成立"
    effect.note = f"{reason}；{effect.note}"
    effect.data = {**(effect.data or {}), "previous_lead_unit_id": previous,
                   **({"assisting_ended": ended} if ended else {}), **cancelled}
    _tell_reassigned(db, t, now, previous, previous_state, kept_assisting, reason, cancelled)
    return effect


def _tell_reassigned(db: Session, t: Ticket, now: datetime, previous: int | None, previous_state: State,
                     kept_assisting: set[int], reason: str, cancelled: dict[str, Any]) -> None:
    """The former lead unit learns that the ticket left it (its queue otherwise just loses it, even
    while it was handling it), and why; assisting units named again learn who leads now."""
    lead = t.lead_unit
    assert lead is not None
    assisting_now = {a.unit_id for a in t.assignments if a.is_open and a.role == AssignmentRole.ASSISTING}
    if previous is not None and previous != lead.id:
        if previous_state == State.RETURN_REVIEW:
            what = f"退单已同意，工单改派{lead.short_name}办理"
        elif previous in assisting_now:
            what = f"工单已改派{lead.short_name}主办，本单位改为协办"
        else:
            what = f"工单已改派{lead.short_name}办理，本单位主办任务结束"
        facts = [f"改派理由：{reason}"]
        if cancelled:
            facts.append(f"待审核的延期申请（{cancelled['extension_cancelled']}个工作日）随改派撤销")
        notify_unit(db, t, now, previous, what, body="；".join(facts))
    if previous == lead.id:
        return
    for unit_id in sorted(kept_assisting & assisting_now):
        notify_unit(db, t, now, unit_id, f"工单已改派{lead.short_name}主办，请继续协办", body=f"改派理由：{reason}")


def _adjust_assisting(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    """调整协办单位: the assisting units become those given. A unit added gets an assisting assignment of the
    current round (待签收 from now, the ticket's handling deadline); a unit left out has its open assisting
    assignment ended (REMOVED: a reply sent back or a reopening does not bring it back); a unit kept is not
    touched, nor is the lead unit's assignment (its 签收 and deadlines). Each unit concerned is told in its
    inbox: those added, those removed, and the lead unit, whose reply waits for the new team's opinions."""
    wanted = list(p.assisting_unit_ids)
    current = [a for a in t.assignments if a.is_open and a.role == AssignmentRole.ASSISTING]
    current_ids = {a.unit_id for a in current}
    added = [_unit(db, uid) for uid in wanted if uid not in current_ids]
    removed = [a for a in current if a.unit_id not in set(wanted)]
    lead = _lead(t)
    round_no = lead.round if lead is not None else max((a.round for a in t.assignments), default=1)
    for unit in added:
        assignment = TicketAssignment(
            ticket_id=t.id, unit_id=unit.id, role=AssignmentRole.ASSISTING, status=AssignmentStatus.PENDING,
            is_open=True, round=round_no, dispatched_at=now, due_at=t.due_at,
        )
        assignment.unit = unit
        t.assignments.append(assignment)
        db.add(assignment)
    for a in removed:
        a.is_open = False
        a.status = AssignmentStatus.REMOVED
    reason = p.reason or ""
    added_names = [u.short_name for u in added]
    removed_names = [a.unit.short_name for a in removed]
    due = f"办理期限：{to_local(t.due_at):%Y-%m-%d %H:%M}" if t.due_at else None
    lead_name = t.lead_unit.short_name if t.lead_unit is not None else "主办单位"
    for unit in added:
        notify_unit(db, t, now, unit.id, f"工单增派本单位协办（{lead_name}主办），请签收并提交协办意见",
                    body="；".join(x for x in (due, f"调整理由：{reason}") if x))
    for a in removed:
        notify_unit(db, t, now, a.unit_id, "协办单位调整，本单位协办任务结束", body=f"调整理由：{reason}")
    changes = [*([f"增加协办：{'、'.join(added_names)}"] if added_names else []),
               *([f"移出协办：{'、'.join(removed_names)}"] if removed_names else [])]
    if t.lead_unit_id is not None:
        notify_unit(db, t, now, t.lead_unit_id, "协办单位已调整", body="；".join([*changes, f"调整理由：{reason}"]))
    final = [a.unit_id for a in t.assignments if a.is_open and a.role == AssignmentRole.ASSISTING]
    return Effect(note="；".join([reason, *changes]), unit_id=t.lead_unit_id,
                  data={"assisting_unit_ids": final, "added_unit_ids": [u.id for u in added],
                        "removed_unit_ids": [a.unit_id for a in removed],
                        "assisting_added": added_names, "assisting_removed": removed_names})


def _refuse_return(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    lead = _lead(t)
    assert lead is not None
    lead.status = AssignmentStatus.ACKNOWLEDGED
    lead.acknowledged_at = lead.acknowledged_at or now
    if t.paused_at is not None and t.due_at is not None and t.lead_unit is not None:
        in_working_days = rt.policy.handling_limit(_facts(t, t.lead_unit)).unit == "working_days"
        t.due_at = shift_for_pause(t.due_at, t.paused_at, now, working_days=in_working_days)
        t.warn_at = warn_at(started_at=t.dispatched_at or now, due_at=t.due_at,
                            warn_before_hours=rt.policy.warn_before_hours)
        for a in t.assignments:
            if a.is_open:
                a.due_at = t.due_at
    t.paused_at = None
    return Effect(note=p.reason, unit_id=lead.unit_id, data={"due_at": t.due_at.isoformat() if t.due_at else None})


def _request_extension(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    # The new deadline is counted now, not only on approval: a date beyond the holiday calendar's
    # known years is refused to the unit that asks, not left pending for the centre to fail on.
    due = add_working_days(t.due_at, p.days or 0) if t.due_at is not None else None
    t.extension_pending = True
    t.extension_requested_days = p.days
    return Effect(note=p.reason, data={"days": p.days, **({"due_at": due.isoformat()} if due else {})})


def _approve_extension(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    days = t.extension_requested_days or 0
    assert t.due_at is not None
    t.due_at = add_working_days(t.due_at, days)
    t.warn_at = warn_at(started_at=t.dispatched_at or now, due_at=t.due_at,
                        warn_before_hours=rt.policy.warn_before_hours)
    t.extension_days_used += days
    t.extension_pending = False
    t.extension_requested_days = None
    for a in t.assignments:
        if a.is_open:
            a.due_at = t.due_at
    return Effect(note=p.note, unit_id=t.lead_unit_id, data={"days": days, "due_at": t.due_at.isoformat()})


def _refuse_extension(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    days = t.extension_requested_days
    t.extension_pending = False
    t.extension_requested_days = None
    return Effect(note=p.reason, unit_id=t.lead_unit_id, data={"days": days})


def _assist_reply(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    a = _my_assignment(t, actor, AssignmentRole.ASSISTING)
    a.status = AssignmentStatus.REPLIED
    a.replied_at = now
    a.reply_content = p.content
    a.acknowledged_at = a.acknowledged_at or now
    return Effect(note=p.content)


def _reply(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    a = _my_assignment(t, actor, AssignmentRole.LEAD)
    a.status = AssignmentStatus.REPLIED
    a.replied_at = now
    a.reply_content = p.content
    t.replied_at = now
    t.reply_content = p.content
    # A reply ends a pending extension request: the history says so (it left the 延期审核 tab unexplained).
    dropped = {"extension_withdrawn": t.extension_requested_days} if t.extension_pending else {}
    t.extension_pending = False
    t.extension_requested_days = None
    on_time = t.due_at is None or now <= t.due_at
    # Replying before an assisting unit's opinion came in ends its task (the guard asked why): the history
    # names it and its inbox says so, rather than the ticket leaving its queue unexplained.
    pending = workflow.pending_assisting(t)
    for assisting in pending:
        assisting.status = AssignmentStatus.ENDED
    _end_assignments(t, keep_status=True)
    if not pending:
        return Effect(note=p.content, data={"on_time": on_time, **dropped})
    names = [a.unit.short_name for a in pending]
    for assisting in pending:
        notify_unit(db, t, now, assisting.unit_id, "主办单位已先行答复，本单位协办任务结束",
                    body=f"先行答复理由：{p.reason}")
    # The note is the reply the citizen reads (public lookup); the units and the reason are the staff's.
    return Effect(note=p.content, data={"on_time": on_time, "assisting_pending": names,
                                        "early_reply_reason": p.reason, **dropped})


def _reject_reply(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    lead = _lead(t)
    assert lead is not None
    lead.is_open = True
    lead.status = AssignmentStatus.ACKNOWLEDGED
    # The reply sent back is no answer any more: its text stays in the history (the reply event).
    t.replied_at, t.reply_content, lead.reply_content = None, None, None
    back = _reopen_assisting(db, t, now, lead.round, p.reason)
    return Effect(note=p.reason, unit_id=lead.unit_id, data={"assisting_reopened": back} if back else None)


def _reopen_assisting(db: Session, t: Ticket, now: datetime, round_no: int, reason: str | None) -> list[str]:
    """The redo of a reply sent back includes the round's assisting units: the reply closed their part
    (those whose 协办意见 was in keep it; those the early reply ended are asked again and told). Their
    names, for the history."""
    back = []
    for a in t.assignments:
        if a.role != AssignmentRole.ASSISTING or a.round != round_no or a.is_open:
            continue
        if a.status == AssignmentStatus.REMOVED:  # taken off the team by 调整协办单位: it stays off
            continue
        a.is_open = True
        if a.status == AssignmentStatus.ENDED:
            a.status = AssignmentStatus.ACKNOWLEDGED if a.acknowledged_at else AssignmentStatus.PENDING
            notify_unit(db, t, now, a.unit_id, "答复被退回，本单位协办任务恢复，请提交协办意见",
                        body=f"退回理由：{reason}" if reason else None)
            back.append(a.unit.short_name)
    return back


def _remind(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    t.remind_count += 1
    return Effect(note=p.note, unit_id=t.lead_unit_id)


def _supervise(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    t.supervise_count += 1
    return Effect(note=p.note, unit_id=t.lead_unit_id)


def _close(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    t.closed_at = now
    t.callback_due_at = rt.policy.callback_window.apply(now)
    _forget_attempts(t)
    return Effect(note=p.note, unit_id=t.lead_unit_id)


def _callback(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    t.solved = p.solved
    t.satisfaction = p.satisfaction
    t.finished_at = now
    return Effect(note=p.note, unit_id=t.lead_unit_id,
                  data={"solved": p.solved, "satisfaction": p.satisfaction})


def _callback_no_answer(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    last = t.callback_attempted_at
    new_day = last is None or not same_local_day(last, now)
    t.callback_attempts = (t.callback_attempts or 0) + 1
    t.callback_attempt_days = (t.callback_attempt_days or 0) + (1 if new_day else 0)
    t.callback_attempted_at = now
    said = f"回访未接通（第{t.callback_attempts}次" + ("" if new_day else "，今日已拨打过，不另计日期") + "）"
    return Effect(note=f"{said}：{p.note}" if p.note else said, unit_id=t.lead_unit_id,
                  data={"attempt": t.callback_attempts, "days": t.callback_attempt_days, "same_day": not new_day,
                        "note": p.note})


def _callback_unreachable(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    t.solved = None
    t.satisfaction = None
    t.finished_at = now
    note = (f"回访{t.callback_attempts}次未接通（{t.callback_attempt_days}个不同日期），按无法联系结束回访；"
            "无满意度评价，不计入解决率和满意率")
    return Effect(note=f"{note}。{p.note}" if p.note else note, unit_id=t.lead_unit_id,
                  data={"outcome": "unreachable", "attempts": t.callback_attempts,
                        "days": t.callback_attempt_days})


def _forget_attempts(t: Ticket) -> None:
    """A new callback round (the ticket closed again) starts with no unanswered calls."""
    t.callback_attempts = 0
    t.callback_attempt_days = 0
    t.callback_attempted_at = None


def _reopen(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    t.solved = p.solved
    t.satisfaction = p.satisfaction
    lead_id = p.lead_unit_id or t.lead_unit_id
    if not lead_id:  # answered by the centre or by a linked platform: no unit had it
        how = "由联动平台反馈办理结果" if t.linkage("out", "answered") is not None else "直接答复"
        raise workflow.refuse("lead_unit_required", f"该工单曾{how}、未派单，重办请选择主办单位")
    t.reopen_count += 1
    # The redo is the last round's team: its assisting units go again with the lead unless the reopening
    # names others (an empty list: none).
    given = "assisting_unit_ids" in p.model_fields_set
    assisting = p.assisting_unit_ids if given else last_round_assisting(t)
    ended = _tell_ended_assisting(db, t, now, "工单已退回重办", p)
    _end_assignments(t)
    effect = _dispatch_to(db, rt, t, now, lead_id, assisting)
    if ended:
        effect.data = {**(effect.data or {}), "assisting_ended": ended}
    effect.note = f"{p.note or '回访不满意或未解决'}；{effect.note}"
    effect.data = {**(effect.data or {}), "solved": p.solved, "satisfaction": p.satisfaction}
    due = f"办理期限：{to_local(t.due_at):%Y-%m-%d %H:%M}" if t.due_at else None
    for a in t.assignments:
        if a.is_open and a.role == AssignmentRole.ASSISTING:
            notify_unit(db, t, now, a.unit_id, "回访未解决，工单退回重办，请继续协办",
                        body="；".join(x for x in (due, p.note) if x) or None)
    return effect


def last_round_assisting(t: Ticket) -> list[int]:
    """The assisting units of the ticket's last dispatch round (whatever became of their part), but those
    调整协办单位 removed from it; a unit added by it is one of them."""
    last = max((a.round for a in t.assignments), default=0)
    return list(dict.fromkeys(a.unit_id for a in t.assignments if a.round == last and a.role == AssignmentRole.ASSISTING
                              and a.status != AssignmentStatus.REMOVED))


def _review(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    """审核研判 (回头看): the structured record for the list and its counts, the event for the history; the
    ticket keeps the latest conclusion (the guard of 再办理 reads it). Audited as the supervisor's own act."""
    assert p.conclusion is not None and p.note is not None  # the guards asked for both
    db.add(TicketReview(ticket_id=t.id, conclusion=p.conclusion, opinion=p.note, reviewed_at=now,
                        reviewer_user_id=actor.user_id, reviewer_name=actor.name, finished_at=t.finished_at))
    t.review_conclusion = p.conclusion
    label = REVIEW_CONCLUSION_LABELS[ReviewConclusion(p.conclusion)]
    audit.record(db, actor=actor, at=now, action="revisit_review", object_type="ticket", object_id=t.number,
                 detail=label)
    return Effect(note=p.note, unit_id=t.lead_unit_id, data={"conclusion": str(p.conclusion)})


def _rehandle(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    """再办理 after a review: a new dispatch round to the unit the supervisor chose, with its own deadlines.
    The last callback's outcome stays on the ticket (the 回头看 list and the history read it); the review's
    conclusion is spent, so a ticket finished again is reviewed again."""
    opinion = db.execute(select(TicketReview.opinion).where(TicketReview.ticket_id == t.id)
                         .order_by(TicketReview.id.desc()).limit(1)).scalar_one_or_none()
    _end_assignments(t)
    effect = _dispatch_to(db, rt, t, now, p.lead_unit_id or 0, p.assisting_unit_ids)
    t.review_conclusion = None
    t.finished_at = None
    said = p.note or (f"研判意见：{opinion}" if opinion else None)
    effect.note = "；".join(x for x in ("回头看再办理", said, effect.note) if x)
    effect.data = {**(effect.data or {}), "rehandle": True}
    due = f"办理期限：{to_local(t.due_at):%Y-%m-%d %H:%M}" if t.due_at else None
    for a in t.assignments:
        if a.is_open and a.role == AssignmentRole.ASSISTING:
            notify_unit(db, t, now, a.unit_id, "回头看再办理，请协办",
                        body="；".join(x for x in (due, said) if x) or None)
    return effect


def _rate(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    t.public_rating = p.satisfaction
    t.public_comment = p.comment
    return Effect(note=p.comment, unit_id=t.lead_unit_id, data={"satisfaction": p.satisfaction})


def _merge(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    parent = db.get(Ticket, p.parent_id)
    if parent is None or not can_view(actor, parent):  # out of the actor's scope reads as missing, as it is to them
        raise NotFound("parent_not_found", f"工单 {p.parent_number} 不存在" if p.parent_number
                       else "要并入的主工单不存在")
    if parent.state == State.MERGED and parent.parent_id is not None:  # name where it went
        into = db.get(Ticket, parent.parent_id)
        where = into.number if into else "其他工单"
        raise workflow.refuse("parent_not_open", f"主工单 {parent.number} 已并入 {where}，不能再并入；请并入 {where}")
    if parent.state in (State.MERGED, State.WITHDRAWN, State.FINISHED):
        label = STATE_LABELS[parent.state]
        raise workflow.refuse("parent_not_open", f"主工单 {parent.number} 已结束（{label}），不能并入")
    if parent.state == State.CLOSED:  # handled already: a ticket merged in would never be
        raise workflow.refuse("parent_not_open", f"主工单 {parent.number} 已办结，不能并入；同一事项再次反映请另行派单")
    if parent.parent_id == t.id:
        raise workflow.refuse("merge_cycle", "两张工单不能互相并入")
    t.parent_id = parent.id
    _tell_task_ended(db, t, now, f"工单已并入 {parent.number}，随主工单一并办理，本单位在此工单的任务结束", p.note)
    _end_assignments(t)
    moved = _move_merged(db, t, parent)
    note = p.note or f"并入 {parent.number}"
    if moved:
        note = f"{note}；原并入本工单的 {len(moved)} 件（{'、'.join(moved)}）一并转入 {parent.number}"
    return Effect(note=note, data={"parent_id": parent.id, "parent_number": parent.number,
                                   **({"merged_moved": moved} if moved else {})})


def _move_merged(db: Session, t: Ticket, parent: Ticket) -> list[str]:
    """The tickets merged into `t` follow it into `parent`: one level of merging, so that the parent's unit
    reads them and their requesters follow the matter (QA: left under a merged ticket, their public
    progress stayed 已并单 for good, and the parent's page and unit knew nothing of them). Their numbers."""
    children = list(db.execute(select(Ticket).where(Ticket.parent_id == t.id).order_by(Ticket.id)).unique().scalars())
    for child in children:
        child.parent_id = parent.id
        child.parent = parent
    if children:
        db.expire(parent, ["merged"])
    return [c.number for c in children]


def _withdraw(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    reason = p.reason or p.note
    _tell_task_ended(db, t, now, "诉求已撤回，本单位办理任务结束", f"撤回原因：{reason}" if reason else None)
    _end_assignments(t)
    if t.state == State.TRANSFERRED:
        from hotline.linkage import service as linkage  # linkage reads tickets: import at call time

        linkage.withdrawn(t, actor=actor, now=now)
    return Effect(note=reason)


def _transfer_out(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    from hotline.linkage import service as linkage  # linkage reads tickets: import at call time

    note, data = linkage.passed_out(db, t, actor=actor, now=now, line_id=p.line_id, reason=p.reason,
                                    external_ref=p.external_ref, home_city=rt.settings.city_name)
    return Effect(note=note, data=data)


def _linked_answer(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    """The platform's answer is the ticket's reply: 12345 calls the requester back on it, as on a unit's."""
    from hotline.linkage import service as linkage  # linkage reads tickets: import at call time

    note, data = linkage.answered(t, actor=actor, now=now, content=p.content, external_ref=p.external_ref)
    t.reply_content = p.content
    t.replied_at = now
    t.closed_at = now
    t.callback_due_at = rt.policy.callback_window.apply(now)
    _forget_attempts(t)
    return Effect(note=note, data=data)


def _linked_return(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    """Back in the 待派单 queue with a fresh 派单时限 from now: the time spent at the platform is not the centre's."""
    from hotline.linkage import service as linkage  # linkage reads tickets: import at call time

    note, data = linkage.returned(t, actor=actor, now=now, reason=p.reason, external_ref=p.external_ref)
    facts = {k: getattr(t, k) for k in ("kind", "urgency", "is_complex", "is_enterprise", "channel")}
    t.dispatch_due_at, t.dispatch_warn_at = dispatch_deadline(rt, facts, now)
    t.dispatch_alerted_at = None
    return Effect(note=note, data=data)


def _report_back(db: Session, rt: Runtime, t: Ticket, actor: Actor, now: datetime, p: ActionIn) -> Effect:
    from hotline.linkage import service as linkage  # linkage reads tickets: import at call time

    note, data = linkage.reported(t, actor=actor, now=now, content=p.content, external_ref=p.external_ref)
    return Effect(note=note, unit_id=t.lead_unit_id, data=data)


def _tell_task_ended(db: Session, t: Ticket, now: datetime, what: str, body: str | None) -> None:
    """A merge or a withdrawal takes the ticket out of every unit's queue that has it open (lead and
    assisting): each is told in its inbox (QA: the ticket just vanished from the 待办 list)."""
    for unit_id in dict.fromkeys(a.unit_id for a in t.assignments if a.is_open):
        notify_unit(db, t, now, unit_id, what, body=body)


EFFECTS: dict[Action, EffectFn] = {
    Action.ANSWER_DIRECTLY: _answer_directly,
    Action.DISPATCH: _dispatch,
    Action.ACKNOWLEDGE: _acknowledge,
    Action.ASSIST_ACKNOWLEDGE: _assist_acknowledge,
    Action.RETURN: _return,
    Action.REASSIGN: _reassign,
    Action.ADJUST_ASSISTING: _adjust_assisting,
    Action.REFUSE_RETURN: _refuse_return,
    Action.REQUEST_EXTENSION: _request_extension,
    Action.APPROVE_EXTENSION: _approve_extension,
    Action.REFUSE_EXTENSION: _refuse_extension,
    Action.ASSIST_REPLY: _assist_reply,
    Action.REPLY: _reply,
    Action.REJECT_REPLY: _reject_reply,
    Action.REMIND: _remind,
    Action.SUPERVISE: _supervise,
    Action.CLOSE: _close,
    Action.CALLBACK: _callback,
    Action.CALLBACK_NO_ANSWER: _callback_no_answer,
    Action.CALLBACK_UNREACHABLE: _callback_unreachable,
    Action.REOPEN: _reopen,
    Action.RATE: _rate,
    Action.REVIEW: _review,
    Action.REHANDLE: _rehandle,
    Action.MERGE: _merge,
    Action.WITHDRAW: _withdraw,
    Action.TRANSFER_OUT: _transfer_out,
    Action.LINKED_ANSWER: _linked_answer,
    Action.LINKED_RETURN: _linked_return,
    Action.REPORT_BACK: _report_back,
}


def normal_number(number: str) -> str:
    """A ticket number as people type it (nj20261127-000009, full-width) as it is stored."""
    return unicodedata.normalize("NFKC", number).strip().upper()


def _id_for_number(db: Session, number: str) -> int:
    found = db.execute(select(Ticket.id).where(Ticket.number == normal_number(number))).scalar_one_or_none()
    if found is None:
        raise NotFound("parent_not_found", f"工单 {number} 不存在")
    return found


# ---- reads --------------------------------------------------------------------------------


def get(db: Session, *, actor: Actor, ticket_id: int) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket_not_found", "工单不存在")
    ensure_can_view(actor, ticket)
    return ticket


def get_by_number(db: Session, *, actor: Actor, number: str) -> Ticket:
    ticket_id = db.execute(select(Ticket.id).where(Ticket.number == normal_number(number))).scalar_one_or_none()
    if ticket_id is None:
        raise NotFound("ticket_not_found", f"工单 {number} 不存在")
    return get(db, actor=actor, ticket_id=ticket_id)


def record_personal_data_read(db: Session, rt: Runtime, *, actor: Actor, ticket: Ticket) -> None:
    """谁使用、谁负责: each unmasked view of a requester's data is logged, as its own commit."""
    audit.record(db, actor=actor, at=rt.clock.now(), action="view_personal_data", object_type="ticket",
                 object_id=ticket.number)
    db.commit()


def history(db: Session, *, ticket_id: int) -> list[TicketEvent]:
    return list(
        db.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
        .scalars()
    )


@dataclass
class Filters:
    state: list[State] | None = None
    unit_id: int | None = None
    kind: Kind | None = None
    category_code: str | None = None
    channel: Channel | None = None
    urgency: Urgency | None = None
    # 一企来: the requests of enterprises (True), or of everyone else (False).
    enterprise: bool | None = None
    overdue: bool | None = None
    about_to_expire: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: str | None = None
    phone: str | None = None
    open_for_unit: bool = False
    extension_pending: bool | None = None
    # 签收超时: dispatched, the lead unit has not acknowledged, past the acknowledgement deadline.
    ack_overdue: bool | None = None
    # Work queues serve the oldest first (first come, first served); searches show the newest first.
    oldest_first: bool = False
    # Deadline lists (overdue, about to expire) are most useful by deadline.
    by_deadline: bool = False
    # The 待派单 queue: the nearest 派单时限 first, so a 特急 ticket registered a minute ago is not behind
    # ordinary ones waiting since the morning (tickets older than the limits have none: last, oldest first).
    by_dispatch_deadline: bool = False
    # 派单超时: still waiting for dispatch past the centre's own limit.
    dispatch_overdue: bool | None = None
    # The unit workbench's badges as filters (with open_for_unit): the handling deadline's status of the
    # unit's open tickets, or the 签收 status of those it leads and has not taken.
    queue_deadline: str | None = None
    queue_ack: str | None = None
    # The public's rating (好差评): a grade, rated or not, or one level.
    rating: RatingFilter | None = None
    # The last callback's outcome as the ticket keeps it (是否解决, 满意度: any of these levels).
    solved: bool | None = None
    satisfaction: list[str] | None = None


RUNNING_AT_UNIT = (State.DISPATCHED, State.HANDLING)


def queue_deadline_status(now: datetime) -> Any:
    """The handling deadline's badge of a ticket, in SQL (the rule of present.summary, by tickets.warn_at):
    the unit workbench's counts and its filter by badge read the same expression."""
    running = Ticket.state.in_([str(s) for s in RUNNING_AT_UNIT])
    return case(
        (Ticket.state == str(State.RETURN_REVIEW), DeadlineStatus.PAUSED.value),
        (running & Ticket.due_at.is_(None), DeadlineStatus.NONE.value),
        (running & (Ticket.due_at < now), DeadlineStatus.OVERDUE.value),
        (running & (Ticket.warn_at <= now), DeadlineStatus.ABOUT_TO_EXPIRE.value),
        (running, DeadlineStatus.ON_TIME.value),
        else_=DeadlineStatus.NONE.value,
    )


def queue_ack_status(now: datetime) -> Any:
    """The acknowledgement badge (签收超时 / 即将签收超时) of a ticket the unit leads and has not taken, in
    SQL (the rule of present.ack_deadline); with queue_ack_waiting() for "leads and has not taken"."""
    return case(
        (Ticket.ack_due_at < now, DeadlineStatus.OVERDUE.value),
        (Ticket.ack_warn_at <= now, DeadlineStatus.ABOUT_TO_EXPIRE.value),
        else_=DeadlineStatus.ON_TIME.value,
    )


def queue_ack_waiting() -> list[Any]:
    """The unit's assignment is the lead's, still waiting for its 签收, on a ticket waiting for it."""
    return [TicketAssignment.role == str(AssignmentRole.LEAD),
            TicketAssignment.status == str(AssignmentStatus.PENDING), Ticket.state == str(State.DISPATCHED)]


def unit_todo() -> list[Any]:
    """A unit's open assignment still waiting for it: an assisting unit that sent its 协办意见 has done
    its part (QA: such tickets filled the 待办 count and the deadline badges)."""
    return [TicketAssignment.is_open.is_(True),
            ~((TicketAssignment.role == str(AssignmentRole.ASSISTING))
              & (TicketAssignment.status == str(AssignmentStatus.REPLIED)))]


def _not_so(conds: list[Any]) -> Any:
    """The complement of conditions taken together: every row they do not all hold for, a row whose
    deadline is empty (NULL) included — NOT on its own would drop it as unknown."""
    return ~func.coalesce(and_(*conds), false())


def search(
    db: Session, rt: Runtime, *, actor: Actor, filters: Filters, page: int = 1, page_size: int = 20
) -> tuple[list[Ticket], int]:
    """One page of the tickets this actor may see, filtered in the database."""
    page = max(page, 1)
    page_size = max(1, min(page_size, MAX_READ_ROWS))
    now = rt.clock.now()
    conds: list[Any] = [visible_condition(actor)]
    if filters.by_deadline:
        order: list[Any] = [Ticket.due_at.asc().nulls_last(), Ticket.id.asc()]
    elif filters.by_dispatch_deadline:
        order = [Ticket.dispatch_due_at.asc().nulls_last(), Ticket.id.asc()]
    else:
        order = [Ticket.id.asc() if filters.oldest_first else Ticket.id.desc()]
    query = select(Ticket)
    if filters.open_for_unit and actor.unit_id is not None:
        # The unit's queue: driven by the (unit_id, is_open, due_at) index.
        query = query.join(TicketAssignment, TicketAssignment.ticket_id == Ticket.id)
        conds = [TicketAssignment.unit_id == actor.unit_id, *unit_todo()]
        order = [TicketAssignment.due_at.asc().nulls_last(), Ticket.id.asc()]
        if filters.queue_deadline:
            conds.append(queue_deadline_status(now) == filters.queue_deadline)
        if filters.queue_ack:
            conds += [*queue_ack_waiting(), queue_ack_status(now) == filters.queue_ack]
    if filters.state:
        conds.append(Ticket.state.in_([str(s) for s in filters.state]))
    if filters.unit_id:
        conds.append(
            Ticket.id.in_(select(TicketAssignment.ticket_id).where(TicketAssignment.unit_id == filters.unit_id))
        )
    if filters.kind:
        conds.append(Ticket.kind == filters.kind)
    if filters.channel:
        conds.append(Ticket.channel == filters.channel)
    if filters.urgency:
        conds.append(Ticket.urgency == filters.urgency)
    if filters.enterprise is not None:
        conds.append(Ticket.is_enterprise.is_(filters.enterprise))
    if filters.category_code:
        conds.append(Ticket.category_code.startswith(filters.category_code, autoescape=True))
    running = Ticket.state.in_([str(s) for s in (State.DISPATCHED, State.HANDLING)])
    # A yes/no filter: true keeps the tickets that are so, false all the others (as enterprise, solved and
    # extension_pending do; QA: dispatch_overdue=false and overdue=false filtered nothing).
    yes_no = (
        (filters.overdue, [running, Ticket.due_at < now]),
        (filters.about_to_expire, [running, Ticket.due_at >= now, Ticket.warn_at <= now]),
        (filters.ack_overdue, [Ticket.state == str(State.DISPATCHED), Ticket.ack_due_at < now]),
        (filters.dispatch_overdue, [Ticket.state == str(State.REGISTERED), Ticket.dispatch_due_at < now]),
    )
    for wanted, so in yes_no:
        if wanted is not None:
            conds.append(and_(*so) if wanted else _not_so(so))
    if filters.ack_overdue is True and filters.by_deadline and not filters.open_for_unit:
        order = [Ticket.ack_due_at.asc(), Ticket.id.asc()]
    if filters.extension_pending is not None:
        conds.append(Ticket.extension_pending.is_(filters.extension_pending))
    if filters.rating:
        conds.append(rating_condition(filters.rating))
    if filters.solved is not None:
        conds.append(Ticket.solved.is_(filters.solved))
    if filters.satisfaction:
        conds.append(Ticket.satisfaction.in_([str(s) for s in filters.satisfaction]))
    if filters.created_from:
        conds.append(Ticket.created_at >= filters.created_from)
    if filters.created_to:
        conds.append(Ticket.created_at < filters.created_to)
    if filters.phone:
        conds += _phone_match(actor, filters.phone)
    if filters.text:
        text = filters.text.strip()
        # icontains: the same case-insensitive match on SQLite and PostgreSQL; % and _ typed by the user
        # are taken literally.
        conds.append(or_(Ticket.number == normal_number(text), Ticket.title.icontains(text, autoescape=True),
                         Ticket.content.icontains(text, autoescape=True),
                         Ticket.address.icontains(text, autoescape=True)))
    total = db.execute(select(func.count()).select_from(query.where(*conds).subquery())).scalar_one()
    rows = db.execute(query.where(*conds).order_by(*order).limit(page_size).offset((page - 1) * page_size))
    return list(rows.unique().scalars()), total


def rating_condition(choice: RatingFilter) -> Any:
    rating = Ticket.public_rating
    grades = {RatingFilter.RATED: rating.is_not(None), RatingFilter.UNRATED: rating.is_(None),
              RatingFilter.GOOD: rating.in_(GOOD_RATINGS), RatingFilter.BAD: rating.in_(BAD_RATINGS)}
    return grades.get(choice, rating == str(choice))


def _phone_match(actor: Actor, phone: str) -> list[Any]:
    """Search by a full phone number only where the actor would see that number anyway: otherwise
    the match itself tells a masked number (try the 10,000 middle digits of 135****3261)."""
    if actor.role not in PERSONAL_DATA_ROLES:
        raise Forbidden("phone_search_forbidden", "当前角色看不到诉求人电话，不能按电话号码查询工单")
    conds: list[Any] = [Ticket.requester_phone == as_kept(phone)]
    if actor.role in UNIT_ROLES:  # a unit sees the phone of its own open, ordinary tickets only
        conds += [Ticket.confidential.is_(False), Ticket.requester_anonymous.is_(False),
                  Ticket.id.in_(select(TicketAssignment.ticket_id).where(
                      TicketAssignment.unit_id == actor.unit_id, TicketAssignment.is_open.is_(True)))]
    return conds


def export_rows(
    db: Session, rt: Runtime, *, actor: Actor, filters: Filters, limit: int
) -> tuple[list[Ticket], int]:
    """Up to `limit` tickets for an Excel export; the export itself is audited (masked rows only)."""
    rows, total = search(db, rt, actor=actor, filters=filters, page=1, page_size=limit)
    audit.record(db, actor=actor, at=rt.clock.now(), action="export_tickets", object_type="ticket_list",
                 object_id=str(len(rows)), detail=f"共{total}张，导出{len(rows)}张")
    db.commit()
    return rows, total


def lead_answers(db: Session, tickets: list[Ticket]) -> dict[int, datetime]:
    """When each ticket's current lead unit first answered its dispatch itself — acknowledged (签收) or
    returned (退单) — from the history of its round (events of that unit since dispatched_at). A refused
    return makes the unit lead again and marks it acknowledged at the refusal: the centre's act, not the
    unit's, so it is not an answer here."""
    rounds = {t.id: (t.lead_unit_id, t.dispatched_at) for t in tickets if t.ack_due_at and t.dispatched_at}
    ids = list(rounds)
    first: dict[int, datetime] = {}
    for start in range(0, len(ids), 1000):  # an export's 10,000 tickets: bounded IN lists
        rows = db.execute(select(TicketEvent.ticket_id, TicketEvent.unit_id, TicketEvent.at).where(
            TicketEvent.ticket_id.in_(ids[start:start + 1000]),
            TicketEvent.action.in_([str(Action.ACKNOWLEDGE), str(Action.RETURN)])))
        for ticket_id, unit_id, at in rows:
            lead, since = rounds[ticket_id]
            if unit_id == lead and at >= since:
                first[ticket_id] = min(at, first.get(ticket_id, at))
    return first


def earlier_by_phone(db: Session, *, actor: Actor, phone: str, limit: int = 10) -> list[Ticket]:
    """The requester's earlier tickets, for the operator's intake screen."""
    rows = db.execute(
        select(Ticket).where(Ticket.requester_phone == as_kept(phone), visible_condition(actor))
        .order_by(Ticket.id.desc()).limit(limit)
    )
    return list(rows.unique().scalars())


# ---- the public portal --------------------------------------------------------------------


def public_lookup(
    db: Session, *, number: str, phone_last4: str, now: datetime | None = None, client: str | None = None
) -> Ticket:
    """Progress lookup by number and the phone's last four digits; one message for every miss.

    With `now`, failures are throttled per ticket number and per client: four digits are guessable."""
    number = normal_number(number)  # one throttle key for every spelling of a number
    phone_last4 = unicodedata.normalize("NFKC", phone_last4 or "").strip()  # １２３４ typed full-width
    checks = [(f"lookup:{number}", throttle.LOOKUP_PER_TICKET)]
    if client:
        checks.append((f"lookup-client:{client}", throttle.LOOKUP_PER_CLIENT))
    if now is not None:
        throttle.ensure_allowed(db, checks=checks, now=now)
    ticket = db.execute(select(Ticket).where(Ticket.number == number)).unique().scalar_one_or_none()
    phone = (ticket.requester_phone or "") if ticket else ""
    if ticket is None or len(phone_last4) != 4 or not phone.endswith(phone_last4):
        if now is not None:
            throttle.record_failure(db, checks=checks, now=now)
        raise NotFound("lookup_failed", "未找到工单：请核对工单编号和手机号后四位")
    return ticket


def public_act(
    db: Session, rt: Runtime, *, number: str, phone_last4: str, action: Action, params: ActionIn, client: str | None
) -> Ticket:
    if action not in (Action.RATE, Action.WITHDRAW):
        raise DomainError("public_action_forbidden", "公众只能评价或撤回诉求", status_code=403)
    ticket = public_lookup(db, number=number, phone_last4=phone_last4, now=rt.clock.now(), client=client)
    try:
        ticket = _load_for_update(db, ticket.id)
        _apply(db, rt, ticket, Actor.requester(client), rt.clock.now(), action, params)
        db.commit()
    except Exception:
        db.rollback()
        raise
    return ticket


def public_events(db: Session, ticket: Ticket) -> list[TicketEvent]:
    """The public timeline: what happened, without staff names or internal notes."""
    visible = {Action.REGISTER, Action.ANSWER_DIRECTLY, Action.DISPATCH, Action.ACKNOWLEDGE, Action.REASSIGN,
               Action.REPLY, Action.CLOSE, Action.CALLBACK, Action.CALLBACK_NO_ANSWER, Action.CALLBACK_UNREACHABLE,
               Action.REOPEN, Action.REHANDLE, Action.RATE, Action.WITHDRAW,
               Action.MERGE, Action.APPROVE_EXTENSION,
               # 联动转办: where the request went (the platform, not the centre's reasons) and what came back
               Action.TRANSFER_OUT, Action.LINKED_ANSWER, Action.LINKED_RETURN}
    events = history(db, ticket_id=ticket.id)
    # A reply the centre sent back (答复退回) never reached the requester: it is no part of their timeline
    # (QA: a rejected draft was shown, then a second, different reply with no explanation).
    rejected = {e.id for i, e in enumerate(events)
                if e.action == Action.REPLY and workflow.reply_verdict(events[i + 1:]) == Action.REJECT_REPLY}
    return [e for e in events if e.action in visible and e.id not in rejected]
