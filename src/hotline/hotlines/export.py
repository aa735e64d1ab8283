"""The registry as an Excel workbook for officials (归并清单导出)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hotline.hotlines.schemas import LineOut

MAX_ROWS = 10_000
COLUMNS: list[tuple[str, int]] = [
    ("城市", 8), ("号码", 9), ("名称", 40), ("类别", 12), ("归并方式", 12), ("状态", 8), ("座席安排", 14),
    ("责任单位", 26), ("过渡期开始", 12), ("过渡期结束", 12), ("过渡期语音提示", 40), ("批准文号", 20),
    ("依据文件", 22), ("备注", 30),
]


def registry_workbook(rows: list[LineOut], *, title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "热线归并清单"
    ws.append([name for name, _ in COLUMNS])
    fill = PatternFill("solid", fgColor="1B57A6")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
    for x in rows:
        ws.append([
            x.city, x.number, x.name, x.kind_label, x.mode_label, x.status_label, x.seats_label, x.owner_name or "",
            x.transition_start.isoformat() if x.transition_start else "",
            x.transition_end.isoformat() if x.transition_end else "", x.transition_prompt or "",
            x.approval_document or "", x.source or "", x.note or "",
        ])
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = title
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
