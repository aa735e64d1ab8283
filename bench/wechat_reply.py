"""The WeChat callback's passive answer time against WeChat's 5 seconds (docs/wechat.md).

WeChat waits 5 seconds for the answer to a message it forwards; past them it retries (three times) and
then shows the follower "该公众号暂时无法提供服务". This measures, over real HTTP on a uvicorn server
(one worker, SQLite, the platform's own clock), the time from sending a signed `POST /wechat/callback`
with a text message to having the passive reply:

- cold: the first message after the server started (nothing built yet: the knowledge index, the
  encoder of search by meaning, the index of meanings are all made on that first question), once per
  server start (`--cold-runs`);
- warm: `--messages` questions one after another (the 12306 paraphrases, 50 followers in turn);
- concurrent: the same number again from `--concurrency` senders at once.

The knowledge base is the 12306 file (923 Q&A) imported through the real importer, with its vectors
computed ahead as `hotline kb import` does (bench/kb_eval.py's import_12306), into a temporary SQLite
database. Times are the client's (request sent to reply read, loopback): WeChat's own network time
comes on top.

    HOTLINE_DATA_PATH=/work/shared/data .venv/bin/python bench/wechat_reply.py
        [--messages 200] [--concurrency 8] [--cold-runs 3]
    (lexical only: HOTLINE_KB_SEMANTIC=off in front)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, percentile  # noqa: E402
from kb_eval import PARAPHRASES, ROOT, SOURCE, import_12306  # noqa: E402

TOKEN = "benchtoken12345"
ACCOUNT = "gh_bench000000"
LIMIT = 5.0  # seconds: WeChat's wait for a passive reply
FOLLOWERS = 50


def questions() -> list[str]:
    rows = [line.split("\t") for line in PARAPHRASES.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    return [r[2] for r in rows if r[0] in ("val", "test")]


def signed_query() -> dict[str, str]:
    ts, nonce = str(int(time.time())), os.urandom(6).hex()
    sig = hashlib.sha1("".join(sorted([TOKEN, ts, nonce])).encode()).hexdigest()
    return {"signature": sig, "timestamp": ts, "nonce": nonce}


def body(text: str, *, openid: str, msg_id: int) -> bytes:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


class Sender:
    """Messages numbered across the whole run (MsgId unique), the followers taken in turn."""

    def __init__(self, base: str, texts: list[str]) -> None:
        self.base, self.texts, self.n = base, texts, 0

    def next(self) -> tuple[str, bytes]:
        self.n += 1
        openid = f"oBench{self.n % FOLLOWERS:022d}"
        return openid, body(self.texts[self.n % len(self.texts)], openid=openid, msg_id=900_000_000 + self.n)

    def send(self, client: httpx.Client, payload: bytes) -> tuple[float, int, str]:
        t0 = time.perf_counter()
        r = client.post(f"{self.base}/wechat/callback", params=signed_query(), content=payload,
                        headers={"Content-Type": "text/xml"})
        return time.perf_counter() - t0, r.status_code, r.text


def kind(status: int, text: str) -> str:
    if status != 200:
        return f"HTTP {status}"
    if text == "success":
        return "success"
    for mark, name in (("知识库条目", "answer"), ("请回复序号选择", "clarify"), ("没有找到", "not found"),
                       ("已为您转人工", "handover"), ("已收到", "joined")):
        if mark in text:
            return name
    return "other"


def serve(db_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, HOTLINE_DATABASE_URL=f"sqlite:///{db_path}", HOTLINE_ENVIRONMENT="production",
               HOTLINE_SECRET_KEY="bench-secret-not-for-production-0123456789", HOTLINE_WECHAT_TOKEN=TOKEN)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "hotline.asgi:app", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
                            env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("uvicorn did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def summary(label: str, times: list[float], kinds: Counter[str], wall: float | None = None) -> None:
    s = sorted(times)
    over = sum(t > LIMIT for t in s)
    rate = f", {len(s) / wall:.1f} answers/s" if wall else ""
    print(f"{label}: n={len(s)} p50 {percentile(s, 50) * 1000:.0f} ms, p95 {percentile(s, 95) * 1000:.0f} ms, "
          f"max {s[-1] * 1000:.0f} ms, over 5 s: {over}{rate}; replies {dict(kinds.most_common())}")


def cold_as_wechat(sender: Sender, payload: bytes) -> list[tuple[float, float, int, str]]:
    """The first message as WeChat sends it: when no answer came within 5 seconds, the same message again
    (same MsgId), up to three retries, while the earlier attempts still run on the server (WeChat drops
    its side; the server goes on). Returns each attempt's (start, took, status, reply), seconds from the first."""
    attempts: list[tuple[float, float, int, str]] = []
    t0 = time.perf_counter()
    with httpx.Client(timeout=120) as client, ThreadPoolExecutor(4) as pool:
        running = []
        for _ in range(4):  # the message and WeChat's three retries
            future = pool.submit(sender.send, client, payload)
            running.append((time.perf_counter() - t0, future))
            wait([future], timeout=LIMIT)
            if future.done():  # answered while WeChat still waited for this attempt
                break
        for start, future in running:
            took, status, text = future.result()
            attempts.append((start, took, status, text))
    return attempts


