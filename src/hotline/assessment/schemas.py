"""What the assessment API takes and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from hotline.assessment.indicators import ExemptionKind


class FigureOut(BaseModel):
    indicator: str
    label: str
    num: int
    den: int
    rate: float | None


class UnitScoreOut(BaseModel):
    unit_id: int
    unit_name: str
    rank: int | None
    score: float | None
    volume: int
    too_few: bool = False  # fewer dispatch rounds than the minimum: no rank (样本不足)
    figures: list[FigureOut]
    trend: list[float | None] = Field(default_factory=list)


class PeriodOut(BaseModel):
    start: date
    end: date
    label: str


class WeightOut(BaseModel):
    indicator: str
    label: str
    weight: float
    higher_is_better: bool


class PresetOut(BaseModel):
    code: str
    name: str
    description: str
    official: bool
    weights: list[WeightOut]


class RankingOut(BaseModel):
    period: PeriodOut
    preset: PresetOut
    min_rounds: int = 0  # units with fewer dispatch rounds are listed without a rank
    units: list[UnitScoreOut]
    centre: list[FigureOut]


class TrendPointOut(BaseModel):
    month: str
    score: float | None
    figures: list[FigureOut]


class TrendOut(BaseModel):
    unit_id: int | None
    preset: str
    points: list[TrendPointOut]


class DrillRowOut(BaseModel):
    ticket_id: int
    number: str
    title: str
    state: str
    day: date
    action: str
    at: datetime
    num: int
    den: int


class ExemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: int | None = None
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    kind: ExemptionKind
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class ExemptionOut(BaseModel):
    id: int
    ticket_id: int
    number: str
    title: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    reason: str
    unit_id: int | None
    unit_name: str | None
    indicators: list[str]
    requested_by_name: str
    requested_at: datetime
    decided_by_name: str | None
    decided_at: datetime | None
    decision_reason: str | None
    revoked_by_name: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None


class RefreshOut(BaseModel):
    events: int
    batches: int
    last_event_id: int


class DashboardOut(BaseModel):
    today_intake: int
    open: int
    overdue: int
    month: PeriodOut
    three_rates: list[FigureOut]
    direct_answer: FigureOut
    top: list[UnitScoreOut]
    bottom: list[UnitScoreOut]
    facts_as_of: datetime | None
    pending_events: int
    min_rounds: int = 0  # units with fewer dispatch rounds this month are in neither list
