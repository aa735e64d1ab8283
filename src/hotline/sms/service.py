"""The SMS channel's use cases: the gateway's pushes and its outbox with retries, the operators'
waiting list (the channels' shared one on `sms_inbound`, TEXTS: 登记工单 and 忽略 are its steps), 回复短信
and 重发, and the staff API's reads. Each writing function owns its commit.

The gateway is the telephony platform's machine account (Role.TELEPHONY, docs/sms.md says why):
texts arrive by push, replies wait in `sms_outbound` until the gateway takes them (GET outbox) and
reports each one sent or failed — an SMS outage never rolls back a ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from hotline.channels import waiting_list
from hotline.channels.waiting_list import HANDLER_ROLES, VIEW_ROLES, WaitingList
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.org.models import User
from hotline.phones import as_kept
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.sms import validation
from hotline.sms.enums import (
    OUTBOUND_LABELS,
    PURPOSE_LABELS,
    InboundStatus,
    OutboundStatus,
    Purpose,
    outbound_label,
)
from hotline.sms.models import SmsInbound, SmsOutbound
from hotline.tickets import service as tickets
from hotline.tickets.enums import Channel
from hotline.tickets.models import Ticket

GATEWAY_ROLES = frozenset({Role.TELEPHONY})
MAX_BATCH = 500
OUTBOX_MAX = 500
SIGNATURE = "【12345】"
REPLY_MAX = 200  # characters typed, before the signature: three concatenated segments at most


def ensure_gateway(actor: Actor) -> None:
    if actor.role not in GATEWAY_ROLES:
        raise Forbidden("sms_gateway_only", "只有短信网关接口账号（角色：话务系统接口）可以推送短信和领取待发短信")


# ---- the gateway pushes texts ---------------------------------------------------------------


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    conflicts: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)


def ingest(db: Session, *, actor: Actor, items: Sequence[Any], now: datetime) -> IngestResult:
    """Store the texts of one push. A text already stored under its id with the same content is a
    duplicate (a retry after a timeout); other content under the same id is a conflict, never
    stored. Refused texts are reported, not stored: the gateway must correct and push them again."""
    ensure_gateway(actor)
    try:
        return _ingest(db, actor, items, now)
    except IntegrityError:
        # A concurrent push stored one of these ids first: read again, it is now a duplicate or a conflict.
        db.rollback()
        return _ingest(db, actor, items, now)


def _ingest(db: Session, actor: Actor, items: Sequence[Any], now: datetime) -> IngestResult:
    out = IngestResult()
    checks = [validation.check(raw, now) for raw in items]
    wanted = {c.gateway_id for c in checks if isinstance(c, validation.Checked)}
    stored = {row.gateway_id: row for row in db.scalars(
        select(SmsInbound).where(SmsInbound.account_id == actor.user_id, SmsInbound.gateway_id.in_(wanted)))
    } if wanted else {}
    new: dict[str, tuple[validation.Checked, SmsInbound]] = {}
    for index, c in enumerate(checks):
        if isinstance(c, validation.Refused):
            out.rejected += 1
            out.errors.append({"index": index, "id": c.gateway_id, "code": c.code, "message": c.message})
            continue
        if c.gateway_id in stored:
            prior = stored[c.gateway_id]
            diffs = c.differences(prior.sender, prior.text, prior.received_at)
        elif c.gateway_id in new:
            first = new[c.gateway_id][0]
            diffs = c.differences(first.sender, first.text, first.received_at)
        else:
            row = SmsInbound(account_id=actor.user_id, gateway_id=c.gateway_id, sender=c.sender, text=c.text,
                             received_at=c.received_at, created_at=now, status=InboundStatus.PENDING)
            db.add(row)
            new[c.gateway_id] = (c, row)
            out.accepted += 1
            continue
        if diffs:
            out.conflicts += 1
            out.errors.append({"index": index, "id": c.gateway_id, "code": "id_conflict",
                               "message": f"短信编号 {c.gateway_id} 已用于内容不同的短信，未处理：" + "；".join(diffs)})
        else:
            out.duplicates += 1
    db.commit()
    out.ids = {gid: row.id for gid, row in stored.items()} | {gid: row.id for gid, (_, row) in new.items()}
    return out


# ---- the gateway's outbox --------------------------------------------------------------------

# A temporary failure (the gateway says so: network, carrier congestion, flow control) is retried after
# these delays, one per retry; the text is 发送失败 for good at the MAX_ATTEMPTS-th failure, or at once
# when the failure is permanent (空号, 停机, refused by the carrier) or not said to be temporary.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1  # the first try and three retries


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Queued and due: never tried, or its retry's time has come."""
    return and_(SmsOutbound.status == OutboundStatus.QUEUED,
                or_(SmsOutbound.next_attempt_at.is_(None), SmsOutbound.next_attempt_at <= now))


