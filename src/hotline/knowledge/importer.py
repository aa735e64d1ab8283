"""Reading a batch of answers from a .csv or .xlsx file into rows (pure: no database).

Columns are named by their header text; a column letter (A, B, …) or a 1-based number also works
when no header has that text. A file that cannot be read is a `DomainError` with a Chinese message
(the CLI exits 2). Problems of single rows (a missing key, a duplicate key, a bad date, a missing
question or answer) are kept on the row (`ImportRow.problem`) by `parse_rows`, shared by the CLI
(`read_rows`, which stops at a bad key as it always did) and the import page and API
(knowledge/bulk.py, which reports each bad row and keeps the good ones).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from hotline.errors import DomainError
from hotline.knowledge.enums import BAD_KEY_MESSAGE, bad_key

MAX_ROWS = 200_000
_SPLIT = re.compile(r"[\n|；;]+")


@dataclass(frozen=True)
class ImportSpec:
    question_col: str
    answer_col: str
    category_col: str | None = None
    key_col: str | None = None
    phrasings_col: str | None = None
    # Read by the import page and API (the CLI does not offer them).
    policy_basis_col: str | None = None
    policy_source_col: str | None = None
    valid_from_col: str | None = None
    expires_col: str | None = None


# Row problems that stop the CLI's whole import (it always did): the keys cannot be trusted.
KEY_PROBLEMS = frozenset({"kb_import_key_missing", "kb_import_key_too_long", "kb_import_key_bad",
                          "kb_import_key_duplicate"})


@dataclass
class ImportRow:
    line: int  # the row's number in the file (the header is row 1)
    key: str
    question: str
    answer: str
    category: str | None = None
    phrasings: list[str] = field(default_factory=list)
    policy_basis: str | None = None
    policy_source: str | None = None
    valid_from: date | None = None
    expires_on: date | None = None  # the first day the answer no longer applies
    problem_code: str | None = None  # why the row cannot be imported (None: it can)
    problem: str | None = None  # … in Chinese, with the row number


class ImportError_(DomainError):
    status_code = 422


def _fail(code: str, message: str) -> ImportError_:
    return ImportError_(code, message)


def read_table(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """The header and the data rows of a .csv (UTF-8, UTF-8 with BOM, or GB18030) or .xlsx file."""
    if not path.exists() or not path.is_file():
        raise _fail("kb_import_file_missing", f"找不到文件：{path}")
    return read_table_bytes(path.name, path.read_bytes())


def read_table_bytes(name: str, raw: bytes) -> tuple[list[str], Iterator[list[str]]]:
    """The same, from an uploaded file's name and bytes."""
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte string
            raise _fail("kb_import_unreadable", f"无法识别文件编码：{name}（请另存为 UTF-8 的 CSV）")
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except StopIteration:
            raise _fail("kb_import_empty", f"文件是空的：{name}") from None
        except csv.Error as exc:
            raise _fail("kb_import_unreadable", f"无法读取 CSV 文件 {name}：{exc}") from exc
        return [h.strip() for h in header], _csv_rows(reader, name)
    if suffix in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise _fail("kb_import_unreadable", f"无法读取 Excel 文件 {name}：{exc.__class__.__name__}") from exc
        rows = wb.worksheets[0].iter_rows(values_only=True)
        try:
            first = next(rows)
        except StopIteration:
            raise _fail("kb_import_empty", f"工作表是空的：{name}") from None
        header = ["" if v is None else str(v).strip() for v in first]
        return header, (["" if v is None else str(v) for v in r] for r in rows)
    raise _fail("kb_import_format", f"不支持的文件类型“{Path(name).suffix or '无扩展名'}”：请使用 .csv 或 .xlsx")


def _csv_rows(reader: Iterator[list[str]], name: str) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise _fail("kb_import_unreadable", f"无法读取 CSV 文件 {name}：{exc}") from exc


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
    if idx is None and name.isdecimal():
        idx = int(name) - 1
    if idx is not None and 0 <= idx < len(header):
        return idx
    shown = "、".join(h or "（空）" for h in header[:30])
    raise _fail("kb_import_column_missing", f"找不到列“{name}”。文件的表头为：{shown}")


MIN_YEAR = 1900
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def parse_day(text: str) -> date | None:
    """A day as people type it in a sheet: 2026-12-31, 2026/12/31, 2026.12.31, 2026年12月31日,
    20261231, or Excel's own date (read as "2026-12-31 00:00:00"). Empty: None; else ValueError."""
    text = text.strip()
    if not text:
        return None
    if text.isdecimal() and len(text) == 8:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    else:
        m = _DAY.fullmatch(text) or _DAY.fullmatch(text.split(" ")[0])
        if m is None:
            raise ValueError(text)
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if day.year < MIN_YEAR:  # a typo ("0202"); 0001-01-01 at local midnight is not even a UTC timestamp
        raise ValueError(text)
    return day


