"""联动转办: which platforms a request may be passed to or come from, the records of each passing, and the
centre's list of them. The workflow actions (联动转出, 联动反馈, 联动退回, 反馈转入方) are the ticket's
(tickets/workflow.py); their effects on the linkage records are here.

The platforms are the hotline registry's lines that 12345 is linked to rather than merged with: the
emergency lines (110/119/120/122) and the utilities' lines of the city, and the 12345 of another city or of
the province (长三角 and 省级 linkage), registered as that place's 12345 main line. A cancelled number is
none of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from hotline.errors import DomainError, Forbidden
from hotline.hotlines.enums import LineKind, LineStatus
from hotline.hotlines.models import HotlineLine
from hotline.linkage.models import TicketLinkage
from hotline.security.actor import Actor
from hotline.security.permissions import visible_condition
from hotline.security.roles import Role
from hotline.tickets.enums import State
from hotline.tickets.models import Ticket

READERS = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.ANALYST, Role.ADMIN})
MAX_EXPORT_ROWS = 10_000


class Direction(StrEnum):
    OUT = "out"  # 转出: 12345 passed the request on
    IN = "in"  # 转入: another platform passed it to 12345


class Status(StrEnum):
    WAITING = "waiting"  # out: 待对方反馈
    ANSWERED = "answered"  # out: 对方已反馈 (the ticket closed for the callback)
    RETURNED = "returned"  # out: 对方退回 (the ticket waits for dispatch again)
    WITHDRAWN = "withdrawn"  # out: 诉求人撤回
    OPEN = "open"  # in: 待反馈转入方
    REPORTED = "reported"  # in: 已反馈转入方


DIRECTION_LABELS = {Direction.OUT: "转出", Direction.IN: "转入"}
STATUS_LABELS = {
    Status.WAITING: "待对方反馈", Status.ANSWERED: "对方已反馈", Status.RETURNED: "对方退回",
    Status.WITHDRAWN: "已撤回", Status.OPEN: "待反馈转入方", Status.REPORTED: "已反馈转入方",
}
# A ticket passed in is "owed" its answer once 12345 has one: closed (answered, waiting for the callback) or
# finished. Before that the requester's matter is still being handled here.
# A request merged into another on the same matter has its parent's answer (QA: merged, it was never owed back).
# A request its requester withdrew is owed back too: the platform is told it was withdrawn (from the withdrawal).
ANSWER_READY = (str(State.CLOSED), str(State.FINISHED), str(State.WITHDRAWN))


def _of_answer(column: str) -> Any:
    """The ticket's column, or its parent's for a merged ticket (the ticket whose answer it shares)."""
    parent = aliased(Ticket)
    return case((Ticket.state == str(State.MERGED),
                 select(getattr(parent, column)).where(parent.id == Ticket.parent_id).scalar_subquery()),
                else_=getattr(Ticket, column))


def answer_state() -> Any:
    """The state that says whether 12345 has the ticket's answer (a merged ticket's is its parent's)."""
    return _of_answer("state")


def answer_closed_at() -> Any:
    """When 12345 had the answer: the closing (a merged ticket's parent's), or a withdrawal's last change."""
    return case((Ticket.state == str(State.WITHDRAWN), Ticket.updated_at), else_=_of_answer("closed_at"))


def answer_of(ticket: Any) -> tuple[str, datetime | None]:
    """The state and closing of the ticket whose answer this one has: itself, or its parent once merged."""
    if ticket.state == State.WITHDRAWN:
        return ticket.state, ticket.updated_at
    parent = getattr(ticket, "parent", None) if ticket.state == State.MERGED else None
    source = parent if parent is not None else ticket
    return source.state, source.closed_at


def require_reader(actor: Actor) -> None:
    if actor.role not in READERS:
        raise Forbidden("role_forbidden", "当前角色无权查看联动转办记录")


def linked_condition(home_city: str) -> Any:
    """Lines 12345 passes requests to and takes them from: the city's emergency and utility lines, and the
    12345 of another place."""
    return and_(HotlineLine.status != str(LineStatus.CANCELLED),
                or_(and_(HotlineLine.kind.in_([str(LineKind.EMERGENCY), str(LineKind.UTILITY)]),
                         HotlineLine.city == home_city),
                    and_(HotlineLine.kind == str(LineKind.MAIN), HotlineLine.city != home_city)))


def linked_lines(db: Session, *, home_city: str) -> list[HotlineLine]:
    """The platforms, for a choice: another place's 12345 first (the usual linkage), then the emergency lines,
    then the utilities."""
    order = {str(LineKind.MAIN): 0, str(LineKind.EMERGENCY): 1, str(LineKind.UTILITY): 2}
    rows = db.execute(select(HotlineLine).where(linked_condition(home_city))).unique().scalars()
    return sorted(rows, key=lambda line: (order.get(line.kind, 9), line.city, line.number))


