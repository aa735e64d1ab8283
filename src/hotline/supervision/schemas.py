"""What comes in and goes out of the supervision API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from hotline.supervision.enums import MeetingKind


class OrderCreate(BaseModel):
    ticket_id: int | None = None
    ticket_number: str | None = Field(default=None, max_length=32)
    reason: str = Field(min_length=5, max_length=2000)
    # The order's own deadline in working days; the policy's first level when omitted.
    days: int | None = Field(default=None, ge=1, le=30)

    @model_validator(mode="after")
    def _which_ticket(self) -> OrderCreate:
        if self.ticket_id is None and not (self.ticket_number or "").strip():
            raise ValueError("请指定工单（工单编号）")
        return self


class EscalateIn(BaseModel):
    note: str = Field(min_length=2, max_length=2000)


class CloseIn(BaseModel):
    outcome: str = Field(min_length=5, max_length=2000)


class EscalationOut(BaseModel):
    level: int
    audience: str
    at: datetime
    due_at: datetime
    actor_name: str
    note: str | None


class OrderOut(BaseModel):
    id: int
    number: str
    ticket_id: int
    ticket_number: str
    ticket_title: str
    ticket_state: str
    unit_id: int
    unit_name: str
    source: str
    status: str
    level: int
    reason: str
    issued_at: datetime
    due_at: datetime
    overdue: bool
    escalated_at: datetime | None
    closed_at: datetime | None
    closed_by_name: str | None
    outcome: str | None
    created_by_name: str
    escalations: list[EscalationOut] = []


class MeetingCreate(BaseModel):
    kind: MeetingKind
    title: str = Field(min_length=2, max_length=200)
    topic: str = Field(min_length=2, max_length=5000)
    held_at: datetime
    location: str | None = Field(default=None, max_length=200)
    host: str = Field(min_length=1, max_length=100)
    attendees: list[str] = Field(default_factory=list, max_length=100)
    unit_ids: list[int] = Field(default_factory=list, max_length=100)
    ticket_numbers: list[str] = Field(default_factory=list, max_length=500)


class OutcomeIn(BaseModel):
    outcome: str = Field(min_length=5, max_length=5000)
    follow_up: str | None = Field(default=None, max_length=5000)


class MeetingOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    status: str
    title: str
    topic: str
    held_at: datetime
    location: str | None
    host: str
    attendees: list[str]
    units: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    outcome: str | None
    follow_up: str | None
    concluded_at: datetime | None
    created_by_name: str


class FindingOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    unit_id: int
    unit_name: str
    ticket_id: int
    ticket_number: str
    at: datetime
    detail: str


class UnitFindingsOut(BaseModel):
    unit_id: int
    unit_name: str
    counts: dict[str, int]
    total: int


class NotificationOut(BaseModel):
    id: int
    kind: str
    audience: str
    title: str
    body: str | None
    ticket_id: int | None = Field(None, description="相关工单的编号（id，用于工单接口）")
    ticket_number: str | None
    order_id: int | None
    meeting_id: int | None
    created_at: datetime
    read_at: datetime | None
    link: str | None = Field(None, description="相关页面：个人信息访问预警链接到访问审查页，"
                                               "限定该账号与预警所审查的期间；回头看提醒链接到未研判的回头看清单")


class RunOut(BaseModel):
    id: int
    worker: str
    mode: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    status: str
    counts: dict[str, Any]
    errors: list[str]