def key_for(stem: str, line: int) -> str:
    """The key of a row when the file has no key column: the file's name (what a key may not hold
    made "_") and the row's number."""
    safe = "".join("_" if bad_key(ch) else ch for ch in stem[:60])
    return f"{safe}-{line - 1}"


def parse_rows(header: list[str], rows: Iterable[list[str]], spec: ImportSpec, *, stem: str,
               max_rows: int = MAX_ROWS) -> list[ImportRow]:
    """Every non-blank row, with what is wrong with it (if anything) on the row itself. Blank rows
    (no question, no answer) are left out. More than `max_rows` rows: the whole file is refused."""
    qi = column_index(header, spec.question_col)
    ai = column_index(header, spec.answer_col)

    def optional(name: str | None) -> int | None:
        return column_index(header, name) if name else None

    ci, ki, pi = optional(spec.category_col), optional(spec.key_col), optional(spec.phrasings_col)
    bi, si = optional(spec.policy_basis_col), optional(spec.policy_source_col)
    vi, ei = optional(spec.valid_from_col), optional(spec.expires_col)
    out: list[ImportRow] = []
    seen: dict[str, ImportRow] = {}
    for n, row in enumerate(rows, start=2):
        if n - 1 > max_rows:
            raise _fail("kb_import_too_large", f"一次最多导入 {max_rows:,} 行，请拆分文件")

        def cell(i: int | None, row: list[str] = row) -> str:
            return row[i].strip() if i is not None and i < len(row) and row[i] is not None else ""

        question, answer = cell(qi), cell(ai)
        if not question and not answer:
            continue
        key = cell(ki) if ki is not None else key_for(stem, n)
        item = ImportRow(line=n, key=key, question=question.replace("\r", ""), answer=answer,
                         category=cell(ci) or None,
                         phrasings=[p.strip() for p in _SPLIT.split(cell(pi)) if p.strip()] if pi is not None else [],
                         policy_basis=cell(bi) or None, policy_source=cell(si) or None)
        out.append(item)

        def problem(code: str, message: str, item: ImportRow = item) -> None:
            if item.problem is None:
                item.problem_code, item.problem = code, message

        if ki is not None and not key:
            problem("kb_import_key_missing", f"第 {n} 行的编号列“{spec.key_col}”为空")
        elif len(key) > 100:
            problem("kb_import_key_too_long", f"第 {n} 行的编号过长（最多 100 个字符）")
        elif bad_key(key):
            problem("kb_import_key_bad", f"第 {n} 行的编号“{key}”无效：{BAD_KEY_MESSAGE}")
        elif key in seen:
            first = seen[key]
            message = f"编号“{key}”在第 {first.line} 行和第 {n} 行重复：编号列必须唯一"
            problem("kb_import_key_duplicate", message)
            if first.problem_code != "kb_import_key_duplicate":  # neither copy is imported
                first.problem_code, first.problem = "kb_import_key_duplicate", message
        else:
            seen[key] = item
        for index, label, attr in ((vi, "生效日期", "valid_from"), (ei, "失效日期", "expires_on")):
            try:
                setattr(item, attr, parse_day(cell(index)))
            except ValueError:
                problem("kb_import_bad_date", f"第 {n} 行的{label}“{cell(index)}”无法识别（示例 2026-12-31）")
        if not question:
            problem("kb_import_no_question", f"第 {n} 行缺少问题")
        elif not answer:
            problem("kb_import_no_answer", f"第 {n} 行缺少答复口径")
    return out


def read_rows(path: Path, spec: ImportSpec) -> list[ImportRow]:
    """Every usable row (the CLI); rows without a question or an answer are passed on and counted as
    skipped by the service. A key repeated within the file is an error."""
    header, rows = read_table(path)
    out = parse_rows(header, rows, spec, stem=path.stem)
    if not out:  # QA: a header alone "imported" with 新增 0 条 and exit 0, as if it had worked
        raise _fail("kb_import_no_rows", f"文件中没有可导入的行：{path.name} 的表头下面没有任何问题或答复口径"
                                         "（问题和答复口径都为空的行已忽略）")
    for row in sorted((r for r in out if r.problem_code in KEY_PROBLEMS), key=lambda r: r.line)[:1]:
        message = row.problem or ""
        if row.problem_code == "kb_import_key_duplicate":
            message += "（不指定 --key-col 时按行号生成）"
        raise _fail(row.problem_code or "kb_import_key", message)
    return out