def platform_label(line: HotlineLine) -> str:
    """「上海市12345（上海市 12345）」: the name, and the place and number when the name does not say them."""
    where = f"{line.city} {line.number}"
    return line.name if line.number in line.name and line.city in line.name else f"{line.name}（{where}）"


def checked_line(db: Session, line_id: int | None, *, home_city: str) -> HotlineLine:
    """The platform a request goes to or came from, or a clear refusal (422: the form's choice is wrong)."""
    line = db.get(HotlineLine, line_id) if line_id else None
    if line is None:
        raise DomainError("unknown_line", "联动平台不存在，请从列表中选择", status_code=422)
    if line.status == LineStatus.CANCELLED:
        raise DomainError("line_cancelled", f"{line.name}（{line.number}）已注销，不能再联动转办", status_code=422)
    if not db.execute(select(HotlineLine.id).where(HotlineLine.id == line.id, linked_condition(home_city))).first():
        raise DomainError("not_a_linked_line",
                          f"{line.name}（{line.number}）不是联动平台：联动转办的对象是本市的紧急热线和公共事业热线，"
                          "以及外地（含省级）12345；本市归并的部门热线请派单或转接", status_code=422)
    return line


def _new(ticket: Ticket, line: HotlineLine, direction: Direction, status: Status, *, actor: Actor, now: datetime,
         reason: str | None, external_ref: str | None) -> TicketLinkage:
    return TicketLinkage(ticket_id=ticket.id, direction=str(direction), status=str(status), line_id=line.id,
                         line_name=line.name, line_number=line.number, line_city=line.city,
                         external_ref=(external_ref or "").strip() or None, reason=reason, sent_at=now,
                         sent_by_id=actor.user_id, line=line)


def received(db: Session, ticket: Ticket, line: HotlineLine, *, actor: Actor, now: datetime,
             external_ref: str | None) -> TicketLinkage:
    """A request passed in by a linked platform, recorded with its registration."""
    linkage = _new(ticket, line, Direction.IN, Status.OPEN, actor=actor, now=now, reason=None,
                   external_ref=external_ref)
    db.add(linkage)
    return linkage


def passed_out(db: Session, ticket: Ticket, *, actor: Actor, now: datetime, line_id: int | None,
               reason: str | None, external_ref: str | None, home_city: str) -> tuple[str, dict[str, Any]]:
    """联动转出: the record of the passing; the history's note and data."""
    line = checked_line(db, line_id, home_city=home_city)
    linkage = _new(ticket, line, Direction.OUT, Status.WAITING, actor=actor, now=now, reason=reason,
                   external_ref=external_ref)
    db.add(linkage)
    db.flush()
    db.expire(ticket, ["linkages"])
    return f"转至{platform_label(line)}：{reason}", _data(linkage)


def _waiting(ticket: Ticket) -> TicketLinkage:
    linkage = ticket.linkage(Direction.OUT, Status.WAITING)
    if linkage is None:  # a ticket in 已转出待反馈 always has one; a broken row is said, not crashed on
        raise DomainError("linkage_missing", "未找到该工单的联动转出记录", status_code=409)
    return linkage


def answered(ticket: Ticket, *, actor: Actor, now: datetime, content: str | None,
             external_ref: str | None) -> tuple[str, dict[str, Any]]:
    """联动反馈: the platform's answer came back; it is the ticket's reply, for the callback."""
    linkage = _waiting(ticket)
    linkage.status = str(Status.ANSWERED)
    _answer(linkage, actor=actor, now=now, text=content, external_ref=external_ref)
    return f"{linkage.line_name}反馈：{content}", _data(linkage)


def returned(ticket: Ticket, *, actor: Actor, now: datetime, reason: str | None,
             external_ref: str | None) -> tuple[str, dict[str, Any]]:
    """联动退回: the platform does not take the request; it waits for the centre's dispatch again."""
    linkage = _waiting(ticket)
    linkage.status = str(Status.RETURNED)
    _answer(linkage, actor=actor, now=now, text=reason, external_ref=external_ref)
    return f"{linkage.line_name}退回：{reason}", _data(linkage)


def withdrawn(ticket: Ticket, *, actor: Actor, now: datetime) -> None:
    """The requester withdrew while the platform had the request: the passing ends with it."""
    linkage = ticket.linkage(Direction.OUT, Status.WAITING)
    if linkage is not None:
        linkage.status = str(Status.WITHDRAWN)
        linkage.answered_at, linkage.answered_by_id = now, actor.user_id


