"""A traffic generator: realistic adapter event streams for the demo, the tests and the benchmark.

Arrivals follow a weekly and daily shape (a morning peak, a lunch dip, an afternoon peak, a quiet
night) with random bursts (a burst main, a power cut: several times the normal rate for half an
hour to an hour). Each half-hour is staffed for its expected load with a little shortfall at the
peaks; calls queue for the first free seat (first come, first served), callers hang up when their
patience (exponential) runs out, a few calls overflow unanswered, a few answered calls are
transferred. A fifth of calls come from a pool of repeat callers."""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from hotline.calls.enums import EMERGENCY_LINES
from hotline.clock import CHINA_TZ

# Relative arrival rate per local hour (0..23): quiet night, 9–11 peak, lunch dip, 14–16 peak.
HOURLY = [0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.35, 0.8, 1.5, 2.1, 2.2, 1.9, 1.1, 1.3, 1.9, 2.0, 1.8, 1.4,
          1.0, 0.9, 0.8, 0.6, 0.4, 0.25]
# Monday is the busiest day; weekends are quieter.
WEEKDAY = [1.15, 1.05, 1.0, 1.0, 0.95, 0.7, 0.65]
# (dialled number, queue, share): 12345 itself and three merged lines that keep their number.
LINES = [("12345", "general", 0.78), ("12333", "hr_social", 0.1), ("12329", "housing_fund", 0.06),
         ("12345", "enterprise", 0.06)]
MEAN_PATIENCE = 75.0  # seconds
MEAN_TALK = 210.0  # seconds
OVERFLOW_WAIT = 180  # seconds in queue before the platform gives up (a missed call)
TRANSFER_SHARE = 0.015


@dataclass
class Options:
    days: int = 3
    calls_per_day: int = 2000
    seed: int = 12345
    start: date | None = None  # first local day; default: the `days` days ending yesterday
    operators: tuple[str, ...] = ()
    repeat_share: float = 0.2
    bursts_per_day: float = 1.0
    prefix: str = "sim"  # call ids are <prefix><seed>-<day>-<n>: runs with other seeds never collide


@dataclass
class _Call:
    ref: str
    at: datetime
    caller: str
    line: str
    queue: str


def _phone(rng: random.Random) -> str:
    return rng.choice(["139", "138", "137", "136", "135", "150", "151", "152", "158", "159", "186", "187", "188",
                       "181", "177", "025"]) + "".join(rng.choice("0123456789") for _ in range(8))


