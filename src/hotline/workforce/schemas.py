"""What comes in and goes out of the seat-planning API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class IntervalIn(BaseModel):
    label: str = Field(max_length=40)
    calls: float


class SimIn(BaseModel):
    # None: as the plan assumes (none when the plan's patience is null, else exponential).
    patience: Literal["exponential", "lognormal", "none"] | None = None
    patience_cv: float = 1.0
    talk: Literal["exponential", "lognormal"] = "exponential"
    talk_cv: float = 1.0
    replications: int = 3
    seed: int = 12345


class PlanIn(BaseModel):
    """Either `intervals` (a forecast) or `source` ("demo" / "history")."""

    intervals: list[IntervalIn] | None = Field(None, max_length=1488)
    source: Literal["demo", "history"] | None = None
    history_weeks: int = 8
    demo_calls: float = 12000.0
    aht: float
    target_sl: float = 0.8
    within: float = 15.0
    target_answer: float = 0.95
    patience: float | None = Field(120.0, description="平均耐心时长（秒）；null 表示不挂机")
    shrinkage: float = 0.3
    interval_minutes: int = 30
    min_seats: int = 1
    operator_hours_per_week: float = 40.0
    population: float | None = None
    simulate: SimIn | None = None


class RowOut(BaseModel):
    label: str
    calls: float
    load: float
    seats: int
    staff: float
    erlang_c: float
    service_level: float
    asa: float
    occupancy: float
    answer_rate: float


class JilinOut(BaseModel):
    population: float
    seats: int
    operators: int


class CompareOut(BaseModel):
    label: str
    seats: int
    offered: float
    erlang_sl: float
    sim_sl: float
    sim_sl_offered: float
    erlang_answer: float
    sim_answer: float
    erlang_asa: float
    sim_asa: float
    optimistic: bool


class SimOut(BaseModel):
    offered: int
    answered: int
    abandoned: int
    answer_rate: float
    service_level: float
    optimistic_intervals: int
    rows: list[CompareOut]


class PlanOut(BaseModel):
    source: str
    note: str
    intervals: int
    total_calls: float
    peak_seats: int
    seat_hours: float
    staff_hours: float
    operators: int
    operators_note: str | None = None  # the forecast is shorter than a week: how to read `operators`
    service_level: float
    answer_rate: float
    jilin: JilinOut | None
    rows: list[RowOut]
    simulation: SimOut | None
