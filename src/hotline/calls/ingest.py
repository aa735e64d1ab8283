"""Ingesting adapter events, one or a batch per transaction: store every event once, re-derive the
calls they touch, keep refused events flagged beside their call.

A batch costs a handful of statements whatever its size: upsert the calls, lock them (PostgreSQL:
concurrent batches for the same call queue instead of losing an update), insert the events with
ON CONFLICT DO NOTHING (a repeat is a no-op), read back the touched calls' events, write the
projections with one executemany."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from hotline.calls import lines
from hotline.calls.enums import (
    CallbackOutcome,
    CallbackStatus,
    CallStatus,
    EventStatus,
    EventType,
    Outcome,
    TransferMode,
    TransferSource,
)
from hotline.calls.models import Call, CallEvent, CallTransfer
from hotline.calls.projection import EventFacts, project
from hotline.calls.validation import Checked, Refused, check
from hotline.clock import to_local
from hotline.errors import Forbidden
from hotline.org.models import User
from hotline.security.actor import Actor
from hotline.security.roles import Role

MAX_BATCH = 1000
FEEDER_ROLES = frozenset({Role.TELEPHONY})
# Who may be named as the operator of a call: the hall's people who take calls. Another login (a unit's
# handler, an administrator, a name the platform has never heard of) links the call to nobody.
HALL_OPERATOR_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR)


@dataclass
class Outcomes:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    # An event id already used in the call for an event with other content (409: never silently dropped).
    conflicts: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Accepted events with something to check, e.g. an operator who is no hall user (坐席未登记).
    warnings: list[dict[str, Any]] = field(default_factory=list)
    call_ids: dict[str, int] = field(default_factory=dict)  # call_ref → calls.id


def ensure_feeder(actor: Actor) -> None:
    if actor.role not in FEEDER_ROLES:
        raise Forbidden("telephony_only", "只有话务平台接口账号（角色：话务系统接口）可以推送通话事件")


def _insert(db: Session, model: Any) -> Any:
    # Core on the table, not the ORM entity: the ORM's bulk path sends one INSERT per row once
    # RETURNING is asked for; Core batches the rows into multi-row VALUES (insertmanyvalues).
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model.__table__)
    if dialect == "sqlite":
        return sqlite.insert(model.__table__)
    return insert(model.__table__)


def ingest(db: Session, *, actor: Actor, items: list[Any], now: datetime) -> Outcomes:
    """Store and apply `items` (raw JSON objects) in one transaction; commits."""
    ensure_feeder(actor)
    out = Outcomes()
    checked: list[tuple[int, Checked | Refused, Any]] = [(i, check(raw, now=now), raw) for i, raw in enumerate(items)]
    refs = sorted({c.call_ref for _, c, _ in checked if c.call_ref})
    try:
        calls = _calls_for(db, refs, now)
        out.call_ids = {ref: call.id for ref, call in calls.items()}
        users = _users(db, {c.operator for _, c, _ in checked if isinstance(c, Checked) and c.operator})
        rows: list[dict[str, Any]] = []
        seen: dict[tuple[Any, Any], Checked | None] = {}  # key → the batch's first event under it (None: refused)
        for index, c, raw in checked:
            key = (c.call_ref, c.event_id)
            if isinstance(c, Refused):
                out.rejected += 1
                out.errors.append({"index": index, "call_id": c.call_ref, "event_id": c.event_id, "code": c.code,
                                   "message": c.message})
                if key in seen and None not in key:
                    continue
                seen[key] = None
                rows.append(_refused_row(c, raw, calls, now))
                continue
            first = seen.get(key)
            if first is not None:
                differences = _differences(_facts(first), _facts(c))
                if differences:
                    _conflict(out, index, c.call_ref, c.event_id, differences)
                else:
                    out.duplicates += 1
                continue
            if c.operator and c.operator not in users:
                out.warnings.append(unregistered_warning(index, c))
            seen[key] = c
            rows.append({**_event_row(c, raw, calls, users, now), "_index": index})
        inserted = _store(db, rows)
        inserted.update(_settle_repeats(db, [r for r in rows if r["status"] == EventStatus.APPLIED
                                             and (r["call_ref"], r["event_id"]) not in inserted], out))
        applied = [r for r in rows if r["status"] == EventStatus.APPLIED and not r.get("_conflict")]
        new_keys = {k for k in inserted}
        out.accepted = sum(1 for r in applied if (r["call_ref"], r["event_id"]) in new_keys)
        out.duplicates += len(applied) - out.accepted
        # Calls with a newly stored event, applied or refused (a refused one is counted on its call).
        touched = {r["call_id"] for r in rows if r["call_id"] and (
            (r["call_ref"], r["event_id"]) in new_keys or r["status"] == EventStatus.REJECTED)}
        if touched:
            projected = _reproject(db, touched, calls, now)
            _record_adapter_transfers(db, [r for r in applied if r["type"] == EventType.TRANSFERRED
                                           and (r["call_ref"], r["event_id"]) in new_keys], inserted, calls,
                                      projected)
            _got_through(db, projected, now)
        out.errors.sort(key=lambda e: e["index"])
        refused = {e["index"] for e in out.errors}
        out.warnings = [w for w in out.warnings if w["index"] not in refused]
        db.commit()
    except Exception:
        db.rollback()
        raise
    return out


def _calls_for(db: Session, refs: list[str], now: datetime) -> dict[str, Any]:
    """The calls named by `refs`, created when unknown, locked in id order (PostgreSQL)."""
    if not refs:
        return {}
    existing = set(db.execute(select(Call.call_ref).where(Call.call_ref.in_(refs))).scalars())
    missing = [r for r in refs if r not in existing]
    if missing:
        stmt = _insert(db, Call).on_conflict_do_nothing(index_elements=["call_ref"])
        db.connection().execute(stmt, [
            {"call_ref": r, "status": CallStatus.RINGING, "event_count": 0, "rejected_count": 0, "transfer_count": 0,
             "callback_attempts": 0, "created_at": now, "updated_at": now} for r in missing])
    # Plain rows, not entities: a batch touches hundreds of calls and needs five columns of each.
    rows = db.execute(select(Call.id, Call.call_ref, Call.first_line, Call.callback_status, Call.callback_attempts)
                      .where(Call.call_ref.in_(refs)).order_by(Call.id).with_for_update())
    return {c.call_ref: c for c in rows}


def _users(db: Session, usernames: set[str | None]) -> dict[str, int]:
    names = [u for u in usernames if u]
    if not names:
        return {}
    return dict(db.execute(select(User.username, User.id).where(User.username.in_(names),
                                                                User.role.in_(HALL_OPERATOR_ROLES))).all())


def unregistered_warning(index: int, c: Checked) -> dict[str, Any]:
    return {"index": index, "call_id": c.call_ref, "event_id": c.event_id, "code": "operator_unregistered",
            "operator": c.operator,
            "message": f"坐席未登记：{c.operator}（话务员账号不是本平台话务大厅的用户）。事件已接收，"
                       "通话暂未关联到话务员；请在用户管理中登记该账号，或核对话务平台的坐席配置"}


def _event_row(c: Checked, raw: Any, calls: dict[str, Any], users: dict[str, int], now: datetime) -> dict[str, Any]:
    return {
        "call_id": calls[c.call_ref].id, "call_ref": c.call_ref, "event_id": c.event_id, "sequence": c.sequence,
        "type": c.type, "at": c.at, "received_at": now, "caller": c.caller, "dialled": c.dialled, "queue": c.queue,
        "seat": c.seat, "operator": c.operator, "recording_ref": c.recording_ref, "target": c.target,
        "three_way": c.three_way, "status": EventStatus.APPLIED, "error_code": None, "error_message": None,
        "payload": raw, "_user_id": users.get(c.operator or ""),
    }


# What makes an event the same event: an adapter's retry repeats all of it.
FACT_LABELS = {
    "type": "事件类型", "at": "事件时间", "sequence": "事件序号", "caller": "主叫号码", "dialled": "被叫号码",
    "queue": "队列", "seat": "座席", "operator": "话务员账号", "recording_ref": "录音标识", "target": "转接目标号码",
    "three_way": "三方通话",
}


def _facts(source: Any) -> dict[str, Any]:
    get = source.get if isinstance(source, dict) else lambda name: getattr(source, name)
    return {name: get(name) for name in FACT_LABELS}


def _differences(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [f"{label}（已收到 {_shown(stored[name])}，本次 {_shown(new[name])}）"
            for name, label in FACT_LABELS.items() if stored[name] != new[name]]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return to_local(value).isoformat()
    return str(value)[:40]


def _conflict(out: Outcomes, index: int, call_ref: str, event_id: str, differences: list[str]) -> None:
    out.conflicts += 1
    out.errors.append({
        "index": index, "call_id": call_ref, "event_id": event_id, "code": "event_id_conflict",
        "message": f"通话 {call_ref} 的事件标识 event_id「{event_id}」已用于另一条内容不同的事件，本事件未处理。"
                   f"不同之处：{'；'.join(differences)}。重发同一事件须内容完全一致；新的事件请使用新的 event_id"})


def _settle_repeats(db: Session, rows: list[dict[str, Any]], out: Outcomes) -> dict[tuple[str, str], int]:
    """Events whose (call_id, event_id) is already stored: the same content is a replay (a duplicate);
    other content is a conflict, refused and marked on the row; a stored event that had been refused
    (never applied) gives way to the corrected one, which is applied in its place. Returns those replaced."""
    if not rows:
        return {}
    stored = {(e.call_ref, e.event_id): e for e in db.execute(
        select(CallEvent).where(CallEvent.call_ref.in_({r["call_ref"] for r in rows}),
                                CallEvent.event_id.in_({r["event_id"] for r in rows}))).scalars()}
    replaced = {}
    for r in rows:
        key = (r["call_ref"], r["event_id"])
        event = stored[key]
        if event.status == EventStatus.REJECTED:
            for name, value in r.items():
                if not name.startswith("_"):
                    setattr(event, name, value)
            replaced[key] = event.id
            continue
        differences = _differences(_facts(event), _facts(r))
        if differences:
            r["_conflict"] = True
            _conflict(out, r["_index"], r["call_ref"], r["event_id"], differences)
    db.flush()
    return replaced


def _refused_row(c: Refused, raw: Any, calls: dict[str, Any], now: datetime) -> dict[str, Any]:
    call = calls.get(c.call_ref) if c.call_ref else None
    kind = raw.get("type") if isinstance(raw, dict) else None
    return {
        "call_id": call.id if call else None, "call_ref": c.call_ref, "event_id": c.event_id, "sequence": None,
        "type": kind if kind in EventType.__members__.values() else None, "at": None, "received_at": now,
        "caller": None, "dialled": None, "queue": None, "seat": None, "operator": None, "recording_ref": None,
        "target": None, "three_way": False, "status": EventStatus.REJECTED, "error_code": c.code,
        "error_message": c.message[:300], "payload": raw if isinstance(raw, dict | list) else {"raw": raw},
    }


def _store(db: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Insert the rows; a repeat of a stored (call_ref, event_id) is skipped. Returns the new keys' ids."""
    if not rows:
        return {}
    values = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    if db.get_bind().dialect.name == "postgresql":
        return _store_pg(db, values)
    stmt = (_insert(db, CallEvent).on_conflict_do_nothing(index_elements=["call_ref", "event_id"])
            .returning(CallEvent.id, CallEvent.call_ref, CallEvent.event_id))
    result = db.connection().execute(stmt, values)
    return {(ref, eid): id_ for id_, ref, eid in result.all()}