def reported(ticket: Ticket, *, actor: Actor, now: datetime, content: str | None,
             external_ref: str | None) -> tuple[str, dict[str, Any]]:
    """反馈转入方: the result told back to the platform that passed the request in."""
    linkage = ticket.linkage(Direction.IN, Status.OPEN)
    if linkage is None:  # the guard came_by_linkage checked it
        raise DomainError("linkage_missing", "未找到该工单的联动转入记录", status_code=409)
    linkage.status = str(Status.REPORTED)
    _answer(linkage, actor=actor, now=now, text=content, external_ref=external_ref)
    return f"已向{linkage.line_name}反馈：{content}", _data(linkage)


def _answer(linkage: TicketLinkage, *, actor: Actor, now: datetime, text: str | None,
            external_ref: str | None) -> None:
    linkage.answer = text
    linkage.answered_at = now
    linkage.answered_by_id = actor.user_id
    if (external_ref or "").strip():
        linkage.external_ref = external_ref.strip()  # type: ignore[union-attr]


def _data(linkage: TicketLinkage) -> dict[str, Any]:
    return {"linkage": {"direction": linkage.direction, "line_id": linkage.line_id, "line_name": linkage.line_name,
                        "line_number": linkage.line_number, "line_city": linkage.line_city,
                        "external_ref": linkage.external_ref, "status": linkage.status}}


# ---- the centre's list ---------------------------------------------------------------------------------


class View(StrEnum):
    OUT_WAITING = "out_waiting"  # 转出待反馈
    IN_OWED = "in_owed"  # 转入待反馈 (12345 has the answer, the platform has not been told)
    IN_HANDLING = "in_handling"  # 转入办理中
    ALL = "all"


VIEW_LABELS = {View.OUT_WAITING: "转出待反馈", View.IN_OWED: "转入待反馈", View.IN_HANDLING: "转入办理中",
               View.ALL: "全部"}


@dataclass
class LinkageFilters:
    view: View = View.OUT_WAITING
    line_id: int | None = None
    sent_from: datetime | None = None
    sent_to: datetime | None = None  # exclusive


def _conditions(actor: Actor, filters: LinkageFilters) -> list[Any]:
    conds: list[Any] = [visible_condition(actor)]
    if filters.view == View.OUT_WAITING:
        conds += [TicketLinkage.direction == str(Direction.OUT), TicketLinkage.status == str(Status.WAITING)]
    elif filters.view == View.IN_OWED:
        conds += [TicketLinkage.direction == str(Direction.IN), TicketLinkage.status == str(Status.OPEN),
                  answer_state().in_(ANSWER_READY)]
    elif filters.view == View.IN_HANDLING:
        conds += [TicketLinkage.direction == str(Direction.IN), TicketLinkage.status == str(Status.OPEN),
                  answer_state().not_in([*ANSWER_READY, str(State.MERGED), str(State.WITHDRAWN)])]
    if filters.line_id:
        conds.append(TicketLinkage.line_id == filters.line_id)
    if filters.sent_from:
        conds.append(TicketLinkage.sent_at >= filters.sent_from)
    if filters.sent_to:
        conds.append(TicketLinkage.sent_at < filters.sent_to)
    return conds


def check_period(filters: LinkageFilters) -> None:
    if filters.sent_from and filters.sent_to and filters.sent_to <= filters.sent_from:
        raise DomainError("period_invalid", "结束时间须晚于开始时间", status_code=422)


def linkage_list(db: Session, *, actor: Actor, filters: LinkageFilters, page: int = 1,
                 page_size: int = 20) -> tuple[list[tuple[TicketLinkage, Ticket]], int]:
    """The passings the actor may see, oldest first while they wait (the longest wait is the first to chase),
    newest first in 全部."""
    require_reader(actor)
    conds = _conditions(actor, filters)
    base = select(TicketLinkage, Ticket).join(Ticket, Ticket.id == TicketLinkage.ticket_id).where(*conds)
    total = db.execute(select(func.count()).select_from(TicketLinkage)
                       .join(Ticket, Ticket.id == TicketLinkage.ticket_id).where(*conds)).scalar_one()
    order = ((TicketLinkage.sent_at.desc(), TicketLinkage.id.desc()) if filters.view == View.ALL
             else (TicketLinkage.sent_at, TicketLinkage.id))
    rows = db.execute(base.order_by(*order).limit(page_size).offset((page - 1) * page_size)).unique().all()
    return [(r[0], r[1]) for r in rows], total


def view_counts(db: Session, *, actor: Actor, filters: LinkageFilters) -> dict[View, int]:
    """How many passings each tab holds, with the other filters as given."""
    require_reader(actor)
    out = {}
    for view in View:
        conds = _conditions(actor, LinkageFilters(view=view, line_id=filters.line_id, sent_from=filters.sent_from,
                                                  sent_to=filters.sent_to))
        out[view] = db.execute(select(func.count()).select_from(TicketLinkage)
                               .join(Ticket, Ticket.id == TicketLinkage.ticket_id).where(*conds)).scalar_one()
    return out
