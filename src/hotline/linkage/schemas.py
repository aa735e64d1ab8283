"""What the API says of a passing (联动转办 record) and of the platforms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class LinkageOut(BaseModel):
    direction: str  # out | in
    direction_label: str
    status: str
    status_label: str
    line_id: int
    line_name: str
    line_number: str
    line_city: str
    external_ref: str | None
    reason: str | None
    sent_at: datetime
    answer: str | None
    answered_at: datetime | None


class LinkedLineOut(BaseModel):
    id: int
    city: str
    number: str
    name: str
    kind: str
    kind_label: str
    label: str


class LinkageItem(LinkageOut):
    """A row of the centre's list: the passing and its ticket (no personal data: a list, masked as lists are)."""

    ticket_id: int
    ticket_number: str
    ticket_title: str
    ticket_state: str
    ticket_state_label: str
    # When the platform's answer (out) or the report back (in) is late (policy linkage_answer / linkage_report);
    # None when nothing is awaited.
    due_at: datetime | None = None
    overdue: bool = False


class LinkagePage(BaseModel):
    items: list[LinkageItem]
    total: int
    page: int
    page_size: int
    counts: dict[str, int]


def linkage_out(x: Any) -> LinkageOut:
    from hotline.linkage.service import DIRECTION_LABELS, STATUS_LABELS  # service imports tickets, which import us

    return LinkageOut(direction=x.direction, direction_label=DIRECTION_LABELS.get(x.direction, x.direction),
                      status=x.status, status_label=STATUS_LABELS.get(x.status, x.status), line_id=x.line_id,
                      line_name=x.line_name, line_number=x.line_number, line_city=x.line_city,
                      external_ref=x.external_ref, reason=x.reason, sent_at=x.sent_at, answer=x.answer,
                      answered_at=x.answered_at)


def item(x: Any, ticket: Any, *, due_at: datetime | None = None, now: datetime | None = None) -> LinkageItem:
    from hotline.tickets.enums import STATE_LABELS, State  # tickets import us: import at call time
    from hotline.tickets.present import mask_requester_in

    # A list is masked (QA: the platform's answer "已电话告知张三（139…）" was shown and exported as written).
    out = linkage_out(x).model_dump()
    out.update(reason=mask_requester_in(x.reason, ticket), answer=mask_requester_in(x.answer, ticket))
    return LinkageItem(**out, ticket_id=ticket.id, ticket_number=ticket.number,
                       ticket_title=ticket.title, ticket_state=ticket.state,
                       ticket_state_label=STATE_LABELS.get(State(ticket.state), ticket.state), due_at=due_at,
                       overdue=due_at is not None and now is not None and now > due_at)
