"""The operators' waiting list of a message channel (待处理): what citizens sent by SMS (短信受理) or to
the WeChat official account (微信受理) that waits for an operator — grouped by sender, the group whose
first message is oldest first — and its handling: 登记工单 (the intake form pre-filled, then one ticket
for the group and one notice to the sender with its number) or 忽略 with a reason. Each step checks the
role and the whole-city scope, is a compare-and-swap from 待处理 (two operators never both handle a
message), is audited, and owns its commit.

Why a module of its own: both channels had written this list once each, line for line, on their own
table. Here it is written once and each channel describes its table (`WaitingList`): a rule changed
here changes for both, and another channel (a mailbox, an app) gets the list the same way. What stays
in a channel: how its messages arrive (the SMS gateway's push, WeChat's signed callback), how one reads
(`describe`), the notice that tells the sender the ticket's number (`notice`), and its outbox.

Named for the list (待处理), not "handover": in the glossary a handover (移交方式) is 12345 passing a
matter to a sub-center or a line's seats; WeChat's 人工 is only how a conversation gets onto this list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from hotline.channels.enums import IGNORE_LABELS, IGNORED, LISTED, PENDING, REGISTERED, IgnoreReason
from hotline.channels.models import Handled
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.runtime import Runtime
from hotline.security import audit
from hotline.security.actor import Actor
from hotline.security.permissions import ensure_role
from hotline.security.roles import Role
from hotline.tickets import service as tickets
from hotline.tickets.enums import CHANNEL_LABELS, Channel
from hotline.tickets.models import IdempotencyKey, Ticket
from hotline.tickets.schemas import TicketCreate

HANDLER_ROLES = (Role.OPERATOR, Role.DISPATCHER)  # those who register tickets
VIEW_ROLES = (*HANDLER_ROLES, Role.SUPERVISOR)
GROUP_MAX = 20  # messages handled together: one sender's run of them

M = TypeVar("M", bound=Handled)


@dataclass(frozen=True)
class Group(Generic[M]):
    """One sender's waiting messages, oldest first, and what was sent to that sender lately (SMS)."""

    sender: str
    messages: list[M]
    sent: list[Any] = field(default_factory=list)

    @property
    def ids(self) -> str:
        return ",".join(str(m.id) for m in self.messages)


def _nothing_left_out(row: Any) -> bool:
    return False


