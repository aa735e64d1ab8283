"""Train a classifier from labelled CSV files and save it; evaluate a saved one on labelled CSV
files. The functions behind `hotline dispatch train | evaluate`, usable from Python too."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hotline.dispatch import category_names, metrics, store
from hotline.dispatch.dataset import read_csv, select
from hotline.dispatch.features import present, view_of
from hotline.dispatch.model import ClassifierConfig, Progress, TextClassifier


def pair_unlinked(titles: list[str], contents: list[str],
                  labels: list[str]) -> tuple[list[str], list[str], list[str], int]:
    """Rows with a title only and rows with content only (e.g. two files describing the same
    messages) are paired within each label (see `linking`); a pair becomes one title+content row.
    Rows that already have both, and rows left unpaired, are kept as they are."""
    from hotline.dispatch.linking import link

    t_only = [i for i in range(len(labels)) if present(labels[i]) and present(titles[i]) and not present(contents[i])]
    c_only = [i for i in range(len(labels)) if present(labels[i]) and present(contents[i]) and not present(titles[i])]
    if not t_only or not c_only:
        return titles, contents, labels, 0
    pairs = link([titles[i] for i in t_only], [contents[i] for i in c_only],
                 [labels[i] for i in t_only], [labels[i] for i in c_only])
    paired_t = {t_only[a]: c_only[b] for a, b, _s in pairs}
    paired_c = set(paired_t.values())
    out_t, out_c, out_y = [], [], []
    for i in range(len(labels)):
        if i in paired_c:
            continue
        out_t.append(titles[i])
        out_c.append(contents[paired_t[i]] if i in paired_t else contents[i])
        out_y.append(labels[i])
    return out_t, out_c, out_y, len(pairs)


def train_rows(titles: list[str], contents: list[str], labels: list[str], *, config: ClassifierConfig | None = None,
               progress: Progress | None = None, link: bool = True,
               names: Sequence[tuple[str, str]] = ()) -> tuple[TextClassifier, dict[str, Any]]:
    """Pair unlinked titles and contents (when asked), then fit (with the category tree's `names`,
    see category_names). Returns the model and what the pairing did."""
    n_pairs = 0
    if link:
        titles, contents, labels, n_pairs = pair_unlinked(titles, contents, labels)
    model = TextClassifier(config).fit(titles, contents, labels, progress=progress, names=names)
    return model, {"paired_title_content": n_pairs}


def train_csv(inputs: list[Path], *, title_col: str | None, content_col: str | None, label_col: str,
              model_path: Path, config: ClassifierConfig | None = None,
              progress: Progress | None = None, link: bool = True,
              category_tree: Path | None = None) -> tuple[dict[str, Any], list[str]]:
    """Train on every row of the files (and the names of `category_tree`, a CSV whose first column
    is the label) and save the model; returns its metadata and notes."""
    tables = [read_csv(p) for p in inputs]
    cols = select(tables, title_col=title_col, content_col=content_col, label_col=label_col)
    names = category_names.from_csv(category_tree) if category_tree else []
    started = time.perf_counter()
    model, pairing = train_rows(cols.titles, cols.contents, cols.labels, config=config, progress=progress, link=link,
                                names=names)
    seconds = time.perf_counter() - started
    notes = list(cols.notes)
    if category_tree:
        used = model.cv.get("category_names", 0)
        notes.append(f"提示：分类树 {category_tree.name} 的 {used} 个下级分类名称用作训练知识"
                     + (f"（另有 {len(names) - used} 个所属类别不在训练标签中，未用）" if used < len(names) else ""))
    usable = sum(1 for i in range(len(cols.labels))
                 if present(cols.labels[i]) and view_of(cols.titles[i], cols.contents[i]))
    if usable < len(cols.labels):
        notes.append(f"提示：{len(cols.labels) - usable} 行缺少标签或文本，未用于训练")
    if pairing["paired_title_content"]:
        notes.append(f"提示：只有标题的行与只有内容的行按相似度配对了 {pairing['paired_title_content']} 组"
                     "（同一标签内），交叉验证按配对分组")
    training_data = {
        "files": cols.files,
        "rows": len(cols.labels),
        "rows_used": usable,
        "model_rows": model.cv["rows"],
        "paired_title_content": pairing["paired_title_content"],
        "views": model.cv["views"],
        "title_col": title_col,
        "content_col": content_col,
        "label_col": label_col,
        "label_counts": {c: sum(1 for y in cols.labels if y == c) for c in model.classes_},
        "category_tree": {"file": category_tree.name, "names": model.cv.get("category_names", 0)}
        if category_tree else None,
    }
    meta = store.describe(model, training_data=training_data, seconds=seconds)
    store.save(model, model_path, meta)
    return meta, notes


def evaluate_csv(model_path: Path, inputs: list[Path], *, title_col: str | None, content_col: str | None,
                 label_col: str, n_jobs: int = 1) -> tuple[dict[str, Any], list[str]]:
    """accuracy, macro-F1, top-3 and coverage/precision at the model's own thresholds."""
    model, _meta = store.load(model_path)
    tables = [read_csv(p) for p in inputs]
    cols = select(tables, title_col=title_col, content_col=content_col, label_col=label_col)
    keep = [i for i in range(len(cols.labels)) if present(cols.labels[i]) and view_of(cols.titles[i], cols.contents[i])]
    notes = list(cols.notes)
    if len(keep) < len(cols.labels):
        notes.append(f"提示：{len(cols.labels) - len(keep)} 行缺少标签或文本，未计入评估")
    y = [cols.labels[i] for i in keep]
    unknown = sorted(set(y) - set(model.classes_))
    if unknown:
        notes.append(f"提示：评估数据中有模型未见过的标签（计为错误）：{'、'.join(unknown)}")
    proba, views = model.predict_proba([cols.titles[i] for i in keep], [cols.contents[i] for i in keep],
                                       n_jobs=n_jobs)
    thresholds = [model.threshold_for(v) if v else None for v in views]
    return metrics.report(y, proba, model.classes_, thresholds), notes
