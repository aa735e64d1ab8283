"""The maintenance report as Excel (the shared one-sheet helper): the units' figures with a totals
row, and one unit's articles."""

from __future__ import annotations

from collections.abc import Sequence

from hotline.excel import local_minute, table_workbook, truncation_row
from hotline.knowledge.enums import FLAG_LABELS, STATUS_LABELS
from hotline.knowledge.maintenance import EXPIRING_DAYS, ArticleFigures, Period, Report, UnitFigures

UNIT_COLUMNS: list[tuple[str, int]] = [
    ("单位", 20), ("条目合计", 9), ("已发布", 8), ("待审核", 8), ("草稿", 8), ("已退回", 8), ("已失效", 8),
    ("已撤销", 8), ("在用", 8), (f"{EXPIRING_DAYS}天内到期", 11), ("已过期", 8), ("政策变化", 9),
    ("本期更新条目", 12), ("本期通过版本", 12), ("本期纠错", 9), ("本期答复纠错", 12), ("其中采纳", 9),
    ("待答复纠错", 10), ("最早待答复纠错", 17), ("本期接诉即答引用", 15), ("累计答复次数", 12),
]
ARTICLE_COLUMNS: list[tuple[str, int]] = [
    ("编号", 16), ("标题", 40), ("状态", 9), ("在用版本", 9), ("标记", 22), ("最近发布", 17), ("最近修改", 17),
    ("失效时间", 17), ("待答复纠错", 10), ("本期纠错", 9), ("本期接诉即答引用", 15), ("累计答复次数", 12),
]


def _unit_row(u: UnitFigures) -> list[object]:
    return [u.unit_name, u.total, u.approved, u.in_review, u.draft, u.returned, u.expired, u.withdrawn, u.in_force,
            u.expiring, u.past_expiry, u.policy_changed, u.updated, u.versions_approved, u.reports_opened,
            u.reports_answered, u.reports_accepted, u.reports_open, local_minute(u.oldest_open_report_at), u.answers,
            u.uses_total]


def _sheet(period: Period) -> str:
    return f"维护报告 {period.start:%Y%m%d}-{period.end:%Y%m%d}"  # a sheet name holds at most 31 characters


def units_workbook(report: Report) -> bytes:
    rows = [_unit_row(u) for u in report.units]
    if report.all_units and report.units:
        rows.append(_unit_row(report.totals))
    return table_workbook(sheet=_sheet(report.period), title=f"知识维护报告 {report.period.label}",
                          columns=UNIT_COLUMNS, rows=rows)


def articles_workbook(items: Sequence[ArticleFigures], *, unit_name: str, period: Period,
                      total: int | None = None) -> bytes:
    status = {str(k): v for k, v in STATUS_LABELS.items()}
    flags = {str(k): v for k, v in FLAG_LABELS.items()}
    rows: list[list[object]] = [
        [a.key, a.title, status.get(a.status, a.status), "有" if a.in_force else "无",
         "、".join(flags.get(f, f) for f in a.flags), local_minute(a.last_published_at),
         local_minute(a.updated_at), local_minute(a.expires_at), a.open_reports, a.reports_opened, a.answers,
         a.uses_total] for a in items]
    if total is not None and total > len(items):
        rows.append(truncation_row(len(items), total))
    return table_workbook(sheet=_sheet(period), title=f"{unit_name}知识条目维护明细 {period.label}",
                          columns=ARTICLE_COLUMNS, rows=rows)