def at_once(sender: Sender, payloads: list[bytes], senders: int) -> tuple[list[tuple[float, int, str]], float]:
    """The payloads sent by `senders` threads over one pool of as many keep-alive connections."""
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    with httpx.Client(timeout=60, limits=limits) as client, ThreadPoolExecutor(senders) as pool:
        t0 = time.perf_counter()
        done = list(pool.map(lambda payload: sender.send(client, payload), payloads))
        return done, time.perf_counter() - t0


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f} at start")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--cold-runs", type=int, default=3)
    ap.add_argument("--kb-db", type=Path, help="keep the imported database here and reuse it on the next run "
                                               "(the import with vectors takes minutes)")
    args = ap.parse_args()
    if not SOURCE.exists():
        print(f"skipped: {SOURCE} not found (set HOTLINE_DATA_PATH)")
        return 0
    print("machine:", machine())
    print("search by meaning:", os.environ.get("HOTLINE_KB_SEMANTIC", "auto"))
    texts = questions()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.kb_db and args.kb_db.exists():
            shutil.copy(args.kb_db, tmp / "kb.db")
            print(f"data: {SOURCE.name} as imported earlier into {args.kb_db}; {len(texts)} distinct questions, "
                  f"{FOLLOWERS} followers")
        else:
            t0 = time.perf_counter()
            engine, db, _rt, rows, result = import_12306(tmp)
            db.close()
            engine.dispose()
            print(f"data: {SOURCE.name}, {len(rows)} rows, {result.created} articles published, imported with "
                  f"vectors in {time.perf_counter() - t0:.1f} s; {len(texts)} distinct questions, "
                  f"{FOLLOWERS} followers")
            if args.kb_db:
                shutil.copy(tmp / "kb.db", args.kb_db)
        port = free_port()
        sender = Sender(f"http://127.0.0.1:{port}", texts)
        cold: list[float] = []
        cold_kinds: Counter[str] = Counter()
        for run in range(args.cold_runs):
            proc = serve(tmp / "kb.db", port)
            try:
                attempts = cold_as_wechat(sender, sender.next()[1])
                _, took, status, text = attempts[0]
                cold.append(took)
                cold_kinds[kind(status, text)] += 1
                answered = next(((st + t, i) for i, (st, t, _, _) in enumerate(attempts) if t <= LIMIT), None)
                print(f"cold run {run + 1}: first answer {took * 1000:.0f} ms ({kind(status, text)}); as WeChat "
                      + (f"sends it: answered by attempt {answered[1] + 1} of {len(attempts)}, "
                         f"{answered[0] * 1000:.0f} ms after the first was sent" if answered else
                         "sends it: no attempt answered within 5 s (the follower sees 该公众号暂时无法提供服务)")
                      + "; replies " + ", ".join(f"{kind(a[2], a[3])} {a[1] * 1000:.0f} ms" for a in attempts))
                with httpx.Client(timeout=60) as client:
                    if run:
                        continue
                    times, kinds = [], Counter()
                    for _ in range(args.messages):
                        took, status, text = sender.send(client, sender.next()[1])
                        times.append(took)
                        kinds[kind(status, text)] += 1
                    summary("warm, one at a time", times, kinds)
                payloads = [sender.next()[1] for _ in range(args.messages)]
                done, wall = at_once(sender, payloads, args.concurrency)
                summary(f"warm, {args.concurrency} senders at once", [d[0] for d in done],
                        Counter(kind(d[1], d[2]) for d in done), wall)
            finally:
                stop(proc)
        summary("cold (first message after start)", cold, cold_kinds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
