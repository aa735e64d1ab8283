"""The WeChat channel's use cases: a message WeChat forwards (stored once, answered once), the
follower's conversation with the account (the knowledge-base assistant, 人工 to the operators'
waiting list, 查询 a ticket of their own), the operators' waiting list (the channels' shared one on
`wechat_message`, MESSAGES: 登记工单 and 忽略 are its steps, and 回复微信留言, an operator's own words
within WeChat's 48 hours), the relay's outbox of what is sent as customer-service messages, and 重发
of one that failed.
Each writing function owns its commit.

The reply to a message is stored with it: WeChat retries a message it got no answer to within five
seconds (up to three times), and a retry is answered with the stored reply, never a second one."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from hotline.channels import waiting_list
from hotline.channels.waiting_list import GROUP_MAX, HANDLER_ROLES, WaitingList
from hotline.clock import CHINA_TZ
from hotline.errors import Conflict, DomainError, Forbidden, NotFound
from hotline.knowledge import chat
from hotline.knowledge import service as knowledge
from hotline.knowledge.assistant import bare
from hotline.knowledge.enums import PUBLIC_AUDIENCES
from hotline.runtime import Runtime
from hotline.security import audit, throttle
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.tickets import present
from hotline.tickets import service as tickets
from hotline.tickets.enums import STATE_LABELS, Channel, State
from hotline.tickets.models import Ticket
from hotline.wechat import protocol
from hotline.wechat.enums import OUTBOUND_LABELS, PURPOSE_LABELS, TYPE_LABELS, MessageStatus, OutboundStatus, Purpose
from hotline.wechat.models import WechatMessage, WechatOutbound
from hotline.wechat.protocol import Message

RELAY_ROLES = frozenset({Role.TELEPHONY})
OUTBOX_MAX = 500
CONTEXT = timedelta(minutes=30)  # earlier answers a follow-up is read against (那儿童呢？)
HANDOVER_BACK = timedelta(hours=24)  # the messages before 人工 that join the waiting conversation
# WeChat accepts a customer-service message only within 48 hours of the follower's last interaction:
# a message, or one of these events (关注, 扫码, 点击菜单 of the kinds that push an event). Location
# reports, VIEW (a menu link) and unsubscribe open nothing.
REPLY_WINDOW = timedelta(hours=48)
OPENING_EVENTS = ("subscribe", "scan", "click", "scancode_push", "scancode_waitmsg")
# An operator's reply, in characters: WeChat does not state the customer-service text's limit; its passive
# reply takes 2,048 bytes of UTF-8, and 600 characters (3 bytes each for Chinese) stay below it — the
# passive replies' limit here too (protocol.REPLY_MAX) and the outbox's column.
REPLY_MAX = protocol.REPLY_MAX
# An attempt still answering a message after this long is taken to have died (its process stopped):
# a retry may then answer in its stead. Far above the answer's own time (seconds; WeChat's three
# retries come within about 15 s, so while the first attempt lives they wait for it).
ANSWER_STALE = timedelta(seconds=60)
AWAIT_POLL = 0.05  # seconds between looks for the answer another attempt is giving
LOOKUP_TICKETS = 5  # 查询 alone lists this many of the follower's own tickets
WINDOW_CLOSED = ("该微信用户最后一次发消息已超过 48 小时（或已取消关注），微信不允许再发送客服消息，"
                 "无法{what}：请等用户再次发来消息后{again}，或通过其他方式联系")

HOW_TO = "如需人工登记诉求，请回复「人工」；查询办理进度请回复「查询 工单编号」。"
WELCOME = ("您好，欢迎关注12345政务服务便民热线！\n"
           "在这里您可以：\n1. 直接发文字咨询政策、办事问题，智能客服依据已公开的知识库答复；\n"
           "2. 回复「人工」，留言反映诉求（投诉、求助、建议等），话务员登记工单后会告知您工单编号；\n"
           "3. 回复「查询 工单编号」，查询您在本公众号提交的工单的办理进度。\n"
           "遇到火警、治安、医疗等紧急情况，请直接拨打 119、110、120。")
HANDOVER = ("已为您转人工：请把诉求的时间、地点和具体情况用文字发在这里（可以分几条发），"
            "话务员登记工单后会通过本公众号告知您工单编号。")
JOINED = "已收到，已补充到您的留言中。话务员登记工单后会通过本公众号告知您工单编号。"
WRITE_PLEASE = "抱歉，暂时只能处理文字消息。请用文字描述您的问题或诉求（如时间、地点、具体情况）。"
WRITE_PLEASE_WAITING = "已收到。图片、语音等暂时无法转给话务员查看，请用文字补充说明（如时间、地点、具体情况）。"
LOCATION_WAITING = "已收到您发送的位置，已补充到您的留言中。如有具体门牌号，请再用文字补充。"

_PERSON = re.compile(r"(人工|登记|转人工|人工服务|人工客服|登记诉求|我要登记|留言)")
_LOOKUP = re.compile(r"^(查询|查|查进度|查询进度)\s*(工单(编号|号)?)?\s*[:：]?\s*([A-Za-z0-9\-]{0,32})$")


def ensure_relay(actor: Actor) -> None:
    if actor.role not in RELAY_ROLES:
        raise Forbidden("wechat_relay_only", "只有微信消息中继接口账号（角色：话务系统接口）可以领取待发消息")


# ---- WeChat forwards a message ----------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What the callback answers with, and whether this attempt is the one that answered the message
    (only that one may queue its answer for the relay when it comes late)."""

    reply: str  # "" when there is nothing to say (or a retry found no answer ready in time)
    answered: bool


