"""Supervision orders as an Excel workbook for officials."""

from __future__ import annotations

from hotline.excel import local_minute, table_workbook, truncation_row
from hotline.supervision.enums import ORDER_SOURCE_LABELS, ORDER_STATUS_LABELS, OrderSource, OrderStatus
from hotline.supervision.schemas import OrderOut
from hotline.tickets.enums import STATE_LABELS, State

COLUMNS: list[tuple[str, int]] = [
    ("督办单号", 12), ("工单编号", 20), ("诉求标题", 34), ("工单状态", 12), ("被督办单位", 18), ("来源", 12),
    ("督办状态", 10), ("级别", 6), ("督办事由", 40), ("下达时间", 17), ("督办时限", 17), ("是否逾期", 8),
    ("办结时间", 17), ("办结人", 14), ("督办结果", 40),
]


def orders_workbook(rows: list[OrderOut], *, total: int | None = None) -> bytes:
    lines: list[list[object]] = [
        [o.number, o.ticket_number, o.ticket_title, STATE_LABELS[State(o.ticket_state)], o.unit_name,
         ORDER_SOURCE_LABELS[OrderSource(o.source)], ORDER_STATUS_LABELS[OrderStatus(o.status)], o.level, o.reason,
         local_minute(o.issued_at), local_minute(o.due_at), "是" if o.overdue else "否", local_minute(o.closed_at),
         o.closed_by_name or "", o.outcome or ""]
        for o in rows]
    if cut := truncation_row(len(rows), total or len(rows)):  # cut at the export's limit: say so
        lines.append(cut)
    return table_workbook(sheet="督办单", title="督办单", columns=COLUMNS, rows=lines)
