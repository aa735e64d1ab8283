"""Hotspots over 100,000 tickets: the clustering time (target < 30 s) and the database read.

Generates N requests with the project's own synthetic stream (analytics/synthetic.py: ~30% in
hotspots of 5–200 requests about one place, the rest distractors), imports them as tickets through
the real importer into a database (a temporary SQLite file by default, or --database-url), then
times, through the same service the API uses, the read of the period's tickets and the clustering.
Also scores the clusters against the generator's labels (precision: members of the cluster's
majority topic; recall: hotspot members found in a cluster of their topic; largest-cluster share:
per generated hotspot, the share of its requests in its largest cluster — below 1 when split).

    .venv/bin/python bench/hotspots_perf.py                       # 100,000 tickets, SQLite
    .venv/bin/python bench/hotspots_perf.py --n 20000 --no-db     # clustering only
    .venv/bin/python bench/hotspots_perf.py --database-url postgresql+psycopg://postgres@127.0.0.1/hotline_perf_hot
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def score(clusters, topic_of) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """(precision, recall, clusters) against the generator's topics."""
    right = total = 0
    found: Counter[str] = Counter()
    for c in clusters:
        labels = Counter(topic_of[k] for k in c.external_ids)
        top, n = labels.most_common(1)[0]
        total += c.size
        if top is not None:
            right += n
            found[top] += n
    hot = Counter(t for t in topic_of.values() if t is not None)
    recall = sum(found.values()) / max(sum(hot.values()), 1)
    return right / max(total, 1), recall, len(clusters)


def largest_share(clusters, topic_of) -> float:  # type: ignore[no-untyped-def]
    """Mean over generated hotspots of the share of its requests in its largest cluster (1.0: never
    split)."""
    best: dict[str, int] = {}
    for c in clusters:
        for t, n in Counter(topic_of[k] for k in c.external_ids).items():
            if t is not None:
                best[t] = max(best.get(t, 0), n)
    hot = Counter(t for t in topic_of.values() if t is not None)
    return sum(best.get(t, 0) / n for t, n in hot.items()) / max(len(hot), 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--no-db", action="store_true", help="cluster in memory only (no import, no read)")
    ap.add_argument("--database-url", help="default: a temporary SQLite file")
    args = ap.parse_args()

    from hotline.analytics.hotspots import Doc, cluster
    from hotline.analytics.synthetic import stream
    from hotline.clock import to_local

    t0 = time.perf_counter()
    msgs = stream(args.n, seed=args.seed)
    topic_of = {m.key: m.topic for m in msgs}
    print(f"generated {len(msgs)} requests ({sum(m.topic is not None for m in msgs)} in "
          f"{len({m.topic for m in msgs if m.topic})} hotspots) in {time.perf_counter() - t0:.1f} s")

    if args.no_db:
        docs = [Doc(key=m.key, title=m.title, content=m.content, at=m.at, support=m.support) for m in msgs]
        t1, c1 = time.perf_counter(), time.process_time()
        clusters = cluster(docs)
        seconds, cpu = time.perf_counter() - t1, time.process_time() - c1
        p, r, k = score(clusters, topic_of)
        print(f"cluster: {seconds:.1f} s wall, {cpu:.1f} s CPU for {len(docs)} tickets; {k} clusters; "
              f"precision {p:.3f}, recall {r:.3f}, largest-cluster share {largest_share(clusters, topic_of):.3f}; "
              f"load average {os.getloadavg()[0]:.1f}")
        return 0

    from hotline.analytics import service
    from hotline.analytics.cli import _cli_actor
    from hotline.analytics.importer import Columns, import_messages
    from hotline.config import Settings
    from hotline.db import make_engine, make_session_factory
    from hotline.migrate import upgrade
    from hotline.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messages.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "title", "content", "time", "likes"])
            for m in msgs:
                w.writerow([m.key, m.title, m.content, to_local(m.at).strftime("%Y-%m-%d %H:%M:%S"), m.support])
        url = args.database_url or f"sqlite:///{tmp}/perf.db"
        settings = Settings(environment="test", database_url=url, secret_key="bench")
        engine = make_engine(settings)
        upgrade(engine)
        db = make_session_factory(engine)()
        rt = Runtime.from_settings(settings)
        t1 = time.perf_counter()
        report = import_messages(db, rt, path=path, columns=Columns(id="id", title="title", content="content",
                                                                     time="time", votes="likes"), batch_size=5000)
        t_import = time.perf_counter() - t1
        print(f"import: {report.imported} tickets (+{report.skipped_existing} already there) in {t_import:.1f} s "
              f"({report.imported / max(t_import, 1e-9):,.0f}/s) on {engine.dialect.name}")
        t2, c2 = time.perf_counter(), time.process_time()
        result = service.hotspots(db, rt, actor=_cli_actor())
        total, cpu = time.perf_counter() - t2, time.process_time() - c2
        db.close()
        engine.dispose()
    p, r, k = score(result.clusters, topic_of)
    print(f"hotspots: {result.tickets} tickets; read {result.seconds_read:.1f} s + cluster "
          f"{result.seconds_cluster:.1f} s = {total:.1f} s wall end to end ({cpu:.1f} s CPU in this process; "
          f"load average {os.getloadavg()[0]:.1f}); {k} clusters; "
          f"precision {p:.3f}, recall {r:.3f}, largest-cluster share {largest_share(result.clusters, topic_of):.3f}; "
          f"warnings {len(result.warnings)}, monthly {len(result.monthly)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
