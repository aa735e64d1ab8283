"""Ticket lists as Excel workbooks for officials: the same rows and masking as the lists on screen."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hotline.clock import to_local
from hotline.tickets.schemas import TicketSummary

MAX_ROWS = 10_000
COLUMNS: list[tuple[str, int]] = [
    ("工单编号", 20), ("状态", 12), ("诉求类型", 9), ("诉求分类", 34), ("诉求标题", 36), ("诉求人", 10),
    ("联系电话", 15), ("属地", 14), ("主办单位", 18), ("受理时间", 17), ("办理时限", 17), ("时限状态", 10),
    ("剩余/超期", 16), ("一企来", 7),
]


def _local(value: object) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""  # type: ignore[arg-type]


def tickets_workbook(rows: list[TicketSummary], *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "工单"
    ws.append([name for name, _ in COLUMNS])
    header_fill = PatternFill("solid", fgColor="1B57A6")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
    for t in rows:
        ws.append([
            t.number, t.state_label, t.kind_label, t.category_name, t.title, t.requester_name or "",
            t.requester_phone or "", t.jurisdiction or "", t.lead_unit or "", _local(t.created_at), _local(t.due_at),
            t.deadline_label, t.remaining, "是" if t.is_enterprise else "",
        ])
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = title
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
