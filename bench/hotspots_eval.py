"""Hotspots on real messages: ../shared/data/tipdm2020c/messages_with_votes.csv (4,326 messages
with likes), imported through the real importer into a temporary SQLite database and clustered by
the same service the API and `hotline analytics hotspots` use.

Prints the figures (tickets, clusters, members, times) and the top N clusters with every member's
id and title, for the inspection by hand recorded in docs/analytics.md.

    .venv/bin/python bench/hotspots_eval.py               # figures + top 20 clusters
    .venv/bin/python bench/hotspots_eval.py --top 30 --members 0
    HOTLINE_DATA_PATH=/elsewhere .venv/bin/python bench/hotspots_eval.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("HOTLINE_DATA_PATH", ROOT.parent / "shared" / "data")) / "tipdm2020c"
SOURCE = DATA / "messages_with_votes.csv"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--members", type=int, default=60, help="members listed per cluster (0: none)")
    ap.add_argument("--json", type=Path, help="also write the top clusters as JSON here")
    args = ap.parse_args()
    if not SOURCE.is_file():
        print(f"跳过：找不到真实数据 {SOURCE}（设置 HOTLINE_DATA_PATH 指向 shared/data）")
        return 0

    from hotline.analytics import service
    from hotline.analytics.cli import _cli_actor
    from hotline.analytics.importer import Columns, import_messages
    from hotline.config import Settings
    from hotline.db import make_engine, make_session_factory
    from hotline.migrate import upgrade
    from hotline.runtime import Runtime

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(environment="test", database_url=f"sqlite:///{tmp}/eval.db", secret_key="bench")
        engine = make_engine(settings)
        upgrade(engine)
        db = make_session_factory(engine)()
        rt = Runtime.from_settings(settings)
        t0 = time.perf_counter()
        report = import_messages(db, rt, path=SOURCE, columns=Columns(
            id="留言编号", title="留言主题", content="留言详情", time="留言时间", votes="点赞数"))
        t_import = time.perf_counter() - t0
        result = service.hotspots(db, rt, actor=_cli_actor())
        db.close()
        engine.dispose()

    clusters = result.clusters
    members = sum(c.size for c in clusters)
    print(f"data: {SOURCE} ({report.total} rows, imported {report.imported}, bad {len(report.bad)}) "
          f"in {t_import:.1f} s")
    print(f"tickets {result.tickets}; clusters {len(clusters)} holding {members} tickets "
          f"({members / max(result.tickets, 1):.1%}); read {result.seconds_read:.2f} s, "
          f"cluster {result.seconds_cluster:.2f} s")
    print(f"sizes: ≥3 {sum(c.size >= 3 for c in clusters)}, ≥5 {sum(c.size >= 5 for c in clusters)}, "
          f"≥10 {sum(c.size >= 10 for c in clusters)}, ≥30 {sum(c.size >= 30 for c in clusters)}; "
          f"warnings {len(result.warnings)}; monthly-issue candidates {len(result.monthly)}")
    by_key = {d.key: d for d in result.docs}
    for rank, c in enumerate(clusters[: args.top], start=1):
        g = c.growth
        print(f"\n#{rank} place={c.place} size={c.size} support={c.support} growth={g.ratio if g else 0:.2f}"
              f"{' WARN' if g and g.warning else ''} months={len(c.months)} keywords={'、'.join(c.keywords[:6])}")
        for key in c.external_ids[: args.members]:
            print(f"   {key}\t{by_key[key].title}")
    if args.json:
        args.json.write_text(json.dumps([service.cluster_out(c, result.docs) for c in clusters[: args.top]],
                                        ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
