"""Call routing decision latency: p95 must stay under 1 ms.

    .venv/bin/python bench/routing.py [--calls 200000] [--copies 1,50] [--http 2000] [--seed 7]

The registry is the shipped reference lists (南京 and 宿迁, 47 lines), imported through the real
service into a temporary SQLite database and loaded into the in-memory snapshot that the API uses.
`--copies 50` also measures a registry 50 times that size (the same lists copied under made-up city
names: 2,350 lines in 100 cities) to show that the lookup does not grow with the registry.

The call mix is a realistic one for a city hall: 12345 itself most of the time, the dual-number and
sub-center lines next, merged numbers still dialled during their transition, a few emergency and
utility numbers, unknown numbers, and 2 % blacklisted callers (some of them with an emergency or a
new matter); the time of each call is spread over a week, and business zones / expert seats are
staffed from 08:00 to 18:00 only; 15 % of the calls come in on 宿迁's trunk (city given), the rest
leave the city to the platform's default (南京). Each decision is timed alone (perf_counter_ns
around one `decide()` call); a second pass times what the API does per call besides HTTP:
`snapshot.current()` (the in-memory snapshot and its freshness check) and `decide()`.
`--http N` also times N POST /api/v1/hotlines/route through the app in-process (TestClient: routing,
validation, bearer-token lookup in SQLite, JSON) for context; the 1 ms target is for the decision.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.clock import CHINA_TZ, FixedClock
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory
from hotline.hotlines import service, snapshot
from hotline.hotlines.routing import Call, Caller, Snapshot, decide, load_policy
from hotline.migrate import upgrade
from hotline.runtime import Runtime
from hotline.security.actor import Actor

# (number, weight): what a Nanjing hall receives, roughly (12345 dominates; see docs/hotlines.md).
MIX = [
    ("12345", 80.0),
    ("12333", 3.0), ("12329", 2.0), ("12393", 2.0), ("12315", 2.5), ("12366", 1.5), ("12348", 0.8),
    ("12320", 0.6), ("12319", 0.5), ("12369", 0.4), ("12328", 0.3), ("12318", 0.1), ("12350", 0.1),
    ("12385", 0.1), ("12313", 0.1),
    ("12336", 0.3), ("12312", 0.2), ("96510", 0.5), ("96196", 0.4), ("12349", 0.3), ("12301", 0.1),
    ("12316", 0.2), ("96119", 0.1), ("12330", 0.1), ("12331", 0.1), ("12358", 0.1), ("12365", 0.1),
    ("110", 0.3), ("119", 0.1), ("120", 0.2), ("122", 0.1), ("95598", 0.3),
    ("02583123456", 0.5), ("96888", 0.3),  # unknown numbers
]
ZONES = frozenset({"12333", "12313", "12329", "12393", "12366"})
EXPERTS = frozenset({"12348", "12333", "12329", "12320", "12393", "12316"})


def build_snapshot(copies: int, tmp: Path) -> tuple[Snapshot, float, Settings]:
    settings = Settings(environment="test", database_url=f"sqlite:///{tmp / f'routing-{copies}.db'}",
                        secret_key="bench-secret")
    engine = make_engine(settings)
    upgrade(engine)
    db = make_session_factory(engine)()
    rt = Runtime.from_settings(settings, FixedClock(datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)))
    service.import_reference(db, rt, actor=Actor.system())
    started = time.perf_counter()
    snap = snapshot.load(db, default_city="南京市")
    load_s = time.perf_counter() - started
    db.close()
    if copies > 1:  # the same lists under made-up names: a province-sized registry
        views = list(snap.lines.values())
        extra = [replace(v, id=v.id + 10_000 * i, city=f"示例{i}-{v.city}") for i in range(1, copies) for v in views]
        snap = Snapshot.build([*views, *extra], default_city="南京市")
    engine.dispose()
    return snap, load_s, settings


def calls(n: int, rng: random.Random) -> list[Call]:
    numbers, weights = zip(*MIX, strict=True)
    monday = datetime(2026, 11, 2, tzinfo=CHINA_TZ)
    out = []
    for number in rng.choices(numbers, weights=weights, k=n):
        at = monday + timedelta(seconds=rng.randrange(7 * 86400))
        staffed = 8 <= at.hour < 18
        roll = rng.random()
        caller = Caller()
        if roll < 0.02:
            caller = Caller(blacklisted=True, emergency=roll < 0.002, new_matter=0.002 <= roll < 0.006)
        elif roll < 0.025:
            caller = Caller(emergency=True)
        city = "宿迁市" if rng.random() < 0.15 else None
        out.append(Call(dialled=number, at=at.astimezone(UTC), caller=caller, city=city,
                        staffed_zones=ZONES if staffed else frozenset(),
                        staffed_experts=EXPERTS if staffed else frozenset()))
    return out


def pct(values: list[int], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)] / 1000.0  # ns → µs


def measure(snap: Snapshot, mix: list[Call]) -> tuple[list[int], float, dict[str, int]]:
    policy = load_policy()
    for c in mix[:2000]:  # warm-up
        decide(snap, policy, c)
    times: list[int] = []
    rules: dict[str, int] = {}
    clock = time.perf_counter_ns
    started = time.perf_counter()
    for c in mix:
        t0 = clock()
        d = decide(snap, policy, c)
        times.append(clock() - t0)
        rules[d.rule] = rules.get(d.rule, 0) + 1
    return times, time.perf_counter() - started, rules


def measure_api_path(settings: Settings, mix: list[Call]) -> list[int]:
    """snapshot.current() + decide(), as POST /route does per call (without HTTP and auth)."""
    engine = make_engine(settings)
    db = make_session_factory(engine)()
    policy = load_policy()
    snapshot.current(db, default_city="南京市")
    db.rollback()
    clock = time.perf_counter_ns
    times = []
    for c in mix:
        t0 = clock()
        decide(snapshot.current(db, default_city="南京市"), policy, c)
        times.append(clock() - t0)
    db.close()
    engine.dispose()
    return times


def timer_floor() -> float:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(20000):
        t0 = clock()
        samples.append(clock() - t0)
    return statistics.median(samples) / 1000.0


def http(settings: Settings, n: int, rng: random.Random) -> list[float]:
    from fastapi.testclient import TestClient

    from hotline.app import create_app
    from hotline.org import service as org
    from hotline.org.models import JurisdictionLevel, UnitKind
    from hotline.security.roles import Role

    engine = make_engine(settings)
    db = make_session_factory(engine)()
    now = datetime(2026, 11, 2, 9, tzinfo=CHINA_TZ)
    city = org.add_jurisdiction(db, code="320100", name="南京市", level=JurisdictionLevel.CITY, parent=None)
    centre = org.add_unit(db, code="center", name="12345中心", short_name="12345中心", kind=UnitKind.HOTLINE_CENTER,
                          jurisdiction=city)
    user = org.add_user(db, username="adapter", password="bench-pass-123", display_name="话务接入", role=Role.OPERATOR,
                        unit=centre)
    db.commit()
    token = org.issue_token(db, user=user, now=now)
    db.close()
    app = create_app(settings, engine=engine, clock=FixedClock(now))
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [{"dialled": c.dialled, "at": c.at.isoformat(), "staffed_zones": sorted(c.staffed_zones),
               "caller": {"blacklisted": c.caller.blacklisted, "emergency": c.caller.emergency,
                          "new_matter": c.caller.new_matter}} for c in calls(n + 200, rng)]
    out = []
    with TestClient(app) as client:
        for body in bodies[:200]:
            client.post("/api/v1/hotlines/route", json=body, headers=headers)
        for body in bodies[200:]:
            t0 = time.perf_counter()
            r = client.post("/api/v1/hotlines/route", json=body, headers=headers)
            out.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--copies", default="1,50", help="registry sizes: copies of the shipped lists (comma-separated)")
    ap.add_argument("--http", type=int, default=0, help="also time N route requests through the app")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(f"machine: 2-core shared VM, {platform.machine()} {platform.python_implementation()} "
          f"{platform.python_version()}; timer floor {timer_floor():.2f} µs (perf_counter_ns back to back)")
    rng = random.Random(args.seed)
    mix = calls(args.calls, rng)
    with tempfile.TemporaryDirectory() as tmp:
        for copies in (int(x) for x in args.copies.split(",")):
            snap, load_s, settings = build_snapshot(copies, Path(tmp))
            times, wall, rules = measure(snap, mix)
            n_cities = len({city for city, _ in snap.lines})
            print(f"\nregistry: {len(snap.lines)} lines in {n_cities} cities "
                  f"(snapshot of the shipped lines loaded from SQLite in {load_s * 1000:.1f} ms)")
            print(f"decisions: {len(times):,}  p50 {pct(times, 0.50):.1f} µs  p95 {pct(times, 0.95):.1f} µs  "
                  f"p99 {pct(times, 0.99):.1f} µs  max {max(times) / 1000:.0f} µs  "
                  f"({len(times) / wall:,.0f} decisions/s in one thread, timing included)")
            print(f"target p95 < 1000 µs: {'met' if pct(times, 0.95) < 1000 else 'NOT met'}")
            top = sorted(rules.items(), key=lambda kv: -kv[1])
            print("rules hit: " + ", ".join(f"{k} {v / len(times):.1%}" for k, v in top))
            if copies == 1:
                api = measure_api_path(settings, mix)
                print(f"snapshot.current() + decide(): p50 {pct(api, 0.50):.1f} µs  p95 {pct(api, 0.95):.1f} µs  "
                      f"p99 {pct(api, 0.99):.1f} µs")
            if args.http and copies == 1:
                lat = sorted(http(settings, args.http, random.Random(args.seed + 1)))
                q = statistics.quantiles(lat, n=100)
                print(f"HTTP POST /api/v1/hotlines/route in-process ({len(lat)} requests, TestClient, bearer token "
                      f"looked up in SQLite): p50 {q[49] * 1000:.2f} ms  p95 {q[94] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
