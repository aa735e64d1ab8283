"""The names of a category tree as training knowledge for the category model.

A city's category hierarchy names what each top category holds (城乡建设 › 城市建设和市政管理 › 公共汽车;
劳动和社会保障 › 工资福利 › 住房公积金). Requests about buses then belong to 城乡建设 even where their
words would suggest 交通运输. `TextClassifier.fit(names=…)` takes these (name, label) pairs as extra
training rows that are never scored — when asked (`hotline dispatch train --category-tree`): on the
tipdm2020c data, with hundreds of messages per label, they gave no reliable gain (docs/dispatch.md,
round 12); they are meant for a label with few examples yet, whose tree names say what it holds.

Only names that say something are kept: "其他" says nothing, and a name filed under two labels
(住房公积金 under both 城乡建设 and 劳动和社会保障 in one tree) would teach both at once."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hotline.dispatch.dataset import DatasetError, read_csv

VAGUE = frozenset({"其他", "其它", "其他类", "其他问题", "综合"})


def unambiguous(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(name, label) pairs, each name once: blanks, vague names and names under two labels left out."""
    labels_of: dict[str, set[str]] = {}
    for name, label in pairs:
        name, label = (name or "").strip(), (label or "").strip()
        if name and label and name not in VAGUE and name != label:
            labels_of.setdefault(name, set()).add(label)
    return [(name, next(iter(labels))) for name, labels in sorted(labels_of.items()) if len(labels) == 1]


def from_csv(path: Path) -> list[tuple[str, str]]:
    """A category tree as a CSV (UTF-8 or GB18030): the first column is the label the model is
    trained on, the other columns the names of the categories beneath it (one path per row), e.g.
    一级分类,二级分类,三级分类 / 城乡建设,城市建设和市政管理,公共汽车."""
    table = read_csv(path)
    if len(table.columns) < 2:
        raise DatasetError("category_tree_columns",
                           f"{path.name}：分类树文件至少需要两列（第一列为类别，其后为下级分类名称）")
    first, rest = table.columns[0], table.columns[1:]
    pairs = [(row.get(col) or "", row.get(first) or "") for row in table.rows for col in rest]
    names = unambiguous(pairs)
    if not names:
        raise DatasetError("category_tree_empty", f"{path.name}：分类树中没有可用的下级分类名称")
    return names