def receive(db: Session, rt: Runtime, *, msg: Message, wait: float = 0.0) -> Received:
    """Store the message (once: its key is unique) and answer it once: the attempt that stores it (or
    takes over a dead one's claim, `answering_at`) answers; WeChat's retry of a message still being
    answered waits up to `wait` seconds for that answer and gives it, without answering again — the
    chat turn, the quota, the article's use and a handover happen once per message."""
    now = rt.clock.now()
    row, claimed = _stored(db, msg, now)
    if row.reply is not None:
        return Received(row.reply, answered=False)  # a retry: the reply already given
    if not claimed and not _claim(db, row.id, now):
        return Received(_awaited(db, row.id, wait), answered=False)
    try:
        reply, turn = _answer(db, rt, row, msg)
    except BaseException:
        _release(db, row.id)  # a retry answers instead
        raise
    reply = protocol.clip(reply)  # as sent, and as a retry will get it
    done = db.execute(update(WechatMessage).where(WechatMessage.id == row.id, WechatMessage.reply.is_(None))
                      .values(reply=reply, turn=turn, answering_at=None))
    db.commit()
    if done.rowcount != 1:  # a taken-over claim: the attempt thought dead answered first, its reply is the one
        db.refresh(row)
        return Received(row.reply or "", answered=False)
    return Received(reply, answered=True)


def _stored(db: Session, msg: Message, now: datetime) -> tuple[WechatMessage, bool]:
    """The message's row, and whether this attempt stored it (and so answers it)."""
    by_key = select(WechatMessage).where(WechatMessage.account == msg.account, WechatMessage.msg_key == msg.key)
    row = db.execute(by_key).scalar_one_or_none()
    if row is not None:
        return row, False
    row = WechatMessage(account=msg.account, msg_key=msg.key, openid=msg.openid, msg_type=msg.msg_type,
                        event=msg.event, content=msg.content, sent_at=msg.sent_at, received_at=now,
                        status=MessageStatus.AUTO, answering_at=now)
    db.add(row)
    try:
        db.commit()  # durable before anything is answered
        return row, True
    except IntegrityError:  # the same message, received at the same moment by another worker
        db.rollback()
        return db.execute(by_key).scalar_one(), False


def _claim(db: Session, message_id: int, now: datetime) -> bool:
    """Take on answering a stored message nobody answers: its attempt failed (released) or has held it
    past ANSWER_STALE (its process ended)."""
    done = db.execute(update(WechatMessage).where(
        WechatMessage.id == message_id, WechatMessage.reply.is_(None),
        or_(WechatMessage.answering_at.is_(None), WechatMessage.answering_at < now - ANSWER_STALE))
        .values(answering_at=now))
    db.commit()
    return done.rowcount == 1


def _release(db: Session, message_id: int) -> None:
    try:
        db.rollback()
        db.execute(update(WechatMessage).where(WechatMessage.id == message_id, WechatMessage.reply.is_(None))
                   .values(answering_at=None))
        db.commit()
    except Exception:  # noqa: BLE001  (the database itself failed: the claim goes stale instead)
        db.rollback()


