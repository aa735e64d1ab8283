"""The editors' article list as an Excel workbook (the same rows and filters as on screen)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from hotline.clock import to_local
from hotline.excel import cells, truncation_row
from hotline.knowledge.enums import AUDIENCE_LABELS, FLAG_LABELS, STATUS_LABELS
from hotline.knowledge.models import Article

MAX_ROWS = 10_000
COLUMNS: list[tuple[str, int]] = [
    ("编号", 16), ("标题", 40), ("状态", 9), ("在用版本", 9), ("分类", 30), ("所属单位", 18), ("受众", 10),
    ("版本数", 7), ("引用次数", 9), ("待答复纠错", 10), ("标记", 20), ("失效时间", 17), ("更新时间", 17),
]


def _local(value: object) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""  # type: ignore[arg-type]


def _label(mapping: dict, code: str | None) -> str:  # type: ignore[type-arg]
    return next((v for k, v in mapping.items() if str(k) == code), code or "")


def articles_workbook(rows: Sequence[Article], *, unit_names: dict[int, str],
                      category_name: Callable[[str | None], str], total: int | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "知识条目"
    ws.append([name for name, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1B57A6")
    for a in rows:
        ws.append(cells([
            a.key, a.title, _label(STATUS_LABELS, a.status), "有" if a.published_version_id else "无",
            category_name(a.category_code), unit_names.get(a.owner_unit_id or 0, ""),
            _label(AUDIENCE_LABELS, a.audience),
            a.version_count, a.use_count, a.open_reports, "、".join(_label(FLAG_LABELS, f) for f in a.flags),
            _local(a.expires_at), _local(a.updated_at),
        ]))
    if total is not None and total > len(rows):
        ws.append(truncation_row(len(rows), total))
    for i, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = "知识条目导出"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
