"""Erlang B / C against published tables and worked examples, against exact arithmetic, and for
monotonicity and numerical stability at hall sizes far beyond any real one."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from hotline.workforce import erlang

# Erlang B table, 1 % grade of service: offered load (erlangs) that N trunks carry at B = 0.01.
# Values as printed in the standard Erlang B tables (e.g. the ITU-T "Teletraffic Engineering
# Handbook", table of the Erlang B formula; the same figures appear in every trunking table):
# N=1: 0.0101, N=5: 1.361, N=10: 4.461, N=20: 12.03, N=50: 37.90, N=100: 84.06.
ERLANG_B_1_PERCENT = [(1, 0.0101), (5, 1.361), (10, 4.461), (20, 12.031), (50, 37.901), (100, 84.064)]


@pytest.mark.parametrize(("servers", "load"), ERLANG_B_1_PERCENT)
def test_erlang_b_matches_the_published_one_percent_table(servers: int, load: float) -> None:
    assert erlang.erlang_b(servers, load) == pytest.approx(0.01, abs=2e-5)


def test_erlang_c_on_two_well_known_worked_examples() -> None:
    # Inputs of two widely used worked examples. Expected figures come from the exact rational
    # evaluation of the Erlang C definition (`_exact_c` below), not copied from those pages (they
    # could not be consulted offline); the published Erlang B table above pins the recursion that
    # Erlang C is built on (C = N·B / (N − A·(1 − B))).
    # (1) Call Centre Helper, "Erlang C Formula – Made Simple": 100 calls in 30 min, AHT 180 s
    #     (A = 10 erlangs), answer within 20 s.
    assert erlang.erlang_c(11, 10.0) == pytest.approx(0.682118, abs=1e-6)
    assert erlang.service_level(11, 10.0, 180, 20) == pytest.approx(0.389614, abs=1e-6)
    assert erlang.service_level(13, 10.0, 180, 20) == pytest.approx(0.795595, abs=1e-6)
    assert erlang.service_level(14, 10.0, 180, 20) == pytest.approx(0.888350, abs=1e-6)
    # (2) Westbay Engineers, "The Erlang-C formula": 360 calls per half hour, 4-minute calls,
    #     55 agents, answer within 15 s (A = 48 erlangs).
    load = 360 * 240 / 1800
    assert load == 48
    assert erlang.erlang_c(55, load) == pytest.approx(0.238701, abs=1e-6)
    assert erlang.asa(55, load, 240) == pytest.approx(8.184, abs=1e-3)
    assert erlang.service_level(55, load, 240, 15) == pytest.approx(0.845883, abs=1e-6)


def _exact_c(n: int, a: Fraction) -> Fraction:
    """Erlang C straight from its definition, in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(n)]
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(terms) + top)


@pytest.mark.parametrize(("servers", "load"), [(1, "0.5"), (2, "1.5"), (7, "5.25"), (30, "27.9"), (80, "71.3")])
def test_recursion_equals_the_definition(servers: int, load: str) -> None:
    exact = _exact_c(servers, Fraction(load))
    assert erlang.erlang_c(servers, float(load)) == pytest.approx(float(exact), rel=1e-11)


def test_monotonicity() -> None:
    load, aht = 37.5, 240.0
    cs = [erlang.erlang_c(n, load) for n in range(38, 80)]
    sls = [erlang.service_level(n, load, aht, 15) for n in range(38, 80)]
    assert all(x > y for x, y in zip(cs, cs[1:], strict=False))  # more seats: fewer wait
    assert all(x < y for x, y in zip(sls, sls[1:], strict=False))  # more seats: better service
    loads = [erlang.service_level(50, a, aht, 15) for a in (30.0, 35.0, 40.0, 45.0, 49.0)]
    assert all(x > y for x, y in zip(loads, loads[1:], strict=False))  # more load: worse service
    assert erlang.service_level(50, 40.0, aht, 30) > erlang.service_level(50, 40.0, aht, 15)


def test_overload_and_empty_cases() -> None:
    assert erlang.erlang_c(10, 10.0) == 1.0 and erlang.service_level(10, 12.0, 180, 15) == 0.0
    assert math.isinf(erlang.asa(10, 10.0, 180))
    assert erlang.erlang_c(3, 0.0) == 0.0 and erlang.service_level(0, 0.0, 180, 15) == 1.0
    with pytest.raises(ValueError):
        erlang.erlang_b(-1, 1.0)


def test_stable_for_very_large_halls() -> None:
    # Factorials of 5,000 overflow a float; the recursion does not.
    c = erlang.erlang_c(5000, 4950.0)
    assert 0.0 < c < 1.0 and not math.isnan(c)
    s = erlang.seats_needed(4950.0, 240, target_sl=0.8, within=15, target_answer=0.95, patience=120)
    assert s.seats > 4950 and s.service_level >= 0.8 and s.answer_rate >= 0.95


def test_seats_needed_is_the_fewest() -> None:
    s = erlang.seats_needed(10.0, 180, target_sl=0.8, within=20, target_answer=0.5, patience=math.inf)
    assert s.seats == 14  # 13 agents give 79.56 % (the worked example above)
    assert erlang.service_level(s.seats - 1, 10.0, 180, 20) < 0.8
    # The answer-rate estimate can be the binding target.
    strict = erlang.seats_needed(10.0, 180, target_sl=0.8, within=20, target_answer=0.99, patience=30)
    assert strict.seats > s.seats and strict.answer_rate >= 0.99
