"""Presets are configuration: shipped JSON files validated on load; the score is the weighted mean of the
indicators with data, lower-is-better indicators inverted. No preset claims to be official."""

from __future__ import annotations

import pytest

from hotline.assessment.indicators import Indicator
from hotline.assessment.scoring import get_preset, parse_preset, presets, score
from hotline.errors import DomainError, NotFound


def test_shipped_presets_are_valid_and_not_official() -> None:
    shipped = presets()
    assert {"beijing_three_rates", "guangdong_set"} <= set(shipped)
    for p in shipped.values():
        assert p.official is False and "非" in p.description and "官方" in p.description
    beijing = {str(w.indicator) for w in shipped["beijing_three_rates"].weights}
    assert beijing == {"response_rate", "resolution_rate", "satisfaction_rate"}


def test_score_is_weighted_mean_and_skips_missing_indicators() -> None:
    beijing = get_preset("beijing_three_rates")  # 10 / 45 / 45
    figs = {"response_rate": (10, 10), "resolution_rate": (5, 10), "satisfaction_rate": (8, 10)}
    assert score(beijing, figs) == pytest.approx((10 * 100 + 45 * 50 + 45 * 80) / 100, abs=0.01)
    # No callbacks yet: only the response rate has data.
    assert score(beijing, {"response_rate": (3, 4)}) == 75.0
    assert score(beijing, {}) is None


def test_lower_is_better_indicators_are_inverted() -> None:
    guangdong = get_preset("guangdong_set")
    assert score(guangdong, {"return_rate": (1, 10)}) == 90.0
    assert score(guangdong, {"reopen_rate": (0, 5), "satisfaction_rate": (5, 5)}) == 100.0


def test_bad_preset_is_refused_with_a_reason() -> None:
    with pytest.raises(DomainError, match="配置有误"):
        parse_preset({"code": "x", "indicators": [{"code": "no_such_rate", "weight": 1}]})
    with pytest.raises(DomainError, match="正数"):
        parse_preset({"code": "x", "indicators": [{"code": "response_rate", "weight": 0}]})
    with pytest.raises(DomainError, match="属于中心"):
        parse_preset({"code": "x", "indicators": [{"code": str(Indicator.DIRECT_ANSWER), "weight": 1}]})
    with pytest.raises(NotFound, match="guangdong_set"):
        get_preset("shanghai")
