"""Assessment pages: the ranking with preset and period pickers, a unit's figures and the tickets
behind each one, the exemptions queue, and the leaders' dashboard. Figures come from the fact table."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from hotline.assessment import export, service
from hotline.assessment.indicators import (
    EXEMPTION_EFFECTS,
    EXEMPTION_LABELS,
    EXEMPTION_STATUS_LABELS,
    INDICATORS,
    ExemptionKind,
    ExemptionStatus,
    Indicator,
)
from hotline.assessment.models import CENTRE_KEY
from hotline.assessment.scoring import get_preset, presets
from hotline.clock import to_local
from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.ratings import service as ratings
from hotline.reports.period import period_containing
from hotline.security.roles import Role
from hotline.tickets.enums import ACTION_LABELS
from hotline.web.forms import text
from hotline.web.paging import page_number, pager
from hotline.web.render import flash, redirect, render
from hotline.web.session import CheckedForm, Viewer, viewer_for

router = APIRouter()
RankingViewer = Annotated[Viewer, Depends(viewer_for("assessment"))]
ExemptionViewer = Annotated[Viewer, Depends(viewer_for("exemptions"))]
DashboardViewer = Annotated[Viewer, Depends(viewer_for("dashboard"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TREND_MONTHS = 12


def sparkline(values: list[float | None], *, width: int = 120, height: int = 28) -> Markup:
    """An inline SVG line of 0–100 scores; gaps where a month has no score."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return Markup('<span class="muted">—</span>')
    step = width / max(len(values) - 1, 1)
    coords = [(round(i * step, 1), round(height - 2 - (v / 100) * (height - 4), 1)) for i, v in points]
    path = " ".join(f"{x},{y}" for x, y in coords)
    last_x, last_y = coords[-1]
    label = "，".join(f"{v:.1f}" for _, v in points)
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="近{len(values)}个月得分：{label}"><polyline fill="none" stroke="#2f6db3" stroke-width="1.5" '
        f'points="{path}"/><circle cx="{last_x}" cy="{last_y}" r="2.2" fill="#2f6db3"/></svg>'
    )


def _params(request: Request) -> tuple[service.Period, str, dict[str, str]]:
    q = request.query_params
    from_month, to_month = q.get("from") or None, q.get("to") or None
    preset = get_preset(q.get("preset") or None)
    period = service.make_period(now=request.app.state.runtime.clock.now(), from_month=from_month,
                                 to_month=to_month)
    keep = {"from": f"{period.start:%Y-%m}", "to": f"{period.end:%Y-%m}", "preset": preset.code}
    return period, preset.code, keep


def _common(keep: dict[str, str]) -> dict[str, Any]:
    return {"presets": list(presets().values()), "keep": keep, "qs": urlencode(keep)}


@router.get("/assessment", response_model=None)
def ranking_page(request: Request, db: DB, viewer: RankingViewer) -> HTMLResponse | RedirectResponse:
    period, preset_code, keep = _params(request)
    if viewer.role == Role.UNIT_MANAGER:
        return redirect(f"/assessment/units/{viewer.actor.unit_id}?{urlencode(keep)}")
    preset = get_preset(preset_code)
    min_rounds = request.app.state.runtime.settings.assessment_min_rounds
    rows = service.ranking(db, actor=viewer.actor, period=period, preset=preset, trend_months=TREND_MONTHS,
                           min_volume=min_rounds)
    centre = service.centre_figures(db, period=period)
    weights = {str(w.indicator) for w in preset.weights}
    return render(request, "assessment.html", viewer=viewer, period=period, preset=preset, rows=rows,
                  centre=centre[str(Indicator.DIRECT_ANSWER)], sparkline=sparkline, weights=weights,
                  columns=[INDICATORS[i] for i in INDICATORS if INDICATORS[i].scope == "unit"],
                  centre_key=CENTRE_KEY, min_rounds=min_rounds, **_common(keep))