def outbox(db: Session, *, actor: Actor, limit: int, now: datetime) -> list[SmsOutbound]:
    """Queued texts that are due, oldest first. Reading takes nothing away: a text stays queued until
    its result is reported, so a gateway that crashed after reading sends it on its next poll. A text
    waiting for its retry is handed out again only once its next attempt is due."""
    ensure_gateway(actor)
    return list(db.scalars(select(SmsOutbound).where(due_condition(now))
                           .order_by(SmsOutbound.created_at, SmsOutbound.id).limit(limit)))


def report_result(db: Session, *, actor: Actor, outbound_id: int, sent: bool, gateway_id: str | None,
                  reason: str | None, now: datetime, temporary: bool | None = None,
                  attempt: int | None = None) -> SmsOutbound:
    """The gateway says an attempt to send a queued text succeeded or failed. A temporary failure puts
    the text back in the outbox after a delay (RETRY_DELAYS) until MAX_ATTEMPTS; any other failure —
    `temporary` false or absent, as before retries existed — is final. Idempotent: the same report
    again is accepted and changes nothing (a temporary failure is counted once per hand-out: until the
    retry is due, or when `attempt` names an attempt already counted), and so is a report of an earlier
    attempt than the last counted; a different one for a text already final is a conflict."""
    ensure_gateway(actor)
    row = db.get(SmsOutbound, outbound_id)
    if row is None:
        raise NotFound("sms_not_found", "待发短信不存在")
    status = OutboundStatus.SENT if sent else OutboundStatus.FAILED
    reason = (reason or "").strip()[:200] or None
    if not sent and not reason:
        raise DomainError("reason_required", "发送失败须说明原因 reason", status_code=422)
    if sent and temporary:
        raise DomainError("temporary_not_failed", "temporary（暂时性失败）只能用于发送失败（status 为 failed）",
                          status_code=422)
    if attempt is not None and attempt < (row.attempts or 0):
        return row  # an earlier attempt's report arriving late: a later one has been counted since
    for _ in range(2):  # a concurrent report moved it: read it again, once
        if row.status != OutboundStatus.QUEUED:
            break
        if _reported_already(row, sent=sent, temporary=bool(temporary), attempt=attempt, now=now):
            return row
        tried = row.attempts or 0
        values: dict[str, Any] = {"attempts": tried + 1, "result_at": now, "next_attempt_at": None}
        if gateway_id:
            values["gateway_id"] = gateway_id
        if sent:
            values.update(status=OutboundStatus.SENT, sent_at=now)
        elif temporary and tried + 1 < MAX_ATTEMPTS:
            values.update(last_error=reason, next_attempt_at=now + RETRY_DELAYS[tried])
        else:
            values.update(status=OutboundStatus.FAILED, last_error=reason, failed_reason=reason)
        # compare-and-swap on the status and the count: two reports of one attempt count it once
        done = db.execute(update(SmsOutbound).where(SmsOutbound.id == row.id,
                                                    SmsOutbound.status == OutboundStatus.QUEUED,
                                                    SmsOutbound.attempts == tried).values(**values))
        if done.rowcount == 1:
            db.commit()
            db.refresh(row)
            return row
        db.rollback()
        db.refresh(row)
    if row.status == status and (gateway_id is None or row.gateway_id in (None, gateway_id)):
        return row
    shown = OUTBOUND_LABELS[OutboundStatus(row.status)] if row.status != OutboundStatus.QUEUED else "待重发"
    raise Conflict("result_conflict", f"该短信已报告为“{shown}”，不能再报告为“{OUTBOUND_LABELS[status]}”")


