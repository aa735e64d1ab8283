"""Supervision orders as an Excel workbook for officials."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hotline.clock import to_local
from hotline.supervision.enums import ORDER_SOURCE_LABELS, ORDER_STATUS_LABELS, OrderSource, OrderStatus
from hotline.supervision.schemas import OrderOut
from hotline.tickets.enums import STATE_LABELS, State

COLUMNS: list[tuple[str, int]] = [
    ("督办单号", 12), ("工单编号", 20), ("诉求标题", 34), ("工单状态", 12), ("被督办单位", 18), ("来源", 12),
    ("督办状态", 10), ("级别", 6), ("督办事由", 40), ("下达时间", 17), ("督办时限", 17), ("是否逾期", 8),
    ("办结时间", 17), ("办结人", 14), ("督办结果", 40),
]


def _local(value: object) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""  # type: ignore[arg-type]


def orders_workbook(rows: list[OrderOut]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "督办单"
    ws.append([name for name, _ in COLUMNS])
    fill = PatternFill("solid", fgColor="1B57A6")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
    for o in rows:
        ws.append([
            o.number, o.ticket_number, o.ticket_title, STATE_LABELS[State(o.ticket_state)], o.unit_name,
            ORDER_SOURCE_LABELS[OrderSource(o.source)], ORDER_STATUS_LABELS[OrderStatus(o.status)], o.level, o.reason,
            _local(o.issued_at), _local(o.due_at), "是" if o.overdue else "", _local(o.closed_at),
            o.closed_by_name or "", o.outcome or "",
        ])
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = "督办单"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
