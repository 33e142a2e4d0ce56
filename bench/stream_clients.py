"""The stream benchmarks' load generator (bench/streams.py runs it pinned to the load core): many
WebSocket connections in one asyncio process, each a small protocol that parses the server's
frames itself and stamps each message with the wall time (ns) of the read that completed it.
The `websockets` library costs some 30 µs of client CPU a message; at a thousand subscribers its
own queueing would be in the figures, so the frames are read here in a few µs (RFC 6455 framing,
and RFC 7692 permessage-deflate when asked for, as `websockets`' clients negotiate it).

`python bench/stream_clients.py '<json config>'` prints one JSON result; see `fanout`, `rate`
and `fills` for what each mode takes and answers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import resource
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET

_TAIL = b"\x00\x00\xff\xff"


class Conn(asyncio.Protocol):
    """One client connection: `on_message(text_bytes, received_ns)` for each text frame."""

    def __init__(self, host: str, path: str, deflate: bool, on_message: Any) -> None:
        self.host, self.path, self.deflate = host, path, deflate
        self.on_message = on_message
        self.buf = bytearray()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.inflate: Any = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        ext = (
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if self.deflate else ""
        )
        self.transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.time_ns()
        buf = self.buf
        buf += data
        if not self.opened.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[: end + 4]
            if " 101 " not in head.split("\r\n", 1)[0]:
                self.opened.set_exception(ConnectionError(head.split("\r\n", 1)[0]))
                return
            if "permessage-deflate" in head.lower():
                bits = 15
                for part in head.lower().split("permessage-deflate", 1)[1].split("\r\n", 1)[0].split(";"):
                    if part.strip().startswith("server_max_window_bits="):
                        bits = int(part.split("=")[1])
                self.inflate = zlib.decompressobj(-bits)
            self.opened.set_result(None)
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            n, i = b1 & 0x7F, 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, i = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, i = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < i + n:
                return
            payload = bytes(buf[i : i + n])
            del buf[: i + n]
            op = b0 & 0x0F
            if op == 1:
                if b0 & 0x40:  # RSV1: a compressed message
                    payload = self.inflate.decompress(payload + _TAIL)
                self.on_message(payload, now)
            elif op == 9:
                self._frame(0xA, payload)
            elif op == 8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                if not self.closed.done():
                    self.closed.set_result(code)

    def send_text(self, text: str) -> None:
        self._frame(0x1, text.encode())

    def _frame(self, op: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | op]) + (
            bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
        )
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert self.transport is not None
        self.transport.write(head + mask + masked)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError("closed before the handshake"))
        if not self.closed.done():
            self.closed.set_result(1006)


async def connect(port: int, path: str, source_ip: str, deflate: bool, on_message: Any) -> Conn:
    loop = asyncio.get_running_loop()
    _, conn = await loop.create_connection(
        lambda: Conn(f"127.0.0.1:{port}", path, deflate, on_message), "127.0.0.1", port,
        local_addr=(source_ip, 0),
    )  # fmt: skip
    await asyncio.wait_for(conn.opened, 10)
    return conn


def source_ips(block: int, count: int, per_ip: int = 250) -> list[str]:
    """Loopback source addresses for `count` connections, `per_ip` each: the mock admits 300 new
    connections an IP in 5 minutes (F73), as Binance does."""
    return [f"127.{block}.{k // per_ip}.{1 + k % per_ip}" for k in range(count)]


async def open_many(port: int, paths: list[str], ips: list[str], deflate: bool, make: Any) -> list[Conn]:
    out: list[Conn] = []
    for start in range(0, len(paths), 100):  # a hundred handshakes in flight at a time
        batch = range(start, min(start + 100, len(paths)))
        out += await asyncio.gather(*(connect(port, paths[k], ips[k], deflate, make(k)) for k in batch))
    return out


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _steer(port: int, hz: float, stop: threading.Event) -> None:
    """BTCUSDT's price set `hz` times a second, a hair up and down: each steer prints a trade at
    the mock's now (docs/market.md), so the trade stream carries more events than the market's
    own 1-2 a second."""
    base = f"http://127.0.0.1:{port}/_mock/market/BTCUSDT"
    session = requests.Session()
    price = float(session.get(base, timeout=10).json()["price"])
    k = 0
    while not stop.is_set():
        move = 1 + (0.0001 if k % 2 else -0.0001)
        session.put(base, json={"price": f"{price * move:.2f}"}, timeout=10).raise_for_status()
        k += 1
        stop.wait(1 / hz)
    session.delete(base, timeout=10)


# --- the modes ---


async def fanout(cfg: dict[str, Any]) -> dict[str, Any]:
    """`n` connections to `path` from `block`'s source addresses; after all are open and a
    settling `settle_s`, every message's trade id and receipt time for `seconds`."""
    received: list[list[tuple[int, int]]] = [[] for _ in range(cfg["n"])]
    recording = False

    def make(k: int) -> Any:
        got = received[k]

        def on_message(payload: bytes, now: int) -> None:
            if recording:
                i = payload.index(b'"t":') + 4
                got.append((int(payload[i : payload.index(b",", i)]), now))

        return on_message

    t0 = time.monotonic()
    conns = await open_many(cfg["port"], [cfg["path"]] * cfg["n"], source_ips(cfg["block"], cfg["n"]),
                            cfg["deflate"], make)  # fmt: skip
    opened_s = time.monotonic() - t0
    stop = threading.Event()
    steering = threading.Thread(target=_steer, args=(cfg["port"], cfg.get("steer_hz", 0), stop))
    if cfg.get("steer_hz"):
        steering.start()
    await asyncio.sleep(cfg["settle_s"])
    cpu0, own0 = _cpu_s(cfg["pid"]), _self_cpu_s()
    start_ns, t0 = time.time_ns(), time.monotonic()
    recording = True
    await asyncio.sleep(cfg["seconds"])
    recording = False
    took = time.monotonic() - t0
    stop.set()
    if steering.is_alive():
        steering.join()
    out = {
        "opened_s": opened_s,
        "start_ns": start_ns,
        "stop_ns": time.time_ns(),
        "server_cpu": (_cpu_s(cfg["pid"]) - cpu0) / took,
        "client_cpu": (_self_cpu_s() - own0) / took,
        "rss_mb": _rss_mb(cfg["pid"]),
        "closed": sum(c.closed.done() for c in conns),
        "received": received,
    }
    for c in conns:
        c.transport.close()  # type: ignore[union-attr]
    return out


