"""Helpers of the analysis tests: a CSV of messages written from the project's synthetic set."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hotline.analytics.synthetic import Message, check_set
from hotline.clock import to_local

HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数"]


def write_messages(path: Path, msgs: list[Message], *, extra_rows: list[list[str]] | None = None,
                   encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i, m in enumerate(msgs):
            w.writerow([m.key, f"U{i:05d}", m.title, to_local(m.at).strftime("%Y/%m/%d %H:%M:%S"), m.content, "0",
                        str(m.support)])
        for row in extra_rows or []:
            w.writerow(row)
    return path


@pytest.fixture()
def messages_csv(tmp_path: Path) -> tuple[Path, list[Message]]:
    msgs = check_set(7)
    bad = [["bad-time", "U1", "时间不对", "昨天下午", "内容", "0", "0"],
           ["", "U2", "没有编号", "2026/08/02 10:00:00", "内容", "0", "0"],
           ["bad-votes", "U3", "点赞不是数字", "2026/08/02 10:00:00", "内容", "0", "很多"],
           [msgs[0].key, "U4", "文件内重复", "2026/08/02 10:00:00", "内容", "0", "0"]]
    return write_messages(tmp_path / "messages.csv", msgs, extra_rows=bad), msgs
