"""A citizen's text that looks like a formula stays text in every download (CSV and Excel)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from hotline.analytics.export import to_csv, to_xlsx
from hotline.excel import csv_cell
from hotline.reports.content import Table
from hotline.reports.xlsx import table_csv

TITLE = '=HYPERLINK("http://x","点我")'


def test_csv_cells_that_would_start_a_formula_get_an_apostrophe() -> None:
    for text in (TITLE, "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1"):
        assert csv_cell(text) == "'" + text
    for value in ("普通标题", "+5.4%", "-12", "-3.5", 7, 0.25, None, ""):
        assert csv_cell(value) == value  # numbers and written changes stay as they are


def test_analytics_downloads_keep_a_formula_looking_title_as_text() -> None:
    rows = [[1, TITLE, 3]]
    text = to_csv(["排名", "代表性标题", "件数"], rows).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1] == ["1", "'" + TITLE, "3"]
    ws = load_workbook(io.BytesIO(to_xlsx(["排名", "代表性标题", "件数"], rows, sheet="热点"))).active
    assert ws["B2"].data_type == "s" and ws["B2"].value == TITLE and ws["A2"].data_type == "n"


def test_a_report_table_csv_keeps_it_as_text_too() -> None:
    table = Table(key="hotspot", title="热点", columns=["地点", "件数"], rows=[[TITLE, 4]])
    assert list(csv.reader(io.StringIO(table_csv(table))))[1] == ["'" + TITLE, "4"]


def test_an_export_cut_at_its_limit_says_so() -> None:
    from hotline.tickets.export import tickets_workbook

    ws = load_workbook(io.BytesIO(tickets_workbook([], title="工单导出", total=12_345))).active
    assert ws.max_row == 2 and "仅导出前 0 条（共 12,345 条）" in ws["A2"].value
    ws = load_workbook(io.BytesIO(tickets_workbook([], title="工单导出", total=0))).active
    assert ws.max_row == 1
