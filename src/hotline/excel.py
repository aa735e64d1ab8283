"""One list as one Excel sheet, the way officials expect it: a coloured header, set column widths,
the header frozen, filters on, and text kept as text (a cell starting with "=" is not a formula)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hotline.clock import to_local
from hotline.errors import DomainError

HEADER_FILL = PatternFill("solid", fgColor="1B57A6")
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# A rate is a number in the workbook (sums, charts, sorting), shown in per cent: 0.875 as 87.5%, as
# the reports and the call figures write it.
PERCENT_FORMAT = "0.0%"


@dataclass(frozen=True)
class Rate:
    """A share (0.875) that text_row writes as a number shown in per cent (87.5%)."""

    value: float


def cell_value(value: object) -> object:
    """A value Excel can hold: control characters (which a form or an import may carry) are dropped,
    since openpyxl refuses a whole workbook for one of them."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


_SIGNED_NUMBER = re.compile(r"[+-]\d[\d.,]*%?")


def csv_cell(value: object) -> object:
    """A value for a CSV a spreadsheet will open: text that would start a formula (=, @, +, -, a tab)
    gets a leading apostrophe, so a citizen's title "=HYPERLINK(…)" stays text. Numbers (and a
    written change such as +5.4%) are left as they are."""
    value = cell_value(value)
    if isinstance(value, str) and value and value[0] in "=@+-\t\r" and not _SIGNED_NUMBER.fullmatch(value):
        return "'" + value
    return value


def text_row(ws: Any, values: Iterable[object]) -> list[object]:
    """A row to append whose strings are stored as text (openpyxl would keep "=…" as a formula) and
    whose times show to the minute, rates (Rate) in per cent. Made as cells before the append: reading the row back
    (ws[ws.max_row]) scans the whole sheet, which made a 10,000-row export take a minute."""
    row: list[object] = []
    for value in cells(values):
        if isinstance(value, str):
            cell = Cell(ws, value=value)
            cell.data_type = "s"
            row.append(cell)
        elif isinstance(value, datetime):
            cell = Cell(ws, value=value)
            cell.number_format = DATETIME_FORMAT
            row.append(cell)
        elif isinstance(value, Rate):
            cell = Cell(ws, value=value.value)
            cell.number_format = PERCENT_FORMAT
            row.append(cell)
        else:
            row.append(value)
    return row


def cell_text(value: object) -> str:
    """An imported cell as text: empty for nothing, and a code typed as a number without its ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel turns the code 0101 typed as a number into 101.0
    return str(value).strip()


def sheet_rows(content: bytes, *, columns: Sequence[str], required: Sequence[str], max_rows: int, what: str,
               template: str) -> tuple[list[tuple[int, dict[str, str]]], bool]:
    """An imported workbook's first sheet: (row number, {column: text}) for each non-empty row below
    the header (the columns found of `columns`), and whether rows past `max_rows` were left out. An
    unreadable file or a header without a `required` column is a DomainError naming what to fix
    (`what` is in the sheet, `template` is what to export as a template)."""
    try:
        wb = load_workbook(BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise DomainError("bad_workbook", "无法读取该文件：请上传 .xlsx 格式的 Excel 文件", status_code=422) from exc
    try:
        raw = list(wb.worksheets[0].iter_rows(values_only=True))[: max_rows + 2]
        # A cell typed as "=…" is a formula to Excel; a file no spreadsheet has computed carries no
        # value for it. Its text is what was meant (a note "=见附件"), so it is read as written.
        if any(v is None for row in raw for v in row):
            typed = list(load_workbook(BytesIO(content), read_only=True).worksheets[0]
                         .iter_rows(values_only=True))[: max_rows + 2]
            raw = [tuple(t if v is None and isinstance(t, str) and t.startswith("=") else v
                         for v, t in zip(row, trow, strict=False)) for row, trow in zip(raw, typed, strict=False)]
    except Exception as exc:  # a chart sheet first, or damaged sheet XML
        raise DomainError("bad_workbook", f"无法读取第一个工作表：请把{what}放在第一个工作表中",
                          status_code=422) from exc
    header = [cell_text(h) for h in (raw[0] if raw else [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise DomainError("bad_header", f"表头缺少列：{'、'.join(missing)}（可先导出{template}作为模板）",
                          status_code=422)
    col = {name: header.index(name) for name in columns if name in header}
    out = []
    for n, row in enumerate(raw[1 : max_rows + 1], start=2):
        values = {name: cell_text(row[i]) if i < len(row) else "" for name, i in col.items()}
        if any(values.values()):
            out.append((n, values))
    if not out:  # QA: a header with nothing under it "imported" with 新增 0, 修改 0 — as if it had worked
        raise DomainError("empty_sheet", f"表中没有数据：表头下面没有任何{what}的行（请在第一个工作表的表头下逐行填写，"
                          f"可先导出{template}作为模板）", status_code=422)
    return out, len(raw) > max_rows + 1


def cells(values: Iterable[object]) -> list[object]:
    return [cell_value(v) for v in values]


def truncation_row(shown: int, total: int) -> list[object]:
    """The last row of an export cut at its row limit, so that nobody takes it for the whole list."""
    return [f"仅导出前 {shown:,} 条（共 {total:,} 条），请缩小筛选范围后分批导出"] if total > shown else []


def local_minute(value: datetime | None) -> str:
    """China time to the minute, or "" for no value."""
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def local_datetime(value: datetime | None) -> datetime | None:
    """China time as a date Excel sorts, filters and subtracts (a cell holds no time zone; shown to the
    minute by text_row), or None."""
    return to_local(value).replace(tzinfo=None, microsecond=0) if value is not None else None


def table_workbook(*, sheet: str, title: str, columns: Sequence[tuple[str, int]],
                   rows: Iterable[Sequence[object]], filter_rows: int | None = None) -> bytes:
    """One sheet: a header and the rows. `filter_rows`: how many rows the header's filter and sort cover,
    when notes follow the table (sorted with it, they would land among the rows)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([name for name, _ in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    for row in rows:
        ws.append(text_row(ws, row))
    for i, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions if filter_rows is None else (
        f"A1:{get_column_letter(len(columns))}{filter_rows + 1}")
    wb.properties.title = title
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
