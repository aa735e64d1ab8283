"""Shared helpers of the benchmarks: the bench database, the org, the uvicorn server, the HTTP load
generator, percentiles and the machine description.

Only the benchmark's own databases (hotline_bench*, hotline_perf*) are ever dropped; `test` is never touched.
"""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
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
BENCH_PREFIXES = ("hotline_bench", "hotline_perf")


def libpq_url(db: str) -> str:
    return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}"


def sqlalchemy_url(db: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}"


def recreate_database(name: str) -> None:
    if name in PROTECTED or not name.startswith(BENCH_PREFIXES):
        raise SystemExit(f"refusing to drop database {name!r}: bench databases are named hotline_bench* or "
                         "hotline_perf*")
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
    # Another source tree to serve instead of this one (put first on PYTHONPATH): A/B runs of old code.
    pythonpath: str | None = None
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
        if self.pythonpath:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (self.pythonpath, env.get("PYTHONPATH")) if p)
        return env

    def start(self, timeout: float = 60.0) -> Server:
        cmd = [
            sys.executable, "-m", "uvicorn", "hotline.asgi:app",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers), "--log-level", "warning",
            # Named rather than left to auto-detection, so that a missing extra fails loudly instead of
            # silently benchmarking the pure-Python loop and parser (both come with uvicorn[standard]).
            "--loop", "uvloop", "--http", "httptools",
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

    def __enter__(self) -> Server:
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


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 response: (status, body, server wants to close)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("connection closed by server")
    status = int(status_line.split(b" ", 2)[1])
    length = None
    chunked = close = False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        parts = []
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readline()
                break
            parts.append(await reader.readexactly(size))
            await reader.readline()
        body = b"".join(parts)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body = await reader.read()
        close = True
    return status, body, close


async def _drive_raw(base_url: str, headers: dict[str, str], make: RequestFactory, n: int, concurrency: int,
                     expect: tuple[int, ...], label: str) -> Result:
    """The same as _drive with a minimal HTTP/1.1 keep-alive client on asyncio streams: a fraction of
    httpx's CPU per request, so that the load generator takes less of the cores the server needs."""
    host, port = base_url.removeprefix("http://").split(":")
    fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    first_error = ""
    next_i = 0

    async def worker() -> None:
        nonlocal next_i, errors, first_error
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while next_i < n:
                i = next_i
                next_i += 1
                method, path, body = make(i)
                head = f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{fixed}"
                if body is not None:
                    head += f"Content-Length: {len(body)}\r\n"
                t0 = time.perf_counter()
                writer.write(head.encode("latin-1") + b"\r\n" + (body or b""))
                try:
                    status, content, close = await _read_response(reader)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    status, content, close = 0, repr(exc).encode(), True
                dt = time.perf_counter() - t0
                statuses[status] = statuses.get(status, 0) + 1
                if status in expect:
                    latencies.append(dt)
                else:
                    errors += 1
                    first_error = first_error or f"{status} {path}: {content[:300].decode(errors='replace')}"
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    return Result(label, latencies, wall, errors, statuses, first_error)


CLIENTS = ("raw", "httpx")


def drive(base_url: str, headers: dict[str, str], make: RequestFactory, n: int, concurrency: int,
          expect: tuple[int, ...] = (200,), label: str = "", client: str = "raw") -> Result:
    """N requests from `concurrency` keep-alive connections in one asyncio (uvloop) loop in this process,
    with the minimal client ("raw") or httpx.AsyncClient ("httpx")."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    fn = _drive_raw if client == "raw" else _drive
    return runner(fn(base_url, headers, make, n, concurrency, expect, label))


# ---- CPU accounting -----------------------------------------------------------------------------

_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _system_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = f[3] + f[4]
    total = sum(f[:8])
    return (total - idle) / _TCK, total / _TCK


class CpuMeter:
    """CPU seconds used during a phase by the server processes, by this process (the load generator), by
    the PostgreSQL backends of the bench database, and by everything else on the machine."""

    def __init__(self, db: str, server_pid: int | None) -> None:
        self.db = db
        self.server_pids = ([server_pid, *_children(server_pid)] if server_pid else [])

    def _pg_pids(self) -> list[int]:
        with psycopg.connect(libpq_url("postgres"), autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.db,)).fetchall()
        return [r[0] for r in rows]

    def _sample(self) -> dict[str, float]:
        busy, total = _system_busy()
        t = os.times()
        return {
            "server": sum(_proc_cpu(p) for p in self.server_pids),
            "client": t.user + t.system,
            "postgres": sum(_proc_cpu(p) for p in self.pg_pids),
            "busy": busy,
            "total": total,
        }

    def __enter__(self) -> CpuMeter:
        self.pg_pids = self._pg_pids()
        self.t0 = time.perf_counter()
        self.a = self._sample()
        return self

    def __exit__(self, *exc: object) -> None:
        b = self._sample()
        self.wall = time.perf_counter() - self.t0
        self.used = {k: b[k] - self.a[k] for k in b}
        self.used["others"] = max(0.0, self.used["busy"] - self.used["server"] - self.used["client"]
                                  - self.used["postgres"])

    def per_request_ms(self, n: int) -> dict[str, float]:
        return {k: self.used[k] / n * 1000 for k in ("server", "postgres", "client")}

    def summary(self, n: int) -> str:
        ncpu = os.cpu_count() or 1
        per = self.per_request_ms(n)
        return (f"CPU per request: server {per['server']:.2f} ms, postgres {per['postgres']:.2f} ms, "
                f"load generator {per['client']:.2f} ms; machine busy {self.used['busy'] / self.wall / ncpu:.0%} "
                f"of {ncpu} cores, of which other processes {self.used['others'] / self.wall / ncpu:.0%}")


def fmt_row(cols: Sequence[object], widths: Sequence[int]) -> str:
    out = []
    for c, w in zip(cols, widths, strict=True):
        s = f"{c:.1f}" if isinstance(c, float) else str(c)
        out.append(s.rjust(w) if w > 0 else s.ljust(-w))
    return "  ".join(out)


class WaitSampler:
    """Samples pg_stat_activity of the bench database every `interval` s during a phase: how many backends
    were, on average, waiting on a row lock (the daily ticket counter), busy, or idle in a transaction."""

    def __init__(self, db: str, interval: float = 0.05) -> None:
        self.db = db
        self.interval = interval
        self.counts: dict[str, float] = {}
        self.samples = 0
        self._stop = threading.Event()

    def _run(self) -> None:
        with psycopg.connect(libpq_url(self.db), autocommit=True) as conn:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                    (self.db,)).fetchall()
                for state, wtype, _event in rows:
                    if state == "active" and wtype == "Lock":
                        key = "lock wait"
                    elif state == "active":
                        key = "active"
                    elif state and state.startswith("idle in transaction"):
                        key = "idle in transaction"
                    else:
                        key = "idle"
                    self.counts[key] = self.counts.get(key, 0) + 1
                self.samples += 1
                self._stop.wait(self.interval)

    def __enter__(self) -> WaitSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def avg(self, key: str) -> float:
        return self.counts.get(key, 0) / self.samples if self.samples else 0.0

    def summary(self) -> str:
        return (f"PostgreSQL sessions on average: {self.avg('lock wait'):.1f} waiting for a row lock, "
                f"{self.avg('active'):.1f} running, {self.avg('idle in transaction'):.1f} idle in transaction "
                f"(waiting for the app), {self.avg('idle'):.1f} idle")
