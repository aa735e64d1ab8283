"""The assessment API: a thin router — parse, call the service, answer.

Scores, ranking and trends by period and preset; the tickets behind each figure (paginated JSON and
Excel); exemptions (request, list, approve, refuse, revoke); the leaders' dashboard; a refresh of the facts.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from hotline.assessment import export, facts, present, service
from hotline.assessment.indicators import (
    EXEMPTION_LABELS,
    EXEMPTION_STATUS_LABELS,
    INDICATORS,
    ExemptionStatus,
    Indicator,
)
from hotline.assessment.schemas import (
    DashboardOut,
    DecisionIn,
    DrillRowOut,
    ExemptionIn,
    ExemptionOut,
    PresetOut,
    RankingOut,
    RefreshOut,
    TrendOut,
    TrendPointOut,
    UnitScoreOut,
)
from hotline.assessment.scoring import get_preset, presets
from hotline.deps import DB, RT, ApiActor
from hotline.errors import Forbidden
from hotline.errors_http import route_labels
from hotline.security.roles import Role
from hotline.tickets.schemas import Page

router = APIRouter(prefix="/api/v1/assessment", tags=["assessment"])
# Validation errors name the fields in Chinese (QA: "from_month格式不正确", an exemption's kind "诉求类型").
route_labels(router.prefix, {
    "preset": "考核方案", "from_month": "起始月份", "to_month": "截止月份", "start": "开始日期", "end": "结束日期",
    "trend_months": "趋势月数", "unit_id": "承办单位", "indicator": "考核指标", "part": "分子或分母",
    "kind": "豁免类型", "status": "审核状态", "reason": "理由", "ticket_id": "工单编号", "number": "工单编号"},
    choices={"indicator": {str(k): v.label for k, v in INDICATORS.items()},
             "kind": {str(k): v for k, v in EXEMPTION_LABELS.items()},
             "status": {**{str(k): v for k, v in EXEMPTION_STATUS_LABELS.items()}, "all": "全部"}},
    formats={"from_month": "应为 YYYY-MM，例如 2026-10", "to_month": "应为 YYYY-MM，例如 2026-10",
             "part": "应为 num（分子）或 den（分母）"})
StatusFilter = Literal["pending", "approved", "refused", "revoked", "all"]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{1,2}$", description="YYYY-MM")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period(rt: RT, from_month: str | None, to_month: str | None, start: date | None, end: date | None
            ) -> service.Period:
    return service.make_period(now=rt.clock.now(), from_month=from_month, to_month=to_month, start=start, end=end)


def _xlsx(body: bytes, name: str) -> Response:
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/presets", response_model=list[PresetOut], summary="考核方案（指标与权重，均非官方）")
def list_presets(actor: ApiActor) -> list[PresetOut]:
    service.visible_units(actor)
    return [present.preset_out(p) for p in presets().values()]


@router.get("/ranking", response_model=RankingOut, summary="各承办单位考核得分与排名")
def ranking(
    db: DB, rt: RT, actor: ApiActor, preset: str | None = None, from_month: Month = None, to_month: Month = None,
    start: date | None = None, end: date | None = None, trend_months: Annotated[int, Query(ge=0, le=24)] = 0,
) -> RankingOut:
    chosen = get_preset(preset)
    period = _period(rt, from_month, to_month, start, end)
    rows = service.ranking(db, actor=actor, period=period, preset=chosen, trend_months=trend_months,
                           min_volume=rt.settings.assessment_min_rounds)
    centre = service.centre_figures(db, period=period) if actor.role in service.SEE_ALL else {}
    return RankingOut(period=present.period_out(period), preset=present.preset_out(chosen),
                      min_rounds=rt.settings.assessment_min_rounds, units=[present.unit_out(r) for r in rows],
                      centre=[present.figure_out(f) for f in centre.values()])


@router.get("/ranking.xlsx", summary="考核排名导出 Excel")
def ranking_xlsx(
    db: DB, rt: RT, actor: ApiActor, preset: str | None = None, from_month: Month = None, to_month: Month = None,
    start: date | None = None, end: date | None = None,
) -> Response:
    chosen = get_preset(preset)
    period = _period(rt, from_month, to_month, start, end)
    rows = service.ranking(db, actor=actor, period=period, preset=chosen, min_volume=rt.settings.assessment_min_rounds)
    service.record_export(db, rt, actor=actor, what=f"ranking {period.start}~{period.end}", rows=len(rows))
    body = export.ranking_workbook(rows, period=period, preset=chosen, min_volume=rt.settings.assessment_min_rounds)
    return _xlsx(body, f"考核排名-{period.start}-{period.end}.xlsx")


@router.get("/units/{unit_id}", response_model=UnitScoreOut, summary="一个承办单位的考核指标")
def unit_scores(
    unit_id: int, db: DB, rt: RT, actor: ApiActor, preset: str | None = None, from_month: Month = None,
    to_month: Month = None, start: date | None = None, end: date | None = None,
) -> UnitScoreOut:
    period = _period(rt, from_month, to_month, start, end)
    return present.unit_out(service.unit_figures(db, actor=actor, unit_id=unit_id, period=period,
                                                 preset=get_preset(preset),
                                                 min_volume=rt.settings.assessment_min_rounds))


@router.get("/trend", response_model=TrendOut, summary="按月趋势（一个单位或全部单位合计）")
def trend(
    db: DB, rt: RT, actor: ApiActor, unit_id: int | None = None, preset: str | None = None,
    from_month: Month = None, to_month: Month = None,
) -> TrendOut:
    chosen = get_preset(preset)
    period = _period(rt, from_month, to_month, None, None)
    points = service.trend(db, actor=actor, period=period, preset=chosen, unit_id=unit_id)
    return TrendOut(unit_id=unit_id, preset=chosen.code, points=[
        TrendPointOut(month=p.month, score=p.score, figures=[present.figure_out(f) for f in p.figures.values()])
        for p in points])


@router.get("/units/{unit_id}/drill", response_model=Page[DrillRowOut],
            summary="指标明细：分子或分母背后的工单（单位编号 0 为中心）")
def drill(
    unit_id: int, indicator: Indicator, db: DB, rt: RT, actor: ApiActor,
    part: Annotated[str, Query(pattern="^(num|den)$")] = "den", from_month: Month = None, to_month: Month = None,
    start: date | None = None, end: date | None = None, page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Page[DrillRowOut]:
    period = _period(rt, from_month, to_month, start, end)
    rows, total = service.drill(db, actor=actor, unit_id=unit_id, indicator=indicator, period=period, part=part,
                                page=page, page_size=page_size)
    return Page(items=[DrillRowOut(**r.__dict__) for r in rows], total=total, page=page, page_size=page_size)


@router.get("/units/{unit_id}/drill.xlsx", summary="指标明细导出 Excel")
def drill_xlsx(
    unit_id: int, indicator: Indicator, db: DB, rt: RT, actor: ApiActor,
    part: Annotated[str, Query(pattern="^(num|den)$")] = "den", from_month: Month = None, to_month: Month = None,
    start: date | None = None, end: date | None = None,
) -> Response:
    period = _period(rt, from_month, to_month, start, end)
    rows, total = service.drill(db, actor=actor, unit_id=unit_id, indicator=indicator, period=period, part=part,
                                 page=1, page_size=service.MAX_DRILL_ROWS)
    label = INDICATORS[indicator].label + ("分子" if part == "num" else "分母")
    service.record_export(db, rt, actor=actor, what=f"drill {unit_id} {indicator} {part}", rows=len(rows))
    return _xlsx(export.drill_workbook(rows, title=label, total=total), f"{label}明细-{period.start}-{period.end}.xlsx")


@router.get("/exemptions", response_model=Page[ExemptionOut], summary="考核豁免申请列表")
def list_exemptions(
    db: DB, actor: ApiActor, status: StatusFilter | None = None,
    page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Page[ExemptionOut]:
    # "all", as the page's 全部 tab says it, or none given: every status
    chosen = None if status in (None, "all") else ExemptionStatus(status)
    rows, total = service.list_exemptions(db, actor=actor, status=chosen, page=page, page_size=page_size)
    return Page(items=[present.exemption_out(v) for v in rows], total=total, page=page, page_size=page_size)


@router.post("/exemptions", status_code=201, response_model=ExemptionOut, summary="申请考核豁免")
def request_exemption(data: ExemptionIn, db: DB, rt: RT, actor: ApiActor) -> ExemptionOut:
    row = service.request_exemption(db, rt, actor=actor, kind=data.kind, reason=data.reason,
                                    ticket_id=data.ticket_id, number=data.number)
    return present.exemption_out(service.get_exemption(db, actor=actor, exemption_id=row.id))


@router.get("/exemptions/{exemption_id}", response_model=ExemptionOut, summary="一份豁免申请")
def get_exemption(exemption_id: int, db: DB, actor: ApiActor) -> ExemptionOut:
    return present.exemption_out(service.get_exemption(db, actor=actor, exemption_id=exemption_id))


@router.post("/exemptions/{exemption_id}/approve", response_model=ExemptionOut, summary="批准考核豁免（督办员）")
def approve(exemption_id: int, data: DecisionIn, db: DB, rt: RT, actor: ApiActor) -> ExemptionOut:
    service.decide_exemption(db, rt, actor=actor, exemption_id=exemption_id, approve=True, reason=data.reason)
    return present.exemption_out(service.get_exemption(db, actor=actor, exemption_id=exemption_id))


@router.post("/exemptions/{exemption_id}/refuse", response_model=ExemptionOut, summary="不予豁免（督办员）")
def refuse(exemption_id: int, data: DecisionIn, db: DB, rt: RT, actor: ApiActor) -> ExemptionOut:
    service.decide_exemption(db, rt, actor=actor, exemption_id=exemption_id, approve=False, reason=data.reason)
    return present.exemption_out(service.get_exemption(db, actor=actor, exemption_id=exemption_id))


@router.post("/exemptions/{exemption_id}/revoke", response_model=ExemptionOut,
             summary="撤销已批准的考核豁免（督办员、管理员）")
def revoke(exemption_id: int, data: DecisionIn, db: DB, rt: RT, actor: ApiActor) -> ExemptionOut:
    service.revoke_exemption(db, rt, actor=actor, exemption_id=exemption_id, reason=data.reason)
    return present.exemption_out(service.get_exemption(db, actor=actor, exemption_id=exemption_id))


@router.get("/dashboard", response_model=DashboardOut, summary="领导看板的头条数字")
def dashboard(db: DB, rt: RT, actor: ApiActor, preset: str | None = None) -> DashboardOut:
    d = service.dashboard(db, rt, actor=actor, preset=get_preset(preset))
    return DashboardOut(today_intake=d.today_intake, open=d.open, overdue=d.overdue, month=present.period_out(d.month),
                        three_rates=[present.figure_out(f) for f in d.three_rates.values()],
                        direct_answer=present.figure_out(d.direct_answer),
                        top=[present.unit_out(u) for u in d.top], bottom=[present.unit_out(u) for u in d.bottom],
                        facts_as_of=d.facts_as_of, pending_events=d.pending_events, min_rounds=d.min_rounds)


@router.post("/refresh", response_model=RefreshOut, summary="更新考核汇总数据（管理员、督办员）")
def refresh(db: DB, rt: RT, actor: ApiActor) -> RefreshOut:
    if actor.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise Forbidden("role_forbidden", "只有系统管理员和督办员可以更新考核汇总")
    result = facts.refresh(db, now=rt.clock.now(), settle=facts.DEFAULT_SETTLE)
    return RefreshOut(events=result.events, batches=result.batches, last_event_id=result.last_event_id)
