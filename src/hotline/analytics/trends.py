"""Growth of a cluster against its own history, and the early-warning rule (预警).

The recent window is the last `window` before `end`; the history is everything from `start` to the
window's start. The expected count in the window is the history's rate times the window (the
history counted as at least one window long, so that a short history does not inflate the rate):

    expected = history × window / max(history span, window)
    ratio    = (recent + 1) / (expected + 1)          (add-one: a new cluster has a finite ratio)

A cluster is **warned** when all three hold: recent ≥ MIN_RECENT requests, ratio ≥ MIN_RATIO, and
the recent count is improbable under its own history — P(X ≥ recent) < P_VALUE for X ~ Poisson(λ)
with λ = max(expected, FLOOR_RATE) (the floor keeps one or two requests from counting as a surge).
Only when there is a history to compare with (`judged`): the period read reaches at least one window
back before the recent one. A month listed alone has none — everything in it is "recent" — and every
cluster of it was warned (QA: 43 warnings for October, 0 for the same clusters read with their past).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_RECENT = 3
MIN_RATIO = 3.0
P_VALUE = 0.01
FLOOR_RATE = 0.5


@dataclass(frozen=True)
class Growth:
    recent: int
    history: int
    expected: float
    ratio: float
    p_value: float
    warning: bool
    judged: bool = True  # a history at least one window long lay before the recent window


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam)."""
    if k <= 0:
        return 1.0
    term = math.exp(-lam)
    cdf = term
    for i in range(1, k):
        term *= lam / i
        cdf += term
    return max(0.0, 1.0 - cdf)


def growth_of(times: Sequence[datetime], *, start: datetime, end: datetime, window: timedelta) -> Growth:
    cut = end - window
    recent = sum(1 for t in times if cut < t <= end)
    history = sum(1 for t in times if t <= cut)
    span = max((cut - start).total_seconds(), window.total_seconds())
    expected = history * window.total_seconds() / span if history else 0.0
    ratio = (recent + 1) / (expected + 1)
    p = poisson_tail(recent, max(expected, FLOOR_RATE))
    judged = cut - start >= window
    warning = judged and recent >= MIN_RECENT and ratio >= MIN_RATIO and p < P_VALUE
    return Growth(recent=recent, history=history, expected=expected, ratio=ratio, p_value=p, warning=warning,
                  judged=judged)
