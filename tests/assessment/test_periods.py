"""Periods from months or days (pure), and the inline SVG sparkline."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from hotline.assessment.service import Period, make_period, months_in
from hotline.clock import CHINA_TZ
from hotline.errors import DomainError
from hotline.web.assessment import sparkline

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=CHINA_TZ)


def test_default_is_the_current_month_and_months_are_whole() -> None:
    assert make_period(now=NOW) == Period(date(2026, 11, 1), date(2026, 11, 30))
    p = make_period(now=NOW, from_month="2025-12", to_month="2026-02")
    assert p == Period(date(2025, 12, 1), date(2026, 2, 28)) and months_in(p) == ["2025-12", "2026-01", "2026-02"]
    assert p.label == "2025-12-01 至 2026-02-28" and make_period(now=NOW).label == "2026年11月"
    assert make_period(now=NOW, from_month="2026-01").label == "2026年1月"  # as the reports write it, not 01月
    assert make_period(now=NOW, start=date(2026, 11, 3)) == Period(date(2026, 11, 3), date(2026, 11, 20))


def test_bad_periods_are_refused_in_chinese() -> None:
    with pytest.raises(DomainError, match="YYYY-MM"):
        make_period(now=NOW, from_month="2026/11")
    with pytest.raises(DomainError, match="不能早于"):
        make_period(now=NOW, from_month="2026-11", to_month="2026-10")
    with pytest.raises(DomainError, match="三年"):
        make_period(now=NOW, from_month="2020-01", to_month="2026-01")


def test_sparkline_draws_known_points_and_skips_gaps() -> None:
    svg = str(sparkline([None, 50.0, 100.0], width=100, height=24))
    assert svg.startswith('<svg class="spark"') and "50.0，100.0" in svg
    assert 'points="50.0,12.0 100.0,2.0"' in svg
    assert "—" in str(sparkline([None, None]))