def _reported_already(row: SmsOutbound, *, sent: bool, temporary: bool, attempt: int | None,
                      now: datetime) -> bool:
    """A queued text's report that repeats one already counted: it names an earlier attempt, or it is a
    temporary failure while the text waits for its retry (not handed out since the last one)."""
    if attempt is not None and attempt <= (row.attempts or 0):
        return True
    waiting = row.next_attempt_at is not None and row.next_attempt_at > now
    return waiting and not sent and temporary and attempt is None


# ---- the operators' waiting list (hotline.channels.waiting_list) on sms_inbound ------------------


def _acknowledge(first: SmsInbound, ticket: Ticket, actor: Actor, now: datetime) -> SmsOutbound:
    """The one automatic text to the sender when their texts become a ticket."""
    return SmsOutbound(phone=first.sender, text=acknowledgement(ticket.number, phone=ticket.requester_phone,
                                                                sender=first.sender),
                       purpose=Purpose.ACKNOWLEDGEMENT, status=OutboundStatus.QUEUED, ticket_id=ticket.id,
                       inbound_id=first.id, created_by_id=actor.user_id, created_at=now)


TEXTS = WaitingList(
    table=SmsInbound, sender=SmsInbound.sender, at=SmsInbound.received_at, outbound=SmsOutbound,
    channel=Channel.SMS, code="sms", page="/sms", noun="短信", counted="短信",
    out_of_scope="短信不分辖区，仅限数据范围为全市的人员查看和处理", not_found="短信不存在",
    mixed="一次只能处理同一号码发来的短信", describe=lambda row: row.text, notice=_acknowledge,
    sender_is_phone=True)
# the list's checks and steps under the names this module, the staff API and the demo call them
ensure_staff, counts = TEXTS.ensure_staff, TEXTS.counts
register_ticket, ignore = TEXTS.register_ticket, TEXTS.ignore


@dataclass(frozen=True)
class Group(waiting_list.Group[SmsInbound]):
    """One sender's waiting texts, oldest first, and the texts sent to that number lately."""

    @property
    def texts(self) -> list[SmsInbound]:  # the group's messages, as this channel names them
        return self.messages


SENT_SHOWN = 5  # texts sent to a number shown beside its waiting ones


def waiting(db: Session, *, actor: Actor, page: int = 1, page_size: int = 20) -> tuple[list[Group], int]:
    """The waiting list's groups (a citizen often sends two or three texts in a row), each with the last
    SENT_SHOWN texts sent to its number, newest first. Returns the groups and the number of senders."""
    groups, total = TEXTS.waiting(db, actor=actor, page=page, page_size=page_size)
    sent: dict[str, list[SmsOutbound]] = {g.sender: [] for g in groups}
    if sent:
        # a window over the (phone, created_at) index, not every text ever sent to a citizen who writes often
        recent = select(SmsOutbound.id, func.row_number().over(
            partition_by=SmsOutbound.phone, order_by=(SmsOutbound.created_at.desc(), SmsOutbound.id.desc())
        ).label("n")).where(SmsOutbound.phone.in_(list(sent))).subquery()
        for out in db.scalars(select(SmsOutbound).join(recent, recent.c.id == SmsOutbound.id)
                              .where(recent.c.n <= SENT_SHOWN)
                              .order_by(SmsOutbound.created_at.desc(), SmsOutbound.id.desc())):
            sent[out.phone].append(out)
    return [Group(sender=g.sender, messages=g.messages, sent=sent[g.sender]) for g in groups], total


# ---- the texts sent: the automatic 已受理 text, 回复短信 -------------------------------------------


def acknowledgement(number: str, *, phone: str | None, sender: str) -> str:
    """The automatic text to the sender: the number, how to follow it, nothing about anybody else.
    The public lookup asks for the last four digits of the ticket's phone: named as the sender's own
    number, or as the number registered when the operator took another; none without a phone."""
    if not phone:
        return f"您反映的诉求已受理，工单编号{number}。{SIGNATURE}"
    which = "手机号" if phone == sender else "登记的联系电话"
    return f"您反映的诉求已受理，工单编号{number}，可凭编号和{which}后四位在网上查询办理进度。{SIGNATURE}"


def reply_text(typed: str) -> str:
    """The text as it will be sent: checked for length, signed."""
    body = " ".join((typed or "").split())
    if not body:
        raise DomainError("reply_empty", "请填写回复内容", status_code=422)
    if body.endswith(SIGNATURE):
        body = body[: -len(SIGNATURE)].rstrip()
    if len(body) > REPLY_MAX:
        raise DomainError("reply_too_long", f"回复内容最多 {REPLY_MAX} 个字（不含签名{SIGNATURE}），"
                                            f"当前 {len(body)} 个字", status_code=422)
    return body + SIGNATURE


