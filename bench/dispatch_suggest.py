"""Dispatch suggestion speed (screening + place + category model + catalogue + duplicates), and how
often scope screening fires on real citizen messages.

    .venv/bin/python bench/dispatch_suggest.py [--db sqlite:///hotline-demo.db] [--n 1000]

Without --db it builds a demo city (1,500 tickets) in a temporary SQLite file. It trains a category
model from that database's closed tickets (`hotline dispatch retrain` code path), then times
`suggest()` on the texts of N tickets, with and without the model. With ../shared/data present it
also screens every tipdm2020c and fz12345 message and prints how many hit each rule, with examples
(for a person to judge: the data has no scope labels)."""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from hotline.clock import SystemClock
from hotline.config import Settings
from hotline.db import make_engine, make_session_factory
from hotline.dispatch import suggest
from hotline.dispatch.model import ClassifierConfig
from hotline.dispatch.retrain import retrain
from hotline.dispatch.screening import screen
from hotline.runtime import Runtime
from hotline.security.actor import Actor
from hotline.tickets.models import Ticket

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def time_suggest(db, rt, rows, label: str) -> None:  # type: ignore[no-untyped-def]
    times = []
    autos = 0
    for title, content, address, kind, path, tid in rows:
        t0 = time.perf_counter()
        s = suggest.suggest(db, rt, actor=Actor.system(), title=title, content=content, address=address, kind=kind,
                            jurisdiction_path=path, ticket_id=tid)
        times.append((time.perf_counter() - t0) * 1000)
        autos += s.auto_dispatch
    print(f"  {label:<34} n={len(times)}  p50 {pct(times, 50):.2f} ms  p95 {pct(times, 95):.2f} ms  "
          f"max {max(times):.1f} ms  auto-dispatch {autos / len(times):.1%}")


def screening_on_real_data() -> None:
    files = [(DATA / "tipdm2020c" / "messages_with_votes.csv", "留言主题", "留言详情"),
             (DATA / "fz12345_water" / "fz12345_water_complaints_1464.csv", None, None)]
    if not files[0][0].exists():
        print("  (../shared/data absent: real-data screening skipped)")
        return
    for path, tcol, ccol in files:
        if not path.exists():
            continue
        with path.open(encoding="utf-8-sig", errors="replace") as fh:
            rows = list(csv.DictReader(fh))
        if tcol is None:
            cols = rows[0].keys()
            tcol = next((c for c in cols if "标题" in c or "主题" in c), None)
            ccol = next((c for c in cols if "内容" in c or "详情" in c), None)
        hits: Counter[str] = Counter()
        examples: dict[str, str] = {}
        for r in rows:
            for h in screen(r.get(tcol or "", ""), r.get(ccol or "", "")):
                hits[h.code] += 1
                examples.setdefault(h.code, f"{r.get(tcol or '', '')[:30]} ← {'、'.join(h.matched)}")
        print(f"  {path.name}: {len(rows)} messages, {sum(1 for _ in hits.elements())} hits")
        for code, n in hits.most_common():
            print(f"    {code:<18} {n:>4} ({n / len(rows):.1%})  e.g. {examples[code]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", help="database URL of a demo city (default: build one)")
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.db
    if not url:
        from hotline.demo.builder import build_demo

        url = f"sqlite:///{Path(tmp.name) / 'demo.db'}"
        print("building a demo city (1,500 tickets) …", file=sys.stderr)
        build_demo(Settings(database_url=url), tickets=1500, seed=12345, reset=False)
    settings = Settings(database_url=url)
    db = make_session_factory(make_engine(settings))()
    rt = Runtime.from_settings(settings, SystemClock())
    rows = db.execute(select(Ticket.title, Ticket.content, Ticket.address, Ticket.kind, Ticket.jurisdiction_path,
                             Ticket.id)).all()
    random.Random(1).shuffle(rows)
    rows = rows[: args.n]
    print(f"database: {url}  tickets sampled: {len(rows)}")
    time_suggest(db, rt, [(t, c, a, k, p, i) for t, c, a, k, p, i in rows], "catalogue, ticket's place")
    time_suggest(db, rt, [(t, c, a, k, None, i) for t, c, a, k, p, i in rows], "catalogue, place read from text")
    model_path = Path(tmp.name) / "category.joblib"
    t0 = time.perf_counter()
    meta = retrain(db, model_path=model_path, level=2, min_per_class=10, config=ClassifierConfig(n_jobs=2))
    db.rollback()
    cv = meta["cross_validation"]["richest_view"]
    print(f"  retrain from closed tickets: {meta['training_data']['rows_used']} rows, {len(meta['labels'])} classes, "
          f"{time.perf_counter() - t0:.1f} s; cross-validated accuracy {cv['accuracy']:.3f}, "
          f"coverage at threshold {cv['coverage_at_threshold']:.1%} at precision {cv['precision_at_threshold']}")
    rt.settings.dispatch_model = model_path
    suggest.predict_category(rt, "预热", "模型加载")
    time_suggest(db, rt, [(t, c, a, k, None, i) for t, c, a, k, p, i in rows],
                 "model category + place from text")
    print("scope screening on real messages:")
    screening_on_real_data()
    db.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
