"""What comes in and goes out of the hotline registry and routing API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from hotline.hotlines.enums import LineKind, LineStatus, MergeMode, SeatArrangement, UtilityService

Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=1000)]
Number = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=12, pattern=r"^[0-9]+$")]
City = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=20)]


class LineCreate(BaseModel):
    """A line registered by an administrator. A new department hotline needs its approval."""

    model_config = ConfigDict(extra="forbid")

    city: City
    number: Number
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
    kind: LineKind
    merge_mode: MergeMode = MergeMode.NONE
    status: LineStatus = LineStatus.ACTIVE
    seat_arrangement: SeatArrangement = SeatArrangement.NONE
    service: UtilityService | None = None
    owner_unit_id: int | None = None
    owner_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    jurisdiction_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    transition_prompt: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    transition_start: date | None = None
    transition_end: date | None = None
    approval_document: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    approval_by: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    reason: Reason


class ModeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    merge_mode: MergeMode
    reason: Reason


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: LineStatus
    reason: Reason


class PromptChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    transition_prompt: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    transition_start: date | None = None
    transition_end: date | None = None
    reason: Reason


class SeatsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seat_arrangement: SeatArrangement
    reason: Reason


class LineOut(BaseModel):
    id: int
    city: str
    number: str
    name: str
    kind: str
    kind_label: str
    merge_mode: str
    mode_label: str
    status: str
    status_label: str
    seat_arrangement: str
    seats_label: str
    service: str | None
    owner_unit_id: int | None
    owner_name: str | None
    jurisdiction_code: str | None
    transition_prompt: str | None
    transition_start: date | None
    transition_end: date | None
    approval_document: str | None
    approval_by: str | None
    source: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime


class ChangeOut(BaseModel):
    id: int
    at: datetime
    field: str
    field_label: str
    from_value: str | None
    to_value: str | None
    reason: str | None
    actor_name: str
    actor_role: str


class Count(BaseModel):
    code: str
    label: str
    count: int


class CityProgress(BaseModel):
    """热线归并进度 of one city: department lines by mode and status, and the share consolidated."""

    city: str
    department_lines: int
    by_mode: list[Count]
    by_status: list[Count]
    linked_lines: int
    # Department lines whose consolidation is complete: kept (dual number, sub-center) or cancelled.
    done: int
    in_transition: int
    percent_done: float


class CallerIn(BaseModel):
    """The caller as the telephony adapter and the blacklist know them (the standing is an input)."""

    model_config = ConfigDict(extra="forbid")
    # The caller's number: the platform looks the blacklist standing up itself (an adapter cannot read
    # the blacklist, so `blacklisted` alone never held for a real call).
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=24)] | None = None
    blacklisted: bool = False
    emergency: bool = False
    new_matter: bool = False


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dialled: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
    city: City | None = None
    caller: CallerIn = Field(default_factory=CallerIn)
    at: datetime | None = None
    staffed_zones: list[Number] = Field(default_factory=list, max_length=200)
    staffed_experts: list[Number] = Field(default_factory=list, max_length=200)
    # A specialist matter taken on 12345 that belongs to this line (a sub-center or a dual number):
    # ask how to hand it over (three-way call or ticket).
    handover_to: Number | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("时间须带时区（示例 2026-11-02T10:00:00+08:00）")
        return v

    @model_validator(mode="after")
    def _dialled_digits(self) -> RouteIn:
        self.dialled = "".join(ch for ch in self.dialled if ch.isdecimal()) or self.dialled
        return self


class HandoverOut(BaseModel):
    line_number: str
    line_name: str
    method: str
    method_label: str
    unit_id: int | None
    unit_name: str | None
    reason: str


class RouteOut(BaseModel):
    action: str
    queue: str
    queue_label: str
    prompt: str | None
    ivr_menu: bool
    priority: bool
    rule: str
    reason: str
    flags: list[str]
    line_id: int | None
    line_number: str | None
    line_name: str | None
    city: str | None
    transfer_to: str | None
    handover: HandoverOut | None = None