def _awaited(db: Session, message_id: int, wait: float) -> str:
    """The answer another attempt is giving, if it is stored within `wait` seconds; else "" (that attempt
    delivers it: passively, or through the relay when late)."""
    deadline = time.monotonic() + wait
    while True:
        reply = db.execute(select(WechatMessage.reply).where(WechatMessage.id == message_id)).scalar_one()
        db.rollback()  # a fresh read next time (and SQLite's lock released)
        if reply is not None or time.monotonic() >= deadline:
            return reply or ""
        time.sleep(AWAIT_POLL)


def send_late(db: Session, rt: Runtime, *, msg: Message, text: str) -> None:
    """The answer to `msg` that came after the callback had already said `success` (past the answer
    budget): queued for the relay as a customer-service message, so the follower still gets it."""
    row = db.execute(select(WechatMessage).where(WechatMessage.account == msg.account,
                                                 WechatMessage.msg_key == msg.key)).scalar_one()
    db.add(WechatOutbound(account=row.account, openid=row.openid, text=text, purpose=Purpose.LATE,
                          status=OutboundStatus.QUEUED, message_id=row.id, created_at=rt.clock.now()))
    db.commit()


def _waiting(db: Session, openid: str) -> bool:
    return db.execute(select(WechatMessage.id).where(WechatMessage.openid == openid,
                                                     WechatMessage.status == MessageStatus.PENDING)
                      .limit(1)).first() is not None


def _join(db: Session, row: WechatMessage) -> None:
    db.execute(update(WechatMessage).where(WechatMessage.id == row.id).values(status=MessageStatus.PENDING))


def _answer(db: Session, rt: Runtime, row: WechatMessage, msg: Message) -> tuple[str, dict[str, Any] | None]:
    if msg.msg_type == "event":
        event = (msg.event or "").lower()
        return (WELCOME if event == "subscribe" else ""), None  # unsubscribe, menu clicks …: nothing to say
    waiting = _waiting(db, msg.openid)
    if msg.msg_type == "location":
        if waiting:
            _join(db, row)
            return LOCATION_WAITING, None
        return WRITE_PLEASE, None
    if msg.msg_type != "text" and not msg.recognized:
        if waiting:
            _join(db, row)
            return WRITE_PLEASE_WAITING, None
        return WRITE_PLEASE, None
    text = " ".join(unicodedata.normalize("NFKC", msg.content).split())
    if not text:
        return WRITE_PLEASE, None
    asked = _LOOKUP.fullmatch(text)
    if asked:
        return lookup_text(db, rt, openid=msg.openid, number=asked[4]), None
    if _PERSON.fullmatch(bare(text)) or chat.wants_a_person(text):
        return handover(db, rt, row=row), None
    if waiting:
        _join(db, row)
        return JOINED, None
    return _assistant(db, rt, row, text)


def handover(db: Session, rt: Runtime, *, row: WechatMessage) -> str:
    """人工/登记: this message and the follower's recent ones not yet handled become one waiting
    conversation on the operators' page."""
    since = row.sent_at - HANDOVER_BACK
    earlier = select(WechatMessage.id).where(
        WechatMessage.openid == row.openid, WechatMessage.status == MessageStatus.AUTO,
        WechatMessage.msg_type != "event", WechatMessage.sent_at >= since, WechatMessage.id != row.id,
        WechatMessage.ticket_id.is_(None)).order_by(WechatMessage.sent_at.desc(), WechatMessage.id.desc())
    ids = [row.id, *db.scalars(earlier.limit(GROUP_MAX - 1))]
    db.execute(update(WechatMessage).where(WechatMessage.id.in_(ids),
                                           WechatMessage.status == MessageStatus.AUTO)
               .values(status=MessageStatus.PENDING))
    return HANDOVER


def _conversation(db: Session, openid: str, before: WechatMessage) -> chat.Conversation:
    """The assistant's recent turns with this follower: a follow-up (那儿童呢？, 2) reads against them."""
    rows = db.scalars(select(WechatMessage.turn).where(
        WechatMessage.openid == openid, WechatMessage.turn.is_not(None), WechatMessage.id != before.id,
        WechatMessage.sent_at >= before.sent_at - CONTEXT)
        .order_by(WechatMessage.sent_at.desc(), WechatMessage.id.desc()).limit(chat.MAX_TURNS))
    return chat.Conversation(turns=[chat.Turn.from_dict(t) for t in reversed(list(rows)) if t])


