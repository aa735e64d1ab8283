"""Evaluation figures and the auto-dispatch threshold."""

from __future__ import annotations

import numpy as np
import pytest

from hotline.dispatch import metrics


def test_accuracy_and_macro_f1() -> None:
    y = ["a", "a", "b", "b"]
    p = ["a", "b", "b", "b"]
    assert metrics.accuracy(y, p) == 0.75
    # a: P=1, R=.5, F1=2/3; b: P=2/3, R=1, F1=.8
    assert metrics.macro_f1(y, p) == pytest.approx((2 / 3 + 0.8) / 2)
    assert metrics.accuracy([], []) == 0.0


def test_macro_f1_ignores_classes_absent_from_the_truth() -> None:
    assert metrics.macro_f1(["a", "a"], ["a", "c"]) == pytest.approx(2 / 3)


def test_top_k_accuracy() -> None:
    classes = ["a", "b", "c", "d"]
    proba = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
    assert metrics.top_k_accuracy(["c", "a", "e"], proba, classes, k=3) == pytest.approx(1 / 3)
    assert metrics.top_k_accuracy(["c", "a", "a"], proba, classes, k=1) == pytest.approx(1 / 3)


def test_threshold_is_the_lowest_confidence_reaching_the_precision() -> None:
    conf = [0.99, 0.95, 0.9, 0.8, 0.7, 0.6]
    ok = [True, True, True, True, False, False]
    assert metrics.choose_threshold(conf, ok, 0.98) == 0.8
    # 4 of 5 right at 0.7 is 0.8 precision
    assert metrics.choose_threshold(conf, ok, 0.8) == 0.7
    assert metrics.choose_threshold(conf, ok, 0.5) == 0.6


def test_threshold_keeps_ties_together_and_may_be_none() -> None:
    conf = [0.9, 0.9, 0.5]
    ok = [True, False, True]
    # at 0.9 both tied rows are dispatched: precision 0.5
    assert metrics.choose_threshold(conf, ok, 0.98) is None
    assert metrics.choose_threshold([], [], 0.98) is None
    assert metrics.choose_threshold([0.3, 0.2], [False, False], 0.98) is None


def test_threshold_survives_a_wrong_top_prediction() -> None:
    conf = np.linspace(1, 0.01, 100)
    ok = np.ones(100, dtype=bool)
    ok[0] = False
    ok[60:] = False
    t = metrics.choose_threshold(conf, ok, 0.98)
    assert t is not None
    cov, prec = metrics.coverage_precision(conf, ok, t)
    assert prec == pytest.approx(59 / 60) and cov == pytest.approx(0.6)  # 59 of the top 60 right


def test_coverage_and_precision() -> None:
    conf = [0.9, 0.8, 0.3]
    ok = [True, False, True]
    assert metrics.coverage_precision(conf, ok, 0.5) == (pytest.approx(2 / 3), 0.5)
    assert metrics.coverage_precision(conf, ok, None) == (0.0, None)
    assert metrics.coverage_precision(conf, ok, 0.95) == (0.0, None)


def test_report_has_exactly_the_cli_keys() -> None:
    classes = ["a", "b"]
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3]])
    r = metrics.report(["a", "b", "b"], proba, classes, [0.8, 0.8, None])
    assert list(r) == ["n", "accuracy", "macro_f1", "top3_accuracy", "coverage_at_threshold", "precision_at_threshold"]
    assert r["n"] == 3 and r["accuracy"] == pytest.approx(0.6667, abs=1e-4)
    assert r["coverage_at_threshold"] == pytest.approx(0.3333, abs=1e-4) and r["precision_at_threshold"] == 1.0
    assert metrics.report([], np.zeros((0, 2)), classes, None)["n"] == 0


def test_wilson_lower_bound() -> None:
    # 98 of 100 right, z = 1.645: (0.98 + z²/200 − z·√(0.98·0.02/100 + z²/40000)) / (1 + z²/100)
    assert metrics.wilson_lower(np.array([98]), np.array([100]), 0.95)[0] == pytest.approx(0.9414, abs=5e-4)
    # it rises towards the observed rate as the sample grows, and never exceeds it
    small, large = metrics.wilson_lower(np.array([98, 9800]), np.array([100, 10000]), 0.95)
    assert small < large < 0.98
    assert metrics.wilson_lower(np.array([10]), np.array([10]), 0.9)[0] < 1.0


def test_threshold_with_a_confidence_bound_keeps_a_margin() -> None:
    rng = np.random.default_rng(0)
    conf = np.sort(rng.uniform(0.3, 1.0, 4000))[::-1]
    ok = rng.uniform(size=4000) < conf  # right about as often as the confidence says
    point = metrics.choose_threshold(conf, ok, 0.95)
    bounded = metrics.choose_threshold(conf, ok, 0.95, bound=0.95)
    assert point is not None and bounded is not None and bounded > point
    above = conf >= bounded
    lower = metrics.wilson_lower(np.array([ok[above].sum()]), np.array([above.sum()]), 0.95)[0]
    assert lower >= 0.95
    # too few rows for the bound to reach the target: nothing is dispatched automatically
    assert metrics.choose_threshold([0.99, 0.98, 0.97], [True, True, True], 0.98, bound=0.95) is None
    assert metrics.choose_threshold([0.99, 0.98, 0.97], [True, True, True], 0.98) == 0.97