@dataclass(frozen=True)
class WaitingList(Generic[M]):
    """One channel's list: its table, who sent a message and when, the words its errors and audit use,
    and what the channel does its own way."""

    table: type[M]
    sender: InstrumentedAttribute[str]  # whom a group is: a phone number, a follower's openid
    at: InstrumentedAttribute[datetime]  # a message's time: the order within a group and of the groups
    outbound: type[Any]  # what the channel sent about a ticket (ticket_id, created_at): the ticket's page shows it
    channel: Channel  # the ticket's
    code: str  # "sms": error codes, audit actions and objects, the idempotency owner, ?sms= and sms_ids
    page: str  # the list's page
    noun: str  # 短信 / 消息: 所选短信、该消息
    counted: str  # 短信 / 微信消息: 3 条微信消息
    out_of_scope: str  # said to staff whose data scope is not the whole city
    not_found: str
    mixed: str  # said when messages of two senders are named together
    describe: Callable[[M], str]  # a message as an operator reads it, and as the ticket's content takes it
    notice: Callable[[M, Ticket, Actor, datetime], Any]  # the row that tells the sender the ticket's number
    sender_is_phone: bool = False  # the sender is the requester's phone unless the form says another (SMS)
    leave_out: Callable[[M], bool] = _nothing_left_out  # no part of what the citizen asks (WeChat's 人工)

    @property
    def form_field(self) -> str:
        """The intake form's hidden field naming the messages it registers."""
        return f"{self.code}_ids"

    def sender_of(self, row: M) -> str:
        return str(getattr(row, self.sender.key))

    def ensure_staff(self, actor: Actor, *roles: Role) -> None:
        """The role, and the whole city as data scope: a message carries no place (a sender's district is
        known only once a ticket says it), so it cannot be cut to a district, as the call records; a
        district's supervisor would read every district's."""
        ensure_role(actor, *roles)
        if not audit.reads_whole_city(actor):
            raise Forbidden("scope_forbidden", self.out_of_scope)

    # ---- reading -----------------------------------------------------------------------------

    def counts(self, db: Session) -> tuple[int, int]:
        """Waiting messages and the senders they came from."""
        cond = self.table.status == PENDING
        n, senders = db.execute(select(func.count(), func.count(self.sender.distinct())).where(cond)).one()
        return int(n), int(senders)

    def waiting(self, db: Session, *, actor: Actor, page: int = 1,
                page_size: int = 20) -> tuple[list[Group[M]], int]:
        """Waiting messages grouped by sender (a citizen often writes two or three in a row), the group
        whose first message is oldest first; paginated by sender. Returns the groups and the number of
        senders."""
        self.ensure_staff(actor, *VIEW_ROLES)
        cond = self.table.status == PENDING
        first = func.min(self.at)
        total = db.execute(select(func.count(self.sender.distinct())).where(cond)).scalar_one()
        senders = [s for s, _ in db.execute(select(self.sender, first).where(cond).group_by(self.sender)
                                            .order_by(first, self.sender)
                                            .limit(page_size).offset((max(page, 1) - 1) * page_size))]
        if not senders:
            return [], total
        found: dict[str, list[M]] = {s: [] for s in senders}
        for row in db.scalars(select(self.table).where(cond, self.sender.in_(senders))
                              .order_by(self.at, self.table.id)):
            found[self.sender_of(row)].append(row)
        return [Group(sender=s, messages=found[s][:GROUP_MAX]) for s in senders], total

    def handled(self, db: Session, *, actor: Actor, status: str, page: int = 1,
                page_size: int = 20) -> tuple[list[tuple[M, str | None]], int]:
        """Messages already registered or ignored, the latest handled first, with the ticket number."""
        self.ensure_staff(actor, *VIEW_ROLES)
        cond = self.table.status == status
        total = db.execute(select(func.count()).select_from(self.table).where(cond)).scalar_one()
        rows = db.execute(select(self.table, Ticket.number).outerjoin(Ticket, Ticket.id == self.table.ticket_id)
                          .where(cond).order_by(self.table.handled_at.desc(), self.table.id.desc())
                          .limit(page_size).offset((max(page, 1) - 1) * page_size)).all()
        return [(row, number) for row, number in rows], total

    def for_ticket(self, db: Session, ticket_id: int) -> tuple[list[M], list[Any]]:
        """The messages a ticket was registered from and what was sent about it, oldest first (its page
        shows them)."""
        received = list(db.scalars(select(self.table).where(self.table.ticket_id == ticket_id)
                                   .order_by(self.at, self.table.id)))
        out = self.outbound
        sent = list(db.scalars(select(out).where(out.ticket_id == ticket_id).order_by(out.created_at, out.id)))
        return received, sent

    def parse_ids(self, value: str) -> list[int]:
        """The messages a form or link names ("12,13,14"), at most one group's worth."""
        parts = [p.strip() for p in (value or "").split(",") if p.strip()]
        if not parts or not all(p.isdecimal() and len(p) <= 9 for p in parts) or len(parts) > GROUP_MAX:
            raise DomainError(f"{self.code}_ids_invalid", f"请选择要处理的{self.counted}", status_code=422)
        return sorted({int(p) for p in parts})

    def rows(self, db: Session, *, actor: Actor, ids: Sequence[int]) -> list[M]:
        """The named messages, oldest first: all on the list (handed to a person), all from one sender."""
        self.ensure_staff(actor, *VIEW_ROLES)
        rows = list(db.scalars(select(self.table).where(self.table.id.in_(list(ids)))
                               .order_by(self.at, self.table.id)))
        if len(rows) != len(set(ids)) or any(r.status not in LISTED for r in rows):
            raise NotFound(f"{self.code}_not_found", self.not_found)
        if len({self.sender_of(r) for r in rows}) > 1:
            raise DomainError(f"{self.code}_mixed_senders", self.mixed, status_code=422)
        return rows

    def pending(self, db: Session, actor: Actor, ids: Sequence[int]) -> list[M]:
        rows = self.rows(db, actor=actor, ids=ids)
        if any(r.status != PENDING for r in rows):
            raise Conflict(self._taken, f"所选{self.noun}已由他人处理（已登记或已忽略），请刷新后查看")
        return rows

    def mark(self, db: Session, ids: Sequence[int], **values: Any) -> None:
        """Compare-and-swap from 待处理: two operators cannot both handle the same message."""
        result = db.execute(update(self.table).where(self.table.id.in_(list(ids)), self.table.status == PENDING)
                            .values(**values))
        if result.rowcount != len(ids):
            db.rollback()
            raise Conflict(self._taken, f"所选{self.noun}刚由他人处理，请刷新后查看")

    @property
    def _taken(self) -> str:
        return f"{self.code}_already_handled"

    # ---- handling ----------------------------------------------------------------------------

    def prefill(self, db: Session, rt: Runtime, *, actor: Actor, ids: Sequence[int]) -> dict[str, Any]:
        """The intake form's values for a group: the channel, the messages as the content and their first
        words as the title, the sender as the phone where it is one. Showing a sender's words in full is
        a view of personal data: audited."""
        self.ensure_staff(actor, *HANDLER_ROLES)
        rows = self.pending(db, actor, ids)
        said = [r for r in rows if not self.leave_out(r)] or rows
        values = {"channel": str(self.channel), "content": "\n".join(self.describe(r) for r in said)[:5000],
                  "title": self.describe(said[0]).replace("\n", " ")[:30],
                  self.form_field: ",".join(str(r.id) for r in rows)}
        if self.sender_is_phone:
            values["requester_phone"] = self.sender_of(rows[0])
        audit.record(db, actor=actor, at=rt.clock.now(), action="view_personal_data", object_type=self.code,
                     object_id=rows[0].id, detail=f"{CHANNEL_LABELS[self.channel]}登记工单：{len(rows)} 条{self.noun}")
        db.commit()
        return values

    def register_ticket(self, db: Session, rt: Runtime, *, actor: Actor, ids: Sequence[int],
                        data: TicketCreate) -> tuple[Ticket, bool]:
        """Register a group as one ticket (the channel's; the sender as the phone, where it is one, unless
        another was typed); the messages become 已登记 with the ticket, and the sender is told its number
        (`notice`). The idempotency key belongs to the messages: two operators registering them make one
        ticket, and the same operator's form sent again answers the ticket it made."""
        self.ensure_staff(actor, *HANDLER_ROLES)
        rows = self.rows(db, actor=actor, ids=ids)
        first = rows[0]
        if any(r.status != PENDING for r in rows):
            if len({r.ticket_id for r in rows}) == 1 and first.ticket_id is not None:
                ticket = db.get(Ticket, first.ticket_id)
                if ticket is not None and ticket.registered_by_id == actor.user_id:
                    return ticket, False  # the same form sent again
                raise Conflict(self._taken, f"该{self.noun}已由他人登记为工单 {ticket.number if ticket else ''}")
            raise Conflict(self._taken, f"所选{self.noun}已由他人处理（已登记或已忽略），请刷新后查看")
        fields: dict[str, Any] = {"channel": self.channel}
        if self.sender_is_phone and not data.requester_phone and not data.requester_anonymous:
            fields["requester_phone"] = self.sender_of(first)
        owner = f"{self.code}:{first.id}"
        try:
            ticket, created = tickets.register(db, rt, actor=actor, data=data.model_copy(update=fields),
                                               idempotency_key="ticket", idempotency_owner=owner)
        except Conflict as exc:
            if exc.code != "idempotency_key_reused":
                raise
            db.rollback()
            number = db.execute(select(Ticket.number).join(IdempotencyKey, IdempotencyKey.ticket_id == Ticket.id)
                                .where(IdempotencyKey.owner == owner)).scalar_one()
            raise Conflict(self._taken, f"该{self.noun}已登记为工单 {number}，如需修改请在工单页补充") from None
        now = rt.clock.now()
        number = ticket.number
        try:
            self.mark(db, [r.id for r in rows], status=REGISTERED, ticket_id=ticket.id,
                      handled_by_id=actor.user_id, handled_at=now)
        except Conflict:  # another operator took some of these messages between the check and now
            raise Conflict(self._taken,
                           f"所选{self.noun}刚由他人处理（本次登记的工单 {number} 未关联），请刷新后查看") from None
        db.add(self.notice(first, ticket, actor, now))
        audit.record(db, actor=actor, at=now, action=f"{self.code}_register", object_type=self.code,
                     object_id=first.id, detail=f"{len(rows)} 条{self.counted}登记为工单 {number}")
        db.commit()
        return ticket, created

    def ignore(self, db: Session, rt: Runtime, *, actor: Actor, ids: Sequence[int], reason: str,
               note: str = "") -> int:
        """Set a group aside (广告, 无效, 重复, 其他 with a note). Returns how many messages."""
        self.ensure_staff(actor, *HANDLER_ROLES)
        try:
            why = IgnoreReason(reason)
        except ValueError:
            raise DomainError("ignore_reason_required", "请选择忽略原因", status_code=422) from None
        note = (note or "").strip()[:200]
        if why == IgnoreReason.OTHER and len(note) < 2:
            raise DomainError("ignore_note_required", "忽略原因为“其他”时请填写说明（至少 2 个字）", status_code=422)
        rows = self.pending(db, actor, ids)
        now = rt.clock.now()
        self.mark(db, [r.id for r in rows], status=IGNORED, ignore_reason=why, ignore_note=note or None,
                  handled_by_id=actor.user_id, handled_at=now)
        detail = f"忽略 {len(rows)} 条{self.counted}（{IGNORE_LABELS[why]}）" + (f"：{note}" if note else "")
        audit.record(db, actor=actor, at=now, action=f"{self.code}_ignore", object_type=self.code,
                     object_id=rows[0].id, detail=detail)
        db.commit()
        return len(rows)