def _assistant(db: Session, rt: Runtime, row: WechatMessage, text: str) -> tuple[str, dict[str, Any] | None]:
    """The public chat's assistant, with its quota per follower (as per client address on the portal)."""
    now = rt.clock.now()
    try:
        chat.count_turn(db, client=f"wechat:{row.openid}", now=now)
        conversation = _conversation(db, row.openid, row)
        picked = chat.chosen_option(conversation, text)
        if picked is not None:
            said = chat.pick(db, conversation=conversation, key=picked, now=now)
        else:
            filters = knowledge.search_filters(db, rt, audiences=frozenset(str(a) for a in PUBLIC_AUDIENCES))
            said = chat.ask(db, conversation=conversation, question=text, filters=filters)
        chat.record(db, said, now=now)
    except DomainError as exc:  # too long, quota reached, an option gone: said to the follower
        db.rollback()
        return f"{exc.message}\n{HOW_TO}", None
    return _said_text(said), said.turn.to_dict()


def _said_text(said: chat.Said) -> str:
    lines = [said.text]
    turn = said.turn
    if turn.options:
        lead = "请回复序号选择：" if turn.kind == "clarify" else "您是不是想问（回复序号查看）："
        lines.append(lead + "".join(f"\n{i}. {o.question}" for i, o in enumerate(turn.options, 1)))
    if turn.kind not in ("courtesy", "emergency"):
        lines.append(HOW_TO)
    return "\n".join(lines)


def owned_ticket(db: Session, *, openid: str, number: str) -> Ticket | None:
    """The ticket of this number when it was registered from this follower's messages; else None.
    (The portal's lookup asks for the phone's last four digits, which only the requester knows; here
    WeChat vouches for the follower, and only tickets registered from their own messages are theirs.)"""
    return db.execute(select(Ticket).join(WechatMessage, WechatMessage.ticket_id == Ticket.id)
                      .where(Ticket.number == tickets.normal_number(number), WechatMessage.openid == openid)
                      .limit(1)).unique().scalar_one_or_none()


def lookup_text(db: Session, rt: Runtime, *, openid: str, number: str) -> str:
    """查询 工单号: the public status of one of the follower's own tickets; one answer for every miss,
    failures throttled per follower as the portal's per client (a number is guessable)."""
    now = rt.clock.now()
    if not number:
        rows = db.execute(select(Ticket.number, Ticket.state).join(WechatMessage, WechatMessage.ticket_id == Ticket.id)
                          .where(WechatMessage.openid == openid).group_by(Ticket.id, Ticket.number, Ticket.state)
                          .order_by(Ticket.id.desc()).limit(LOOKUP_TICKETS)).all()
        if not rows:
            return "您还没有通过本公众号登记的工单。" + HOW_TO
        listed = "\n".join(f"{n}：{STATE_LABELS[State(s)]}" for n, s in rows)
        return f"您通过本公众号登记的工单（最近 {len(rows)} 件）：\n{listed}\n回复「查询 工单编号」查看详情。"
    checks = [(f"wechat-lookup:{openid}", throttle.LOOKUP_PER_CLIENT)]
    try:
        throttle.ensure_allowed(db, checks=checks, now=now)
    except DomainError as exc:
        return exc.message
    ticket = owned_ticket(db, openid=openid, number=number)
    if ticket is None:
        throttle.record_failure(db, checks=checks, now=now)
        db.commit()
        return (f"未找到您通过本公众号登记的工单 {number[:32]}：请核对工单编号。"
                "通过电话、网站等其他渠道提交的工单，请凭工单编号和手机号后四位在网上查询。")
    out = present.public(ticket, tickets.public_events(db, ticket), rt)
    lines = [f"工单 {out.number}（{out.kind_label}）", f"标题：{out.title}", f"状态：{out.state_label}"]
    if out.lead_unit:
        lines.append(f"承办单位：{out.lead_unit}")
    if out.due_at and out.state not in (State.CLOSED, State.FINISHED, State.WITHDRAWN):
        lines.append(f"办理时限：{out.due_at.astimezone(CHINA_TZ).strftime('%Y-%m-%d %H:%M')}")
    if out.reply_content:
        lines.append(f"答复：{out.reply_content}")
    if m := out.merged_into:  # QA: the whole object was printed (number='…' state_label='…' …)
        lines.append(f"已与工单 {m.number} 合并办理，该工单状态：{m.state_label}")
        if m.reply_content:
            lines.append(f"办理结果：{m.reply_content}")
    return "\n".join(lines)


