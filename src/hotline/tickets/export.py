"""Ticket lists as Excel workbooks for officials: the same rows and masking as the lists on screen; times
as Excel dates (China time), so that a column sorts, filters and subtracts."""

from __future__ import annotations

from collections.abc import Mapping

from hotline.excel import local_datetime, table_workbook, truncation_row
from hotline.tickets.enums import SATISFACTION_LABELS, Satisfaction
from hotline.tickets.schemas import TicketSummary

MAX_ROWS = 10_000
COLUMNS: list[tuple[str, int]] = [
    ("工单编号", 20), ("状态", 12), ("诉求类型", 9), ("诉求分类", 34), ("诉求标题", 36), ("诉求人", 10),
    ("联系电话", 15), ("属地", 14), ("主办单位", 18), ("受理时间", 17), ("办理时限", 17), ("时限状态", 10),
    ("剩余/超期", 16), ("签收时限", 17), ("签收时间", 17), ("是否签收超时", 13), ("一企来", 7),
    ("公众评价", 10),
]
YES_NO = {True: "是", False: "否", None: ""}


def tickets_workbook(rows: list[TicketSummary], *, title: str, total: int | None = None,
                     ack_late: Mapping[int, bool | None] | None = None) -> bytes:
    """The rows as a sheet; with `total` beyond them, a last row says the list was cut at the limit.
    `ack_late` is 是否签收超时 by ticket id (present.ack_late)."""
    late = ack_late or {}
    lines = [[t.number, t.state_label, t.kind_label, t.category_name, t.title, t.requester_name or "",
              t.requester_phone or "", t.jurisdiction or "", t.lead_unit or "", local_datetime(t.created_at),
              local_datetime(t.due_at), t.deadline_label, t.remaining, local_datetime(t.ack_due_at),
              local_datetime(t.acknowledged_at), YES_NO[late.get(t.id)], "是" if t.is_enterprise else "",
              SATISFACTION_LABELS[Satisfaction(t.public_rating)] if t.public_rating else ""]
             for t in rows]
    if cut := truncation_row(len(rows), total or len(rows)):
        lines.append(cut)
    return table_workbook(sheet="工单", title=title, columns=COLUMNS, rows=lines)
