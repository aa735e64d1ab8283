"""A report as an Excel workbook: a summary sheet, then one sheet per table with a native chart
(so officials can restyle it), every figure as a number where it is one."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hotline.excel import cell_value, csv_cell
from hotline.reports.build import generated_label
from hotline.reports.content import Change, Percent, Report, Table, cell_text

HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


PERCENT = "0.0%"
SIGNED_PERCENT = "+0.0%;-0.0%;0.0%"


def put(ws, row: int, col: int, value: object) -> None:  # type: ignore[no-untyped-def]
    """Write a cell: a count as a number, a rate as a number shown in per cent (0.19 as 19.0%), so that
    officials can compute with them; text stays text (a name starting with "=" must not become a
    formula)."""
    if isinstance(value, Percent):
        cell = ws.cell(row, col, float(value) / 100)
        cell.number_format = SIGNED_PERCENT if isinstance(value, Change) else PERCENT
        return
    cell = ws.cell(row, col, cell_value(value))
    if isinstance(value, str):
        cell.data_type = "s"


def _sheet_title(table: Table, index: int) -> str:
    # Excel forbids []:*?/\ and more than 31 characters in sheet names.
    clean = "".join(ch for ch in table.title if ch not in "[]:*?/\\")
    return f"{index}.{clean}"[:31]


def _write_table(ws, table: Table, first_row: int = 1) -> None:  # type: ignore[no-untyped-def]
    ws.cell(first_row, 1, table.title).font = Font(bold=True, size=13)
    header = first_row + 1
    for col, name in enumerate(table.columns, start=1):
        cell = ws.cell(header, col, name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = max(12, len(name) * 2 + 4)
    for r, row in enumerate(table.rows, start=header + 1):
        for c, value in enumerate(row, start=1):
            put(ws, r, c, value)
    if table.note:
        ws.cell(header + len(table.rows) + 2, 1, f"注：{table.note}").alignment = Alignment(wrap_text=False)
    if table.chart and table.rows:
        chart = LineChart() if table.chart.kind == "line" else BarChart()
        chart.title = table.title
        chart.height, chart.width = 8, 18
        last = header + len(table.rows)
        for col in table.chart.value_columns:
            data = Reference(ws, min_col=col + 1, min_row=header, max_row=last)
            chart.add_data(data, titles_from_data=True)
        cats = Reference(ws, min_col=table.chart.category_column + 1, min_row=header + 1, max_row=last)
        chart.set_categories(cats)
        ws.add_chart(chart, f"{get_column_letter(len(table.columns) + 2)}{header}")


def report_workbook(report: Report) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    ws["A1"] = report.title
    ws["A1"].font = Font(bold=True, size=15)
    ws["A2"] = f"统计范围：{report.scope}    生成时间：{generated_label(report.generated_at)}"
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 26
    for col, name in enumerate(["指标", "数值", "说明"], start=1):
        ws.cell(4, col, name).font = Font(bold=True)
        ws.cell(4, col).fill = HEADER_FILL
    for r, fig in enumerate(report.figures, start=5):
        put(ws, r, 1, fig.label)
        put(ws, r, 2, fig.value if fig.number is None else fig.number)
        if isinstance(fig.number, int):
            ws.cell(r, 2).number_format = "#,##0"  # 1,055 as printed, still a number
        put(ws, r, 3, fig.hint)
    row = 6 + len(report.figures)
    ws.cell(row, 1, "分析摘要").font = Font(bold=True)
    for i, line in enumerate(report.summary, start=row + 1):
        put(ws, i, 1, line)
    for index, table in enumerate(report.tables, start=1):
        _write_table(wb.create_sheet(_sheet_title(table, index)), table)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_csv(table: Table) -> str:
    """One chart's data as CSV (UTF-8 with BOM when served, so that Excel opens it in Chinese)."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if v is None else csv_cell(cell_text(v)) for v in row])
    return out.getvalue()
