"""The base learners and their stacking: every learner gives weights in the model's class order,
a class absent from the rows scores very low, and a model with several learners predicts the same
way one ticket at a time as in a batch."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from hotline.dispatch import learners
from hotline.dispatch.model import ClassifierConfig, TextClassifier
from tests.dispatch.synthetic import tickets

SMALL = ClassifierConfig(n_features=2**18, folds=3, n_jobs=1)
# 90 tiny rows: SGD stops at its epoch limit, which is what the model itself allows (it silences this)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data() -> tuple[sp.csr_matrix, np.ndarray]:
    # three classes, each with its own two features, plus one shared noise feature
    rng = np.random.default_rng(0)
    y = np.array(["a", "b", "c"] * 30)
    x = np.zeros((len(y), 8), dtype=np.float32)
    for i, lab in enumerate(y):
        j = "abc".index(lab) * 2
        x[i, j : j + 2] = rng.uniform(0.5, 1.0, 2)
        x[i, 7] = rng.uniform(0, 1)
    return sp.csr_matrix(x), y


@pytest.mark.parametrize("name", learners.LEARNERS)
def test_each_learner_separates_classes_in_the_given_order(name: str) -> None:
    x, y = _data()
    classes = ["c", "b", "a", "z"]  # "z" never occurs
    w, b = learners.fit(name, SMALL, x, y, classes)
    assert w.shape == (4, 8) and b.shape == (4,) and w.dtype == np.float32
    scores = np.asarray(x @ w.T) + b
    pred = np.array(classes)[scores.argmax(axis=1)]
    assert (pred == y).mean() >= 0.95, name
    assert b[3] == learners.ABSENT and not w[3].any()


@pytest.mark.parametrize("name", learners.LEARNERS)
def test_two_classes_give_two_rows(name: str) -> None:
    x, y = _data()
    keep = y != "c"
    w, b = learners.fit(name, SMALL, x[np.flatnonzero(keep)], y[keep], ["a", "b"])
    scores = np.asarray(x[np.flatnonzero(keep)] @ w.T) + b
    assert (np.array(["a", "b"])[scores.argmax(axis=1)] == y[keep]).mean() >= 0.95


def test_unknown_learner_is_refused() -> None:
    x, y = _data()
    with pytest.raises(ValueError, match="unknown learner"):
        learners.fit("xgboost", SMALL, x, y, ["a", "b", "c"])


def test_stacked_learners_share_one_gather_and_agree_with_the_batch_path() -> None:
    rows = tickets(30, seed=11)
    cfg = ClassifierConfig(n_features=2**18, folds=3, n_jobs=1, learners=("sgd", "cnb"))
    model = TextClassifier(cfg).fit([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    k = len(model.classes_)
    assert model.weights_ is not None and model.weights_.shape == (2**18, 2 * k)
    assert model.calibrations["both"].w.shape == (k, 3 * 2 * k)  # both, title and content scores of two learners
    test = tickets(6, seed=12)
    right = 0
    for title, content, label in test:
        for t, c in ((title, content), (title, ""), ("", content)):
            p = model.predict(t, c, explain=3)
            proba, _ = model.predict_proba([t], [c])
            assert proba[0].max() == pytest.approx(p.confidence, abs=1e-5)
            right += p.label == label
    assert right >= 0.9 * 3 * len(test)
    assert model.config.to_dict()["learners"] == ["sgd", "cnb"]
