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


class KbArticleOut(BaseModel):
    key: str
    version: int = Field(description="版本号：同一编号的条目以最新版本为准")
    title: str
    questions: list[str]
    answer: str = Field(description="答复口径")
    policy_basis: str | None = None
    policy_source: str | None = None
    category_code: str | None = None
    category: str | None = None
    audience: str = Field(description="public 公众 / enterprise 一企来（涉企政策）")
    jurisdiction_path: str | None = None
    place: str | None = Field(None, description="地方性答复适用的地区名称")
    tags: list[str]
    valid_from: datetime | None = Field(None, description="生效时间：此前不得对外展示")
    expires_at: datetime | None = Field(None, description="失效时间：此后不得对外展示")
    published_at: datetime | None = None
    url: str = Field(description="本平台公众页面的地址（相对路径）")


class KbFeedItemOut(BaseModel):
    seq: int = Field(description="变更序号")
    key: str = Field(description="条目编号：接收方以此为主键")
    op: str = Field(description="upsert 新增或更新；delete 删除（撤销、失效、转为内部等）")
    reason: str | None = Field(None, description="删除原因：withdrawn / expired / policy_changed / not_public")
    article: KbArticleOut | None = None


class KbFeedOut(BaseModel):
    items: list[KbFeedItemOut]
    next_after: str = Field(description="下次读取时作为 after 传入")
    has_more: bool = Field(description="为 true 时还有变更，应立即再次读取")