async def rate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Connections to `paths` (one each); the messages and bytes each stream delivered in
    `seconds` after a settling `settle_s`, with the server's CPU share and memory."""
    counts: dict[str, int] = {}
    sizes: dict[str, int] = {}
    recording = False

    def make(k: int) -> Any:
        combined = cfg["paths"][k].startswith("/stream")
        fixed = cfg["paths"][k].removeprefix("/ws/")

        def on_message(payload: bytes, now: int) -> None:
            if recording:
                name = payload[11 : payload.index(b'"', 11)].decode() if combined else fixed
                counts[name] = counts.get(name, 0) + 1
                sizes[name] = sizes.get(name, 0) + len(payload)

        return on_message

    conns = await open_many(cfg["port"], cfg["paths"], source_ips(cfg["block"], len(cfg["paths"])),
                            cfg["deflate"], make)  # fmt: skip
    await asyncio.sleep(cfg["settle_s"])
    cpu0, own0, t0 = _cpu_s(cfg["pid"]), _self_cpu_s(), time.monotonic()
    recording = True
    await asyncio.sleep(cfg["seconds"])
    recording = False
    took = time.monotonic() - t0
    out = {
        "seconds": took,
        "server_cpu": (_cpu_s(cfg["pid"]) - cpu0) / took,
        "client_cpu": (_self_cpu_s() - own0) / took,
        "rss_mb": _rss_mb(cfg["pid"]),
        "closed": sum(c.closed.done() for c in conns),
        "counts": counts,
        "bytes": sizes,
    }
    for c in conns:
        c.transport.close()  # type: ignore[union-attr]
    return out


def _order(port: int, side: str, session: requests.Session) -> tuple[int, int]:
    """A MARKET order of the demo account by REST: (orderId, wall ns when its answer was read)."""
    body = urlencode({"symbol": "BTCUSDT", "side": side, "type": "MARKET", "quantity": "0.001",
                      "timestamp": int(time.time() * 1000)})  # fmt: skip
    r = session.post(f"http://127.0.0.1:{port}/api/v3/order",
                     data=f"{body}&signature={sign_hmac(DEMO_SECRET, body.encode())}",
                     headers={"X-MBX-APIKEY": DEMO_API_KEY}, timeout=10)  # fmt: skip
    answered = time.time_ns()
    r.raise_for_status()
    return r.json()["orderId"], answered


async def fills(cfg: dict[str, Any]) -> dict[str, Any]:
    """`n` MARKET orders by REST, a random 0-100 ms apart; for each, when its answer was read
    and when its executionReport came on the listenKey stream and on the WebSocket API's
    subscription (both open at once)."""
    loop = asyncio.get_running_loop()
    seen: dict[str, dict[int, int]] = {"listenKey": {}, "wsapi": {}}
    answers: list[Any] = []

    def on_stream(payload: bytes, now: int) -> None:
        event = json.loads(payload)
        if event.get("e") == "executionReport":
            seen["listenKey"][event["i"]] = now

    def on_api(payload: bytes, now: int) -> None:
        message = json.loads(payload)
        event = message.get("event")
        if event is None:
            answers.append(message)
        elif event.get("e") == "executionReport":
            seen["wsapi"][event["i"]] = now

    port = cfg["port"]
    await connect(port, f"/ws/{cfg['listen_key']}", "127.0.0.1", False, on_stream)
    api = await connect(port, "/ws-api/v3", "127.0.0.1", False, on_api)
    params = {"apiKey": DEMO_API_KEY, "timestamp": int(time.time() * 1000)}
    payload = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    api.send_text(json.dumps({"id": 1, "method": "userDataStream.subscribe.signature",
                              "params": {**params, "signature": sign_hmac(DEMO_SECRET, payload.encode())}}))  # fmt: skip
    while not answers:
        await asyncio.sleep(0.01)
    if answers[0].get("status") != 200:
        raise RuntimeError(f"userDataStream.subscribe.signature: {answers[0]}")
    await asyncio.sleep(0.3)
    session = requests.Session()
    rows = []
    random.seed(1)
    for k in range(cfg["n"]):
        await asyncio.sleep(random.uniform(0, 0.1))
        order_id, answered = await loop.run_in_executor(None, _order, port, ("BUY", "SELL")[k % 2], session)
        deadline = time.monotonic() + 2
        while not all(order_id in s for s in seen.values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        rows.append({"answered": answered, **{k: s.get(order_id) for k, s in seen.items()}})
    return {"orders": rows}


def main() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    cfg = json.loads(sys.argv[1])
    mode = {"fanout": fanout, "rate": rate, "fills": fills}[cfg["mode"]]
    try:
        import uvloop

        run: Any = uvloop.run
    except ImportError:
        run = asyncio.run
    result = run(mode(cfg))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
