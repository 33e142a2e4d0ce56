"""Soak the served mock (docs/reliability.md, section 2): `python tools/soak.py` (`make soak`).

1. `binance-mock serve` on core 0, its clock frozen (so pre-signed requests stay valid), the
   IP weight limit out of reach (the load is one IP).
2. wrk on core 1: 1,000 keep-alive connections for 60 s, round-robin over signed history
   queries and /api/v3 calls; a Lua hook counts every status that is not 200.
3. 10,000 short connections (one request each, `Connection: close`), 50 at a time.
4. Afterwards: 50 calls to /sapi/v1/system/status, one at a time (median must be under 10 ms; max shown); the journal
   holds at most --journal-size entries; the server log has no error line. Resident memory
   is read from /proc every second during the wrk phase: growth between the mean of the
   first and of the last 10 s must stay under 10%.

Exit status 0 when every criterion holds. Needs wrk (`apt-get install -y wrk`) and taskset.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mock_server.rules.signature import sign_hmac  # noqa: E402
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET  # noqa: E402

NOW = 1_790_000_000_000
DAY = 86_400_000

LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  ok = 0; bad = 0; n = 0
  reqs = {}
  for line in io.lines(os.getenv("SOAK_TARGETS")) do
    table.insert(reqs, wrk.format("GET", line, {["X-MBX-APIKEY"] = os.getenv("SOAK_KEY")}))
  end
end
function request() n = n % #reqs + 1; return reqs[n] end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  io.write(string.format("SOAK ok=%d bad=%d connect=%d read=%d write=%d timeout=%d status=%d\n",
    o, b, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
"""


