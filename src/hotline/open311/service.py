"""Open311 GeoReport v2 as a channel: another system (a city app, a 311 client such as FixMyStreet)
submits requests and follows them; every request becomes an ordinary ticket (channel `open311`).

Mapping, and why:
- service = a request category of the city's tree (second level, e.g. 城乡建设 / 市政设施); the
  service definition asks for the intake elements GeoReport has no field for (kind, when it
  happened, the course of events) as attributes, so a client that reads metadata sends them and
  the usual element check (受理五要素) applies unchanged — nothing is made up for a missing element;
- first_name/last_name/phone → the requester; with neither name nor phone the request is anonymous;
- address_string (or lat/long, kept as text) → the place; media_url → noted in the content;
- status: open until the ticket is closed (办结), merged or withdrawn; status_notes is the reply
  once closed, otherwise the state in words; agency_responsible is the lead unit;
- the output has no personal field, and the requester's name and phone are masked where the
  description and the notes write them (request_out).
A client sees only the requests it submitted (its account's tickets): requests carry people's
descriptions, which a 12345 centre does not publish."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hotline.clock import to_local
from hotline.errors import DomainError, Forbidden
from hotline.errors_http import chinese_message
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.security.roles import Role
from hotline.tickets import present
from hotline.tickets import service as tickets
from hotline.tickets.categories import Category, catalogue, full_name
from hotline.tickets.enums import KIND_LABELS, STATE_LABELS, Channel, Kind, State
from hotline.tickets.models import Ticket
from hotline.tickets.schemas import TicketCreate

SERVICE_LEVEL = 2  # 城乡建设 / 市政设施: specific enough to choose, few enough to list
CLOSED_STATES = frozenset({State.CLOSED, State.FINISHED, State.MERGED, State.WITHDRAWN})
DEFAULT_KIND = Kind.HELP  # a 311 report asks the government to put something right
MAX_LIST = 1000  # GeoReport: "a maximum of 1000 requests"
DEFAULT_DAYS = 90  # GeoReport: with no date given, "the last 90 days"
CHINA_LAT, CHINA_LONG = (3.0, 54.0), (73.0, 136.0)  # the country's extent, with a margin
KIND_BY_NAME = {**{str(k): k for k in Kind}, **{label: k for k, label in KIND_LABELS.items()}}


class Open311Error(DomainError):
    """An error in GeoReport's own shape: [{"code": HTTP status, "description": "…"}]."""


def _error(status: int, message: str) -> Open311Error:
    return Open311Error("open311", message, status_code=status)


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str
    datatype: str
    required: bool
    order: int
    values: tuple[tuple[str, str], ...] = ()


@cache
def _services() -> dict[str, Category]:
    """Built once: the category tree is reference data, and every submission looks its service up."""
    nodes = catalogue()
    parents = {n.parent_code for n in nodes.values()}
    return {c.code: c for c in nodes.values()
            if c.level == SERVICE_LEVEL or (c.level < SERVICE_LEVEL and c.code not in parents)}


def services() -> list[Category]:
    return list(_services().values())


def service(code: str) -> Category:
    found = _services().get(code)
    if found is None:
        raise _error(404, f"service_code {code} 不存在（见 services.json）")
    return found


def attributes() -> list[Attribute]:
    """The intake elements GeoReport has no field for. Required only for the kinds that need them (the
    element check says which); a client that cannot know the kind may leave it: 求助 is assumed."""
    kinds = tuple((str(k), KIND_LABELS[k]) for k in Kind)
    return [
        Attribute("kind", "诉求类型（默认求助）", "singlevaluelist", False, 1, kinds),
        Attribute("title", "诉求标题（默认取描述的开头）", "string", False, 2),
        Attribute("occurred_desc", "发生时间（求助、投诉、举报必填），如“近一周每晚十点后”", "string", False, 3),
        Attribute("circumstances", "事情经过（求助、投诉、举报必填）", "text", False, 4),
    ]


def authenticate(db: Session, *, api_key: str | None, now: datetime, client: str | None) -> Actor:
    from hotline.org.service import actor_for_token

    if not api_key:
        raise _error(403, "缺少 api_key（渠道接入账号的访问令牌）")
    try:
        actor = actor_for_token(db, token=api_key, now=now, client=client)
    except DomainError:
        raise _error(403, "api_key 无效或已过期") from None
    if actor.role != Role.CHANNEL:
        raise _error(403, "api_key 不属于渠道接入账号")
    return actor


def _text(form: Mapping[str, Any], name: str, limit: int) -> str | None:
    value = form.get(name)
    if value is None or not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) > limit:
        raise _error(400, f"{name} 超过 {limit} 个字符")
    return value or None


