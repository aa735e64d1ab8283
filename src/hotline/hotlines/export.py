"""The registry as an Excel workbook for officials (归并清单导出)."""

from __future__ import annotations

from hotline.excel import table_workbook
from hotline.hotlines.schemas import LineOut

MAX_ROWS = 10_000
COLUMNS: list[tuple[str, int]] = [
    ("城市", 8), ("号码", 9), ("名称", 40), ("类别", 12), ("归并方式", 12), ("状态", 8), ("座席安排", 14),
    ("责任单位", 26), ("过渡期开始", 12), ("过渡期结束", 12), ("过渡期语音提示", 40), ("批准文号", 20),
    ("依据文件", 22), ("备注", 30),
]


def registry_workbook(rows: list[LineOut], *, title: str) -> bytes:
    return table_workbook(sheet="热线归并清单", title=title, columns=COLUMNS, rows=(
        [x.city, x.number, x.name, x.kind_label, x.mode_label, x.status_label, x.seats_label, x.owner_name or "",
         x.transition_start.isoformat() if x.transition_start else "",
         x.transition_end.isoformat() if x.transition_end else "", x.transition_prompt or "",
         x.approval_document or "", x.source or "", x.note or ""]
        for x in rows))
