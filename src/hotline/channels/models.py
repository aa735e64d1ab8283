"""The columns a channel's table needs to be on the waiting list (waiting_list.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hotline.db import UTCDateTime


class Handled:
    """A message's handling: 待处理 until an operator registers it (its ticket) or ignores it (a reason
    and a note), with who and when. Mixed in, these columns come after the table's own, last, where
    its migration put them: the tables are unchanged."""

    status: Mapped[str] = mapped_column(String(16))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    ignore_reason: Mapped[str | None] = mapped_column(String(16))
    ignore_note: Mapped[str | None] = mapped_column(String(200))
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    if TYPE_CHECKING:  # the table's own
        id: Mapped[int]
