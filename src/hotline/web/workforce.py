"""The seat-planning page (座席测算): a form for the targets and the forecast (demo week, history,
or a pasted / uploaded CSV), the plan as a chart and tables, the simulation beside Erlang C, and
the same plan as Excel. Every rule lives in hotline.workforce; this page parses and shows."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from hotline.deps import DB, RT
from hotline.errors import DomainError
from hotline.runtime import Runtime
from hotline.web.render import render
from hotline.web.session import CheckedForm, Viewer, viewer_for
from hotline.workforce import service
from hotline.workforce.chart import plan_svg
from hotline.workforce.export import workbook
from hotline.workforce.forecast import SLOTS_PER_DAY, decode_csv, read_csv
from hotline.workforce.plan import Plan, Targets
from hotline.workforce.simulate import SimConfig

router = APIRouter()
WorkforceViewer = Annotated[Viewer, Depends(viewer_for("workforce"))]
DEFAULTS = {"source": "demo", "aht": "240", "target_sl": "0.8", "within": "15", "target_answer": "0.95",
            "patience": "120", "shrinkage": "0.3", "population": "9314685", "demo_calls": "12000", "weeks": "8",
            "simulate": "", "csv": ""}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _values(source: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(source.get(k, v) if source.get(k) is not None else v).strip() for k, v in DEFAULTS.items()}


SHARES = frozenset({"target_sl", "target_answer", "shrinkage"})  # the page shows these as 80.0%


def _number(values: dict[str, str], key: str, label: str) -> float:
    raw, scale = values[key], 1.0
    if key in SHARES and raw.endswith(("%", "％")):  # QA: "80%" was refused as not a number
        raw, scale = raw[:-1].strip(), 0.01
    try:
        value = float(raw) * scale
    except ValueError:
        raise DomainError("bad_number", f"{label}须为数字") from None
    if math.isnan(value) or math.isinf(value):
        raise DomainError("bad_number", f"{label}须为数字")
    return value


def _targets(v: dict[str, str]) -> Targets:
    population = _number(v, "population", "常住人口") if v["population"] else None
    patience = _number(v, "patience", "平均耐心时长")
    return Targets(aht=_number(v, "aht", "平均处理时长"), target_sl=_number(v, "target_sl", "服务水平目标"),
                   within=_number(v, "within", "接通时限"), target_answer=_number(v, "target_answer", "接通率目标"),
                   patience=math.inf if patience == 0 else patience, shrinkage=_number(v, "shrinkage", "缺勤折算率"),
                   population=population)


def _forecast(db: Session, rt: Runtime, v: dict[str, str]) -> service.Forecast:
    if v["source"] == "csv":
        if not v["csv"]:
            raise DomainError("empty_forecast", "请粘贴或上传预测 CSV（每行：时段,来电量）")
        return service.Forecast(read_csv(v["csv"]), "given", "上传的预测")
    # only the field the chosen source uses (QA: an emptied 历史周数 stopped a demo-week plan)
    if v["source"] == "history":
        return service.forecast(db, rt, source="history", weeks=int(_number(v, "weeks", "历史周数")))
    if v["source"] == "demo":
        return service.forecast(db, rt, source="demo", demo_calls=_number(v, "demo_calls", "示例周来电量"))
    return service.forecast(db, rt, source=v["source"])


def _by_day(plan: Plan) -> list[dict[str, Any]]:
    days = []
    per_day = SLOTS_PER_DAY * 30 // plan.targets.interval_minutes
    for start in range(0, len(plan.rows), per_day):
        rows = plan.rows[start:start + per_day]
        calls = sum(r.calls for r in rows)
        days.append({"label": rows[0].label.split(" ")[0], "calls": calls, "peak": max(r.seats for r in rows),
                     "seat_hours": sum(r.seats for r in rows) * plan.targets.interval_minutes / 60,
                     "sl": sum(r.service_level * r.calls for r in rows) / calls if calls else 1.0})
    return days


def _page(request: Request, db: Session, rt: Runtime, viewer: Viewer, values: dict[str, str], *,
          compute: bool) -> HTMLResponse:
    context: dict[str, Any] = {"values": values, "errors": [], "plan": None}
    if compute:
        try:
            fc = _forecast(db, rt, values)
            # by value, as the plan reads it (QA: "0.00" planned for nobody hanging up, simulated 120 s)
            patience = _number(values, "patience", "平均耐心时长")
            sim = SimConfig(patience="none" if patience == 0 else "exponential", patience_mean=patience or 120.0) \
                if values["simulate"] else None
            out = service.run(fc.intervals, _targets(values), sim=sim)
        except DomainError as exc:
            context["errors"] = [exc.message]
            return render(request, "workforce.html", viewer=viewer, status_code=exc.status_code, **context)
        context.update(plan=out.plan, sim=out.simulation, forecast=fc, chart=plan_svg(out.plan),
                       days=_by_day(out.plan), source_label=service.SOURCE_LABELS.get(fc.source, fc.source))
    return render(request, "workforce.html", viewer=viewer, **context)


@router.get("/workforce")
def page(request: Request, db: DB, rt: RT, viewer: WorkforceViewer) -> HTMLResponse:
    q = request.query_params
    return _page(request, db, rt, viewer, _values(q), compute="aht" in q or not q)


@router.post("/workforce")
async def page_post(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: WorkforceViewer) -> HTMLResponse:
    """A pasted or uploaded CSV forecast (too long for a link)."""
    values = _values({k: v for k, v in form.items() if isinstance(v, str)})
    upload = form.get("file")
    if upload is not None and not isinstance(upload, str) and upload.filename:
        raw = await upload.read(2_000_001)
        if len(raw) > 2_000_000:
            values["csv"] = ""
            return render(request, "workforce.html", viewer=viewer, status_code=413, values=values, plan=None,
                          errors=["预测文件过大（上限 2 MB）"])
        values["csv"] = decode_csv(raw)
    values["source"] = "csv"
    return _page(request, db, rt, viewer, values, compute=True)


@router.get("/workforce/plan.xlsx", response_model=None)
def export(request: Request, db: DB, rt: RT, viewer: WorkforceViewer) -> Response:
    return _export(request, db, rt, viewer, _values(request.query_params))


@router.post("/workforce/plan.xlsx", response_model=None)
def export_posted(request: Request, form: CheckedForm, db: DB, rt: RT, viewer: WorkforceViewer) -> Response:
    """The Excel of a plan from a pasted or uploaded CSV: the forecast is too long for a link (QA: the
    link of such a plan had no query and exported the demo week with the default targets)."""
    values = _values({k: v for k, v in form.items() if isinstance(v, str)})
    values["source"] = "csv"
    return _export(request, db, rt, viewer, values)


def _export(request: Request, db: Session, rt: Runtime, viewer: Viewer, values: dict[str, str]) -> Response:
    try:
        out = service.run(_forecast(db, rt, values).intervals, _targets(values))
    except DomainError as exc:
        return render(request, "workforce.html", viewer=viewer, status_code=exc.status_code, values=values, plan=None,
                      errors=[exc.message])
    return Response(workbook(out.plan), media_type=XLSX,
                    headers={"Content-Disposition": "attachment; filename=seat-plan.xlsx"})
