"""Reading an imported workbook (excel.sheet_rows): header checked, empty rows skipped, codes
typed as numbers kept as text, and a cell typed "=…" read as written."""

from __future__ import annotations

import pytest

from hotline.errors import DomainError
from hotline.excel import sheet_rows
from tests.factories import workbook


def test_rows_are_read_by_header_and_a_formula_cell_as_typed() -> None:
    content = workbook([["编号", "备注", "其他"], [101.0, "=见附件二", "x"], [None, None, None],
                        ["0203", "普通备注", ""]])
    rows, too_many = sheet_rows(content, columns=["编号", "备注"], required=["编号"], max_rows=10, what="表",
                                template="模板")
    assert rows == [(2, {"编号": "101", "备注": "=见附件二"}), (4, {"编号": "0203", "备注": "普通备注"})]
    assert too_many is False
    _, too_many = sheet_rows(content, columns=["编号"], required=["编号"], max_rows=1, what="表", template="模板")
    assert too_many is True


def test_a_missing_column_or_an_unreadable_file_says_what_to_fix() -> None:
    with pytest.raises(DomainError, match="表头缺少列：编号（可先导出模板作为模板）"):
        sheet_rows(workbook([["备注"]]), columns=["编号"], required=["编号"], max_rows=5, what="表", template="模板")
    with pytest.raises(DomainError, match="无法读取该文件"):
        sheet_rows(b"not a workbook", columns=["编号"], required=["编号"], max_rows=5, what="表", template="模板")
