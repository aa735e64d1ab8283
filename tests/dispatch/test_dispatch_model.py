"""Train, predict, save and load the classifier on synthetic tickets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hotline.dispatch import store
from hotline.dispatch.model import ClassifierConfig, TextClassifier, TrainingError
from hotline.dispatch.training import pair_unlinked, train_rows
from tests.dispatch.synthetic import tickets

SMALL = ClassifierConfig(n_features=2**18, folds=3, n_jobs=1)


@pytest.fixture(scope="module")
def trained() -> tuple[TextClassifier, list[tuple[str, str, str]]]:
    rows = tickets(40, seed=1)
    model = TextClassifier(SMALL).fit([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    return model, tickets(10, seed=99)


def test_predicts_from_title_content_or_both(trained: tuple[TextClassifier, list]) -> None:
    model, test = trained
    for view, pick in (("both", lambda r: (r[0], r[1])), ("title", lambda r: (r[0], None)),
                       ("content", lambda r: ("", r[1]))):
        preds = [model.predict(*pick(r)) for r in test]
        assert all(p.view == view for p in preds)
        assert np.mean([p.label == r[2] for p, r in zip(preds, test, strict=True)]) >= 0.9, view


def test_prediction_carries_calibrated_top_three(trained: tuple[TextClassifier, list]) -> None:
    model, test = trained
    p = model.predict(test[0][0], test[0][1], explain=5)
    assert len(p.alternatives) == 3
    assert p.alternatives[0] == (p.label, p.confidence)
    probs = [q for _lab, q in p.alternatives]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0 + 1e-9
    assert 0 < p.confidence <= 1
    assert p.auto_dispatch == (p.threshold is not None and p.confidence >= p.threshold)
    proba, views = model.predict_proba([test[0][0]], [test[0][1]])
    assert proba.sum() == pytest.approx(1.0) and views == ["both"]
    d = p.to_dict()
    assert set(d) >= {"label", "confidence", "alternatives", "auto_dispatch", "threshold", "view"}


def test_explain_names_ngrams_of_the_text(trained: tuple[TextClassifier, list]) -> None:
    model, _ = trained
    title, content = "A市小区物业不作为", "电梯故障一个月了，房屋漏水也没人管"
    p = model.predict(title, content, explain=6)
    assert p.label == "城乡建设"
    assert p.evidence, "expected some n-grams as evidence"
    text = title + content
    for ngram, weight in p.evidence:
        assert weight > 0
        assert ngram.replace(" ", "") in text.lower()


def test_cross_validated_figures_and_thresholds(trained: tuple[TextClassifier, list]) -> None:
    model, _ = trained
    cv = model.cv
    assert cv["rows"] == 160 and cv["views"] == {"title": 160, "content": 160, "both": 160}
    assert cv["richest_view"]["accuracy"] > 0.9
    assert set(cv["by_view"]) == {"title", "content", "both"}
    assert set(model.thresholds) >= {"pooled", "title", "content", "both"}
    for v in ("title", "content", "both"):
        t = model.thresholds[v]
        assert t is None or 0 < t <= 1


def test_empty_ticket_is_refused(trained: tuple[TextClassifier, list]) -> None:
    model, _ = trained
    with pytest.raises(ValueError, match="不能都为空"):
        model.predict("", "  ")


def test_save_and_load_round_trip(tmp_path: Path, trained: tuple[TextClassifier, list]) -> None:
    model, test = trained
    path = tmp_path / "m" / "kind.joblib"
    meta = store.describe(model, training_data={"file": "synthetic", "rows": 160}, seconds=1.0)
    store.save(model, path, meta)
    again, meta2 = store.load(path)
    assert meta2["labels"] == model.classes_
    assert meta2["training_data"]["rows"] == 160
    assert meta2["cross_validation"]["richest_view"]["accuracy"] == model.cv["richest_view"]["accuracy"]
    assert meta2["thresholds"] == model.thresholds
    assert {"scikit-learn", "jieba", "numpy", "python"} <= set(meta2["versions"])
    for r in test[:5]:
        a, b = model.predict(r[0], r[1]), again.predict(r[0], r[1])
        assert (a.label, round(a.confidence, 6)) == (b.label, round(b.confidence, 6))


def test_load_refuses_foreign_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "x.joblib"
    bad.write_bytes(b"not a model")
    with pytest.raises(store.ModelError, match="无法读取"):
        store.load(bad)
    with pytest.raises(store.ModelError, match="找不到"):
        store.load(tmp_path / "none.joblib")


def test_two_classes_and_title_only_training() -> None:
    rows = tickets(30, seed=3, topics=["环境保护", "交通运输"])
    model = TextClassifier(SMALL).fit([r[0] for r in rows], [""] * len(rows), [r[2] for r in rows])
    assert model.classes_ == ["交通运输", "环境保护"]
    p = model.predict("B2县化工异味和工厂废气严重")
    assert p.label == "环境保护" and len(p.alternatives) == 2
    # content was never seen, yet the model still answers (pooled calibration) — but never
    # dispatches by itself on a view it was not trained on
    p = model.predict(None, "河道发臭，污水直排")
    assert p.label == "环境保护" and p.threshold is None and not p.auto_dispatch
    assert model.threshold_for("title") == model.thresholds.get("title", model.thresholds["pooled"])


def test_training_errors_are_clear() -> None:
    with pytest.raises(TrainingError, match="两个类别"):
        TextClassifier(SMALL).fit(["a", "b", "c"], ["", "", ""], ["x", "x", "x"])
    with pytest.raises(TrainingError, match="没有可用于训练的行"):
        TextClassifier(SMALL).fit(["", ""], ["", ""], ["x", "y"])


def test_unlinked_titles_and_contents_are_paired_within_a_label() -> None:
    rows = tickets(15, seed=5)
    titles = [r[0] for r in rows] + [""] * len(rows)
    contents = [""] * len(rows) + [r[1] for r in rows]
    labels = [r[2] for r in rows] * 2
    t, c, y, n = pair_unlinked(titles, contents, labels)
    assert n == len(rows) and len(t) == len(rows)
    assert all(a and b for a, b in zip(t, c, strict=True))
    truth = {r[0]: r[2] for r in rows}
    assert all(truth[a] == lab for a, lab in zip(t, y, strict=True))
    model, info = train_rows(titles, contents, labels, config=SMALL)
    assert info["paired_title_content"] == len(rows)
    assert model.cv["views"]["both"] == len(rows)


def test_single_ticket_path_agrees_with_the_batch_path(trained: tuple[TextClassifier, list]) -> None:
    model, test = trained
    for title, content, _y in test[:8]:
        for t, c in ((title, content), (title, ""), ("", content)):
            p = model.predict(t, c)
            proba, _ = model.predict_proba([t], [c])
            assert proba[0].max() == pytest.approx(p.confidence, abs=1e-5)
            assert model.classes_[int(proba[0].argmax())] == p.label


def test_row_counts_match_the_hashing_vectorizer(trained: tuple[TextClassifier, list]) -> None:
    model, test = trained
    fz = model.featurizer
    for text in (test[0][1], "ＡＢＣ 小区物业 12345", "单"):
        dense = fz.counts([text]).toarray()[0]
        row = fz.row_counts(text)
        assert {j: dense[j] for j in dense.nonzero()[0]} == row