def _location(form: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(address, coordinates as text). The coordinates become the address only when there is no
    address string; otherwise they go into the content, so a long address still fits."""
    address = _text(form, "address_string", 300)
    lat, long = _text(form, "lat", 20), _text(form, "long", 20)
    if (lat is None) != (long is None):
        raise _error(400, "lat 和 long 须同时提供")
    if lat is not None and long is not None:
        try:
            la, lo = float(lat), float(long)
        except ValueError:
            raise _error(400, "lat/long 须为数字") from None
        if not (-90 <= la <= 90 and -180 <= lo <= 180):
            raise _error(400, "lat/long 超出范围")
        # QA: 0,0 — what an app without a location fix sends — was taken as the place (发生地点)
        if not (CHINA_LAT[0] <= la <= CHINA_LAT[1] and CHINA_LONG[0] <= lo <= CHINA_LONG[1]):
            raise _error(400, f"lat/long（{la:g},{lo:g}）不在中国境内：lat 为纬度、long 为经度"
                              "（WGS-84 十进制度数，如 lat=32.04&long=118.79）；"
                              "没有定位时请不传 lat/long，只填 address_string")
        return address, f"经纬度 {la:.6f},{lo:.6f}"
    return address, None


GEOREPORT_LABELS = {"title": "attribute[title]（诉求标题）", "content": "description（诉求内容）",
                    "requester_name": "last_name/first_name（诉求人姓名）", "requester_phone": "phone（联系电话）",
                    "address": "address_string（发生地点）", "occurred_desc": "attribute[occurred_desc]（发生时间）",
                    "circumstances": "attribute[circumstances]（事情经过）"}
_COORDINATES = re.compile(r"经纬度 (-?\d{1,3}\.\d+),(-?\d{1,3}\.\d+)")


def _coordinates(text: str) -> dict[str, float | None]:
    """The lat/long a client sent (kept as text on the ticket), back as GeoReport's fields."""
    m = _COORDINATES.search(text)
    return {"lat": float(m[1]), "long": float(m[2])} if m else {"lat": None, "long": None}


_MEDIA = re.compile(r"^https?://\S{3,490}$")
_MEDIA_NOTE = re.compile(r"^附图：(https?://\S+)$", re.M)


def _media(content: str | None) -> str | None:
    """The media_url a client sent (noted in the content), back where GeoReport clients read it
    (QA: a request posted with a photo came back with media_url null)."""
    m = _MEDIA_NOTE.search(content or "")
    return m[1] if m else None


def to_ticket(form: Mapping[str, Any]) -> TicketCreate:
    """A GeoReport request (form fields, attribute[code] for attributes) as a ticket to register."""
    code = _text(form, "service_code", 16)
    if not code:
        raise _error(400, "缺少 service_code")
    category = service(code)
    description = _text(form, "description", 4000)
    if not description:
        raise _error(400, "缺少 description（诉求内容）")
    attr = {a.code: _text(form, f"attribute[{a.code}]", 2000) for a in attributes()}
    kind_value = attr["kind"] or str(DEFAULT_KIND)
    if kind_value not in KIND_BY_NAME:
        raise _error(400, f"attribute[kind] 取值“{kind_value}”无效，可选：{'、'.join(str(k) for k in Kind)}")
    media = _text(form, "media_url", 500)
    if media and not _MEDIA.match(media):
        raise _error(400, "media_url 须为 http(s) 地址")
    name = "".join(x for x in (_text(form, "last_name", 32), _text(form, "first_name", 32)) if x) or None
    phone = _text(form, "phone", 20)
    if phone and not name:  # the elements check would ask for "诉求人（姓名或匿名）", which no field here sets (QA)
        raise _error(400, "缺少 last_name / first_name（诉求人姓名）："
                          "留了电话的诉求须有姓名；姓名和电话都不留则为匿名诉求")
    address, coordinates = _location(form)
    content = (description + (f"\n位置：{coordinates}" if coordinates and address else "")
               + (f"\n附图：{media}" if media else ""))
    title = attr["title"] or description.splitlines()[0][:30]
    fields: dict[str, Any] = {
        "channel": Channel.OPEN311, "kind": KIND_BY_NAME[kind_value], "category_code": category.code,
        "requester_name": name, "requester_phone": phone, "requester_anonymous": not name and not phone,
        "address": address or coordinates, "title": title, "content": content,
        "occurred_desc": attr["occurred_desc"], "circumstances": attr["circumstances"],
    }
    try:
        return TicketCreate(**fields)
    except ValidationError as exc:
        # named by the GeoReport fields the client sent; a title made from the description is no field
        # of its own (QA: description=x was told 诉求标题过短 as well, a field it never sent)
        errors = [e for e in exc.errors() if attr["title"] or e["loc"][:1] != ("title",)]
        raise _error(400, "；".join(dict.fromkeys(chinese_message(e, GEOREPORT_LABELS)  # type: ignore[arg-type]
                                                  for e in errors or exc.errors()))) from None


def submit(db: Session, rt: Runtime, *, actor: Actor, form: Mapping[str, Any],
           idempotency_key: str | None = None) -> Ticket:
    data = to_ticket(form)
    try:
        ticket, _ = tickets.register(db, rt, actor=actor, data=data, idempotency_key=idempotency_key)
    except DomainError as exc:
        raise _error(400 if exc.status_code in (409, 422) else exc.status_code, exc.message) from None
    return ticket


def own_requests(db: Session, *, actor: Actor, ids: list[str] | None = None, service_code: str | None = None,
                 start: datetime | None = None, end: datetime | None = None,
                 status: str | None = None, now: datetime | None = None) -> list[Ticket]:
    """The requests this client submitted, newest first, at most MAX_LIST; with neither ids nor dates,
    those of the last DEFAULT_DAYS before `now` (GeoReport's defaults)."""
    if actor.user_id is None:
        raise Forbidden("forbidden", "无权查看")
    q = (select(Ticket).options(selectinload(Ticket.parent))  # a merged request's notes read its parent
         .where(Ticket.registered_by_id == actor.user_id, Ticket.channel == str(Channel.OPEN311)))
    if ids:  # as people type them: nj20261127-000009 is NJ20261127-000009
        q = q.where(Ticket.number.in_([tickets.normal_number(x) for x in ids[:MAX_LIST]]))
    elif start is None and end is None and now is not None:
        start = now - timedelta(days=DEFAULT_DAYS)
    if service_code:
        q = q.where(Ticket.category_code == service_code)
    if start:
        q = q.where(Ticket.created_at >= start)
    if end:
        q = q.where(Ticket.created_at <= end)
    # GeoReport: "can be declared multiple times, comma delimited" (open,closed = either)
    wanted = {s.strip().lower() for s in (status or "").split(",") if s.strip()}
    if wanted - {"open", "closed"}:
        raise _error(400, "status 只能是 open 或 closed（多个以逗号分隔）")
    if wanted == {"open"}:
        q = q.where(Ticket.state.not_in([str(s) for s in CLOSED_STATES]))
    elif wanted == {"closed"}:
        q = q.where(Ticket.state.in_([str(s) for s in CLOSED_STATES]))
    return list(db.scalars(q.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(MAX_LIST)).unique())


def request_out(t: Ticket) -> dict[str, Any]:
    """A request as GeoReport shows it. GeoReport's requests carry no personal field (its output is what
    clients publish, as FixMyStreet does): the requester's name and phone are masked where the description
    or the notes write them (present.mask_requester_in) — a merged request's notes by the parent's requester
    too, whose answer they quote."""
    state = State(t.state)
    closed = state in CLOSED_STATES
    notes = t.reply_content if state in (State.CLOSED, State.FINISHED) and t.reply_content else STATE_LABELS[state]
    if state == State.MERGED and t.parent is not None:  # the matter goes on under the parent: say where it stands
        p = t.parent
        done = State(p.state) in (State.CLOSED, State.FINISHED) and p.reply_content
        notes = f"已与工单 {p.number} 合并办理（{STATE_LABELS[State(p.state)]}）"
        notes += f"：{present.mask_requester_in(p.reply_content, p)}" if done else ""
    return {
        "service_request_id": t.number,
        "status": "closed" if closed else "open",
        "status_notes": present.mask_requester_in(notes, t),
        "service_name": full_name(t.category_code),
        "service_code": t.category_code,
        "description": present.mask_requester_in(t.content, t),
        "agency_responsible": t.lead_unit.name if t.lead_unit else "12345政务服务便民热线",
        "service_notice": f"办理时限：{t.time_limit_label}" if t.time_limit_label else None,
        # Beijing time, as the city's own app shows it (UTC read as written showed the wrong day)
        "requested_datetime": to_local(t.created_at).isoformat(),
        "updated_datetime": to_local(t.updated_at).isoformat(),
        "expected_datetime": to_local(t.due_at).isoformat() if t.due_at and not closed else None,
        "address": t.address,
        "address_id": None,
        "zipcode": None,
        **_coordinates(f"{t.address or ''} {t.content or ''}"),
        "media_url": _media(t.content),
    }