def _rate_profile(rng: random.Random, day: date, per_day: int, bursts: float) -> list[float]:
    """Expected arrivals per half-hour of one day (48 values), bursts included."""
    weights = [HOURLY[h // 2] for h in range(48)]
    scale = per_day * WEEKDAY[day.weekday()] / sum(weights)
    rates = [w * scale for w in weights]
    for _ in range(_poisson(rng, bursts)):
        slot = rng.randrange(16, 44)  # 08:00–22:00
        for s in range(slot, min(48, slot + rng.choice((1, 2)))):
            rates[s] *= rng.uniform(2.5, 4.0)
    return rates


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method: lam is small here (bursts per day).
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _seats(expected: float) -> int:
    """Seats staffed for a half-hour: enough for ~85% occupancy, a shortfall at the busiest times."""
    load = expected * MEAN_TALK / 1800
    return max(1, math.ceil(load / 0.85)) if expected >= 0.5 else (1 if expected > 0 else 0)


def generate(opts: Options) -> list[dict[str, Any]]:
    """The whole stream as adapter events (JSON-ready dicts), in time order."""
    rng = random.Random(opts.seed)
    first = opts.start or (datetime.now(CHINA_TZ).date() - timedelta(days=opts.days))
    repeaters = [_phone(rng) for _ in range(max(5, opts.calls_per_day // 50))]
    operators = list(opts.operators) or [f"op{i:02d}" for i in range(1, 41)]
    events: list[dict[str, Any]] = []
    n = 0
    for d in range(opts.days):
        day = first + timedelta(days=d)
        rates = _rate_profile(rng, day, opts.calls_per_day, opts.bursts_per_day)
        midnight = datetime.combine(day, time(0, 0), tzinfo=CHINA_TZ)
        calls: list[_Call] = []
        for slot, rate in enumerate(rates):
            for _ in range(_poisson_large(rng, rate)):
                at = midnight + timedelta(seconds=slot * 1800 + rng.uniform(0, 1800))
                line, queue = _line(rng)
                caller = rng.choice(repeaters) if rng.random() < opts.repeat_share else _phone(rng)
                n += 1
                calls.append(_Call(f"{opts.prefix}{opts.seed}-{day:%Y%m%d}-{n:06d}", at, caller, line, queue))
        calls.sort(key=lambda c: c.at)
        events += _hall(rng, calls, rates, midnight, operators)
    events.sort(key=lambda e: (e["at"], e["sequence"]))
    return events


def _poisson_large(rng: random.Random, lam: float) -> int:
    if lam < 30:
        return _poisson(rng, lam)
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def _line(rng: random.Random) -> tuple[str, str]:
    x = rng.random()
    for number, queue, share in LINES:
        if x < share:
            return number, queue
        x -= share
    return LINES[0][0], LINES[0][1]


def _hall(rng: random.Random, calls: list[_Call], rates: list[float], midnight: datetime,
          operators: list[str]) -> list[dict[str, Any]]:
    """Serve one day's calls first come, first served with the seats staffed per half-hour."""
    out: list[dict[str, Any]] = []
    free: list[tuple[datetime, int]] = []  # (free from, seat number), a heap
    staffed = 0
    for call in calls:
        slot = min(47, int((call.at - midnight).total_seconds() // 1800))
        want = _seats(rates[slot])
        while staffed < want:  # seats join as the shift grows; extra ones idle through the quiet hours
            staffed += 1
            heapq.heappush(free, (midnight + timedelta(seconds=slot * 1800), staffed))
        ev = _Events(call, out)
        ev.add("offered", call.at, caller=call.caller, dialled=call.line)
        ev.add("queued", call.at + timedelta(seconds=rng.uniform(0.5, 2)), queue=call.queue)
        patience = rng.expovariate(1 / MEAN_PATIENCE)
        seat_free, seat = free[0] if free else (call.at + timedelta(hours=1), 0)
        start = max(call.at + timedelta(seconds=rng.uniform(2, 5)), seat_free)
        wait = (start - call.at).total_seconds()
        if free and wait > OVERFLOW_WAIT and patience > OVERFLOW_WAIT:
            ev.add("ended", call.at + timedelta(seconds=OVERFLOW_WAIT))
            continue
        if not free or wait > patience:
            ev.add("abandoned", call.at + timedelta(seconds=max(3.0, min(patience, OVERFLOW_WAIT))))
            continue
        heapq.heappop(free)
        talk = max(20.0, rng.lognormvariate(math.log(MEAN_TALK) - 0.18, 0.6))
        operator = operators[(seat - 1) % len(operators)]
        ev.add("answered", start, seat=f"A-{seat:02d}", operator=operator, queue=call.queue,
               recording_ref=f"rec/{call.ref}.wav")
        end = start + timedelta(seconds=talk)
        if rng.random() < TRANSFER_SHARE:
            target = rng.choice([*EMERGENCY_LINES, "96333"])
            ev.add("transferred", start + timedelta(seconds=talk * 0.6), target=target, three_way=rng.random() < 0.5)
        ev.add("ended", end)
        heapq.heappush(free, (end + timedelta(seconds=rng.uniform(10, 40)), seat))  # after-call work
    return out


class _Events:
    def __init__(self, call: _Call, out: list[dict[str, Any]]) -> None:
        self.call, self.out, self.seq = call, out, 0

    def add(self, kind: str, at: datetime, **fields: Any) -> None:
        self.seq += 1
        self.out.append({"call_id": self.call.ref, "event_id": f"{self.call.ref}-{self.seq}", "sequence": self.seq,
                         "type": kind, "at": at.isoformat(timespec="seconds"), **fields})


def messy(events: list[dict[str, Any]], rng: random.Random, *, repeat: float = 0.02, shuffle: int = 5
          ) -> list[dict[str, Any]]:
    """The stream as a real adapter may deliver it: some events twice, neighbours swapped."""
    out = []
    for e in events:
        out.append(e)
        if rng.random() < repeat:
            out.append(dict(e))
    for i in range(0, len(out) - shuffle, shuffle):
        window = out[i:i + shuffle]
        rng.shuffle(window)
        out[i:i + shuffle] = window
    return out
