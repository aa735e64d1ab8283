"""The scheduler's two modes: in-process with the app (on when settings say so, stopped on shutdown)
and the `hotline worker` loop (graceful on SIGTERM); and the CLI."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.cli import app as cli_app
from hotline.config import Settings
from hotline.supervision.models import SchedulerRun
from hotline.supervision.scheduler import embedded_enabled, run_worker


def runs(db) -> list[SchedulerRun]:  # type: ignore[no-untyped-def]
    rows = list(db.execute(select(SchedulerRun).order_by(SchedulerRun.id)).scalars())
    db.rollback()
    return rows


def test_modes_from_settings() -> None:
    assert embedded_enabled(Settings(environment="development"))
    assert not embedded_enabled(Settings(environment="test"))
    assert not embedded_enabled(Settings(environment="production", secret_key="x" * 32))
    assert embedded_enabled(Settings(environment="test", scheduler="embedded"))
    assert not embedded_enabled(Settings(environment="development", scheduler="off"))


def test_off_in_tests_by_default(app, db) -> None:
    with TestClient(app):
        assert app.state.scheduler is None
    assert runs(db) == []


def test_embedded_scheduler_runs_with_the_app_and_stops_with_it(settings, engine, clock, org, db, open_ticket) -> None:
    t = open_ticket(kind="consultation")
    clock.set(t.due_at + timedelta(hours=2))
    db.rollback()
    app = create_app(settings.model_copy(update={"scheduler": "embedded", "scheduler_interval_seconds": 3600}),
                     engine=engine, clock=clock)
    with TestClient(app):
        scheduler = app.state.scheduler
        assert scheduler is not None and scheduler.running
        deadline = time.monotonic() + 20
        while not runs(db) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not scheduler.running  # stopped on shutdown
    done = runs(db)
    assert len(done) == 1 and done[0].mode == "embedded" and done[0].counts["orders"] == 1


def test_worker_stops_gracefully_on_sigterm(sf, rt, clock, db, open_ticket) -> None:
    t = open_ticket(kind="consultation")
    clock.set(t.due_at + timedelta(hours=2))
    db.rollback()
    seen = []

    def after_pass(report) -> None:  # type: ignore[no-untyped-def]
        seen.append(report)
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` would, during the loop

    before = signal.getsignal(signal.SIGTERM)
    loop = run_worker(sf, rt, interval=3600, on_pass=after_pass)
    assert loop.passes == 1 and len(seen) == 1 and seen[0].counts["orders"] == 1
    assert signal.getsignal(signal.SIGTERM) is before  # the previous handler is back
    assert runs(db)[0].mode == "worker"


def test_cli_run_and_runs(settings, monkeypatch, clock, db, open_ticket) -> None:
    # The CLI uses the system clock, not the test clock: this checks the commands run and log, not counts.
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_ENVIRONMENT", "test")
    db.rollback()
    runner = CliRunner()
    r = runner.invoke(cli_app, ["supervision", "run"])
    assert r.exit_code == 0, r.output
    assert "临期催办" in r.output and "超期督办单" in r.output
    r = runner.invoke(cli_app, ["worker", "--once"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli_app, ["supervision", "runs", "--json"])
    assert r.exit_code == 0 and '"mode": "worker"' in r.output and '"mode": "cli"' in r.output


def test_worker_process_stops_on_sigterm(settings, db) -> None:
    """`hotline worker` as production runs it: a separate process, stopped by SIGTERM after its pass."""
    import subprocess
    import sys

    db.rollback()
    env = {**os.environ, "HOTLINE_DATABASE_URL": settings.database_url, "HOTLINE_ENVIRONMENT": "test"}
    proc = subprocess.Popen([sys.executable, "-m", "hotline.cli", "worker", "--interval", "0.2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not runs(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert runs(db), "the worker wrote no run"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "督办调度进程已停止" in out
    assert all(r.mode == "worker" and r.status == "ok" for r in runs(db))
