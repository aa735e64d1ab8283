"""The hall's use cases on calls: the operator's screen pop, a call turned into a ticket, the
missed-call callback list (漏接回拨) and one-click transfers. Each writing function owns its commit."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hotline.calls import lines
from hotline.calls.enums import (
    CALLBACK_OUTCOME_LABELS,
    MAX_CALLBACK_ATTEMPTS,
    CallbackOutcome,
    CallbackStatus,
    CallStatus,
    Outcome,
    TransferMode,
    TransferSource,
)
from hotline.calls.figures import LIVE_WITHIN
from hotline.calls.models import Call, CallEvent, CallTransfer
from hotline.calls.validation import NUMBER
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.phones import as_kept
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import ensure_role
from hotline.security.roles import Role
from hotline.tickets import service as tickets
from hotline.tickets.enums import Channel
from hotline.tickets.models import IdempotencyKey, Ticket
from hotline.tickets.schemas import TicketCreate

HALL_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR)
CALLBACK_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR)
# The one place the blacklist (hotline.blacklist, built separately) is consulted.
BLACKLIST_MODULE = "hotline.blacklist.service"


def ensure_hall_reader(actor: Actor, *roles: Role) -> None:
    """Calls carry no place (a caller's district is known only once a ticket says it), so the call
    records cannot be cut to a district: only staff whose data scope is the whole city read them (QA:
    a district's supervisor saw every caller's number). The wall's counts stay open to the hall."""
    ensure_role(actor, *roles)
    if not audit.reads_whole_city(actor):
        raise Forbidden("scope_forbidden", "来电记录不分辖区，仅限数据范围为全市的人员查看")


def get(db: Session, *, actor: Actor, call_id: int) -> Call:
    ensure_hall_reader(actor, *HALL_ROLES, Role.CALLBACK_AGENT)
    call = db.get(Call, call_id)
    if call is None:
        raise NotFound("call_not_found", "通话记录不存在")
    return call


def list_calls(db: Session, *, actor: Actor, day_start: datetime | None = None, day_end: datetime | None = None,
               caller: str | None = None, outcome: str | None = None, mine: bool = False, page: int = 1,
               page_size: int = 20) -> tuple[list[Call], int]:
    ensure_hall_reader(actor, *HALL_ROLES, Role.CALLBACK_AGENT)
    conds: list[Any] = []
    if day_start:
        conds.append(Call.offered_at >= day_start)
    if day_end:
        conds.append(Call.offered_at < day_end)
    if caller:  # read as the events' numbers were kept: +86 139 1234 5678 finds 13912345678 (QA)
        conds.append(Call.caller == as_kept(caller).replace("-", ""))
    if outcome:
        conds.append(Call.outcome == outcome)
    if mine:
        conds.append(Call.user_id == actor.user_id)
    total = db.execute(select(func.count()).select_from(Call).where(*conds)).scalar_one()
    rows = db.execute(select(Call).where(*conds).order_by(Call.offered_at.desc().nulls_last(), Call.id.desc())
                      .limit(page_size).offset((max(page, 1) - 1) * page_size))
    return list(rows.scalars()), total


def current_for(db: Session, *, actor: Actor, now: datetime) -> Call | None:
    """The call this operator is talking on now (the latest answered and not ended), for the screen pop."""
    if actor.user_id is None:
        return None
    # Call.user_id is the operator of the latest `answered` (projection.py): after a hand-over inside the
    # hall the pop follows the call to the second operator (it stayed with the first, QA). A call whose
    # `ended` never came is nobody's current call after the hours the wall counts it live (QA: it stayed
    # 正在通话 on the operator's page for days).
    return db.execute(select(Call).where(Call.user_id == actor.user_id, Call.status == CallStatus.TALKING,
                                         Call.answered_at >= now - LIVE_WITHIN)
                      .order_by(Call.answered_at.desc()).limit(1)).scalars().first()


def events_of(db: Session, *, call: Call) -> list[CallEvent]:
    return list(db.execute(select(CallEvent).where(CallEvent.call_id == call.id)
                           .order_by(CallEvent.at.asc().nulls_last(), CallEvent.sequence, CallEvent.id)).scalars())


def transfers_of(db: Session, *, call: Call) -> list[CallTransfer]:
    return list(db.execute(select(CallTransfer).where(CallTransfer.call_id == call.id)
                           .order_by(CallTransfer.at, CallTransfer.id)).scalars())


# ---- the screen pop -------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """The caller's blacklist state as the screen pop shows it; `available` is False while the
    blacklist module is not installed."""

    available: bool
    listed: bool = False
    reason: str | None = None


def blacklist_standing(db: Session, phone: str | None, at: datetime) -> Standing:
    """Single integration point with hotline.blacklist: `standing(db, phone, at)` → `.listed`, `.reason`."""
    try:
        module = importlib.import_module(BLACKLIST_MODULE)
    except ImportError:
        return Standing(available=False)
    if not phone:
        return Standing(available=True)
    found = module.standing(db, phone, at)
    return Standing(available=True, listed=bool(found.listed), reason=getattr(found, "reason", None))


@dataclass(frozen=True)
class ScreenPop:
    call: Call
    earlier: list[Ticket]
    standing: Standing
    ticket: Ticket | None


def screen_pop(db: Session, rt: Runtime, *, actor: Actor, call_id: int) -> ScreenPop:
    """The call, the caller's earlier tickets (as far as the actor may see them) and blacklist state.
    Showing an operator the caller's number is a view of personal data: audited."""
    call = get(db, actor=actor, call_id=call_id)
    now = rt.clock.now()
    earlier = tickets.earlier_by_phone(db, actor=actor, phone=call.caller) if call.caller else []
    ticket = db.get(Ticket, call.ticket_id) if call.ticket_id else None
    pop = ScreenPop(call=call, earlier=earlier, standing=blacklist_standing(db, call.caller, now), ticket=ticket)
    if call.caller:
        audit.record(db, actor=actor, at=now, action="view_personal_data", object_type="call", object_id=call.id,
                     detail=f"来电弹屏 {call.call_ref}")
        db.commit()
    return pop


# ---- a call becomes a ticket ----------------------------------------------------------------


TRANSFER_GRACE = timedelta(minutes=10)


def takes_ticket(call: Call) -> bool:
    """Only an answered call, or one whose call-back reached the caller, becomes a ticket."""
    return call.answered_at is not None or call.callback_outcome == CallbackOutcome.REACHED


def takes_transfer(call: Call, now: datetime) -> bool:
    """Answered and not ended more than a short grace ago (the adapter's `ended` may arrive before the
    operator's click lands)."""
    return call.answered_at is not None and (call.ended_at is None or now - call.ended_at <= TRANSFER_GRACE)


def to_ticket(db: Session, rt: Runtime, *, actor: Actor, call_id: int, data: TicketCreate) -> tuple[Ticket, bool]:
    """Register a ticket from the intake elements typed during the call: channel phone, the caller's
    number as the requester's phone (unless another was given), the call linked. A retry with the
    same elements returns the same ticket."""
    ensure_role(actor, Role.OPERATOR, Role.DISPATCHER)
    call = get(db, actor=actor, call_id=call_id)
    if call.ticket_id is not None:
        existing = db.get(Ticket, call.ticket_id)
        raise Conflict("call_has_ticket", f"该来电已登记工单 {existing.number if existing else call.ticket_id}")
    if not takes_ticket(call):
        raise DomainError("call_not_answered", "该来电未接通：请先回拨联系上来电人，再登记工单", status_code=409)
    update_fields: dict[str, Any] = {"channel": Channel.PHONE}
    if not data.requester_phone and call.caller:
        update_fields["requester_phone"] = call.caller
    call_pk = call.id
    # One ticket per call, whoever registers it: the key belongs to the call, not to the user, so two
    # operators registering the same call at once make one ticket (QA: the second one's was left unlinked
    # in the dispatch queue). A different request on a call already registered is refused, naming it.
    try:
        ticket, created = tickets.register(db, rt, actor=actor, data=data.model_copy(update=update_fields),
                                           idempotency_key="ticket", idempotency_owner=f"call:{call_pk}")
    except Conflict as exc:
        if exc.code != "idempotency_key_reused":
            raise
        db.rollback()
        number, by_id = db.execute(select(Ticket.number, Ticket.registered_by_id)
                                   .join(IdempotencyKey, IdempotencyKey.ticket_id == Ticket.id)
                                   .where(IdempotencyKey.owner == f"call:{call_pk}")).one()
        if by_id == actor.user_id:  # the operator's own resubmission with something edited
            raise Conflict("call_has_ticket", f"该来电已登记工单 {number}，如需修改请在工单页补充") from None
        raise Conflict("call_has_ticket", f"该来电已由他人登记工单 {number}") from None
    linked = db.execute(update(Call).where(Call.id == call_pk, or_(Call.ticket_id.is_(None),
                                                                    Call.ticket_id == ticket.id))
                        .values(ticket_id=ticket.id, updated_at=rt.clock.now()))
    if linked.rowcount != 1:
        db.rollback()
        raise Conflict("call_has_ticket", f"该来电已由他人登记工单（本次登记的工单 {ticket.number} 未关联）")
    db.commit()
    return ticket, created


# ---- 漏接回拨: the callback list ---------------------------------------------------------------


def callback_list(db: Session, *, actor: Actor, now: datetime, page: int = 1,
                  page_size: int = 20) -> tuple[list[Call], int]:
    """Unanswered calls waiting for a call back, oldest first. The list shows whole numbers (they are
    to be rung): each page read is audited like the screen pop (QA: it was the one unmasked read not
    in the audit log)."""
    ensure_hall_reader(actor, *CALLBACK_ROLES)
    cond = Call.callback_status == CallbackStatus.PENDING
    total = db.execute(select(func.count()).select_from(Call).where(cond)).scalar_one()
    rows = list(db.execute(select(Call).where(cond).order_by(Call.offered_at.asc().nulls_first(), Call.id)
                           .limit(page_size).offset((max(page, 1) - 1) * page_size)).scalars())
    if rows:
        audit.record(db, actor=actor, at=now, action="view_personal_data", object_type="call_list",
                     object_id="漏接回拨列表", detail=f"第{page}页（{len(rows)}个来电号码）")
        db.commit()
    return rows, total


def mark_called_back(db: Session, rt: Runtime, *, actor: Actor, call_id: int, outcome: CallbackOutcome,
                     note: str | None = None) -> Call:
    """Record one call-back attempt. No answer keeps the call on the list until the third attempt."""
    ensure_hall_reader(actor, *CALLBACK_ROLES)
    call = db.get(Call, call_id)
    if call is None:
        raise NotFound("call_not_found", "通话记录不存在")
    if call.callback_status != CallbackStatus.PENDING:
        raise Conflict("callback_not_pending", "该来电不在待回拨列表中（可能已由他人处理）")
    now = rt.clock.now()
    attempts = call.callback_attempts + 1
    done = outcome != CallbackOutcome.NO_ANSWER or attempts >= MAX_CALLBACK_ATTEMPTS
    # Compare-and-swap on the attempt count: two agents ringing the same caller cannot both record.
    result = db.execute(
        update(Call).where(Call.id == call.id, Call.callback_status == CallbackStatus.PENDING,
                           Call.callback_attempts == call.callback_attempts)
        .values(callback_status=CallbackStatus.DONE if done else CallbackStatus.PENDING, callback_attempts=attempts,
                callback_outcome=outcome, callback_note=(note or None) and note[:500], callback_at=now,
                callback_by_id=actor.user_id, updated_at=now)
    )
    if result.rowcount != 1:
        db.rollback()
        raise Conflict("callback_not_pending", "该来电刚由他人回拨登记，请刷新后查看")
    audit.record(db, actor=actor, at=now, action="call_back", object_type="call", object_id=call.id,
                 detail=f"第{attempts}次回拨：{CALLBACK_OUTCOME_LABELS[outcome]}" + (f"；{note}" if note else ""))
    db.commit()
    db.refresh(call)
    return call


# ---- transfers ------------------------------------------------------------------------------


def transfer(db: Session, rt: Runtime, *, actor: Actor, call_id: int, target: str, reason: str,
             three_way: bool | None = None, responsibility_unclear: bool = False,
             expert_id: int | None = None) -> CallTransfer:
    """Record a one-click transfer. When responsibility is unclear the transfer is a three-way call
    and the line that took the call first keeps it (首接负责). Without a say (`three_way` None) a
    specialist line (sub-centre, staffed expert seats / business zone) is a three-way call as routing
    hands it over (国办发〔2020〕53号: 三方转接); anything else a blind transfer, as before. `expert_id`
    names the person on the line's rota who was rung."""
    ensure_role(actor, *HALL_ROLES)
    call = get(db, actor=actor, call_id=call_id)
    number = "".join((target or "").split()).replace("-", "")  # 138 0013 8000 as typed
    if not number:
        raise DomainError("target_required", "请点选转接对象，或填写要转接的号码", status_code=422)
    if not NUMBER.match(number):
        raise DomainError("target_invalid",
                          f"转接目标号码“{target}”格式错误：应为 3–20 位数字（连同 + 至多 20 个字符）", status_code=422)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError("transfer_reason_required", "请填写转接原因（至少 2 个字）", status_code=422)
    if call.answered_at is None:
        raise DomainError("call_not_answered", "未接通的来电不能转接", status_code=409)
    # An ended call is no one's to transfer — past a short grace for the adapter's `ended` arriving
    # before the operator's click lands (QA: a call of two days before took a transfer to 119).
    now = rt.clock.now()
    if call.ended_at is not None and now - call.ended_at > TRANSFER_GRACE:
        raise DomainError("call_ended", "该通话已结束，不能再转接：如需联系来电人，请回拨", status_code=409)
    if number == call.first_line:
        raise DomainError("transfer_to_self", "不能转接到来电所在的本线路", status_code=422)
    city = rt.settings.city_name
    kind, label = lines.describe(db, number, city)
    if kind == "line" and (loop := lines.unreachable(db, number, city, now)):
        raise DomainError("target_merged", loop, status_code=422)  # it would ring the hall again (QA)
    found = lines.specialist(db, number, city, now) if kind == "line" else None
    if expert_id is not None:
        expert = next((e for e in found.experts if e.id == expert_id), None) if found else None
        if expert is None:
            raise DomainError("expert_not_on_duty", f"所选值班人员当前不在 {number} 的在岗名单中"
                                                    "（可能已下班或停止值班），请刷新后重选", status_code=422)
        label = f"{label} · {expert.name}（{expert.phone}）"
    if three_way is None:
        three_way = found is not None and found.staffed
    mode = TransferMode.THREE_WAY if (three_way or responsibility_unclear) else TransferMode.BLIND
    row = CallTransfer(call_id=call.id, at=now, target_number=number, target_kind=kind, target_label=label[:100],
                       mode=mode, reason=reason[:500], source=TransferSource.OPERATOR, by_user_id=actor.user_id,
                       responsible_line=call.first_line if mode == TransferMode.THREE_WAY else number)
    db.add(row)
    audit.record(db, actor=actor, at=now, action="transfer_call", object_type="call", object_id=call.id,
                 detail=f"转接 {label}（{'三方通话' if mode == TransferMode.THREE_WAY else '直接转接'}）：{reason}")
    db.commit()
    return row


def outcome_of(call: Call) -> Outcome | None:
    return Outcome(call.outcome) if call.outcome else None
