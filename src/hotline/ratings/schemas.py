"""What the 好差评 API takes and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hotline.ratings.enums import Conclusion


class FollowupIn(BaseModel):
    # the 5 characters are counted without the spaces around them, as stored (QA: "     a" was kept as "a")
    model_config = ConfigDict(str_strip_whitespace=True)

    conclusion: Conclusion
    note: str = Field(min_length=5, max_length=1000)


class FollowupOut(BaseModel):
    id: int
    conclusion: str
    conclusion_label: str
    note: str
    by_name: str
    at: datetime


class BadRatingOut(BaseModel):
    """One 差评: the ticket, the rating and its comment, the unit it judged, and its follow-ups."""

    ticket_id: int
    ticket_number: str
    ticket_title: str
    ticket_state: str
    rating: str
    rating_label: str
    comment: str | None
    rated_at: datetime
    unit_id: int | None
    unit_name: str | None
    followed_up: bool
    followups: list[FollowupOut]
