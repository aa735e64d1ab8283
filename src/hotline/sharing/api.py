"""The data-sharing API (信息共享): `GET /api/share/v1/events`, read by data-sharing machine accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from hotline.deps import DB, RT, SharingActor
from hotline.sharing import feed
from hotline.sharing.schemas import FeedOut, feed_out

router = APIRouter(prefix="/api/share/v1", tags=["sharing"])


@router.get("/events", response_model=FeedOut, summary="工单事件流（信息共享）：按顺序读取数据范围内工单的每一步")
def events(db: DB, rt: RT, actor: SharingActor, after: Annotated[int, Query(ge=0)] = 0,
           limit: Annotated[int, Query(ge=1, le=feed.MAX_LIMIT)] = feed.DEFAULT_LIMIT) -> FeedOut:
    return feed_out(feed.read(db, rt, actor=actor, after=after, limit=limit))
