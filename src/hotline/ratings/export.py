"""The 差评 list as an Excel workbook: one row per 差评, its newest follow-up and how many there were."""

from __future__ import annotations

from hotline.excel import local_minute, table_workbook, truncation_row
from hotline.ratings.schemas import BadRatingOut
from hotline.tickets.enums import STATE_LABELS, State

COLUMNS: list[tuple[str, int]] = [
    ("工单编号", 20), ("诉求标题", 34), ("工单状态", 10), ("评价", 10), ("评价内容", 40), ("评价时间", 17),
    ("承办单位", 18), ("核实情况", 14), ("核实说明", 40), ("核实人", 12), ("核实时间", 17), ("核实次数", 8),
]


def bad_ratings_workbook(rows: list[BadRatingOut], *, total: int) -> bytes:
    lines: list[list[object]] = []
    for r in rows:
        last = r.followups[-1] if r.followups else None
        lines.append([r.ticket_number, r.ticket_title, STATE_LABELS[State(r.ticket_state)], r.rating_label,
                      r.comment or "", local_minute(r.rated_at), r.unit_name or "",
                      last.conclusion_label if last else "待核实", last.note if last else "",
                      last.by_name if last else "", local_minute(last.at if last else None), len(r.followups)])
    if cut := truncation_row(len(rows), total):
        lines.append(cut)
    return table_workbook(sheet="差评", title="差评核实", columns=COLUMNS, rows=lines)
