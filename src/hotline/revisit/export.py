"""The 回头看 list as an Excel workbook (the requester masked, as in every list)."""

from __future__ import annotations

from hotline.excel import local_minute, table_workbook, truncation_row
from hotline.revisit.schemas import RevisitItem

COLUMNS: list[tuple[str, int]] = [
    ("工单编号", 20), ("诉求标题", 34), ("诉求类型", 8), ("属地", 14), ("主办单位", 18), ("重办次数", 8),
    ("回访时间", 17), ("是否解决", 8), ("满意度", 10), ("研判结论", 24), ("研判意见", 40), ("研判人", 12),
    ("研判时间", 17),
]


def revisit_workbook(rows: list[RevisitItem], *, total: int) -> bytes:
    lines: list[list[object]] = [
        [r.number, r.title, r.kind_label, r.jurisdiction or "", r.lead_unit or "", r.reopen_count,
         local_minute(r.finished_at), {True: "已解决", False: "未解决"}.get(r.solved, "—"), r.satisfaction_label or "—",
         r.conclusion_label or "未研判", r.opinion or "", r.reviewer_name or "", local_minute(r.reviewed_at)]
        for r in rows]
    if cut := truncation_row(len(rows), total):
        lines.append(cut)
    return table_workbook(sheet="回头看", title="不满意诉求回头看", columns=COLUMNS, rows=lines)
