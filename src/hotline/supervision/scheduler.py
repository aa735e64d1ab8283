"""Running the jobs on time: an in-process thread for the embedded default (started and stopped with
the app), and `hotline worker`, a separate looping process for production (graceful on SIGTERM).

Both call jobs.run_pass; correctness never depends on there being one scheduler (see jobs.py)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from hotline.config import Settings
from hotline.runtime import Runtime
from hotline.supervision.jobs import PassReport, SessionFactory, run_pass

log = logging.getLogger(__name__)


def embedded_enabled(settings: Settings) -> bool:
    if settings.scheduler == "auto":
        return settings.environment == "development"
    return settings.scheduler == "embedded"


class Loop:
    """Run a pass every `interval` seconds until stopped; a pass that fails is logged, not fatal."""

    def __init__(self, sf: SessionFactory, rt: Runtime, *, interval: float, mode: str,
                 on_pass: Callable[[PassReport], None] | None = None) -> None:
        self.sf, self.rt, self.interval, self.mode, self.on_pass = sf, rt, interval, mode, on_pass
        self.stopping = threading.Event()
        self.passes = 0
        self.last_ok = True  # the last pass ran and its jobs reported no error (a one-shot run's exit code)

    def run(self, *, once: bool = False) -> None:
        while not self.stopping.is_set():
            try:
                report = run_pass(self.sf, self.rt, mode=self.mode)
                self.passes += 1
                self.last_ok = report.ok
                if self.on_pass:
                    self.on_pass(report)
            except Exception:  # the database may be briefly unreachable: try again next time
                self.last_ok = False
                log.exception("supervision pass failed")
            if once:
                return
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()


class EmbeddedScheduler:
    """The loop on a daemon thread inside the web process."""

    def __init__(self, sf: SessionFactory, rt: Runtime, *, interval: float) -> None:
        self.loop = Loop(sf, rt, interval=interval, mode="embedded")
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.loop.run, name="supervision-scheduler", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.loop.stop()
        if self.thread is not None:
            self.thread.join(timeout)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


def install(app: FastAPI) -> None:
    """Start the embedded scheduler with the app when the settings say so, stop it on shutdown."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        settings: Settings = a.state.settings
        scheduler = None
        if embedded_enabled(settings):
            scheduler = EmbeddedScheduler(a.state.session_factory, a.state.runtime,
                                          interval=settings.scheduler_interval_seconds)
            scheduler.start()
        a.state.scheduler = scheduler
        try:
            async with inner(a) as state:
                yield state
        finally:
            if scheduler is not None:
                scheduler.stop()

    app.router.lifespan_context = lifespan


def run_worker(sf: SessionFactory, rt: Runtime, *, interval: float, once: bool = False,
               on_pass: Callable[[PassReport], None] | None = None) -> Loop:
    """The production worker: loop in this process until SIGTERM/SIGINT, finishing the current pass."""
    loop = Loop(sf, rt, interval=interval, mode="worker", on_pass=on_pass)

    def graceful(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping after the current pass", signum)
        loop.stop()

    previous = {s: signal.signal(s, graceful) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        loop.run(once=once)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return loop
