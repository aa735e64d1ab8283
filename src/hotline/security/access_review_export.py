"""The access review (个人信息访问审查) as an Excel sheet: the page's rows, with the rules that flagged them."""

from __future__ import annotations

from hotline.clock import to_local
from hotline.excel import table_workbook
from hotline.security.access_review import RULES_TEXT, Review

COLUMNS: list[tuple[str, int]] = [
    ("用户", 16), ("角色", 14), ("查看次数", 10), ("查看记录数", 12), ("同岗位中位数", 13), ("非工作时间查看", 15),
    ("导出次数", 10), ("来源地址数", 11), ("首次", 18), ("末次", 18), ("提示", 70),
]


def review_workbook(review: Review, *, narrowed: str = "") -> bytes:
    """`narrowed`: the filters the rows were chosen by (said on the sheet: its reader has no page)."""
    # Every figure a number (a shift post's night reads too: the rules below say they are not flagged).
    rows: list[list[object]] = [
        [a.username, a.role_label, a.reads, a.objects, a.peer_median if a.peer_median is not None else "—",
         a.off_hours, a.exports, a.clients,
         to_local(a.first_at).replace(tzinfo=None), to_local(a.last_at).replace(tzinfo=None), "；".join(a.flags)]
        for a in review.accounts]
    accounts = len(rows)
    if review.feeds:  # the data-sharing accounts, under their own header
        rows += [[], ["数据共享接口账号", "拉取次数", "推送页数", "来源地址", "新来源地址", "首次", "末次", "提示"]]
        rows += [[f.username, f.pages, f.pushed, "、".join(f.clients), "、".join(f.new_clients) or "—",
                  to_local(f.first_at).replace(tzinfo=None), to_local(f.last_at).replace(tzinfo=None),
                  "；".join(f.flags)] for f in review.feeds]
    if review.command_line:  # exports at the server's shell, with no login account
        rows += [[], ["命令行账号", "查看次数", "导出次数", "操作", "首次", "末次"]]
        rows += [[c.username, c.reads, c.exports, "、".join(c.actions), to_local(c.first_at).replace(tzinfo=None),
                  to_local(c.last_at).replace(tzinfo=None)] for c in review.command_line]
    # what the sheet covers and how a row is flagged, below the rows (a reader of the file has no page)
    rows += [[], [f"审查期间：{review.period.label}；{f'筛选：{narrowed}；' if narrowed else ''}"
                  f"共 {review.summary}"]]
    rows += [[f"提示规则：{rule}"] for rule in RULES_TEXT] + [[note] for note in review.notes]
    return table_workbook(sheet="访问审查", title="个人信息访问审查", columns=COLUMNS, rows=rows, filter_rows=accounts)
