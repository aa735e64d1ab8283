"""Every chart's data as a download: a table (header + rows) as CSV (UTF-8 with BOM, so that Excel
reads the Chinese) or as an xlsx workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from hotline.excel import csv_cell, text_row

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[Any]], *, sheet: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(text_row(ws, row))
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


HOTSPOT_HEADER = ["排名", "地点/事项", "区县", "件数", "点赞数", "增长倍数", "近期件数", "预警", "涉及月份", "关键词",
                  "代表性标题", "外部编号"]


def hotspot_rows(clusters: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [[rank, c.get("label") or c["place"] or "",
             c["district"] or "", c["size"], c["support"],
             None if c["growth"] is None else round(c["growth"], 1), c["recent"],
             "是" if c["warning"] else "", len(c["months"]), "、".join(c["keywords"]), " | ".join(c["titles"]),
             " ".join(c["external_ids"])] for rank, c in enumerate(clusters, start=1)]