# ---- the relay's outbox ------------------------------------------------------------------------


def outbox(db: Session, *, actor: Actor, limit: int) -> list[WechatOutbound]:
    """Queued messages, oldest first; a message stays queued until its result is reported."""
    ensure_relay(actor)
    return list(db.scalars(select(WechatOutbound).where(WechatOutbound.status == OutboundStatus.QUEUED)
                           .order_by(WechatOutbound.created_at, WechatOutbound.id).limit(limit)))


def report_result(db: Session, *, actor: Actor, outbound_id: int, sent: bool, relay_id: str | None,
                  reason: str | None, now: datetime) -> WechatOutbound:
    """The relay says a queued message was sent or failed; the same report again is accepted (a retry),
    another one for a message already reported is a conflict."""
    ensure_relay(actor)
    row = db.get(WechatOutbound, outbound_id)
    if row is None:
        raise NotFound("wechat_outbound_not_found", "待发消息不存在")
    status = OutboundStatus.SENT if sent else OutboundStatus.FAILED
    reason = (reason or "").strip()[:200] or None
    if not sent and not reason:
        raise DomainError("reason_required", "发送失败须说明原因 reason", status_code=422)
    if row.status == OutboundStatus.QUEUED:
        done = db.execute(update(WechatOutbound).where(WechatOutbound.id == row.id,
                                                       WechatOutbound.status == OutboundStatus.QUEUED)
                          .values(status=status, relay_id=relay_id, sent_at=now if sent else None,
                                  failed_reason=None if sent else reason, result_at=now))
        if done.rowcount == 1:
            db.commit()
            db.refresh(row)
            return row
        db.rollback()
        db.refresh(row)
    if row.status == status and (relay_id is None or row.relay_id in (None, relay_id)):
        return row
    raise Conflict("result_conflict", f"该消息已报告为“{OUTBOUND_LABELS[OutboundStatus(row.status)]}”，"
                                      f"不能再报告为“{OUTBOUND_LABELS[status]}”")


# ---- the operators' waiting list (hotline.channels.waiting_list) on wechat_message --------------------


def describe(row: WechatMessage) -> str:
    """A message as an operator reads it (and as it goes into a ticket's content)."""
    if row.msg_type == "text":
        return row.content
    label = TYPE_LABELS.get(row.msg_type, row.msg_type)
    return f"[{label}] {row.content}".strip() if row.content else f"[{label}]（内容留在微信服务器，未转来）"


def _acknowledge(first: WechatMessage, ticket: Ticket, actor: Actor, now: datetime) -> WechatOutbound:
    """The one 已受理 notice, queued for the relay, when a conversation becomes a ticket."""
    return WechatOutbound(account=first.account, openid=first.openid, text=acknowledgement(ticket.number),
                          purpose=Purpose.ACKNOWLEDGEMENT, status=OutboundStatus.QUEUED, ticket_id=ticket.id,
                          message_id=first.id, created_by_id=actor.user_id, created_at=now)


MESSAGES = WaitingList(
    table=WechatMessage, sender=WechatMessage.openid, at=WechatMessage.sent_at, outbound=WechatOutbound,
    channel=Channel.WECHAT, code="wechat", page="/wechat", noun="消息", counted="微信消息",
    out_of_scope="微信留言不分辖区，仅限数据范围为全市的人员查看和处理", not_found="微信消息不存在或未转人工",
    mixed="一次只能处理同一微信用户的消息", describe=describe, notice=_acknowledge,
    leave_out=lambda row: _PERSON.fullmatch(bare(row.content)) is not None)  # 人工 is no part of the request
counts = MESSAGES.counts  # as the demo reads the list


@dataclass(frozen=True)
class Group(waiting_list.Group[WechatMessage]):
    """A follower's waiting conversation: their messages, the operators' replies to them (`sent`), and
    until when WeChat accepts a reply (None: nothing the follower did opens the 48 hours)."""

    reply_until: datetime | None = None

    @property
    def conversation(self) -> list[tuple[str, Any]]:
        """The follower's messages ("in") and the replies ("out") in the order they were written."""
        said = [(m.sent_at, 0, m.id, "in", m) for m in self.messages]
        said += [(o.created_at, 1, o.id, "out", o) for o in self.sent]
        return [(kind, row) for *_, kind, row in sorted(said, key=lambda t: t[:3])]


