"""Labelled CSV files for training and evaluation: reading them (UTF-8 or GB18030), picking the
title, content and label columns, and saying in Chinese what is wrong when they do not fit."""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENCODINGS = ("utf-8-sig", "gb18030")


class DatasetError(Exception):
    """A CSV that cannot be used: a stable code and a Chinese message for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Table:
    path: Path
    encoding: str
    columns: list[str]
    rows: list[dict[str, str]]
    sha256: str


@dataclass
class Columns:
    """The text and label columns of a set of CSV files, row-aligned; notes for the user."""

    titles: list[str] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[dict[str, object]] = field(default_factory=list)


def read_csv(path: Path) -> Table:
    path = Path(path)
    if not path.is_file():
        raise DatasetError("file_not_found", f"找不到 CSV 文件：{path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError("file_unreadable", f"无法读取 CSV 文件 {path}：{exc.strerror or exc}") from exc
    for enc in ENCODINGS:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise DatasetError("bad_encoding", f"无法读取 CSV 文件 {path}：编码既不是 UTF-8 也不是 GB18030")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise DatasetError("empty_csv", f"CSV 文件 {path} 为空或没有表头")
        columns = [h.strip() for h in header]
        rows = []
        for values in reader:
            if not values or not any(v.strip() for v in values):
                continue
            rows.append({c: (values[i] if i < len(values) else "") for i, c in enumerate(columns)})
    except csv.Error as exc:
        raise DatasetError("bad_csv", f"CSV 文件 {path} 格式错误：{exc}") from exc
    return Table(path=path, encoding=enc, columns=columns, rows=rows, sha256=hashlib.sha256(raw).hexdigest())


def select(tables: list[Table], *, title_col: str | None, content_col: str | None,
           label_col: str | None) -> Columns:
    """Title, content and (when label_col is given) label of every row of every table. A text
    column named but absent from a file is skipped with a note, as long as the other one is
    there; a missing label column, or no text column at all, is an error."""
    seen: dict[str, Path] = {}
    for t in tables:  # the same rows twice would count twice, and shift the thresholds
        if t.sha256 in seen:
            raise DatasetError("duplicate_input", f"{t.path} 与 {seen[t.sha256]} 内容相同：同一份数据请只指定一次")
        seen[t.sha256] = t.path
    if not title_col and not content_col:
        raise DatasetError("no_text_column", "请至少指定 --title-col 或 --content-col 之一")
    out = Columns()
    for table in tables:
        have = set(table.columns)
        listing = "、".join(table.columns)
        if label_col and label_col not in have:
            raise DatasetError("missing_label_column",
                               f"CSV 文件 {table.path} 中没有标签列“{label_col}”（现有列：{listing}）")
        t_ok = bool(title_col) and title_col in have
        c_ok = bool(content_col) and content_col in have
        if not t_ok and not c_ok:
            named = "、".join(f"“{c}”" for c in (title_col, content_col) if c)
            raise DatasetError("missing_text_column",
                               f"CSV 文件 {table.path} 中没有文本列 {named}（现有列：{listing}）")
        for col, ok in ((title_col, t_ok), (content_col, c_ok)):
            if col and not ok:
                out.notes.append(f"提示：CSV 文件 {table.path} 中没有列“{col}”，该文件只使用另一文本列")
        for row in table.rows:
            out.titles.append(row.get(title_col, "") if t_ok and title_col else "")
            out.contents.append(row.get(content_col, "") if c_ok and content_col else "")
            out.labels.append(row.get(label_col, "").strip() if label_col else "")
        out.files.append({
            "file": str(table.path), "name": table.path.name, "rows": len(table.rows), "encoding": table.encoding,
            "sha256": table.sha256, "columns": table.columns,
            "title_col": title_col if t_ok else None, "content_col": content_col if c_ok else None,
            "label_col": label_col,
        })
    return out
