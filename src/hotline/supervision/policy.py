"""Supervision rules as data: reminder steps before a deadline, escalation levels of a supervision
order, the buck-passing threshold, and the scheduler's batch bounds (a JSON file, validated at load)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from hotline.supervision.enums import Audience
from hotline.tickets.deadlines import Limit

POLICY_DIR = Path(__file__).parent / "policies"


class ReminderStep(BaseModel):
    """One reminder before a deadline. `at: warn_at` fires when the ticket turns 'about to expire';
    otherwise `before_hours` before the deadline, but never earlier than the last `max_fraction` of
    the time limit (a 2-hour limit is not escalated to the manager after 10 minutes)."""

    key: str = Field(pattern=r"^[a-z_]{1,16}$")
    label: str
    audience: Audience
    at: Literal["warn_at"] | None = None
    before_hours: float | None = Field(default=None, gt=0)
    max_fraction: float = Field(default=0.25, gt=0, le=1)

    @model_validator(mode="after")
    def _one_timing(self) -> ReminderStep:
        if (self.at is None) == (self.before_hours is None):
            raise ValueError(f"reminder step {self.key}: give exactly one of 'at' or 'before_hours'")
        return self

    def fires_at(self, *, dispatched_at: datetime | None, due_at: datetime, warn_at: datetime | None) -> datetime:
        """When this step is due; never before the ticket's own warning time."""
        floor = warn_at or due_at
        if self.at == "warn_at":
            return floor
        assert self.before_hours is not None
        length = max(due_at - (dispatched_at or due_at), timedelta(0))
        window = min(timedelta(hours=self.before_hours), length * self.max_fraction)
        return max(due_at - window, floor)


class Level(BaseModel):
    level: int = Field(ge=1)
    label: str
    audience: Audience
    limit: Limit


class SupervisionPolicy(BaseModel):
    name: str
    label: str
    reminders: list[ReminderStep]
    levels: list[Level] = Field(min_length=1)
    buck_passing_max_returns: int = Field(ge=1)
    # 回头看提醒: how often the supervisors are told how many unsatisfied finished tickets await review.
    revisit_reminder: Literal["weekly", "monthly", "off"] = "weekly"
    batch_size: int = Field(default=500, ge=1, le=10_000)
    max_batches: int = Field(default=200, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> SupervisionPolicy:
        keys = [s.key for s in self.reminders]
        if len(set(keys)) != len(keys):
            raise ValueError("reminder step keys must be unique")
        if [lv.level for lv in self.levels] != list(range(1, len(self.levels) + 1)):
            raise ValueError("levels must be numbered 1, 2, 3 … in order")
        return self

    def level(self, number: int) -> Level:
        return self.levels[number - 1]

    @property
    def top_level(self) -> int:
        return len(self.levels)


def preset_names() -> list[str]:
    return sorted(p.stem for p in POLICY_DIR.glob("*.json"))


@cache
def load_supervision_policy(name_or_path: str) -> SupervisionPolicy:
    """A shipped preset by name (default) or a JSON file of the same shape."""
    path = POLICY_DIR / f"{name_or_path}.json"
    if not path.exists():
        path = Path(name_or_path)
    if not path.exists():
        raise ValueError(f"unknown supervision policy {name_or_path!r}; presets: {', '.join(preset_names())}")
    return SupervisionPolicy.model_validate(json.loads(path.read_text(encoding="utf-8")))