@router.get("/assessment/export.xlsx")
def ranking_export(request: Request, db: DB, rt: RT, viewer: RankingViewer) -> Response:
    period, preset_code, _keep = _params(request)
    preset = get_preset(preset_code)
    rows = service.ranking(db, actor=viewer.actor, period=period, preset=preset,
                           min_volume=rt.settings.assessment_min_rounds)
    service.record_export(db, rt, actor=viewer.actor, what=f"ranking {period.start}~{period.end}", rows=len(rows))
    name = f"考核排名-{period.start:%Y%m}-{period.end:%Y%m}.xlsx"
    body = export.ranking_workbook(rows, period=period, preset=preset, min_volume=rt.settings.assessment_min_rounds)
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/assessment/units/{unit_id}")
def unit_page(unit_id: int, request: Request, db: DB, viewer: RankingViewer) -> HTMLResponse:
    period, preset_code, keep = _params(request)
    preset = get_preset(preset_code)
    min_rounds = request.app.state.runtime.settings.assessment_min_rounds
    figures = service.unit_figures(db, actor=viewer.actor, unit_id=unit_id, period=period, preset=preset,
                                   min_volume=min_rounds)
    last = period.end.replace(day=1)
    trend_period = service.Period(service.add_months(last, -(TREND_MONTHS - 1)), period.end)
    points = service.trend(db, actor=viewer.actor, period=trend_period, preset=preset, unit_id=unit_id)
    first = next((i for i, p in enumerate(points) if p.score is not None), len(points))
    points = points[first:]  # months before the unit's first figures say nothing (QA: nine empty rows)
    return render(request, "assessment_unit.html", viewer=viewer, period=period, preset=preset, unit=figures,
                  points=points, spark=sparkline([p.score for p in points], width=240, height=40),
                  min_rounds=min_rounds, weights={str(w.indicator): w.weight for w in preset.weights},
                  infos=INDICATORS, **_common(keep))


def _drill_args(request: Request) -> tuple[Indicator, str]:
    try:
        indicator = Indicator(request.query_params.get("indicator") or "")
    except ValueError as exc:
        raise DomainError("indicator_invalid", "请选择要查看的指标", status_code=422) from exc
    part = request.query_params.get("part") or "den"
    return indicator, part


@router.get("/assessment/units/{unit_id}/drill")
def drill_page(unit_id: int, request: Request, db: DB, viewer: RankingViewer) -> HTMLResponse:
    period, _preset, keep = _params(request)
    indicator, part = _drill_args(request)
    page = page_number(request.query_params)
    rows, total = service.drill(db, actor=viewer.actor, unit_id=unit_id, indicator=indicator, period=period,
                                part=part, page=page)
    name = "12345热线中心" if unit_id == CENTRE_KEY else service.unit_names(db, [unit_id]).get(unit_id, "")
    info = INDICATORS[indicator]
    keep_all = {**keep, "indicator": str(indicator), "part": part}
    return render(request, "assessment_drill.html", viewer=viewer, period=period, rows=rows, info=info,
                  part=part, unit_id=unit_id, unit_name=name, action_labels=ACTION_LABELS,
                  pager=pager(request.query_params, f"/assessment/units/{unit_id}/drill", total, page=page),
                  drill_qs=urlencode(keep_all), centre_key=CENTRE_KEY, **_common(keep))


