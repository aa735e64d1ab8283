"""The data-sharing API (信息共享), read by data-sharing machine accounts: `GET /api/share/v1/events` (the
ticket feed) and `GET /api/share/v1/kb/articles` (the knowledge sync feed of public answers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hotline.deps import DB, RT, SharingActor
from hotline.knowledge import feed as kb_feed
from hotline.sharing import feed
from hotline.sharing.schemas import FeedOut, KbFeedOut, feed_out

router = APIRouter(prefix="/api/share/v1", tags=["sharing"])


@router.get("/events", response_model=FeedOut, summary="工单事件流（信息共享）：按顺序读取数据范围内工单的每一步")
def events(db: DB, rt: RT, actor: SharingActor, after: Annotated[int, Query(ge=0)] = 0,
           limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = feed.DEFAULT_LIMIT) -> FeedOut:
    return feed_out(feed.read(db, rt, actor=actor, after=after, limit=limit))


@router.get("/kb/articles", response_model=KbFeedOut,
            summary="知识库同步（政务服务平台、政府网站）：按变更顺序读取公开知识条目的新增、更新和删除")
def kb_articles(db: DB, rt: RT, actor: SharingActor, after: Annotated[str, Query(max_length=25)] = "0",
                limit: Annotated[int, Query(ge=1, le=kb_feed.MAX_LIMIT)] = kb_feed.DEFAULT_LIMIT) -> KbFeedOut:
    page = kb_feed.read(db, rt, actor=actor, after=after, limit=limit)
    return KbFeedOut.model_validate({"items": [vars(i) for i in page.items], "next_after": page.next_after,
                                     "has_more": page.has_more})
