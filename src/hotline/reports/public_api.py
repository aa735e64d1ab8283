"""The published monthly figures as JSON, for anyone (政务公开): the month list and one month."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hotline.clock import to_local
from hotline.deps import DB
from hotline.reports import publication

router = APIRouter(prefix="/api/v1/public/figures", tags=["public"])


@router.get("", summary="已公开月度数据的月份列表（最新在前）")
def published_months(db: DB) -> list[dict[str, Any]]:
    return [{"period": r.period, "period_label": r.figures.get("period_label", r.period),
             "published_at": to_local(r.published_at).strftime("%Y-%m-%d %H:%M")}
            for r in publication.published_months(db)]


@router.get("/{period}", summary="某月已公开的运行数据（周期写作 2026-10）")
def published_figures(period: str, db: DB) -> dict[str, Any]:
    return publication.published(db, period)
