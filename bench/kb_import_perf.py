"""How long a unit's batch import (批量导入) takes: preview (`bulk.plan`) and confirm of a generated
.xlsx, through the same code as the page and the API, then the same file again (every row
unchanged: nothing to confirm). Up to `bulk.INLINE_ROWS` rows the confirmation is `bulk.apply`
within the request; above, an import job (`import_jobs.enqueue`, then `import_jobs.run` as its
thread runs it, here on the main thread), whose progress commits are part of the figure.

    .venv/bin/python bench/kb_import_perf.py [--rows 20000] [--pg]

SQLite in a temporary file by default; --pg uses a fresh PostgreSQL database hotline_perf_kbimport.
The file has the issue's columns (key, question, answer, two phrasings); each row is a new article
submitted for review. The figures are checked: every row new, every row submitted.
While each preview runs, another writer (a thread with its own session, as another request) updates
a row every 20 ms: its longest wait is how long the preview held the database (SQLite's write lock).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "src"))

from hotline.clock import FixedClock  # noqa: E402
from hotline.config import Settings  # noqa: E402
from hotline.db import make_engine, make_session_factory  # noqa: E402
from hotline.knowledge import bulk, import_jobs  # noqa: E402
from hotline.knowledge.importer import read_table_bytes  # noqa: E402
from hotline.knowledge.models import ImportJob  # noqa: E402
from hotline.migrate import upgrade  # noqa: E402
from hotline.org import service as org  # noqa: E402
from hotline.org.models import JurisdictionLevel, Unit, UnitKind  # noqa: E402
from hotline.runtime import Runtime  # noqa: E402
from hotline.security.roles import Role  # noqa: E402

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
COLUMNS = {"key": "编号", "question": "问题", "answer": "答复口径", "phrasings": "其他问法"}


def workbook(rows: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS.values()))
    for i in range(rows):
        ws.append([f"P-{i:05d}", f"第{i}号事项怎么办理？", f"第{i}号事项请携带身份证到政务服务中心窗口办理，"
                   "材料齐全的当场受理，五个工作日内办结。", f"第{i}号事项去哪办\n第{i}号事项要带什么"])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


@contextmanager
def writer_waits(sf, unit_id: int) -> Iterator[list[float]]:  # type: ignore[no-untyped-def]
    """Another request's writes while the block runs: each one's wait, in seconds."""
    from sqlalchemy import update

    waits: list[float] = []
    stop = threading.Event()

    def write() -> None:
        with sf() as s:
            while not stop.is_set():
                t = time.perf_counter()
                s.execute(update(Unit).where(Unit.id == unit_id).values(short_name=f"市房产局{len(waits) % 10}"))
                s.commit()
                waits.append(time.perf_counter() - t)
                stop.wait(0.02)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield waits
    finally:
        stop.set()
        thread.join()


def timed_plan(db, rt, sf, unit_id: int, actor, data: bytes):  # type: ignore[no-untyped-def]
    """A preview (`bulk.plan`) with another writer beside it: (plan, seconds, that writer's longest wait)."""
    with writer_waits(sf, unit_id) as waits:
        t = time.perf_counter()
        plan = bulk.plan(db, rt, actor=actor, filename="batch.xlsx", data=data, columns=COLUMNS)
        seconds = time.perf_counter() - t
    return plan, seconds, max(waits, default=0.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=bulk.MAX_ROWS)
    ap.add_argument("--pg", action="store_true")
    args = ap.parse_args()
    if args.pg:
        from _common import recreate_database, sqlalchemy_url

        recreate_database("hotline_perf_kbimport")
        url = sqlalchemy_url("hotline_perf_kbimport")
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='kbimport-')}/bench.db"
    settings = Settings(environment="test", database_url=url, secret_key="bench-secret",
                        attachments_dir=tempfile.mkdtemp(prefix="kbimport-files-"))
    engine = make_engine(settings)
    upgrade(engine)
    sf = make_session_factory(engine)
    db = sf()
    rt = Runtime.from_settings(settings, FixedClock(NOW))
    city = org.add_jurisdiction(db, code="320100", name="南京市", level=JurisdictionLevel.CITY, parent=None)
    unit = org.add_unit(db, code="fcj", name="南京市住房保障和房产局", short_name="市房产局",
                        kind=UnitKind.DEPARTMENT, jurisdiction=city)
    user = org.add_user(db, username="editor", password="bench-password-1", display_name="编辑",
                        role=Role.KNOWLEDGE_EDITOR, unit=unit)
    db.commit()
    actor = org.actor_for(user)
    data = workbook(args.rows)
    print(f"database {engine.dialect.name}; {args.rows} rows, {len(data) / 1024:.0f} KiB; "
          f"load average {os.getloadavg()[0]:.2f}")

    t = time.perf_counter()
    _header, table = read_table_bytes("batch.xlsx", data)
    sum(1 for _ in table)  # the rows are read lazily
    reading = time.perf_counter() - t
    plan, preview, held = timed_plan(db, rt, sf, unit.id, actor, data)
    assert plan.count(bulk.NEW) == args.rows, plan.counts
    t = time.perf_counter()
    if plan.to_write > bulk.INLINE_ROWS:
        job_id = import_jobs.enqueue(db, rt, actor=actor, batch=plan, data=data).id
        db.rollback()
        import_jobs.run(sf, rt, job_id)
        job = db.get(ImportJob, job_id)
        assert job is not None and job.status == import_jobs.DONE, (job and job.error)
        assert job.counts and job.counts["submitted"] == args.rows, job.counts
        how = "an import job"
    else:
        done = bulk.apply(db, rt, actor=actor, batch=plan)
        assert done.submitted == args.rows, done.submitted
        how = "within the request"
    confirm = time.perf_counter() - t
    again, repeat, held_again = timed_plan(db, rt, sf, unit.id, actor, data)
    assert again.count(bulk.UNCHANGED) == args.rows, again.counts
    print(f"preview {preview:.2f} s (of which reading the file {reading:.2f} s); confirm, {how}, {confirm:.2f} s "
          f"({confirm / args.rows * 1000:.1f} ms a row); the same file again {repeat:.2f} s "
          f"(all {again.count(bulk.UNCHANGED)} unchanged); another writer's longest wait during the preview "
          f"{held * 1000:.0f} ms, during the second {held_again * 1000:.0f} ms")


if __name__ == "__main__":
    main()
