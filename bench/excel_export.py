"""Excel export speed: `hotline.excel.table_workbook` (ticket search, supervision orders, place names,
knowledge gaps, the hotline registry) at 1,000 / 4,000 / 10,000 rows of 12 columns, and the ratio of
the largest to the smallest per row (about 1 when the writer is linear in rows).

    .venv/bin/python bench/excel_export.py
"""

from __future__ import annotations

import time

from hotline.excel import table_workbook

COLUMNS = [(f"列{i}", 12) for i in range(12)]


def rows(n: int) -> list[list[object]]:
    # one title in seven written like a formula: it must stay text, at no extra cost
    return [[f"NJ20261127-{i:06d}", "=HYPERLINK(1)" if i % 7 == 0 else f"诉求标题{i}", "办理中", i,
             "市房产局", "玄武区", "投诉", "2026-11-27 09:30", "", "否", "普通", "网站"] for i in range(n)]


def main() -> None:
    per_row = {}
    for n in (1_000, 4_000, 10_000):
        data = rows(n)
        started = time.perf_counter()
        size = len(table_workbook(sheet="工单", title="bench", columns=COLUMNS, rows=data))
        seconds = time.perf_counter() - started
        per_row[n] = seconds / n
        print(f"{n:>6,} rows: {seconds:6.2f} s  ({seconds / n * 1e6:5.0f} µs/row, {size / 1024:,.0f} KB)")
    print(f"per-row time, 10,000 vs 1,000 rows: {per_row[10_000] / per_row[1_000]:.2f}×")


if __name__ == "__main__":
    main()
