"""The plan (and the simulation beside it) as an Excel workbook for the hall's managers."""

from __future__ import annotations

import math
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from hotline.excel import Rate, text_row
from hotline.workforce.plan import Plan
from hotline.workforce.simulate import SimResult


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[object]], *, first: bool = False) -> None:
    ws = wb.active if first else wb.create_sheet()
    assert ws is not None
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    # as text: a label from an uploaded CSV ("=HYPERLINK(…)") must not become a formula (QA); rates are
    # numbers shown in per cent (QA: 0.8 here beside the reports' and call figures' 80.0%)
    for row in rows:
        ws.append(text_row(ws, row))
    ws.freeze_panes = "A2"
    for col in ws.columns:
        widest = max(len(str(c.value or "")) for c in col)
        ws.column_dimensions[col[0].column_letter].width = max(10, min(24, 2 + widest))


def workbook(plan: Plan, sim: SimResult | None = None) -> bytes:
    t = plan.targets
    wb = Workbook()
    summary: list[list[object]] = [
        ["平均处理时长（秒）", t.aht], ["服务水平目标", Rate(t.target_sl)], ["接通时限（秒）", t.within],
        ["接通率目标", Rate(t.target_answer)],
        ["平均耐心时长（秒）", "不挂机" if math.isinf(t.patience) else t.patience], ["缺勤折算率", Rate(t.shrinkage)],
        ["时段数", len(plan.rows)], ["来电总量", round(plan.total_calls, 1)], ["峰值座席", plan.peak_seats],
        ["座席小时", round(plan.seat_hours, 1)], ["排班人时", round(plan.staff_hours, 1)],
        ["话务员人数（按每周工时）", plan.operators],
        ["测算服务水平（按来电加权）", Rate(round(plan.service_level, 4))],
        ["测算接通率（估计）", Rate(round(plan.answer_rate, 4))],
    ]
    if plan.operators_note:
        summary.append(["说明", plan.operators_note])
    if plan.jilin:
        summary += [["常住人口", plan.jilin.population], ["吉林标准座席（每百万人口15席）", plan.jilin.seats],
                    ["吉林标准话务员（每席3人）", plan.jilin.operators]]
    if sim:
        summary += [["仿真接通率", Rate(round(sim.answer_rate, 4))],
                    [f"仿真{t.within:g}秒接通率（占已接通）", Rate(round(sim.service_level, 4))],
                    ["Erlang C 偏乐观的时段数", len(sim.optimistic_rows)]]
    _sheet(wb, "汇总", ["项目", "数值"], summary, first=True)
    _sheet(wb, "分时段测算", ["时段", "来电量", "话务负荷（爱尔兰）", "座席", "排班人数", "等待概率", "服务水平",
                            "平均应答（秒）", "占用率", "接通率（估计）"],
           [[r.label, r.calls, round(r.load, 2), r.seats, round(r.staff, 1), Rate(round(r.erlang_c, 4)),
             Rate(round(r.service_level, 4)), round(r.asa, 1), Rate(round(r.occupancy, 4)),
             Rate(round(r.answer_rate, 4))]
            for r in plan.rows])
    if sim:
        _sheet(wb, "仿真对照", ["时段", "座席", "仿真来电", "ErlangC服务水平", "仿真服务水平", "ErlangC接通率",
                              "仿真接通率", "ErlangC平均应答", "仿真平均应答", "ErlangC偏乐观"],
               [[c.label, c.seats, round(c.offered, 1), Rate(round(c.erlang_sl, 4)), Rate(round(c.sim_sl, 4)),
                 Rate(round(c.erlang_answer, 4)), Rate(round(c.sim_answer, 4)), round(c.erlang_asa, 1),
                 round(c.sim_asa, 1),
                 "是" if c.optimistic else ""] for c in sim.rows])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