def targets() -> list[str]:
    # /sapi only: --ip-weight-limit lifts the /sapi budget; /api/v3 keeps 6,000 per minute and
    # the whole load comes from one IP.
    out = ["/sapi/v1/system/status"] * 3
    for size in (10, 100):
        for current in (1, 2, 5):
            for extra in ({}, {"asset": "USDT"}, {"type": "ROLL_IN"}, {"startTime": NOW - 20 * DAY}):
                q = urlencode(
                    {**extra, "size": size, "current": current, "recvWindow": 60000, "timestamp": NOW}
                )
                out.append(f"/sapi/v1/margin/transfer?{q}&signature={sign_hmac(DEMO_SECRET, q.encode())}")
    return out


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def short_connections(port: int, total: int, concurrency: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    queue = iter(range(total))

    async def worker() -> None:
        for _ in queue:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(b"GET /sapi/v1/system/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = await asyncio.wait_for(reader.read(), timeout=10)
                writer.close()
                key = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "no-answer"
            except (OSError, TimeoutError) as exc:
                key = type(exc).__name__
            counts[key] = counts.get(key, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return counts


def ping_latencies(port: int, n: int) -> list[float]:
    out = []
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(n):
            t = time.perf_counter()
            s.sendall(b"GET /sapi/v1/system/status HTTP/1.1\r\nHost: x\r\n\r\n")
            buf = b""
            while not buf.endswith(b"}"):
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("soak: the server closed the connection during the pings")
                buf += chunk
            if b" 200 " not in buf[:20]:
                raise SystemExit(f"soak: a ping after the load got {buf[:40]!r}")
            out.append((time.perf_counter() - t) * 1000)
    return out


def wait_ready(base: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{base}/_mock/health", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("soak: the server did not start")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=int, default=60)
    p.add_argument("--connections", type=int, default=1000)
    p.add_argument("--short", type=int, default=10_000)
    p.add_argument("--journal-size", type=int, default=1000)
    p.add_argument("--report", default=str(ROOT / "soak-report.json"))
    args = p.parse_args()
    if shutil.which("wrk") is None:
        print("soak: wrk is missing (apt-get install -y wrk)", file=sys.stderr)
        return 2
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    port = free_port()
    log = open(work / "server.log", "wb")  # noqa: SIM115 - the server writes it until the end
    server = subprocess.Popen(
        [*pin, sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--anchor-ms", str(NOW),
         "--ip-weight-limit", "1000000000", "--journal-size", str(args.journal_size)],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    wait_ready(base)
    req = urllib.request.Request(
        f"{base}/_mock/clock", data=json.dumps({"now_ms": NOW}).encode(), method="PUT"
    )
    urllib.request.urlopen(req, timeout=5)
    (work / "targets.txt").write_text("\n".join(targets()) + "\n")
    (work / "soak.lua").write_text(LUA)

    samples: list[tuple[float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        start = time.monotonic()
        while not stop.wait(1.0):
            samples.append((time.monotonic() - start, rss_kb(server.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    rss_start = rss_kb(server.pid)
    sampler.start()
    wrk_pin = ["taskset", "-c", "1"] if pin else []
    env = {**os.environ, "SOAK_TARGETS": str(work / "targets.txt"), "SOAK_KEY": DEMO_API_KEY}
    wrk = subprocess.run(
        [*wrk_pin, "wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.duration}s", "--timeout", "10s",
         "--latency", "-s", str(work / "soak.lua"), base],
        capture_output=True, text=True, env=env, timeout=args.duration + 120,
    )  # fmt: skip
    stop.set()
    sampler.join()
    if pin:
        os.sched_setaffinity(0, {1})
    short = asyncio.run(short_connections(port, args.short, 50))
    lat = ping_latencies(port, 50)
    journal = json.loads(urllib.request.urlopen(f"{base}/_mock/requests", timeout=10).read())["requests"]
    rss_end = rss_kb(server.pid)
    server.send_signal(signal.SIGTERM)
    code = server.wait(timeout=30)
    log.close()
    server_log = (work / "server.log").read_text("utf-8", "replace")

    soak_line = next((ln for ln in wrk.stdout.splitlines() if ln.startswith("SOAK ")), "SOAK missing")
    fields = dict(kv.split("=") for kv in soak_line.split()[1:]) if "=" in soak_line else {}
    first = [kb for t, kb in samples if t <= 10]
    last = [kb for t, kb in samples if t > samples[-1][0] - 10] if samples else []
    growth = (statistics.mean(last) / statistics.mean(first) - 1) * 100 if first and last else float("nan")
    bad_log = [
        ln for ln in server_log.splitlines() if any(w in ln for w in ("ERROR", "Traceback", "Exception"))
    ]
    rps = next((ln.split()[-1] for ln in wrk.stdout.splitlines() if ln.startswith("Requests/sec")), None)
    report = {
        "wrk": {"ok": int(fields.get("ok", 0)), "non_200": int(fields.get("bad", -1)), "summary": soak_line,
                "requests_per_s": rps},
        "short_connections": short,
        "ping_after_ms": {"median": round(statistics.median(lat), 2), "max": round(max(lat), 2)},
        "rss_kb": {"start": rss_start, "first_10s_mean": round(statistics.mean(first)) if first else None,
                   "last_10s_mean": round(statistics.mean(last)) if last else None, "end": rss_end,
                   "growth_pct": round(growth, 2)},
        "journal_entries": len(journal), "journal_size": args.journal_size,
        "server_log_error_lines": bad_log[:10], "server_exit": code,
        "load_average_1m_at_end": os.getloadavg()[0],
    }  # fmt: skip
    checks = {
        "wrk: every answer 200": report["wrk"]["non_200"] == 0 and report["wrk"]["ok"] > 0,
        "short connections: all 200": short == {"200": args.short},
        "ping after: median under 10 ms": report["ping_after_ms"]["median"] < 10,
        "rss growth under 10%": growth < 10,
        "journal bounded": len(journal) <= args.journal_size,
        "no error in the server log": not bad_log,
    }
    report["checks"] = checks
    Path(args.report).write_text(json.dumps(report, indent=2) + "\n")
    print(wrk.stdout)
    print(json.dumps(report, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
