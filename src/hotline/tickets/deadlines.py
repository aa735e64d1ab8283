"""Time-limit policies (data) and the pure deadline maths: due dates, pauses, status.

A policy is a JSON file: ordered rules `{"when": {...}, "limit": {"value", "unit"}}`, the first
match wins. Units: `hours` (clock hours), `working_days` (official calendar), `days` (calendar days).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from hotline.clock import (
    CHINA_TZ,
    END_OF_DAY,
    add_calendar_days,
    add_hours,
    add_working_days,
    is_workday,
    to_local,
    working_days_between,
)
from hotline.tickets.enums import DeadlineStatus

POLICY_DIR = Path(__file__).parent / "policies"
UNIT_LABELS = {"hours": "小时", "working_days": "个工作日", "days": "天"}


class Limit(BaseModel):
    value: float = Field(gt=0)
    unit: Literal["hours", "working_days", "days"]

    @model_validator(mode="after")
    def _whole_days(self) -> Limit:
        if self.unit != "hours" and self.value != int(self.value):
            raise ValueError("day limits must be whole days")
        return self

    @property
    def label(self) -> str:
        value = int(self.value) if self.value == int(self.value) else self.value
        return f"{value}{UNIT_LABELS[self.unit]}"

    def apply(self, start: datetime) -> datetime:
        if self.unit == "hours":
            return add_hours(start, self.value)
        if self.unit == "working_days":
            return add_working_days(start, int(self.value))
        return add_calendar_days(start, int(self.value))


class Rule(BaseModel):
    when: dict[str, Any] = Field(default_factory=dict)
    limit: Limit

    def matches(self, facts: dict[str, Any]) -> bool:
        for key, wanted in self.when.items():
            value = facts.get(key)
            if isinstance(wanted, list):
                if value not in wanted:
                    return False
            elif value != wanted:
                return False
        return True


class UnreachableRule(BaseModel):
    """When a requester who never answers the callback is given up on (无法联系): after `attempts`
    unanswered calls made on at least `days` different local days (a second call on the same day is
    recorded but does not make another day). The defaults fit within a 2-working-day callback window."""

    attempts: int = Field(default=3, ge=1, le=10)
    days: int = Field(default=2, ge=1, le=10)

    @model_validator(mode="after")
    def _days_fit(self) -> UnreachableRule:
        if self.days > self.attempts:
            raise ValueError("callback_unreachable: days cannot exceed attempts")
        return self


def _default_dispatch() -> list[Rule]:
    """派单时限 for a policy file that names none: 53号 asks for 即时转办, and complaints and reports on law
    enforcement to be passed on 第一时间; the Jiangsu plans for enterprises' requests (一企来) to be
    handled fast. None gives a figure, so these are ours (a city sets its own)."""
    return [Rule(when={"urgency": ["critical"]}, limit=Limit(value=0.5, unit="hours")),
            Rule(when={"urgency": ["urgent"]}, limit=Limit(value=1, unit="hours")),
            Rule(when={"is_enterprise": True}, limit=Limit(value=1, unit="hours")),
            Rule(when={"kind": ["complaint", "report"]}, limit=Limit(value=2, unit="hours")),
            Rule(limit=Limit(value=4, unit="hours"))]


class Policy(BaseModel):
    name: str
    label: str
    handling: list[Rule]
    acknowledge: list[Rule]
    # How long a registered ticket may wait in the centre's 待派单 queue (派单时限), from registration.
    dispatch: list[Rule] = Field(default_factory=_default_dispatch)
    return_window: Limit
    extension_cap_working_days: int = Field(ge=0)
    callback_window: Limit
    callback_unreachable: UnreachableRule = Field(default_factory=UnreachableRule)
    warn_before_hours: float = Field(gt=0)
    max_reopens: int = Field(ge=0)
    # 联动转办 (linkage/): how long the centre waits for a linked platform's answer before it is told to chase
    # it, and how soon after 12345 has the answer a request passed in is reported back. No policy text gives a
    # figure: these are ours (a city sets its own).
    linkage_answer: Limit = Field(default_factory=lambda: Limit(value=5, unit="working_days"))
    linkage_report: Limit = Field(default_factory=lambda: Limit(value=1, unit="working_days"))

    @model_validator(mode="after")
    def _has_defaults(self) -> Policy:
        for name in ("handling", "acknowledge", "dispatch"):
            rules: list[Rule] = getattr(self, name)
            if not rules or rules[-1].when:
                raise ValueError(f"{name}: the last rule must have an empty 'when' (the default)")
        return self

    def handling_limit(self, facts: dict[str, Any]) -> Limit:
        return _first_match(self.handling, facts)

    def acknowledge_limit(self, facts: dict[str, Any]) -> Limit:
        return _first_match(self.acknowledge, facts)

    def dispatch_limit(self, facts: dict[str, Any]) -> Limit:
        return _first_match(self.dispatch, facts)


def _first_match(rules: list[Rule], facts: dict[str, Any]) -> Limit:
    return next(rule.limit for rule in rules if rule.matches(facts))


def preset_names() -> list[str]:
    return sorted(p.stem for p in POLICY_DIR.glob("*.json"))


@cache
def load_policy(name_or_path: str) -> Policy:
    """A shipped preset by name (guangdong, beijing) or a JSON file of the same shape."""
    path = POLICY_DIR / f"{name_or_path}.json"
    if not path.exists():
        path = Path(name_or_path)
    if not path.exists():
        raise ValueError(f"unknown time-limit policy {name_or_path!r}; presets: {', '.join(preset_names())}")
    return Policy.model_validate(json.loads(path.read_text(encoding="utf-8")))


def shift_for_pause(
    due_at: datetime | None, paused_at: datetime, resumed_at: datetime, *, working_days: bool = False
) -> datetime | None:
    """A deadline does not run while a return is under review. Hour limits are pushed by the paused
    time; working-day limits by the working days the review took, so they still end on a working day."""
    if due_at is None:
        return None
    if working_days:
        days = working_days_between(paused_at, resumed_at)
        return add_working_days(due_at, days) if days else due_at
    return due_at + max(resumed_at - paused_at, timedelta(0))


# The longest run of days off before a deadline's day (National Day and a weekend): how far before the
# warning window a warning may begin (the reminder pass reads its candidates that far ahead).
LONGEST_BREAK = timedelta(days=10)


def warn_at(*, started_at: datetime, due_at: datetime, warn_before_hours: float) -> datetime:
    """When a running deadline turns 'about to expire': the warning window before it, but never more
    than the last quarter of the limit (a 2-hour limit warns in its last 30 minutes, not all along).
    A deadline at the end of a day that follows days off (a weekend, a holiday) warns from the start
    of the last working day before them: a unit back from National Day must not first learn on the
    day itself that a ticket is due (QA). Never before the limit began.

    Stored on the ticket so that lists filter on it in SQL with the same rule the badges use."""
    window = min(timedelta(hours=warn_before_hours), max(due_at - started_at, timedelta(0)) / 4)
    warn = due_at - window
    if to_local(due_at).time() >= END_OF_DAY:
        warn = min(warn, _before_the_break(warn))
    return max(warn, started_at)


def _before_the_break(warn: datetime) -> datetime:
    """The start of the last working day before the days off that lead to the warning's first day
    (`warn` itself when the day before it is a working day)."""
    first = to_local(warn + timedelta(seconds=1)).date()  # a warning at 23:59:59 begins the next day
    day = first - timedelta(days=1)
    if is_workday(day):
        return warn
    while not is_workday(day):
        day -= timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ).astimezone(UTC)


def deadline_status(
    *, now: datetime, due_at: datetime | None, warn_at: datetime | None, paused: bool = False
) -> DeadlineStatus:
    """On time, about to expire (past warn_at), overdue (past due_at), or paused."""
    if due_at is None:
        return DeadlineStatus.NONE
    if paused:
        return DeadlineStatus.PAUSED
    if now > due_at:
        return DeadlineStatus.OVERDUE
    if warn_at is not None and now >= warn_at:
        return DeadlineStatus.ABOUT_TO_EXPIRE
    return DeadlineStatus.ON_TIME


def remaining_label(now: datetime, due_at: datetime | None) -> str:
    """'剩余 3天4小时' or '超期 5小时' for people reading a queue."""
    if due_at is None:
        return "—"
    delta = due_at - now
    prefix = "剩余" if delta >= timedelta(0) else "超期"
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{prefix} {days}天{hours}小时"
    if hours:
        return f"{prefix} {hours}小时{minutes}分"
    return f"{prefix} {minutes}分钟"
