"""Shared helpers of the benchmarks: the bench database, the org, the uvicorn server, the HTTP load
generator, percentiles and the machine description.

Only the benchmark's own database (hotline_bench*) is ever dropped; `test` is never touched.
"""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
SECRET = "bench-secret-not-for-production-0123456789"
PROTECTED = {"test", "postgres", "template0", "template1"}


def libpq_url(db: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}"


def sqlalchemy_url(db: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}"


def recreate_database(name: str) -> None:
    if name in PROTECTED or not name.startswith("hotline_bench"):
        raise SystemExit(f"refusing to drop database {name!r}: bench databases are named hotline_bench*")
    with psycopg.connect(libpq_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(name: str) -> bool:
    with psycopg.connect(libpq_url("postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def checkpoint(db: str) -> None:
    """Flush dirty buffers before a measured phase, so a checkpoint does not land inside it."""
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


# ---- machine ------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with psycopg.connect(libpq_url("postgres"), autocommit=True) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
        settings = {
            k: conn.execute(f"SHOW {k}").fetchone()[0]
            for k in ("shared_buffers", "synchronous_commit", "max_connections")
        }
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.0f} GiB",
        "postgresql": f"{pg} (shared_buffers={settings['shared_buffers']}, "
        f"synchronous_commit={settings['synchronous_commit']})",
        "python": platform.python_version(),
    }


def print_machine(info: dict[str, str]) -> None:
    for k, v in info.items():
        print(f"  {k:<11} {v}")


# ---- org ------------------------------------------------------------------------------------


def make_bench_engine(db: str):  # type: ignore[no-untyped-def]
    from hotline.config import Settings
    from hotline.db import make_engine

    return make_engine(Settings(environment="production", secret_key=SECRET, database_url=sqlalchemy_url(db)))


# ---- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    db: str
    workers: int
    port: int = field(default_factory=free_port)
    access_log: bool = False
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOTLINE_DATABASE_URL=sqlalchemy_url(self.db),
            HOTLINE_ENVIRONMENT="production",
            HOTLINE_SECRET_KEY=SECRET,
        )
        return env

    def start(self, timeout: float = 60.0) -> "Server":
        cmd = [
            sys.executable, "-m", "uvicorn", "hotline.asgi:app",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--log-level", "warning",
        ]
        if not self.access_log:
            cmd.append("--no-access-log")
        self.proc = subprocess.Popen(cmd, env=self.env(), cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + timeout
        import httpx

        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.proc.returncode}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError("uvicorn did not come up")
        # With several workers, give the others time to finish importing before warm-up.
        time.sleep(1.0 + 0.5 * self.workers)
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group only
            self.proc.wait()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- the load generator --------------------------------------------------------------------


@dataclass
class Result:
    label: str
    latencies: list[float]  # seconds, successful requests only
    wall: float
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else 0.0

    def pct(self, p: float) -> float:
        return percentile(sorted(self.latencies), p) * 1000


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of already sorted values."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


RequestFactory = Callable[[int], tuple[str, str, bytes | None]]  # i -> (method, path, body)


async def _drive(base_url: str, headers: dict[str, str], make: RequestFactory, n: int, concurrency: int,
                 expect: tuple[int, ...], label: str) -> Result:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    first_error = ""
    next_i = 0

    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60.0) as client:

        async def worker() -> None:
            nonlocal next_i, errors, first_error
            while next_i < n:
                i = next_i
                next_i += 1
                method, path, body = make(i)
                t0 = time.perf_counter()
                try:
                    r = await client.request(method, path, content=body)
                    status = r.status_code
                    text = r.text if status not in expect else ""
                except httpx.HTTPError as exc:
                    status, text = 0, repr(exc)
                dt = time.perf_counter() - t0
                statuses[status] = statuses.get(status, 0) + 1
                if status in expect:
                    latencies.append(dt)
                else:
                    errors += 1
                    first_error = first_error or f"{status} {path}: {text[:300]}"

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return Result(label, latencies, wall, errors, statuses, first_error)


def drive(base_url: str, headers: dict[str, str], make: RequestFactory, n: int, concurrency: int,
          expect: tuple[int, ...] = (200,), label: str = "") -> Result:
    """N requests from `concurrency` keep-alive clients in one asyncio loop (httpx)."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    return runner(_drive(base_url, headers, make, n, concurrency, expect, label))


def fmt_row(cols: Sequence[object], widths: Sequence[int]) -> str:
    out = []
    for c, w in zip(cols, widths, strict=True):
        s = f"{c:.1f}" if isinstance(c, float) else str(c)
        out.append(s.rjust(w) if w > 0 else s.ljust(-w))
    return "  ".join(out)
