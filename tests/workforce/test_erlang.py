"""Erlang B / C against published tables and worked examples (sources cited at each figure), against
exact arithmetic, and for monotonicity and numerical stability at hall sizes far beyond any real one."""

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
    # evaluation of the Erlang C definition (`_exact_c` below), not copied from those pages (their
    # printed results could not be read); the published Erlang B table above pins the recursion that
    # Erlang C is built on (C = N·B / (N − A·(1 − B))), and the published Erlang C table and worked
    # examples below pin Erlang C, the waiting-time tail and the ASA directly.
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


# Published Erlang C figures (probability of waiting, P(W > 0)), with the source they were read from:
#
# (a) J. Dunlop, D. Girma, J. Irvine, "Digital Mobile Communications and the TETRA System" (Wiley),
#     Appendix A.4 "Erlang C table (for blocked-calls-queued)", p. 424, worked example for an
#     8-channel trunk (read from the scan of that page published as "Table C" on Scribd): the table
#     gives the offered traffic A = 3.87 erlangs for C = 8 channels at P_Q = 5 %, and A = 4.08 for
#     C = 10 channels at P_Q = 1 %; with 8, resp. 10 channels at A = 3.87, the share of *queued* calls
#     that wait longer than the mean holding time T is 0.016, resp. 0.0022 (printed to that precision).
#
# The table prints A to two decimals: the A that gives exactly P_Q must round to the printed value.
ERLANG_C_TABLE = [(8, 0.05, 3.87), (10, 0.01, 4.08)]


def _load_for(servers: int, p_wait: float) -> float:
    """The offered load at which Erlang C equals p_wait (bisection: C rises with the load)."""
    lo, hi = 0.0, float(servers)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if erlang.erlang_c(servers, mid) < p_wait else (lo, mid)
    return lo


@pytest.mark.parametrize(("servers", "p_wait", "printed_load"), ERLANG_C_TABLE)
def test_erlang_c_matches_the_published_table(servers: int, p_wait: float, printed_load: float) -> None:
    assert round(_load_for(servers, p_wait), 2) == printed_load
    # And forwards: at the printed (rounded) load the probability of waiting is the table's, to the
    # precision the rounding of A allows.
    assert erlang.erlang_c(servers, printed_load) == pytest.approx(p_wait, rel=0.02)


def test_waiting_time_tail_matches_the_published_worked_example() -> None:
    # (a) above: P(a queued call waits longer than t) = exp(−(C − A)·t/T); at t = T the book prints
    # 0.016 for 8 channels and 0.0022 for 10, both at A = 3.87. Our service level is
    # P(W ≤ t) = 1 − P_Q·exp(−(N − A)·t/AHT), so the queued calls' tail is (1 − SL) / P_Q.
    holding = 90.0  # seconds; the figure does not depend on it when t = T
    for servers, printed in ((8, 0.016), (10, 0.0022)):
        tail = (1 - erlang.service_level(servers, 3.87, holding, holding)) / erlang.erlang_c(servers, 3.87)
        assert round(tail, 3 if printed >= 0.01 else 4) == printed


def test_asa_matches_a_published_single_server_worked_example() -> None:
    # (b) A textbook M/M/1 exercise (course notes "Chapter 5", Course Hero, file 37729019): customers
    # arrive at λ = 15 per hour and are served at μ = 17.5 per hour; the printed answers are a mean time
    # in the system W = 0.4 h (24 minutes) and a mean wait in the queue Wq = 0.3429 h. For one server
    # Erlang C is the utilisation ρ = λ/μ, and our ASA is that mean wait in the queue.
    aht = 3600 / 17.5  # seconds
    load = 15 / 17.5
    assert erlang.erlang_c(1, load) == pytest.approx(load, rel=1e-12)
    wq_hours = erlang.asa(1, load, aht) / 3600
    assert round(wq_hours, 4) == 0.3429
    assert round((erlang.asa(1, load, aht) + aht) / 60) == 24  # W = Wq + service time, in minutes


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
