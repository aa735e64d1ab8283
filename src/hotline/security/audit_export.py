"""The audit log as an Excel sheet: what the audit page lists under its filters, in Chinese labels."""

from __future__ import annotations

from collections.abc import Sequence

from hotline.clock import to_local
from hotline.excel import table_workbook, truncation_row
from hotline.security.audit import ACTION_LABELS
from hotline.security.models import AuditEntry
from hotline.security.roles import ROLE_LABELS

MAX_ROWS = 10_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS: list[tuple[str, int]] = [
    ("时间", 20), ("用户", 16), ("角色", 14), ("操作", 20), ("对象", 22), ("说明", 60), ("来源地址", 18),
]  # the columns of the audit page


def audit_workbook(entries: Sequence[AuditEntry], *, total: int) -> bytes:
    lines: list[list[object]] = [
        [to_local(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.username, ROLE_LABELS.get(e.role, e.role),  # type: ignore[call-overload]
         ACTION_LABELS.get(e.action, e.action), e.object_id, e.detail or "", e.client or ""]
        for e in entries]
    if cut := truncation_row(len(entries), total):  # cut at the export's limit: say so
        lines.append(cut)
    return table_workbook(sheet="审计日志", title="审计日志", columns=COLUMNS, rows=lines)
