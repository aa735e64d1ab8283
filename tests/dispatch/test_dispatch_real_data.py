"""A quick check on the real tipdm2020c and Fuzhou data, when they are there (HOTLINE_DATA_PATH,
default ../shared/data from the repo root); skipped otherwise. The full figures come from
bench/dispatch_eval.py."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from hotline.config import Settings
from hotline.dispatch.model import ClassifierConfig, TextClassifier

ROOT = Path(__file__).resolve().parents[2]


def _data() -> Path:
    p = Settings().data_path
    p = p if p.is_absolute() else ROOT / p
    if not (p / "tipdm2020c" / "messages_titles_labeled.csv").is_file():
        pytest.skip(f"real data not found at {p} (set HOTLINE_DATA_PATH): skipping the real-data check")
    return p


def _rows(path: Path, text: str, label: str) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [(r[text], r[label]) for r in csv.DictReader(f) if r[label].strip()]


def test_category_on_real_titles() -> None:
    rows = _rows(_data() / "tipdm2020c" / "messages_titles_labeled.csv", "留言主题", "一级标签")
    random.Random(1).shuffle(rows)
    seen: set[str] = set()
    unique = [r for r in rows if not (r[0] in seen or seen.add(r[0]))]  # type: ignore[func-returns-value]
    train, test = unique[:3000], unique[-800:]
    model = TextClassifier(ClassifierConfig(folds=3)).fit([t for t, _ in train], [""] * len(train),
                                                          [y for _, y in train])
    proba, _views = model.predict_proba([t for t, _ in test], [""] * len(test))
    pred = [model.classes_[i] for i in proba.argmax(axis=1)]
    acc = sum(p == y for p, (_t, y) in zip(pred, test, strict=True)) / len(test)
    assert len(model.classes_) == 7
    assert acc >= 0.8, acc
