"""`make bench`'s streams section: the market streams and the user data's sockets under load.

The server (bench/stream_server.py: `binance-mock serve`, real clock, plus a stamp of the instant
the hub starts fanning out each event of btcusdt@trade) runs pinned to the server core; the
clients (bench/stream_clients.py, one asyncio process) to the load core. Measured:

- fan-out: 1,000 subscribers of /ws/btcusdt@trade, without compression and with
  permessage-deflate (what `websockets`' clients negotiate by default): each subscriber must get
  every trade, in order, none missing (else the bench fails), and the delay from the hub's stamp
  to each subscriber's receipt;
- rate: 200 streams (15 symbols x 14 kinds, the first 200) on 4 connections of 50, and on 200
  connections of one: events a second delivered, the server's CPU share and memory;
- fills: MARKET orders by REST; the delay from the REST answer to the executionReport on a
  listenKey stream and on the WebSocket API's subscription.

`python bench/streams.py` runs this section alone and prints its part of BENCHMARKS.md;
`--before <tree>` compares the fan-out of two checkouts, `--depth-before <tree>` the 200
streams with diff depth.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import LOAD_CPU, PY, _free_port, _pin, server  # noqa: E402
from mock_server.state.accounts import DEMO_API_KEY  # noqa: E402

SUBSCRIBERS = 1_000
FANOUT_S = 15
STEER_HZ = 5  # steers of BTCUSDT a second in the fan-out: each prints a trade
IDLE_S = 5
RATE_S = 10
ORDERS = 100
STAMPED = "btcusdt@trade"
SYMBOLS = ["btcusdt", "ethusdt", "bnbusdt", "solusdt", "xrpusdt", "adausdt", "dogeusdt", "linkusdt",
           "trxusdt", "ltcusdt", "usdcusdt", "fdusdusdt", "ethbtc", "bnbbtc", "ltcbtc"]  # fmt: skip
KINDS = ["trade", "aggTrade", "kline_1s", "kline_1m", "kline_1h", "miniTicker", "ticker", "ticker_1h",
         "bookTicker", "depth5", "depth20@100ms", "depth@100ms", "depth", "kline_1d"]  # fmt: skip
DIFF_DEPTH = ("depth@100ms", "depth")  # each event the whole book to 5,000 levels a side (F76)
KINDS_LIGHT = [k for k in KINDS if k not in DIFF_DEPTH] + ["kline_5m", "ticker_4h"]
STREAMS = [f"{s}@{k}" for k in KINDS for s in SYMBOLS][:200]
STREAMS_LIGHT = [f"{s}@{k}" for k in KINDS_LIGHT for s in SYMBOLS][:200]
IDLE = "/ws/zzzusdt@trade"  # well formed, of a symbol not listed: a connection that never gets an event


def _clients(cfg: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(_pin([PY, str(ROOT / "bench" / "stream_clients.py"), json.dumps(cfg)], LOAD_CPU),
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    if out.returncode:
        raise RuntimeError(f"stream clients failed ({cfg['mode']}): {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _stamps(path: Path) -> dict[int, tuple[int, int]]:
    """trade id -> (E in ms, the hub's stamp in ns)."""
    out = {}
    for line in path.read_text().splitlines():
        t, e, ns = line.split()
        out[int(t)] = (int(e), int(ns))
    return out


def fanout(port: int, pid: int, stamps: Path, block: int, deflate: bool) -> dict[str, Any]:
    r = _clients({"mode": "fanout", "port": port, "pid": pid, "path": f"/ws/{STAMPED}", "n": SUBSCRIBERS,
                  "block": block, "deflate": deflate, "settle_s": 1.0, "seconds": FANOUT_S,
                  "steer_hz": STEER_HZ})  # fmt: skip
    stamped = _stamps(stamps)
    # The trades the hub fanned out in the window, but for its last second (still on their way).
    expected = sorted(
        t for t, (_, ns) in stamped.items() if r["start_ns"] <= ns <= r["stop_ns"] - 1_000_000_000
    )
    if not expected:
        raise RuntimeError("stream bench: no btcusdt@trade event in the window")
    # The market's own list of those trades: the feed must have left none out.
    market = requests.get(
        f"http://127.0.0.1:{port}/api/v3/trades?symbol=BTCUSDT&limit=1000", timeout=10
    ).json()
    listed = [t["id"] for t in market if expected[0] <= t["id"] <= expected[-1]]
    if expected != listed:
        raise RuntimeError(f"stream bench: the trades fanned out {expected} are not the market's {listed}")
    wanted = set(expected)
    delays, lags, last_in_burst = [], [], {t: 0 for t in expected}
    for k, got in enumerate(r["received"]):
        ids = [t for t, _ in got if t in wanted]
        if ids != expected or r["closed"]:
            missing = sorted(wanted - set(ids))
            raise RuntimeError(
                f"stream bench: subscriber {k} of {SUBSCRIBERS} did not get every trade in order "
                f"(missing {missing[:10]}, {len(ids)} of {len(expected)}; closed connections: {r['closed']})"
            )
        for t, at in got:
            if t in wanted:
                e_ms, ns = stamped[t]
                delays.append((at - ns) / 1e6)
                lags.append(at / 1e6 - e_ms)
                last_in_burst[t] = max(last_in_burst[t], at - ns)
    return {
        "events": len(expected),
        "deliveries": len(delays),
        "per_s": len(expected) / FANOUT_S,
        "p50": _pct(delays, 0.5),
        "p99": _pct(delays, 0.99),
        "max": max(delays),
        "last_p50": statistics.median(v / 1e6 for v in last_in_burst.values()),
        "e_p50": _pct(lags, 0.5),
        "e_p99": _pct(lags, 0.99),
        "server_cpu": r["server_cpu"],
        "client_cpu": r["client_cpu"],
        "rss_mb": r["rss_mb"],
        "opened_s": r["opened_s"],
    }


def idle(port: int, pid: int, block: int) -> dict[str, Any]:
    """The server's CPU share with SUBSCRIBERS connections open and no event to send."""
    r = _clients({"mode": "fanout", "port": port, "pid": pid, "path": IDLE, "n": SUBSCRIBERS,
                  "block": block, "deflate": False, "settle_s": 1.0, "seconds": IDLE_S})  # fmt: skip
    return {"server_cpu": r["server_cpu"], "rss_mb": r["rss_mb"], "opened_s": r["opened_s"]}


def rate(port: int, pid: int, block: int, per_connection: int, streams: list[str]) -> dict[str, Any]:
    if per_connection == 1:
        paths = [f"/ws/{s}" for s in streams]
    else:
        paths = [f"/stream?streams={'/'.join(streams[i : i + per_connection])}"
                 for i in range(0, len(streams), per_connection)]  # fmt: skip
    r = _clients({"mode": "rate", "port": port, "pid": pid, "paths": paths, "block": block,
                  "deflate": False, "settle_s": 2.0, "seconds": RATE_S})  # fmt: skip
    if r["closed"]:
        raise RuntimeError(f"stream bench: {r['closed']} connections closed during the rate run")
    seconds = r["seconds"]
    by_kind: dict[str, list[float]] = {}
    for name in streams:
        kind = name.split("@", 1)[1]
        row = by_kind.setdefault(kind, [0, 0, 0])
        row[0] += 1
        row[1] += r["counts"].get(name, 0) / seconds
        row[2] += r["bytes"].get(name, 0) / seconds
    silent = [n for n in streams if not r["counts"].get(n)]
    return {
        "connections": len(paths),
        "events_per_s": sum(r["counts"].values()) / seconds,
        "mb_per_s": sum(r["bytes"].values()) / seconds / 1e6,
        "server_cpu": r["server_cpu"],
        "client_cpu": r["client_cpu"],
        "rss_mb": r["rss_mb"],
        "by_kind": by_kind,
        "silent": silent,
    }


def fills(port: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    for asset, free in (("USDT", "10000000"), ("BTC", "1000")):
        requests.put(f"{base}/_mock/accounts/{DEMO_API_KEY}/balances", json={"asset": asset, "free": free},
                     timeout=10).raise_for_status()  # fmt: skip
    key = requests.post(f"{base}/api/v3/userDataStream", headers={"X-MBX-APIKEY": DEMO_API_KEY},
                        timeout=10).json()["listenKey"]  # fmt: skip
    r = _clients({"mode": "fills", "port": port, "listen_key": key, "n": ORDERS})
    out: dict[str, Any] = {"orders": len(r["orders"])}
    for via in ("listenKey", "wsapi"):
        got = [(row[via] - row["answered"]) / 1e6 for row in r["orders"] if row[via] is not None]
        out[via] = {
            "received": len(got),
            "p50": _pct(got, 0.5),
            "p99": _pct(got, 0.99),
            "max": max(got) if got else float("nan"),
            "within_100": sum(d <= 100 for d in got),
            "before_answer": sum(d < 0 for d in got),
        }
    return out


@contextmanager
def _mock(stamps: Path, root: Path | None = None) -> Iterator[tuple[int, int]]:
    """A stream server (port, pid); `root`: another checkout's mock_server."""
    port = _free_port()
    cmd = ["env", f"BENCH_STAMP={STAMPED}", f"BENCH_STAMP_FILE={stamps}", f"BENCH_MOCK_ROOT={root or ''}",
           PY, str(ROOT / "bench" / "stream_server.py"), "--port", str(port), "--rows", "100"]  # fmt: skip
    with server(cmd, f"http://127.0.0.1:{port}/_mock/health") as proc:
        yield port, proc.pid


def measure() -> dict[str, Any]:
    started, load = time.monotonic(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as d:
        stamps = Path(d) / "stamps"
        stamps.touch()
        with _mock(stamps) as (port, pid):
            out: dict[str, Any] = {"rss_start_mb": _rss(pid)}
            print("streams: fan-out ...", flush=True)
            out["idle"] = idle(port, pid, 1)
            out["plain"] = fanout(port, pid, stamps, 2, deflate=False)
            out["deflate"] = fanout(port, pid, stamps, 3, deflate=True)
            print("streams: rate ...", flush=True)
            out["light_few"] = rate(port, pid, 4, 50, STREAMS_LIGHT)
            out["light_many"] = rate(port, pid, 5, 1, STREAMS_LIGHT)
            out["full_few"] = rate(port, pid, 6, 50, STREAMS)
            print("streams: fills ...", flush=True)
            out["fills"] = fills(port)
    out["took_s"], out["load"] = time.monotonic() - started, load
    return out


def compare(before: Path, rounds: int = 2) -> str:
    """A change's before and after, side by side: `before` is another checkout (a worktree of
    the commit before); each round runs both servers in turn (1,000 idle connections, then the
    1,000-subscriber fan-out without compression)."""
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in range(rounds):
            for label, root in (("before", before), ("after", ROOT)):
                stamps = Path(d) / f"stamps-{label}-{n}"
                stamps.touch()
                with _mock(stamps, root) as (port, pid):
                    i = idle(port, pid, 1)
                    f = fanout(port, pid, stamps, 2, deflate=False)
                rows.append(
                    f"| {label} | {n + 1} | {i['server_cpu']:.1%} | {f['events']} | {f['p50']:.1f} ms | "
                    f"{f['p99']:.1f} ms | {f['last_p50']:.1f} ms | {f['server_cpu']:.1%} |"
                )
                print(rows[-1], flush=True)
    head = ["| tree | round | server CPU, 1,000 idle connections | trades | p50 | p99 | the last subscriber, median | server CPU, fan-out |",
            "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    return "\n".join(head + rows)


def compare_depth(before: Path, rounds: int = 2) -> str:
    """The 200 streams with 30 diff depth, before and after side by side: each round runs both
    servers in turn (`--depth-before <a worktree of the commit before>`)."""
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in range(rounds):
            for label, root in (("before", before), ("after", ROOT)):
                stamps = Path(d) / f"stamps-{label}-{n}"
                stamps.touch()
                with _mock(stamps, root) as (port, pid):
                    r = rate(port, pid, 6, 50, STREAMS)
                k = r["by_kind"]
                rows.append(
                    f"| {label} | {n + 1} | {r['events_per_s']:,.0f} | {r['mb_per_s']:.1f} | {r['server_cpu']:.0%} | "
                    f"{k['depth@100ms'][1]:.0f}, {k['depth@100ms'][2] / 1e3:,.0f} | {k['depth'][1]:.0f}, "
                    f"{k['depth'][2] / 1e3:,.0f} | {r['rss_mb']:.0f} MB |"
                )
                print(rows[-1], flush=True)
    head = ["| tree | round | events/s delivered | MB/s | server CPU | depth@100ms: events/s, kB/s | depth: events/s, kB/s | server RSS |",
            "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    return "\n".join(head + rows)


def _rss(pid: int) -> float:
    from bench.run import _rss_mb

    return _rss_mb(pid)


def report(s: dict[str, Any]) -> list[str]:
    p, z, f, i = s["plain"], s["deflate"], s["fills"], s["idle"]
    lines = [
        "## Streams",
        "",
        f"`bench/streams.py` ({s['took_s']:.0f} s of this run; alone: `.venv/bin/python bench/streams.py`). The mock",
        "(`bench/stream_server.py`: `binance-mock serve --rows 100`, real clock, one probe described",
        "below) on core 0, its clients (`bench/stream_clients.py`) on core 1: one asyncio process",
        "(uvloop) reading the frames with a small RFC 6455 parser of its own, a few µs a message",
        "where the `websockets` library's client takes tens, so its own queueing stays out of the",
        "figures (its CPU share is in the tables). Clients connect from several loopback addresses:",
        "the mock admits 300 new connections an IP in 5 minutes (F73). The machine's load average",
        f"as this section began: {s['load']:.2f} (2 cores; other work on them shows in the tails).",
        "",
        f"### {SUBSCRIBERS:,} subscribers of /ws/btcusdt@trade",
        "",
        "Delay = the wall time at which the subscriber's read that completed the message returned,",
        "minus the wall time at which the hub began to fan the event out (`bench/stream_server.py`",
        "stamps it as the hub takes the event, before encoding it and handing it to the first",
        "subscriber): the fan-out, the server's writes, the kernel and the client's read. The",
        "event's own time `E` is the trade's instant in the market; the hub sends it at its next",
        "tick (every 50 ms), so `E` to receipt adds a wait of up to a tick, shown apart. During the",
        f"window BTCUSDT is steered {STEER_HZ} times a second (`PUT /_mock/market/BTCUSDT`, a hair up and",
        "down; `bench/stream_clients.py`), each steer printing a trade, so the stream carries more",
        "than the market's own 1-2 trades a second (few share a tick). The p99 moves most with the",
        "machine's other load: runs of this fan-out at load averages near 2 gave p99s of 50 to 270 ms.",
        f"Checked (the bench fails otherwise): every subscriber got every trade of the window ({FANOUT_S} s",
        "but its last second), in order, once, and those trades are the market's own, none left out",
        "(`GET /api/v3/trades` between the first and the last).",
        "",
        "| compression | trades | deliveries | p50 | p99 | the last subscriber, median | E to receipt, p50 / p99 | server CPU | client CPU | server RSS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for label, r in (("none", p), ("permessage-deflate (as `websockets` clients ask)", z)):
        lines.append(
            f"| {label} | {r['events']} ({r['per_s']:.1f}/s) | {r['deliveries']:,} | **{r['p50']:.1f} ms** | "
            f"**{r['p99']:.1f} ms** | {r['last_p50']:.1f} ms | {r['e_p50']:.0f} / {r['e_p99']:.0f} ms | "
            f"{r['server_cpu']:.0%} | {r['client_cpu']:.0%} | {r['rss_mb']:.0f} MB |"
        )
    lines += [
        "",
        f"The same {SUBSCRIBERS:,} connections with nothing to send (`{IDLE}`, a symbol not listed): "
        f"server CPU **{i['server_cpu']:.1%}**, RSS {i['rss_mb']:.0f} MB (at start {s['rss_start_mb']:.0f} MB); "
        f"opening them took {i['opened_s']:.1f} s.",
        "",
        "### 200 streams",
        "",
        f"Fifteen symbols, a kind after another, the first 200 names (`bench/streams.py`), no compression, {RATE_S} s",
        "each. The mix: trade, aggTrade, kline_1s, kline_1m, kline_1h, miniTicker, ticker, ticker_1h,",
        "bookTicker, depth5, depth20@100ms, kline_1d, kline_5m, ticker_4h; \"with diff depth\" puts",
        "depth@100ms and depth (1000 ms) of all fifteen in place of the last 30.",
        "",
        "| streams | connections | events/s delivered | MB/s | server CPU | server RSS | client CPU |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for label, conns, r in (
        ("200 without diff depth", "4 of 50 (/stream)", s["light_few"]),
        ("200 without diff depth", "200 of one (/ws)", s["light_many"]),
        ("200 with 30 diff depth", "4 of 50 (/stream)", s["full_few"]),
    ):
        lines.append(
            f"| {label} | {conns} | **{r['events_per_s']:,.0f}** | {r['mb_per_s']:.1f} | **{r['server_cpu']:.0%}** | "
            f"{r['rss_mb']:.0f} MB | {r['client_cpu']:.0%} |"
        )
    full = s["full_few"]["by_kind"]
    lines += [
        "",
        "With diff depth, by kind (events/s of the kind's 15 streams, kB/s): "
        + "; ".join(f"`{k}` {v[1]:.0f}, {v[2] / 1e3:,.0f}" for k, v in full.items())
        + ".",
    ]
    quiet = sorted(set(s["light_few"]["silent"]) | set(s["light_many"]["silent"]))
    lines.append(
        f"Without diff depth, {len(quiet)} streams had no event in a window: {', '.join(quiet) or 'none'} "
        f"(their markets printed no trade in the window); with diff depth, {len(s['full_few']['silent'])}."
    )
    lines += [
        "",
        "### A fill's executionReport",
        "",
        f"{f['orders']} MARKET orders of 0.001 BTCUSDT by the demo account (`POST /api/v3/order`, HMAC), a",
        "random 0-100 ms apart; delay = the executionReport's receipt minus the instant the REST",
        "answer was read, both on the load core. Both sockets open at once: a listenKey stream",
        "(`/ws/<listenKey>`, read at the hub's tick, every 50 ms) and the WebSocket API (`/ws-api/v3`,",
        "`userDataStream.subscribe.signature` with the demo key, polled every 20 ms; the logged-on",
        "`userDataStream.subscribe` needs an Ed25519 key and reads the same poll).",
        "",
        "| via | received | p50 | p99 | max | within 100 ms | before the REST answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, key in (("listenKey stream", "listenKey"), ("WebSocket API subscription", "wsapi")):
        r = f[key]
        lines.append(
            f"| {label} | {r['received']} of {f['orders']} | **{r['p50']:.1f} ms** | **{r['p99']:.1f} ms** | "
            f"{r['max']:.1f} ms | {r['within_100']} of {f['orders']} | {r['before_answer']} |"
        )
    held = all(f[k]["within_100"] == f["orders"] for k in ("listenKey", "wsapi"))
    lines += [
        "",
        f'"Within 100 ms" (the issue\'s words): **{"held" if held else "did not hold"}** in this run, both ways '
        "(a measurement, not a test).",
        "",
    ]
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--before":
        print(compare(Path(sys.argv[2]).resolve()))
    elif len(sys.argv) == 3 and sys.argv[1] == "--depth-before":
        print(compare_depth(Path(sys.argv[2]).resolve()))
    else:
        print("\n".join(report(measure())))
