"""Fuzz the mock's ASGI app with hostile requests: `python tools/fuzz_asgi.py --inputs 1000000`.

Each input is one raw ASGI call (method, path, query string, headers, body, client address),
built by a seeded generator that mixes valid signed requests, mutations of them, and random
bytes, on Binance paths and the control API. The app runs in one event loop, in process, so a
million inputs take minutes. Pass criteria, counted per input: no exception escapes the app,
no status >= 500, and every Binance-path answer is JSON (a `{"code", "msg"}` error unless 200).

Control API calls are fuzzed too; any fault rule one of them manages to add is removed before
the next input (an injected fault is behaviour asked for, not a crash), and every 10,000 inputs
the exchange is reset so the ledger and clock cannot drift into one corner.

Exit status 0 only when no input failed; failures print their seed and index to replay:
`python tools/fuzz_asgi.py --seed S --start I --inputs 1 --verbose`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock

NOW = 1_790_000_000_000
BINANCE_PATHS = ["/sapi/v1/margin/transfer", "/api/v3/ping", "/api/v3/time", "/sapi/v1/system/status"]
CONTROL_PATHS = [
    "/_mock/health", "/_mock/openapi.json", "/_mock/faults", "/_mock/faults/1", "/_mock/faults/x",
    "/_mock/clock", "/_mock/pacing", "/_mock/transfers", "/_mock/requests", "/_mock/reset",
]  # fmt: skip
METHODS = ["GET"] * 12 + ["HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT"]
PARAMS = ["asset", "type", "startTime", "endTime", "current", "size", "isolatedSymbol", "recvWindow",
          "timestamp", "signature", "archived", "x", ""]  # fmt: skip
VALUES = ["", "BNB", "USDT", "ROLL_IN", "ROLL_OUT", "1", "0", "-1", "100", "101", "1e3", "0x10", " 5",
          "+5", "٣", "99999999999999999999", "9223372036854775808", str(NOW), str(NOW - 86_400_000 * 40),
          "%zz", "%ff%fe", "\x00", "资产", "a" * 300, "BTCUSDT", "null", "[]", "{}"]  # fmt: skip
HEADER_NAMES = [b"x-mbx-apikey", b"content-type", b"content-length", b"authorization", b"host",
                b"transfer-encoding", b"origin", b"x-forwarded-for", b"cookie"]  # fmt: skip


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def blob(self, limit: int) -> bytes:
        n = self.r.choice([0, 1, 2, 8, 32, limit])
        return self.r.randbytes(self.r.randint(0, n))

    def text(self, limit: int, surrogates: bool = False) -> str:
        # A lone surrogate becomes invalid UTF-8 in a query; uvicorn never puts one in a path.
        pool = "aZ09=&%+-_.~/ \t\n?#;:,\"'\\<>\x00\x7fé资\U0001f600" + ("\ud800" if surrogates else "")
        return "".join(self.r.choice(pool) for _ in range(self.r.randint(0, limit)))

    def method(self) -> str:
        if self.r.random() < 0.02:
            return "".join(self.r.choice("ABCXYZ!#$%&'*+-.^_`|~09") for _ in range(self.r.randint(1, 12)))
        return self.r.choice(METHODS)

    def path(self) -> str:
        roll = self.r.random()
        base = self.r.choice(BINANCE_PATHS * 3 + CONTROL_PATHS)
        if roll < 0.75:
            return base
        if roll < 0.9:  # mutate a known path (a server's path always starts with "/")
            i = self.r.randint(1, len(base))
            return base[:i] + self.text(6) + base[i:]
        if roll < 0.91:
            return "*"  # OPTIONS * HTTP/1.1 reaches the app as path "*"
        return "/" + self.text(40)

    def query(self) -> bytes:
        roll = self.r.random()
        if roll < 0.15:
            return self.blob(400)
        pairs = [(self.r.choice(PARAMS), self.value()) for _ in range(self.r.randint(0, 8))]
        if self.r.random() < 0.8:
            pairs.append(("timestamp", str(NOW - self.r.choice([0, 1000, 59_000, 10**7]))))
        raw = urlencode(pairs, quote_via=quote, errors="surrogatepass").encode()
        if self.r.random() < 0.1:
            raw = self.mutate(raw)
        if self.r.random() < 0.6:
            raw = raw + b"&signature=" + sign_hmac(DEMO_SECRET, raw).encode()
        if self.r.random() < 0.01:
            raw += b"&pad=" + b"A" * self.r.choice([4_000, 16_000, 70_000])
        return raw

    def value(self) -> str:
        if self.r.random() < 0.7:
            return self.r.choice(VALUES)
        return self.text(20, surrogates=True)

    def mutate(self, raw: bytes) -> bytes:
        b = bytearray(raw)
        for _ in range(self.r.randint(1, 4)):
            op = self.r.randrange(3)
            i = self.r.randint(0, len(b))
            if op == 0:
                b[i:i] = self.r.randbytes(self.r.randint(1, 3))
            elif op == 1 and b:
                del b[min(i, len(b) - 1)]
            elif b:
                b[min(i, len(b) - 1)] = self.r.randrange(256)
        return bytes(b)

    def headers(self, body: bytes) -> list[tuple[bytes, bytes]]:
        out: list[tuple[bytes, bytes]] = []
        roll = self.r.random()
        if roll < 0.6:
            out.append((b"x-mbx-apikey", DEMO_API_KEY.encode()))
        elif roll < 0.8:
            out.append(
                (b"x-mbx-apikey", self.r.choice([b"", b"\xff\xfe", b"A" * 129, b"abc", self.blob(90)]))
            )
        for _ in range(self.r.choice([0, 0, 1, 3])):
            name = self.r.choice(HEADER_NAMES) if self.r.random() < 0.8 else self.blob(12).lower()
            out.append((name, self.blob(60)))
        if body and self.r.random() < 0.7:
            length = len(body) if self.r.random() < 0.8 else self.r.randint(0, 10**9)
            out.append((b"content-length", str(length).encode()))
        if self.r.random() < 0.1:
            out.append((b"content-type", self.r.choice([b"application/json", b"text/plain", b"\xff"])))
        return out

    def body(self, path: str) -> bytes:
        if path.startswith("/_mock/") and self.r.random() < 0.7:
            return json.dumps(self.json_value(3), ensure_ascii=self.r.random() < 0.5).encode()
        if self.r.random() < 0.8:
            return b""
        return self.blob(2_000)

    def json_value(self, depth: int) -> Any:
        keys = ["code", "times", "probability", "match", "args", "http_status", "delay_ms", "fault",
                "now_ms", "offset_ms", "mode", "min_interval_ms", "rows", "apiKey", "amount", "asset",
                "timestamp", "txId", "type", "status", "params", "path", "x"]  # fmt: skip
        kind = self.r.randrange(8 if depth > 0 else 6)
        if kind == 0:
            return self.r.choice([None, True, False])
        if kind == 1:
            return self.r.choice([0, 1, -1, -1003, -3020, 10**20, -(10**20), NOW, 2**63])
        if kind == 2:
            return self.r.choice([0.5, 1e308, -0.0, 1.5])
        if kind in (3, 4, 5):
            return self.r.choice([*VALUES, "real", "reset", "empty_reply", "delay", DEMO_API_KEY])
        if kind == 6:
            return [self.json_value(depth - 1) for _ in range(self.r.randint(0, 4))]
        return {self.r.choice(keys): self.json_value(depth - 1) for _ in range(self.r.randint(0, 5))}

    def client(self) -> tuple[str, int] | None:
        roll = self.r.random()
        if roll < 0.85:
            return ("127.0.0.1", self.r.randint(1024, 65535))
        if roll < 0.95:
            return (self.r.choice(["10.0.0.8", "203.0.113.9", "::1", "localhost", "not-an-ip"]), 1)
        return None

    def request(self) -> dict[str, Any]:
        path = self.path()
        body = self.body(path)
        return {
            "method": self.method(),
            "path": path,
            "query": self.query(),
            "body": body,
            "headers": self.headers(body),
            "client": self.client(),
        }


async def call(app: Any, req: dict[str, Any]) -> dict[str, Any]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": req["method"],
        "scheme": "http", "path": req["path"], "raw_path": req["path"].encode("utf-8", "surrogatepass"),
        "query_string": req["query"], "root_path": "", "headers": req["headers"], "client": req["client"],
        "server": ("127.0.0.1", 8900),
    }  # fmt: skip
    body = req["body"]
    # Deliver the body in pieces sometimes: the app must join them.
    pieces = [body] if len(body) < 64 else [body[:32], body[32:]]
    out: dict[str, Any] = {"status": None, "body": b"", "headers": []}

    async def receive() -> dict[str, Any]:
        if pieces:
            chunk = pieces.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pieces)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = message.get("headers", [])
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return out


def verdict(req: dict[str, Any], out: dict[str, Any]) -> str | None:
    """None when the answer is acceptable, else why not."""
    status = out["status"]
    if status is None:
        return "no response started"
    if status >= 500:
        return f"status {status}"
    if req["path"].startswith("/_mock/") or req["method"] == "HEAD" or status in (204, 413):
        return None
    ctype = dict(out["headers"]).get(b"content-type", b"")
    if not ctype.startswith(b"application/json"):
        return f"content-type {ctype!r}"
    try:
        body = json.loads(out["body"])
    except ValueError:
        return "body is not JSON"
    if status != 200 and not (
        isinstance(body, dict) and set(body) == {"code", "msg"} and isinstance(body["code"], int)
    ):
        return f"not a Binance error body: {out['body'][:100]!r}"
    return None


def build_app() -> tuple[Any, Exchange]:
    clock = Clock()
    clock.freeze(NOW)
    # A huge weight limit: a million calls in a "minute" must not all be 429s.
    ex = Exchange(Settings(anchor_ms=NOW, rows=300, sapi_weight_limit=10**12, api_weight_limit=10**12), clock)
    return create_app(exchange=ex), ex


async def run(args: argparse.Namespace) -> int:
    app, ex = build_app()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    exceptions = 0
    started = time.monotonic()
    for i in range(args.start, args.start + args.inputs):
        req = Gen(random.Random(f"{args.seed}:{i}")).request()
        try:
            out = await call(app, req)
            why = verdict(req, out)
        except Exception as exc:  # the one thing this tool exists to find
            exceptions += 1
            out = {"status": None}
            why = f"exception {type(exc).__name__}: {exc}"
        if req["path"].startswith("/_mock/"):
            ex.clear_faults()
        if i % 10_000 == 0:
            ex.reset()
        statuses[out["status"] or 0] += 1
        if why is not None:
            failures.append(f"seed={args.seed} index={i}: {why}; request={req!r:.300}")
        if args.verbose:
            print(i, req, out)
        done = i - args.start + 1
        if done % args.report_every == 0:
            rate = done / (time.monotonic() - started)
            print(f"{done:,} inputs, {len(failures)} failures, {rate:,.0f}/s", flush=True)
    elapsed = time.monotonic() - started
    print(f"inputs: {args.inputs:,} in {elapsed:,.0f} s ({args.inputs / elapsed:,.0f}/s), seed {args.seed}")
    print(f"unhandled exceptions: {exceptions}; 5xx: {sum(n for s, n in statuses.items() if s >= 500)}")
    print(f"failures (exceptions, 5xx, non-Binance answers on Binance paths): {len(failures)}")
    print("statuses: " + ", ".join(f"{s}: {n:,}" for s, n in sorted(statuses.items())))
    for line in failures[:20]:
        print("  " + line)
    return 1 if failures else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inputs", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--start", type=int, default=0, help="index of the first input (to replay one)")
    p.add_argument("--report-every", type=int, default=100_000)
    p.add_argument("--verbose", action="store_true")
    return asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
