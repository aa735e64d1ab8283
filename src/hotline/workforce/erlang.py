"""Erlang B and Erlang C, computed by the Erlang B recursion (no factorials, no powers: stable for
thousands of seats), and the call-centre figures derived from them.

    B(0, A) = 1,   B(n, A) = A·B(n−1, A) / (n + A·B(n−1, A))          (Erlang B, blocking)
    C(N, A) = N·B(N, A) / (N − A·(1 − B(N, A)))      for N > A       (Erlang C, P(wait > 0))
    P(wait ≤ t) = 1 − C·exp(−(N − A)·t / AHT)                           (service level)
    ASA = C·AHT / (N − A)

A is the offered load in erlangs (calls × AHT / interval length). With N ≤ A the queue grows
without bound: C = 1 and the service level is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of an M/M/N/N system (Erlang's loss formula)."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be non-negative")
    b = 1.0
    for n in range(1, servers + 1):
        b = load * b / (n + load * b)
    return b


def c_from_b(servers: int, load: float, b: float) -> float:
    if servers <= load:
        return 1.0
    return servers * b / (servers - load * (1.0 - b))


def erlang_c(servers: int, load: float) -> float:
    """Probability that a call waits (M/M/N, infinite patience)."""
    if load == 0:
        return 0.0
    return c_from_b(servers, load, erlang_b(servers, load))


def service_level_from_c(c: float, servers: int, load: float, aht: float, within: float) -> float:
    if load == 0:
        return 1.0
    if servers <= load:
        return 0.0
    return 1.0 - c * math.exp(-(servers - load) * within / aht)


def service_level(servers: int, load: float, aht: float, within: float) -> float:
    """Share of calls answered within `within` seconds (AHT in seconds)."""
    return service_level_from_c(erlang_c(servers, load), servers, load, aht, within)


def asa(servers: int, load: float, aht: float) -> float:
    """Average speed of answer in seconds (infinite when N ≤ A)."""
    if load == 0:
        return 0.0
    if servers <= load:
        return math.inf
    return erlang_c(servers, load) * aht / (servers - load)


def abandon_estimate(c: float, servers: int, load: float, aht: float, patience: float) -> float:
    """Share of callers who would hang up, for exponential patience of mean `patience` seconds,
    taking the Erlang C waiting time as given: C · θ⁻¹ / ((N − A)/AHT + θ⁻¹).

    Erlang C has no abandonment; this first-order estimate ignores that those who leave shorten
    the queue for the rest, so it errs on the side of more abandonment (the simulation measures
    the real effect)."""
    if load == 0:
        return 0.0
    if servers <= load:
        return 1.0
    if math.isinf(patience):
        return 0.0
    drain = (servers - load) / aht
    return c * (1.0 / patience) / (drain + 1.0 / patience)


@dataclass(frozen=True)
class Staffing:
    seats: int
    erlang_c: float
    service_level: float
    asa: float
    occupancy: float
    answer_rate: float


def seats_needed(load: float, aht: float, *, target_sl: float, within: float, target_answer: float,
                 patience: float, min_seats: int = 0, max_seats: int = 100_000) -> Staffing:
    """The fewest seats reaching both the service level and the (estimated) answer rate.

    B is carried up the recursion once: from B(⌊A⌋) upwards each extra seat costs O(1)."""
    if load == 0:
        n = min_seats
        return Staffing(seats=n, erlang_c=0.0, service_level=1.0, asa=0.0, occupancy=0.0, answer_rate=1.0)
    n = max(min_seats, int(math.floor(load)) + 1)
    b = erlang_b(n, load)
    while True:
        c = c_from_b(n, load, b)
        sl = service_level_from_c(c, n, load, aht, within)
        answer = 1.0 - abandon_estimate(c, n, load, aht, patience)
        if sl >= target_sl and answer >= target_answer:
            return Staffing(seats=n, erlang_c=c, service_level=sl, asa=c * aht / (n - load), occupancy=load / n,
                            answer_rate=answer)
        if n >= max_seats:
            raise OverflowError(n)
        n += 1
        b = load * b / (n + load * b)