def _opening() -> Any:
    return or_(WechatMessage.msg_type != "event", func.lower(WechatMessage.event).in_(OPENING_EVENTS))


def waiting(db: Session, *, actor: Actor, page: int = 1, page_size: int = 20) -> tuple[list[Group], int]:
    """The waiting list's conversations, each with the replies written to its messages and the end of
    its 48 hours. Returns the groups and the number of followers."""
    groups, total = MESSAGES.waiting(db, actor=actor, page=page, page_size=page_size)
    if not groups:
        return [], total
    ids = [m.id for g in groups for m in g.messages]
    sent: dict[str, list[WechatOutbound]] = {g.sender: [] for g in groups}
    for out in db.scalars(select(WechatOutbound).where(WechatOutbound.message_id.in_(ids),
                                                       WechatOutbound.purpose == Purpose.REPLY)
                          .order_by(WechatOutbound.created_at, WechatOutbound.id)):
        sent[out.openid].append(out)
    last = dict(db.execute(select(WechatMessage.openid, func.max(WechatMessage.sent_at))
                           .where(WechatMessage.openid.in_(list(sent)), _opening())
                           .group_by(WechatMessage.openid)).all())
    return [Group(sender=g.sender, messages=g.messages, sent=sent[g.sender],
                  reply_until=last[g.sender] + REPLY_WINDOW if last.get(g.sender) else None) for g in groups], total


def for_ticket(db: Session, ticket_id: int) -> tuple[list[WechatMessage], list[WechatOutbound]]:
    """What a ticket's page shows of WeChat: the messages it was registered from, and what was sent —
    the 已受理 notice and the replies written to those messages before they were registered."""
    received, sent = MESSAGES.for_ticket(db, ticket_id)
    if received:
        earlier = db.scalars(select(WechatOutbound).where(WechatOutbound.message_id.in_([m.id for m in received]),
                                                          WechatOutbound.ticket_id.is_(None)))
        sent = sorted([*sent, *earlier], key=lambda o: (o.created_at, o.id))
    return received, sent


# ---- 回复微信留言: an operator's own words, sent by the relay as a customer-service message ----------