def reply(db: Session, rt: Runtime, *, actor: Actor, inbound_id: int, text: str) -> SmsOutbound:
    """Queue a reply to the number a text came from. The text keeps its status: a reply asking for
    the address leaves it waiting for the answer."""
    ensure_staff(actor, *HANDLER_ROLES)
    body = reply_text(text)
    inbound = TEXTS.rows(db, actor=actor, ids=[inbound_id])[0]
    now = rt.clock.now()
    row = SmsOutbound(phone=inbound.sender, text=body, purpose=Purpose.REPLY, status=OutboundStatus.QUEUED,
                      ticket_id=inbound.ticket_id, inbound_id=inbound.id, created_by_id=actor.user_id,
                      created_at=now)
    db.add(row)
    audit.record(db, actor=actor, at=now, action="sms_reply", object_type="sms", object_id=inbound.id,
                 detail=f"回复短信：{body}")
    db.commit()
    return row


# ---- staff lookups (the JSON API; the page uses the waiting list's) -----------------------------


@dataclass(frozen=True)
class TextRow:
    """A received text with the number of the ticket it became and who handled it."""

    text: SmsInbound
    ticket_number: str | None
    handled_by: str | None


def _text_rows(db: Session, query: Any) -> list[TextRow]:
    handler = aliased(User)
    rows = db.execute(query.add_columns(Ticket.number, handler.display_name)
                      .outerjoin(Ticket, Ticket.id == SmsInbound.ticket_id)
                      .outerjoin(handler, handler.id == SmsInbound.handled_by_id)).all()
    return [TextRow(text=row, ticket_number=number, handled_by=name) for row, number, name in rows]


def search_texts(db: Session, *, actor: Actor, status: InboundStatus | None = None, phone: str | None = None,
                 received_from: datetime | None = None, received_to: datetime | None = None, page: int = 1,
                 page_size: int = 20) -> tuple[list[TextRow], int]:
    """Received texts, filtered in the database. Waiting texts (status pending) oldest first, as the
    operators work through them; any other list the latest received first."""
    ensure_staff(actor, *VIEW_ROLES)
    conds: list[ColumnElement[bool]] = []
    if status is not None:
        conds.append(SmsInbound.status == status)
    if phone:
        conds.append(SmsInbound.sender == kept_phone(phone))
    if received_from is not None:
        conds.append(SmsInbound.received_at >= received_from)
    if received_to is not None:
        conds.append(SmsInbound.received_at < received_to)
    total = db.execute(select(func.count()).select_from(SmsInbound).where(*conds)).scalar_one()
    order = (SmsInbound.received_at, SmsInbound.id) if status == InboundStatus.PENDING \
        else (SmsInbound.received_at.desc(), SmsInbound.id.desc())
    query = select(SmsInbound).where(*conds).order_by(*order).limit(page_size).offset((max(page, 1) - 1) * page_size)
    return _text_rows(db, query), int(total)


def kept_phone(typed: str) -> str:
    """A number typed to search by, read as the gateway's numbers are kept (+86 139-1234-5678 → 139…)."""
    return as_kept(typed).replace("-", "")


def get_text(db: Session, *, actor: Actor, inbound_id: int) -> tuple[TextRow, list[SmsOutbound]]:
    """One received text, and the texts sent to its number lately (newest first, as a group shows them)."""
    ensure_staff(actor, *VIEW_ROLES)
    found = _text_rows(db, select(SmsInbound).where(SmsInbound.id == inbound_id))
    if not found:
        raise NotFound("sms_not_found", "短信不存在")
    sent = list(db.scalars(select(SmsOutbound).where(SmsOutbound.phone == found[0].text.sender)
                           .order_by(SmsOutbound.created_at.desc(), SmsOutbound.id.desc()).limit(SENT_SHOWN)))
    return found[0], sent


def _not_resent() -> ColumnElement[bool]:
    """No operator has sent this text again (重发)."""
    child = aliased(SmsOutbound)
    return ~select(child.id).where(child.resend_of_id == SmsOutbound.id).correlate(SmsOutbound).exists()


