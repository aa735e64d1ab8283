"""The monthly figures the centre has published to the public (政务公开): one row per month, holding the
figures as they were at publication, so that later data or code never rewrites a published month."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import Base, UTCDateTime


class PublishedFigures(Base):
    __tablename__ = "published_figures"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-10": months only
    # The snapshot the public reads (figures and tables, no personal data, no ticket text).
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    with_units: Mapped[bool] = mapped_column(Boolean)  # the per-unit table was chosen for publication
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_name: Mapped[str] = mapped_column(String(100))
    # Withdrawn from the portal: the row stays (what was shown, and until when); republishing refreshes it.
    unpublished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unpublished_by_name: Mapped[str | None] = mapped_column(String(100))