def reply_text(typed: str) -> str:
    """The reply as it will be sent: lines kept (an operator may list what to add), each trimmed, at most
    one blank line in a row; checked for length."""
    lines = [" ".join(line.split()) for line in (typed or "").strip().splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not body:
        raise DomainError("reply_empty", "请填写回复内容", status_code=422)
    if len(body) > REPLY_MAX:
        raise DomainError("reply_too_long", f"回复内容最多 {REPLY_MAX} 个字，当前 {len(body)} 个字", status_code=422)
    return body


def reply_window(db: Session, *, openid: str) -> datetime | None:
    """Until when WeChat accepts a customer-service message to this follower: 48 hours after their
    last message or opening event (None: none). An unsubscribe after it closes it."""
    last = db.execute(select(WechatMessage).where(WechatMessage.openid == openid)
                      .order_by(WechatMessage.sent_at.desc(), WechatMessage.id.desc()).limit(1)).scalar_one_or_none()
    if last is None or (last.msg_type == "event" and (last.event or "").lower() == "unsubscribe"):
        return None
    opened = db.execute(select(WechatMessage.sent_at).where(WechatMessage.openid == openid, _opening())
                        .order_by(WechatMessage.sent_at.desc()).limit(1)).scalar_one_or_none()
    return opened + REPLY_WINDOW if opened is not None else None


def reply(db: Session, rt: Runtime, *, actor: Actor, message_id: int, text: str) -> WechatOutbound:
    """Queue an operator's reply to the follower who sent a message on the list (to ask for the address
    before registering, say), for the relay to send as a customer-service message. Refused once WeChat's
    48 hours since the follower's last message have passed. The message keeps its status: the answer
    joins the waiting conversation."""
    MESSAGES.ensure_staff(actor, *HANDLER_ROLES)
    body = reply_text(text)
    row = MESSAGES.rows(db, actor=actor, ids=[message_id])[0]
    now = rt.clock.now()
    until = reply_window(db, openid=row.openid)
    if until is None or now > until:
        raise Conflict("wechat_reply_window_closed", WINDOW_CLOSED.format(what="通过公众号回复", again="回复"))
    out = WechatOutbound(account=row.account, openid=row.openid, text=body, purpose=Purpose.REPLY,
                         status=OutboundStatus.QUEUED, ticket_id=row.ticket_id, message_id=row.id,
                         created_by_id=actor.user_id, created_at=now)
    db.add(out)
    audit.record(db, actor=actor, at=now, action="wechat_reply", object_type="wechat", object_id=row.id,
                 detail=f"回复微信留言：{body}")
    db.commit()
    return out


def acknowledgement(number: str) -> str:
    """The notice to the follower: the number and how to follow it here, nothing else of the ticket."""
    return f"您反映的诉求已受理，工单编号{number}。回复「查询 {number}」可查询办理进度。"


# ---- 重发: a customer-service message the relay reported failed, queued once more ---------------------


def _not_resent() -> ColumnElement[bool]:
    """No operator has sent this message again (重发)."""
    child = aliased(WechatOutbound)
    return ~select(child.id).where(child.resend_of_id == WechatOutbound.id).correlate(WechatOutbound).exists()


def failed(db: Session, *, actor: Actor, page: int = 1, page_size: int = 20) -> tuple[list[WechatOutbound], int]:
    """Messages the relay reported failed that nobody has sent again (the page's tab 发送失败), the
    latest failure first, and how many there are."""
    MESSAGES.ensure_staff(actor, *waiting_list.VIEW_ROLES)
    conds = (WechatOutbound.status == OutboundStatus.FAILED, _not_resent())
    total = failed_count(db)
    rows = db.scalars(select(WechatOutbound).where(*conds)
                      .order_by(WechatOutbound.result_at.desc(), WechatOutbound.id.desc())
                      .limit(page_size).offset((max(page, 1) - 1) * page_size))
    return list(rows), total


def failed_count(db: Session) -> int:
    """Failed messages nobody has sent again (the tab 发送失败's count)."""
    return int(db.execute(select(func.count()).select_from(WechatOutbound).where(
        WechatOutbound.status == OutboundStatus.FAILED, _not_resent())).scalar_one())


def resend(db: Session, rt: Runtime, *, actor: Actor, outbound_id: int) -> WechatOutbound:
    """重发: queue a message the relay reported failed (a notice, a reply, a late answer) once more, as a
    new message pointing at it (the failed one keeps its history). Refused when it did not fail, when it
    was resent already — once per failed message: two operators at once make one (the unique
    resend_of_id decides) — and when WeChat's 48 hours with the follower have closed (as for a reply:
    the relay would only fail again, 45015)."""
    MESSAGES.ensure_staff(actor, *HANDLER_ROLES)
    row = db.get(WechatOutbound, outbound_id)
    if row is None:
        raise NotFound("wechat_outbound_not_found", "微信待发消息不存在")
    if row.status != OutboundStatus.FAILED:
        shown = OUTBOUND_LABELS[OutboundStatus(row.status)]
        raise Conflict("wechat_not_failed", f"只有发送失败的微信消息可以重发（该消息：{shown}）")
    if db.execute(select(WechatOutbound.id).where(WechatOutbound.resend_of_id == row.id)).first() is not None:
        raise Conflict("wechat_already_resent", "该微信消息已重发过，请查看重发的消息")
    now = rt.clock.now()
    until = reply_window(db, openid=row.openid)
    if until is None or now > until:
        raise Conflict("wechat_reply_window_closed", WINDOW_CLOSED.format(what="重发", again="重发"))
    again = WechatOutbound(account=row.account, openid=row.openid, text=row.text, purpose=row.purpose,
                           status=OutboundStatus.QUEUED, ticket_id=row.ticket_id, message_id=row.message_id,
                           created_by_id=actor.user_id, created_at=now, resend_of_id=row.id)
    db.add(again)
    why = row.failed_reason or "—"
    audit.record(db, actor=actor, at=now, action="wechat_resend", object_type="wechat_outbound", object_id=row.id,
                 detail=f"重发微信消息（{PURPOSE_LABELS[Purpose(row.purpose)]}，原发送失败：{why}）：{row.text}")
    try:
        db.commit()
    except IntegrityError:  # another operator's resend committed first (the unique resend_of_id)
        db.rollback()
        raise Conflict("wechat_already_resent", "该微信消息刚由他人重发，请刷新后查看") from None
    return again
