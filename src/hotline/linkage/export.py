"""The 联动转办 list as an Excel workbook (no personal data: the ticket's number and title)."""

from __future__ import annotations

from hotline.excel import local_minute, table_workbook, truncation_row
from hotline.linkage.schemas import LinkageItem

COLUMNS: list[tuple[str, int]] = [
    ("方向", 6), ("联动平台", 26), ("平台号码", 10), ("对方工单编号", 18), ("工单编号", 20), ("诉求标题", 34),
    ("工单状态", 12), ("转办状态", 12), ("是否超时", 8), ("时限", 17),
    ("转办时间", 17), ("转出理由", 30), ("反馈时间", 17), ("反馈内容", 40),
]


def linkage_workbook(rows: list[LinkageItem], *, total: int) -> bytes:
    lines: list[list[object]] = [
        [r.direction_label, r.line_name, r.line_number, r.external_ref or "", r.ticket_number, r.ticket_title,
         r.ticket_state_label, r.status_label, "是" if r.overdue else "", local_minute(r.due_at),
         local_minute(r.sent_at), r.reason or "", local_minute(r.answered_at),
         r.answer or ""]
        for r in rows]
    if cut := truncation_row(len(rows), total):
        lines.append(cut)
    return table_workbook(sheet="联动转办", title="联动转办记录", columns=COLUMNS, rows=lines)