@router.get("/assessment/units/{unit_id}/drill.xlsx")
def drill_export(unit_id: int, request: Request, db: DB, rt: RT, viewer: RankingViewer) -> Response:
    period, _preset, _keep = _params(request)
    indicator, part = _drill_args(request)
    rows, total = service.drill(db, actor=viewer.actor, unit_id=unit_id, indicator=indicator, period=period,
                                 part=part, page=1, page_size=service.MAX_DRILL_ROWS)
    label = INDICATORS[indicator].label + ("分子" if part == "num" else "分母")
    service.record_export(db, rt, actor=viewer.actor, what=f"drill {unit_id} {indicator} {part}", rows=len(rows))
    name = f"{label}明细-{period.start:%Y%m}-{period.end:%Y%m}.xlsx"
    return Response(export.drill_workbook(rows, title=label, total=total), media_type=XLSX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


# ---- exemptions ----------------------------------------------------------------------------------


def _exemptions_page(request: Request, db: DB, viewer: Viewer, *, errors: list[str] | None = None,
                     values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    status_value = request.query_params.get("status", "pending")
    status = ExemptionStatus(status_value) if status_value in {str(s) for s in ExemptionStatus} else None
    page = page_number(request.query_params)
    items, total = service.list_exemptions(db, actor=viewer.actor, status=status, page=page)
    kinds = [(str(k), EXEMPTION_LABELS[k], "、".join(INDICATORS[i].label for i in sorted(EXEMPTION_EFFECTS[k])))
             for k in ExemptionKind]
    tabs = [("pending", "待审核"), ("approved", "已批准"), ("refused", "未批准"), ("revoked", "已撤销"),
            ("all", "全部")]
    return render(request, "assessment_exemptions.html", viewer=viewer, status_code=status_code, items=items,
                  status=status_value, tabs=tabs, kinds=kinds, kind_labels=EXEMPTION_LABELS,
                  status_labels=EXEMPTION_STATUS_LABELS, infos=INDICATORS, errors=errors or [], values=values or {},
                  can_decide=viewer.role == Role.SUPERVISOR, can_request=viewer.role in service.REQUESTERS,
                  can_revoke=viewer.role in service.REVOKERS,
                  pager=pager(request.query_params, "/assessment/exemptions", total, page=page), local=to_local)


@router.get("/assessment/exemptions")
def exemptions_page(request: Request, db: DB, viewer: ExemptionViewer) -> HTMLResponse:
    return _exemptions_page(request, db, viewer)


@router.post("/assessment/exemptions", response_model=None)
def request_exemption(request: Request, form: CheckedForm, db: DB, rt: RT,
                      viewer: ExemptionViewer) -> HTMLResponse | RedirectResponse:
    values = {k: text(form, k) for k in ("number", "kind", "reason")}
    try:
        kind = ExemptionKind(values["kind"])
    except ValueError:
        return _exemptions_page(request, db, viewer, errors=["请选择豁免类型"], values=values, status_code=422)
    if not values["number"]:
        return _exemptions_page(request, db, viewer, errors=["请填写工单编号"], values=values, status_code=422)
    try:
        service.request_exemption(db, rt, actor=viewer.actor, kind=kind, reason=values["reason"],
                                  number=values["number"])
    except DomainError as exc:
        return _exemptions_page(request, db, viewer, errors=[exc.message], values=values, status_code=exc.status_code)
    flash(request, f"已提交工单 {values['number'].upper()} 的考核豁免申请，等待督办员审核")
    return redirect("/assessment/exemptions")


@router.post("/assessment/exemptions/{exemption_id}/decide", response_model=None)
def decide(exemption_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
           viewer: ExemptionViewer) -> RedirectResponse:
    approve = text(form, "decision") == "approve"
    try:
        service.decide_exemption(db, rt, actor=viewer.actor, exemption_id=exemption_id, approve=approve,
                                 reason=text(form, "reason"))
    except DomainError as exc:
        flash(request, exc.message, "error")
        return redirect("/assessment/exemptions")
    flash(request, "已批准豁免，相关指标已更新" if approve else "已决定不予豁免")
    return redirect("/assessment/exemptions")


@router.post("/assessment/exemptions/{exemption_id}/revoke", response_model=None)
def revoke(exemption_id: int, request: Request, form: CheckedForm, db: DB, rt: RT,
           viewer: ExemptionViewer) -> RedirectResponse:
    try:
        service.revoke_exemption(db, rt, actor=viewer.actor, exemption_id=exemption_id, reason=text(form, "reason"))
    except DomainError as exc:
        flash(request, exc.message, "error")
        return redirect("/assessment/exemptions?status=approved")
    flash(request, "已撤销该豁免，工单重新计入相关指标")
    return redirect("/assessment/exemptions?status=revoked")


# ---- the dashboard -------------------------------------------------------------------------------


@router.get("/dashboard")
def dashboard_page(request: Request, db: DB, rt: RT, viewer: DashboardViewer) -> HTMLResponse:
    preset = get_preset(request.query_params.get("preset") or None)
    d = service.dashboard(db, rt, actor=viewer.actor, preset=preset)
    # 好差评 beside the assessed rates, not among them: the public's own ratings of this month, in scope.
    month = period_containing(to_local(rt.clock.now()).date(), "month")
    rated = ratings.summary(db, actor=viewer.actor, start=month.start, end=month.end)
    return render(request, "dashboard.html", viewer=viewer, d=d, preset=preset, presets=list(presets().values()),
                  ratings=rated, ratings_url=f"/supervision/ratings?period={month.key}",
                  qs=urlencode({"from": f"{d.month.start:%Y-%m}", "to": f"{d.month.start:%Y-%m}",
                                "preset": preset.code}))
