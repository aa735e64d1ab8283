"""The seat-planning API: a thin router — parse, call the service, answer."""

from __future__ import annotations

import math
from dataclasses import asdict

from fastapi import APIRouter

from hotline.deps import DB, RT, ApiActor
from hotline.errors_http import route_labels
from hotline.workforce import service
from hotline.workforce.errors import PlanInputError
from hotline.workforce.forecast import Interval
from hotline.workforce.plan import Targets
from hotline.workforce.schemas import CompareOut, JilinOut, PlanIn, PlanOut, RowOut, SimOut
from hotline.workforce.simulate import SimConfig

router = APIRouter(prefix="/api/v1/workforce", tags=["workforce"])
# Validation errors name the fields in Chinese (QA: "aht须为数字", "target_sl须为数字").
route_labels(router.prefix, {
    "intervals": "预测时段", "label": "时段名称", "calls": "来电量", "source": "预测来源",
    "history_weeks": "历史周数", "demo_calls": "示例周来电量", "aht": "平均处理时长（秒）",
    "target_sl": "服务水平目标", "within": "服务水平时限（秒）", "target_answer": "接通率目标",
    "patience": "平均耐心时长（秒）", "shrinkage": "缺勤与辅助时间占比", "interval_minutes": "时段长度（分钟）",
    "min_seats": "最少座席数", "operator_hours_per_week": "话务员每周工时", "population": "服务人口",
    "simulate": "仿真校核", "patience_cv": "耐心时长变异系数", "talk": "通话时长分布", "talk_cv": "通话时长变异系数",
    "replications": "仿真次数", "seed": "随机种子"},
    choices={"source": {"demo": "示例数据", "history": "历史话务"},
             "talk": {"exponential": "指数分布", "lognormal": "对数正态分布"},
             "patience": {"exponential": "指数分布", "lognormal": "对数正态分布", "none": "不挂机"}})


@router.post("/plan", response_model=PlanOut, summary="座席测算（Erlang C，可选仿真校核）")
def plan(data: PlanIn, db: DB, rt: RT, actor: ApiActor) -> PlanOut:
    service.ensure_may_plan(actor)
    if data.intervals is not None:
        fc = service.Forecast([Interval(i.label, i.calls) for i in data.intervals], "given", "上传的预测")
    else:
        if data.interval_minutes != 30:  # QA: 7 read the demo week's half-hours as 7 minutes: 4× the seats
            raise PlanInputError("示例周和历史记录按半小时给出来电量：时段长度（分钟）须为 30；"
                                 "其他时段长度请在 intervals 中给出该长度的预测", "interval_mismatch")
        fc = service.forecast(db, rt, source=data.source or "demo", weeks=data.history_weeks,
                              demo_calls=data.demo_calls)
    patience = math.inf if data.patience is None else data.patience
    targets = Targets(aht=data.aht, target_sl=data.target_sl, within=data.within, target_answer=data.target_answer,
                      patience=patience, shrinkage=data.shrinkage, interval_minutes=data.interval_minutes,
                      min_seats=data.min_seats, operator_hours_per_week=data.operator_hours_per_week,
                      population=data.population)
    sim_cfg = None
    if data.simulate is not None:
        s = data.simulate
        kind = s.patience or ("none" if math.isinf(patience) else "exponential")
        sim_cfg = SimConfig(patience=kind, patience_mean=120.0 if math.isinf(patience) else patience,
                            patience_cv=s.patience_cv, talk=s.talk, talk_cv=s.talk_cv, replications=s.replications,
                            seed=s.seed)
    out = service.run(fc.intervals, targets, sim=sim_cfg)
    p, sim = out.plan, out.simulation
    return PlanOut(
        source=fc.source, note=fc.note, intervals=len(p.rows), total_calls=p.total_calls, peak_seats=p.peak_seats,
        seat_hours=p.seat_hours, staff_hours=p.staff_hours, operators=p.operators, operators_note=p.operators_note,
        service_level=p.service_level,
        answer_rate=p.answer_rate, jilin=JilinOut(**asdict(p.jilin)) if p.jilin else None,
        rows=[RowOut(**asdict(r)) for r in p.rows],
        simulation=SimOut(offered=sim.offered, answered=sim.answered, abandoned=sim.abandoned,
                          answer_rate=sim.answer_rate, service_level=sim.service_level,
                          optimistic_intervals=len(sim.optimistic_rows),
                          rows=[CompareOut(**asdict(c)) for c in sim.rows]) if sim else None,
    )
