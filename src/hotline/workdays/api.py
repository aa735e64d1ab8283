"""The holiday arrangements API: read the calendar's years; administrators enter or remove a year."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from hotline import clock
from hotline.deps import DB, RT, ApiActor
from hotline.workdays import service

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])
Year = Path(ge=2000, le=2100, description="年份")


class YearIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    holidays: list[date] = Field(max_length=service.MAX_HOLIDAYS, description="放假日期（含周末）")
    workdays: list[date] = Field(default_factory=list, max_length=service.MAX_WORKDAYS,
                                 description="调休上班日期（周六或周日）")
    source: str = Field(max_length=service.SOURCE_MAX, description="依据：国务院办公厅通知的文号或标题")


class YearOut(BaseModel):
    year: int
    source: str
    entered_by: str
    entered_at: datetime
    holidays: list[date]
    workdays: list[date]
    superseded: bool = Field(description="软件包已包含该年：以软件包为准，录入内容不再使用")
    disagreements: list[date] = Field(description="软件包与录入内容不一致的日期")
    warnings: list[str] = Field(description="录入内容中可能有遗漏之处（如放假天数过少），仅提示、不影响使用")


class CalendarOut(BaseModel):
    package_first_year: int
    package_last_year: int
    known_last_year: int = Field(description="可按工作日计算时限的最后一年（含录入的年份）")
    years: list[YearOut]


@router.get("", response_model=CalendarOut)
def overview(db: DB, actor: ApiActor) -> CalendarOut:
    first, last = clock.package_years()
    return CalendarOut(package_first_year=first, package_last_year=last, known_last_year=clock.known_years()[1],
                       years=[YearOut(**vars(y)) for y in service.entered_years(db)])


@router.put("/{year}", status_code=204,
            description="只能录入软件包最后一年之后的年份，且须逐年录入（前一年未录入时拒绝）。"
                        "放假天数过少等提示见 GET 返回的 warnings。")
def set_year(body: YearIn, db: DB, rt: RT, actor: ApiActor, year: int = Year) -> Response:
    service.set_year(db, actor=actor, now=rt.clock.now(), year=year, holidays=body.holidays,
                     workdays=body.workdays, source=body.source)
    return Response(status_code=204)


@router.delete("/{year}", status_code=204)
def clear_year(db: DB, rt: RT, actor: ApiActor, year: int = Year) -> Response:
    service.clear_year(db, actor=actor, now=rt.clock.now(), year=year)
    return Response(status_code=204)
