"""Excel workbooks for officials: the ranking of a period and the tickets behind one figure."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hotline.assessment.indicators import INDICATORS, UNIT_INDICATORS
from hotline.assessment.scoring import Preset
from hotline.assessment.service import DrillRow, Period, UnitScore
from hotline.clock import to_local
from hotline.excel import Rate, text_row, truncation_row
from hotline.tickets.enums import ACTION_LABELS, STATE_LABELS

HEADER_FILL = PatternFill("solid", fgColor="1B57A6")


def _sheet(wb: Workbook, title: str, header: list[str], widths: list[int]) -> Any:
    ws = wb.active
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _bytes(wb: Workbook) -> bytes:
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def ranking_workbook(rows: list[UnitScore], *, period: Period, preset: Preset, min_volume: int) -> bytes:
    wb = Workbook()
    header = ["排名", "承办单位", "综合得分", "派单轮次"]
    for ind in UNIT_INDICATORS:
        label = INDICATORS[ind].label
        header += [label, f"{label}分子", f"{label}分母"]
    ws = _sheet(wb, "考核排名", header, [6, 20, 10, 10] + [10, 9, 9] * len(UNIT_INDICATORS))
    for r in rows:
        rank = "样本不足" if r.too_few else r.rank or ""
        line: list[Any] = [rank, r.unit_name, r.score if r.score is not None else "", r.volume]
        for ind in UNIT_INDICATORS:
            f = r.figures[str(ind)]
            # a number shown in per cent, as every export writes rates (QA: 87.5 here, 0.875 elsewhere)
            line += [Rate(f.rate) if f.rate is not None else "", f.num, f.den]
        ws.append(text_row(ws, line))
    ws.auto_filter.ref = ws.dimensions
    info = wb.create_sheet("说明")
    info.append(["统计周期", period.label])
    info.append(["考核方案", preset.name])
    info.append(["说明", preset.description])
    info.append(["权重", "；".join(f"{INDICATORS[w.indicator].label} {w.weight:g}" for w in preset.weights)])
    info.append(["比率", "以百分比显示（单元格为数值，可计算）；回退率、重办率越低越好"])
    if min_volume:
        info.append(["样本不足", f"本期派单轮次少于 {min_volume} 轮的单位列出指标，但不参与排名"])
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 90
    wb.properties.title = f"考核排名 {period.label}"
    return _bytes(wb)


def drill_workbook(rows: list[DrillRow], *, title: str, total: int | None = None) -> bytes:
    wb = Workbook()
    ws = _sheet(wb, "明细", ["工单编号", "诉求标题", "当前状态", "计入日期", "依据事件", "事件时间", "分子", "分母"],
                [20, 40, 12, 12, 12, 17, 6, 6])
    for r in rows:
        ws.append(text_row(ws, [r.number, r.title, STATE_LABELS.get(r.state, r.state),  # type: ignore[call-overload]
                                r.day.isoformat(), ACTION_LABELS.get(r.action, r.action),  # type: ignore[call-overload]
                                to_local(r.at).strftime("%Y-%m-%d %H:%M"), r.num, r.den]))  # a title: text
    if cut := truncation_row(len(rows), total or len(rows)):
        ws.append(cut)
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = title
    return _bytes(wb)