_PG_COLUMNS = (
    "call_id int, call_ref varchar, event_id varchar, sequence int, type varchar, at timestamptz, "
    "received_at timestamptz, caller varchar, dialled varchar, queue varchar, seat varchar, operator varchar, "
    "recording_ref varchar, target varchar, three_way boolean, status varchar, error_code varchar, "
    "error_message varchar, payload jsonb")
_PG_NAMES = ("call_id, call_ref, event_id, sequence, type, at, received_at, caller, dialled, queue, seat, operator, "
             "recording_ref, target, three_way, status, error_code, error_message")
_PG_STORE = text(
    f"INSERT INTO call_events ({_PG_NAMES}, payload) SELECT {_PG_NAMES}, payload::json "
    f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({_PG_COLUMNS}) "
    "ON CONFLICT (call_ref, event_id) DO NOTHING RETURNING id, call_ref, event_id")


def _store_pg(db: Session, values: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """PostgreSQL: the whole batch as one JSON parameter. A multi-row VALUES of 500 × 19 placeholders
    costs more to build and parse than the insert itself."""
    rows = json.dumps(values, default=_json_value)
    result = db.connection().execute(_PG_STORE, {"rows": rows})
    return {(ref, eid): id_ for id_, ref, eid in result.all()}


def _reproject(db: Session, call_ids: set[int], calls: dict[str, Any], now: datetime) -> dict[int, dict[str, Any]]:
    by_id = {c.id: c for c in calls.values()}
    events: dict[int, list[EventFacts]] = defaultdict(list)
    rejected: dict[int, int] = defaultdict(int)
    users = dict(db.execute(select(User.username, User.id)
                            .where(User.role.in_(HALL_OPERATOR_ROLES),
                                   User.username.in_(select(CallEvent.operator).where(
                                       CallEvent.call_id.in_(call_ids), CallEvent.operator.is_not(None))))).all())
    rows = db.execute(select(CallEvent.id, CallEvent.call_id, CallEvent.type, CallEvent.at, CallEvent.sequence,
                             CallEvent.caller, CallEvent.dialled, CallEvent.queue, CallEvent.seat, CallEvent.operator,
                             CallEvent.recording_ref, CallEvent.target, CallEvent.status)
                      .where(CallEvent.call_id.in_(call_ids)))
    for r in rows:
        if r.status != EventStatus.APPLIED:
            rejected[r.call_id] += 1
            continue
        events[r.call_id].append(EventFacts(
            id=r.id, type=r.type, at=r.at, sequence=r.sequence, caller=r.caller, dialled=r.dialled, queue=r.queue,
            seat=r.seat, user_id=users.get(r.operator or ""), operator=r.operator, recording_ref=r.recording_ref,
            target=r.target))
    changes = []
    for call_id in call_ids:
        call = by_id[call_id]
        fields = project(events[call_id]) if events.get(call_id) else {}
        fields.update(rejected_count=rejected.get(call_id, 0), updated_at=now)
        if fields.get("status"):
            fields["callback_status"] = _callback_status(call, fields.get("outcome"), fields.get("caller"))
        changes.append({"_id": call_id, **fields})
    # Core executemany, one statement per shape of row (calls with only refused events change less).
    table = Call.__table__
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        shapes[tuple(sorted(change))].append(change)
    conn = db.connection()
    for keys, group in shapes.items():
        if conn.dialect.name == "postgresql":
            _update_pg(conn, keys, group)
            continue
        stmt = update(table).where(table.c.id == bindparam("_id")).values(
            {k: bindparam(k) for k in keys if k != "_id"})
        conn.execute(stmt, group)
    return {c["_id"]: c for c in changes}


def _update_pg(conn: Any, keys: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: all projections of a batch in one UPDATE … FROM jsonb_to_recordset (an
    executemany would send one UPDATE per call)."""
    table = Call.__table__
    columns = [k for k in keys if k != "_id"]
    spec = ", ".join(f"{c} {table.c[c].type.compile(dialect=conn.dialect)}" for c in columns)
    sets = ", ".join(f"{c} = r.{c}" for c in columns)
    stmt = text(f"UPDATE calls SET {sets} FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(_id int, {spec}) "
                "WHERE calls.id = r._id")
    conn.execute(stmt, {"rows": json.dumps(rows, default=_json_value)})


def _json_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def _got_through(db: Session, projected: dict[int, dict[str, Any]], now: datetime) -> None:
    """A caller answered now needs no call back for the calls they missed before: those leave the
    callback list as 来电人已再次来电接通 (QA: one caller had five entries, 30 answered calls later). The
    same holds for a miss reported after the answered call it came before (the adapter's order is not
    the calls'). The batch's projections are written: one UPDATE per 500 callers covers both."""
    callers = sorted({c["caller"] for c in projected.values() if c.get("caller") and c.get("offered_at") and (
        c.get("outcome") == Outcome.ANSWERED or c.get("callback_status") == CallbackStatus.PENDING)})
    later = aliased(Call)
    answered_later = select(later.id).where(later.caller == Call.caller, later.outcome == Outcome.ANSWERED,
                                            later.offered_at > Call.offered_at).exists()
    for start in range(0, len(callers), 500):
        db.execute(update(Call).where(Call.caller.in_(callers[start:start + 500]),
                                      Call.callback_status == CallbackStatus.PENDING, answered_later)
                   .values(callback_status=CallbackStatus.DONE, callback_outcome=CallbackOutcome.CALLED_AGAIN,
                           callback_at=now, updated_at=now), execution_options={"synchronize_session": False})


def _callback_status(call: Any, outcome: str | None, caller: str | None) -> str | None:
    """An unanswered call with a number to ring goes on the callback list once; an answer that
    arrives late takes it off while nobody has worked it."""
    if outcome in (Outcome.ABANDONED, Outcome.MISSED) and caller and call.callback_status is None:
        return CallbackStatus.PENDING
    if outcome == Outcome.ANSWERED and call.callback_status == CallbackStatus.PENDING and not call.callback_attempts:
        return None
    return call.callback_status


def _record_adapter_transfers(db: Session, rows: list[dict[str, Any]], inserted: dict[tuple[str, str], int],
                              calls: dict[str, Any], projected: dict[int, dict[str, Any]]) -> None:
    """A transfer reported by the adapter completes the one an operator clicked, or is recorded anew."""
    for r in rows:
        call = calls[r["call_ref"]]
        event_pk = inserted[(r["call_ref"], r["event_id"])]
        pending = db.execute(select(CallTransfer).where(
            CallTransfer.call_id == call.id, CallTransfer.target_number == r["target"],
            CallTransfer.event_id.is_(None)).order_by(CallTransfer.id).limit(1)).scalar_one_or_none()
        if pending is not None:
            pending.event_id = event_pk
            continue
        kind, label = lines.describe(db, r["target"])
        db.execute(insert(CallTransfer).values(
            call_id=call.id, at=r["at"], target_number=r["target"], target_kind=kind, target_label=label,
            mode=TransferMode.THREE_WAY if r["three_way"] else TransferMode.BLIND, reason="话务平台上报的转接",
            source=TransferSource.ADAPTER, by_user_id=r.get("_user_id"), event_id=event_pk,
            responsible_line=projected.get(call.id, {}).get("first_line") or call.first_line))