def search_sent(db: Session, *, actor: Actor, phone: str | None = None, status: OutboundStatus | None = None,
                awaiting_resend: bool = False, page: int = 1,
                page_size: int = 20) -> tuple[list[tuple[SmsOutbound, int | None]], int]:
    """Texts for the gateway to send (the outbox of a number when `phone` is given), the latest first,
    each with the id of its resend (重发) if an operator sent it again. `awaiting_resend`: only the
    texts failed for good that nobody has sent again (the page's tab 发送失败)."""
    ensure_staff(actor, *VIEW_ROLES)
    again = aliased(SmsOutbound)
    conds: list[ColumnElement[bool]] = []
    if phone:
        conds.append(SmsOutbound.phone == kept_phone(phone))
    if awaiting_resend:
        status = OutboundStatus.FAILED
        conds.append(_not_resent())
    if status is not None:
        conds.append(SmsOutbound.status == status)
    total = db.execute(select(func.count()).select_from(SmsOutbound).where(*conds)).scalar_one()
    order = (SmsOutbound.result_at.desc(), SmsOutbound.id.desc()) if awaiting_resend \
        else (SmsOutbound.created_at.desc(), SmsOutbound.id.desc())
    rows = db.execute(select(SmsOutbound, again.id).outerjoin(again, again.resend_of_id == SmsOutbound.id)
                      .where(*conds).order_by(*order).limit(page_size).offset((max(page, 1) - 1) * page_size)).all()
    return [(row, resent) for row, resent in rows], int(total)


def failed_count(db: Session) -> int:
    """Texts failed for good that nobody has sent again (the tab 发送失败's count)."""
    return int(db.execute(select(func.count()).select_from(SmsOutbound).where(
        SmsOutbound.status == OutboundStatus.FAILED, _not_resent())).scalar_one())


def ticket_texts(db: Session, *, actor: Actor, ticket_id: int) -> tuple[list[SmsInbound], list[SmsOutbound]]:
    """A ticket's texts as its page shows them, for everyone who may read the ticket."""
    tickets.get(db, actor=actor, ticket_id=ticket_id)
    return TEXTS.for_ticket(db, ticket_id)


def resend(db: Session, rt: Runtime, *, actor: Actor, outbound_id: int) -> SmsOutbound:
    """重发: queue a text that failed for good once more, as a new text pointing at it (the failed one
    keeps its history). Once per failed text: two operators clicking at once make one."""
    ensure_staff(actor, *HANDLER_ROLES)
    row = db.get(SmsOutbound, outbound_id)
    if row is None:
        raise NotFound("sms_not_found", "短信不存在")
    if row.status != OutboundStatus.FAILED:
        shown = outbound_label(row.status, row.attempts)
        raise Conflict("sms_not_failed", f"只有发送失败的短信可以重发（该短信：{shown}）")
    if db.execute(select(SmsOutbound.id).where(SmsOutbound.resend_of_id == row.id)).first() is not None:
        raise Conflict("sms_already_resent", "该短信已重发过，请查看重发的短信")
    now = rt.clock.now()
    again = SmsOutbound(phone=row.phone, text=row.text, purpose=row.purpose, status=OutboundStatus.QUEUED,
                        ticket_id=row.ticket_id, inbound_id=row.inbound_id, created_by_id=actor.user_id,
                        created_at=now, resend_of_id=row.id)
    db.add(again)
    audit.record(db, actor=actor, at=now, action="sms_resend", object_type="sms_outbound", object_id=row.id,
                 detail=f"重发短信（{PURPOSE_LABELS[Purpose(row.purpose)]}，原发送失败：{row.failed_reason or '—'}）："
                        f"{row.text}")
    try:
        db.commit()
    except IntegrityError:  # another operator's resend committed first (the unique resend_of_id)
        db.rollback()
        raise Conflict("sms_already_resent", "该短信刚由他人重发，请刷新后查看") from None
    return again


def texts_by_ids(db: Session, *, actor: Actor, ids: Sequence[int]) -> list[TextRow]:
    """The named texts as the list shows them, oldest first (an action's answer)."""
    ensure_staff(actor, *VIEW_ROLES)
    return _text_rows(db, select(SmsInbound).where(SmsInbound.id.in_(list(ids)))
                      .order_by(SmsInbound.received_at, SmsInbound.id))
