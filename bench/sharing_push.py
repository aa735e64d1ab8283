"""Benchmark: push delivery of the data-sharing feed (hotline.sharing.delivery) beside the pull feed, on PostgreSQL.

    .venv/bin/python bench/sharing_push.py [--tickets 20000] [--limit 100]

Loads --tickets dispatched tickets (about 2.02 events each) into the database `hotline_bench_push` (never
`test`) with bench/supervision_scan.py's loader, and a whole-city data-sharing account. Then, from cursor 0
to the head, in pages of --limit:
1. pull: `feed.read` page after page, a new session per page (what one API call does);
2. push: the scheduler job (`delivery.deliver_due`) POSTs the same pages to an in-process receiver behind
   httpx.MockTransport that checks each signature, parses the JSON and keeps the last event id — the
   network is left out, everything the platform does per page (read, serialise, sign, log, audit,
   move the cursor) is in.
Prints events per second for both and the push's per-POST time (p50 / p95).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import percentile  # noqa: E402
from bench.sharing_feed import read_all  # noqa: E402
from bench.supervision_scan import NOW, fresh_database  # noqa: E402

from hotline.clock import FixedClock  # noqa: E402
from hotline.config import Settings  # noqa: E402
from hotline.org import machines  # noqa: E402
from hotline.org.service import actor_for  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.security.actor import Actor  # noqa: E402
from hotline.security.roles import Role  # noqa: E402
from hotline.sharing import delivery, push, signing  # noqa: E402
from hotline.sharing.models import PushDelivery  # noqa: E402

DB = "hotline_bench_push"


class Receiver:
    """What a department's endpoint does first: check the signature, parse, drop what it already holds."""

    def __init__(self, secret: str) -> None:
        self.secret, self.events, self.last_id, self.posts = secret, 0, 0, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        ts = int(request.headers[signing.TIMESTAMP_HEADER])
        if not signing.verify(self.secret, ts, request.content, request.headers[signing.SIGNATURE_HEADER]):
            return httpx.Response(401)
        page = json.loads(request.content)
        fresh = [e for e in page["events"] if e["id"] > self.last_id]
        assert [e["id"] for e in fresh] == sorted(e["id"] for e in fresh)
        self.events += len(fresh)
        self.last_id = max([self.last_id, *(e["id"] for e in fresh)])
        self.posts += 1
        return httpx.Response(204)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=20_000)
    ap.add_argument("--limit", type=int, default=delivery.PAGE_LIMIT)
    args = ap.parse_args()
    engine, sf, units, seconds = fresh_database(DB, args.tickets, 0.1, 0.1)
    print(f"data: {args.tickets} tickets, {len(units)} units; loaded in {seconds:.1f} s")
    clock = FixedClock(NOW + timedelta(days=60))  # the loader dates some dispatches weeks after NOW
    rt = Runtime.from_settings(Settings(environment="production", secret_key="x" * 40,
                                        database_url=str(engine.url)), clock)
    rt.resolve = lambda host, port: ["203.0.113.10"]  # receiver.bench: no DNS, an allowed address
    with sf() as db:
        user, _ = machines.create_account(db, actor=Actor.system(), now=clock.now(), role=Role.DATA_SHARING,
                                          username="bench-push", display_name="市大数据局")
        account_id, actor = user.id, actor_for(user)
        _, secret, _ = push.subscribe(db, rt, actor=Actor.system(), account_id=account_id,
                                      url="https://receiver.bench/hotline/events")

    events, _, pages, total, _ = read_all(sf, rt, actor, args.limit)
    pages.sort()
    print(f"pull, whole city, pages of {args.limit}: {events} events, {len(pages)} pages in {total:.1f} s"
          f" = {events / total:.0f} events/s; per page p50 {percentile(pages, 50) * 1000:.1f} ms,"
          f" p95 {percentile(pages, 95) * 1000:.1f} ms")

    receiver = Receiver(secret)
    rt.transport = httpx.MockTransport(receiver)
    t0 = time.perf_counter()
    passes = 0
    while True:
        passes += 1
        if not delivery.deliver_due(sf, rt, limit=args.limit, max_pages=10**9):
            break
    total = time.perf_counter() - t0
    with sf() as db:
        posts = sorted(d.duration_ms for d in db.query(PushDelivery).all())
        failed = db.query(PushDelivery).filter(PushDelivery.ok.is_(False)).count()
    assert receiver.events == events and not failed, (receiver.events, events, failed)
    print(f"push, whole city, pages of {args.limit}: {receiver.events} events, {receiver.posts} POSTs"
          f" in {total:.1f} s = {receiver.events / total:.0f} events/s; POST (receiver in-process) p50"
          f" {percentile(posts, 50):.0f} ms, p95 {percentile(posts, 95):.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
