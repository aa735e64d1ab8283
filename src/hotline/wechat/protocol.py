"""The WeChat official account server protocol, plaintext mode (明文模式): the signature, the message
XML WeChat posts, and the passive reply XML. Pure (no database, no network): tested without either.

The XML is read by expat with every DTD refused — WeChat never sends one, and a DTD is how entity
expansion (billion laughs) and external entities get in — and only the flat `<xml><Field>…</Field></xml>`
shape WeChat uses is accepted."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.parsers import expat

BODY_MAX = 16 * 1024  # a text message is at most 2,048 bytes of content; anything far larger is not WeChat's
FIELD_MAX = 4096
FIELDS_MAX = 40
TIMESTAMP_WINDOW = 300  # seconds: a signed URL older (or newer) than this is refused (replay)
REPLY_MAX = 600  # characters of a passive reply (WeChat takes 2,048 bytes of UTF-8: 3 bytes a character)
OPENID = re.compile(r"^[A-Za-z0-9_\-]{6,64}$")
ACCOUNT = re.compile(r"^[A-Za-z0-9_\-@.]{1,64}$")


def signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature: SHA-1 of token, timestamp and nonce sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def signed(token: str, *, signature_: str, timestamp: str, nonce: str, now: datetime | None = None) -> bool:
    """The query's signature is WeChat's for this token (compared in constant time); with `now`, the
    timestamp must also be within TIMESTAMP_WINDOW of it, so that a captured URL cannot be replayed
    later (plaintext mode signs the URL, not the body)."""
    if not (token and signature_ and timestamp.isdecimal() and len(timestamp) <= 12 and nonce and len(nonce) <= 64):
        return False
    if not hmac.compare_digest(signature(token, timestamp, nonce), signature_.lower()):
        return False
    return now is None or abs(now.timestamp() - int(timestamp)) <= TIMESTAMP_WINDOW


class BadMessage(ValueError):
    """The body is not a message WeChat sends; the text says why (in Chinese, for the log)."""


def parse(body: bytes) -> dict[str, str]:
    """The fields of `<xml>…</xml>` as a dict. Refuses a DTD, nesting, a too large body or field."""
    if len(body) > BODY_MAX:
        raise BadMessage(f"消息过大：超过 {BODY_MAX} 字节")
    fields: dict[str, str] = {}
    stack: list[str] = []
    parts: list[str] = []

    def refuse(*_: object) -> None:
        raise BadMessage("消息含 DTD 或实体声明，拒绝解析")

    def start(name: str, _attrs: dict[str, str]) -> None:
        if (not stack and name != "xml") or len(stack) > 1:
            raise BadMessage("消息结构不是微信的 <xml><字段>…</字段></xml>")
        stack.append(name)
        parts.clear()

    def end(name: str) -> None:
        stack.pop()
        if stack:
            if len(fields) >= FIELDS_MAX or name in fields:
                raise BadMessage("消息字段过多或重复")
            fields[name] = "".join(parts)
        parts.clear()

    def data(text: str) -> None:
        if stack and len(stack) > 1:
            parts.append(text)
            if sum(len(p) for p in parts) > FIELD_MAX:
                raise BadMessage("消息字段过长")

    parser = expat.ParserCreate("utf-8")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise BadMessage(f"消息不是合法的 XML：{exc}") from None
    return fields


@dataclass(frozen=True)
class Message:
    """A message as the platform keeps it: who, which, what, when."""

    account: str  # ToUserName
    openid: str  # FromUserName
    msg_type: str
    key: str  # MsgId, or for an event "ev:" + the sender and CreateTime (WeChat's own advice for events)
    sent_at: datetime
    content: str  # the text (a voice's recognition); for other types what can be shown of them
    event: str | None = None
    recognized: bool = False  # a voice message WeChat turned into text (语音识别 switched on)


_TYPES = {"text", "image", "voice", "video", "shortvideo", "location", "link", "file", "event"}


def message(fields: dict[str, str]) -> Message:
    """Check the fields WeChat sends with every message and keep what is shown of each type."""
    account, openid = fields.get("ToUserName", "").strip(), fields.get("FromUserName", "").strip()
    if not ACCOUNT.match(account):
        raise BadMessage("ToUserName 缺失或格式错误")
    if not OPENID.match(openid):
        raise BadMessage("FromUserName（openid）缺失或格式错误")
    created = fields.get("CreateTime", "").strip()
    if not created.isdecimal() or len(created) > 12:
        raise BadMessage("CreateTime 缺失或格式错误")
    sent_at = datetime.fromtimestamp(int(created), UTC)
    kind = fields.get("MsgType", "").strip().lower()
    if kind not in _TYPES:
        kind = kind[:16] or "unknown"
    msg_id = fields.get("MsgId", "").strip()
    event = None
    if kind == "event":
        event = fields.get("Event", "").strip()[:32] or None
    if kind == "event":
        key = f"ev:{openid}:{created}:{event or ''}"[:64]
    elif msg_id.isdecimal() and len(msg_id) <= 32:
        key = msg_id
    else:
        raise BadMessage("MsgId 缺失或格式错误")
    recognized = False
    if kind == "text":
        content = fields.get("Content", "")
    elif kind == "voice" and fields.get("Recognition", "").strip():
        content, recognized = fields["Recognition"], True
    elif kind == "location":
        label = fields.get("Label", "").strip()
        content = f"{label}（{fields.get('Location_X', '').strip()}, {fields.get('Location_Y', '').strip()}）"
    elif kind == "link":
        content = f"{fields.get('Title', '').strip()} {fields.get('Url', '').strip()}"
    elif kind == "event":
        content = f"{event or ''} {fields.get('EventKey', '').strip()}"
    else:  # image, voice, video …: the media stays on WeChat's servers (fetching it needs the access token)
        content = ""
    content = " ".join(content.replace("\x00", "").split()) if kind != "text" else content.replace("\x00", "").strip()
    return Message(account=account, openid=openid, msg_type=kind, key=key, sent_at=sent_at, content=content[:2000],
                   event=event, recognized=recognized)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def clip(text: str) -> str:
    """A reply as WeChat will take it: at most REPLY_MAX characters, cut with an ellipsis."""
    return text if len(text) <= REPLY_MAX else text[: REPLY_MAX - 1] + "…"


def text_reply(*, to: str, account: str, text: str, now: datetime) -> str:
    """The passive reply XML: a text to the follower, from the account."""
    text = clip(text)
    return (f"<xml><ToUserName>{_cdata(to)}</ToUserName><FromUserName>{_cdata(account)}</FromUserName>"
            f"<CreateTime>{int(now.timestamp())}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
            f"<Content>{_cdata(text)}</Content></xml>")
