"""Reading a batch of answers from a .csv or .xlsx file into rows (pure: no database).

Columns are named by their header text; a column letter (A, B, …) or a 1-based number also works
when no header has that text. Errors are `DomainError`s with a Chinese message (the CLI exits 2).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hotline.errors import DomainError

MAX_ROWS = 200_000
_SPLIT = re.compile(r"[\n|；;]+")


@dataclass(frozen=True)
class ImportSpec:
    question_col: str
    answer_col: str
    category_col: str | None = None
    key_col: str | None = None
    phrasings_col: str | None = None


@dataclass
class ImportRow:
    line: int  # the row's number in the file (the header is row 1)
    key: str
    question: str
    answer: str
    category: str | None = None
    phrasings: list[str] = field(default_factory=list)


class ImportError_(DomainError):
    status_code = 422


def _fail(code: str, message: str) -> ImportError_:
    return ImportError_(code, message)


def read_table(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """The header and the data rows of a .csv (UTF-8, UTF-8 with BOM, or GB18030) or .xlsx file."""
    if not path.exists() or not path.is_file():
        raise _fail("kb_import_file_missing", f"找不到文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise _fail("kb_import_unreadable", f"无法识别文件编码：{path.name}（请另存为 UTF-8 的 CSV）")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except StopIteration:
            raise _fail("kb_import_empty", f"文件是空的：{path.name}") from None
        except csv.Error as exc:
            raise _fail("kb_import_unreadable", f"无法读取 CSV 文件 {path.name}：{exc}") from exc
        return [h.strip() for h in header], _csv_rows(reader, path)
    if suffix in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise _fail("kb_import_unreadable", f"无法读取 Excel 文件 {path.name}：{exc.__class__.__name__}") from exc
        rows = wb.worksheets[0].iter_rows(values_only=True)
        try:
            first = next(rows)
        except StopIteration:
            raise _fail("kb_import_empty", f"工作表是空的：{path.name}") from None
        header = ["" if v is None else str(v).strip() for v in first]
        return header, (["" if v is None else str(v) for v in r] for r in rows)
    raise _fail("kb_import_format", f"不支持的文件类型“{path.suffix or '无扩展名'}”：请使用 .csv 或 .xlsx")


def _csv_rows(reader: Iterator[list[str]], path: Path) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise _fail("kb_import_unreadable", f"无法读取 CSV 文件 {path.name}：{exc}") from exc


def _letters_to_index(s: str) -> int | None:
    if not re.fullmatch(r"[A-Za-z]{1,3}", s):
        return None
    n = 0
    for ch in s.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def column_index(header: list[str], name: str) -> int:
    if name in header:
        return header.index(name)
    lowered = [h.lower() for h in header]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    idx = _letters_to_index(name)
    if idx is None and name.isdigit():
        idx = int(name) - 1
    if idx is not None and 0 <= idx < len(header):
        return idx
    shown = "、".join(h or "（空）" for h in header[:30])
    raise _fail("kb_import_column_missing", f"找不到列“{name}”。文件的表头为：{shown}")


def read_rows(path: Path, spec: ImportSpec) -> list[ImportRow]:
    """Every usable row; rows without a question or an answer are left out (the caller counts them
    from `skipped`). A key repeated within the file is an error."""
    header, rows = read_table(path)
    qi = column_index(header, spec.question_col)
    ai = column_index(header, spec.answer_col)
    ci = column_index(header, spec.category_col) if spec.category_col else None
    ki = column_index(header, spec.key_col) if spec.key_col else None
    pi = column_index(header, spec.phrasings_col) if spec.phrasings_col else None
    stem = path.stem[:60]
    out: list[ImportRow] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):
        if n - 1 > MAX_ROWS:
            raise _fail("kb_import_too_large", f"一次最多导入 {MAX_ROWS} 行，请拆分文件")

        def cell(i: int | None, row: list[str] = row) -> str:
            return row[i].strip() if i is not None and i < len(row) and row[i] is not None else ""

        question, answer = cell(qi), cell(ai)
        if not question and not answer:
            continue
        key = cell(ki) if ki is not None else f"{stem}-{n - 1}"
        if ki is not None and not key:
            raise _fail("kb_import_key_missing", f"第 {n} 行的键列“{spec.key_col}”为空")
        if len(key) > 100:
            raise _fail("kb_import_key_too_long", f"第 {n} 行的键过长（最多 100 个字符）")
        if key in seen:
            raise _fail("kb_import_key_duplicate",
                        f"键“{key}”在第 {seen[key]} 行和第 {n} 行重复：键列必须唯一（不指定 --key-col 时按行号生成）")
        seen[key] = n
        phrasings = [p.strip() for p in _SPLIT.split(cell(pi)) if p.strip()] if pi is not None else []
        out.append(ImportRow(line=n, key=key, question=question.replace("\r", ""), answer=answer,
                             category=cell(ci) or None, phrasings=phrasings))
    return out
