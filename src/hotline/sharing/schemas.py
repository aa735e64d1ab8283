"""What the feed sends: one page of events with their tickets — the pull API's answer and the body of
a push delivery alike (one event model, two ways to receive it)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hotline.sharing.feed import FeedPage
from hotline.tickets.schemas import EventOut, TicketOut


class FeedEventOut(EventOut):
    id: int = Field(description="事件编号：按写入顺序递增，作为下次读取的 after")
    ticket_number: str


class FeedOut(BaseModel):
    events: list[FeedEventOut]
    tickets: dict[str, TicketOut] = Field(description="本页事件涉及的工单（当前状态），以工单编号为键；个人信息已脱敏")
    next_after: int = Field(description="下次读取时作为 after 传入")
    has_more: bool = Field(description="为 true 时还有已就绪的事件，应立即再次读取")
    complete_until: datetime = Field(description="此时间之前写入的事件都已在 next_after 之内")


def feed_out(page: FeedPage) -> FeedOut:
    return FeedOut(
        events=[FeedEventOut(id=e.id, ticket_number=e.ticket_number, **e.event.model_dump()) for e in page.events],
        tickets=page.tickets, next_after=page.next_after, has_more=page.has_more,
        complete_until=page.complete_until)
