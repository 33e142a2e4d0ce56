"""Test helpers: sign like a client does, and send through Starlette's TestClient."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx2 as httpx
from starlette.testclient import TestClient

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call, Reply
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock

NOW = 1_790_000_000_000  # a fixed server time (2026-09-21) for deterministic tests
PATH = "/sapi/v1/margin/transfer"
# A resting spot buy: 0.01 BTC at 60,000 USDT (600 USDT locked), below the seeded price.
LIMIT = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "60000",
}


class Signer:
    def __init__(self, client: TestClient, api_key: str = DEMO_API_KEY, secret: str = DEMO_SECRET) -> None:
        self.client = client
        self.api_key = api_key
        self.secret = secret

    def query(
        self, params: dict[str, Any] | list[tuple[str, Any]] | None = None, ts: int | None = NOW
    ) -> str:
        items = list(params.items()) if isinstance(params, dict) else list(params or [])
        if ts is not None:
            items.append(("timestamp", ts))
        return urlencode(items)

    def sign(self, query: str) -> str:
        return f"{query}&signature={sign_hmac(self.secret, query.encode())}"

    def get(
        self,
        params: dict[str, Any] | list[tuple[str, Any]] | None = None,
        ts: int | None = NOW,
        api_key: str | None = "",
        path: str = PATH,
    ) -> httpx.Response:
        return self.raw(self.sign(self.query(params, ts)), api_key=api_key, path=path)

    def raw(self, query: str, api_key: str | None = "", path: str = PATH) -> httpx.Response:
        headers = {}
        key = self.api_key if api_key == "" else api_key
        if key is not None:
            headers["X-MBX-APIKEY"] = key
        return self.client.get(f"{path}?{query}" if query else path, headers=headers)


def assert_error(resp: httpx.Response, code: int, msg: str, status: int) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"code": code, "msg": msg}


async def _asgi_call(
    app, method: str, path: str, query: bytes, headers: list[tuple[bytes, bytes]], body: bytes
):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8900),
    }
    sent = False
    out: dict[str, object] = {"body": b""}

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = message.get("headers", [])
        elif message["type"] == "http.response.body":
            out["body"] += message.get("body", b"")  # type: ignore[operator]

    await app(scope, receive, send)
    return out


def asgi_request(app, method: str, path: str, query: bytes = b"", headers=(), body: bytes = b""):
    """Drive the ASGI app with raw bytes, bypassing any client's own encoding."""
    import asyncio

    return asyncio.run(_asgi_call(app, method, path, query, list(headers), body))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_process(*args: str, log: Path | None = None) -> Iterator[str]:
    """`binance-mock serve` as its own process on a free port; yields its base URL.

    Its output goes to `log` when given (tests that grep it for secrets), else to a
    temporary file that is shown if the server does not come up.
    """
    import requests

    port = free_port()
    with log.open("wb") if log is not None else tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(port), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90  # generous: a loaded CI machine starts Python slowly
            while True:
                try:
                    if requests.get(f"{base}/_mock/health", timeout=0.5).ok:
                        break
                except requests.ConnectionError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    out.seek(0)
                    raise RuntimeError(f"server did not start: {out.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.05)
            yield base
        finally:
            proc.terminate()
            proc.wait(timeout=10)


# --- the market, through the exchange (no server) ---


def market_exchange(now: int = NOW, seed: int = 7) -> Exchange:
    clock = Clock()
    clock.freeze(now)
    return Exchange(Settings(anchor_ms=NOW, rows=20, seed=seed, api_weight_limit=10**9), clock=clock)


def market_get(ex: Exchange, path: str, **params: Any) -> Reply:
    query = "&".join(f"{k}={quote(str(v), safe='[],')}" for k, v in params.items())
    reply = ex.handle(Call("GET", path, query.encode()))
    assert isinstance(reply, Reply)
    return reply


def market_json(ex: Exchange, path: str, **params: Any) -> Any:
    reply = market_get(ex, path, **params)
    assert reply.status == 200, reply.body
    return json.loads(reply.body)


def market_error(ex: Exchange, path: str, **params: Any) -> tuple[int, int | None, str | None]:
    reply = market_get(ex, path, **params)
    return reply.status, reply.code, reply.msg


# --- unmodified clients ---

BINANCE_HOSTS = ("https://api.binance.com", "https://fapi.binance.com", "https://dapi.binance.com")


def ccxt_binance(base_url: str, **config: Any) -> Any:
    """ccxt's binance with its default options, every API URL family pointed at `base_url`."""
    import ccxt

    exchange = ccxt.binance(config)
    for name, url in exchange.urls["api"].items():
        if isinstance(url, str):
            for host in BINANCE_HOSTS:
                url = url.replace(host, base_url)
            exchange.urls["api"][name] = url
    return exchange


def ccxt_pro_binance(base_url: str, **config: Any) -> Any:
    """ccxt pro's binance, its REST URL families as ccxt_binance points them and its WebSocket
    ones at the mock's streams. ccxt tells a spot stream from a futures one by `/stream` in the
    connection's URL (Binance's host is stream.binance.com): the user part `stream@` of the URL
    says it here, and the mock ignores it."""
    import ccxt.pro

    exchange = ccxt.pro.binance(config)
    for name, url in exchange.urls["api"].items():
        if isinstance(url, str):
            for host in BINANCE_HOSTS:
                url = url.replace(host, base_url)
            exchange.urls["api"][name] = url
    ws = exchange.urls["api"]["ws"]
    streams = base_url.replace("http://", "ws://stream@") + "/ws"
    for name in ("spot", "margin"):
        ws[name] = streams
    ws["ws-api"]["spot"] = base_url.replace("http://", "ws://") + "/ws-api/v3"  # user data, orders
    return exchange


def signed_call(
    ex: Exchange,
    method: str,
    path: str,
    api_key: str = DEMO_API_KEY,
    secret: str = DEMO_SECRET,
    **params: Any,
) -> tuple[Reply, Any]:
    """A signed call of an account (the demo one by default) straight to the exchange (a POST's
    parameters in the body, as clients send them): its reply and its parsed body."""
    query = urlencode([*params.items(), ("timestamp", ex.now_ms())])
    signed = f"{query}&signature={sign_hmac(secret, query.encode())}".encode()
    body_sent = method in ("POST", "PUT")
    call = Call(method, path, b"" if body_sent else signed, signed if body_sent else b"", api_key)
    reply = ex.handle(call)
    assert isinstance(reply, Reply)
    return reply, json.loads(reply.body)


@contextmanager
def threaded_manager(**client: Any) -> Iterator[Any]:
    """python-binance's ThreadedWebsocketManager, started and then stopped: it takes the current
    event loop, or makes one it never closes, so it gets one of its own here, closed after.

    Each socket is stopped before the manager: a user data socket unsubscribes on its way out,
    and after the manager's own stop() that request goes out on a new WebSocket API connection,
    where the subscription is not active (-2036), and the manager's thread never ends. With a
    WebSocket API connection open, stop() gives up on closing it after 5 s and its thread ends
    with the connection's tasks pending: they are cancelled here, before the loop closes."""
    import asyncio

    from binance import ThreadedWebsocketManager

    # The standard loop, whatever policy a server left behind (uvicorn 0.30, the floor, installs
    # uvloop's for the whole process): uvloop refuses to close a loop holding the connection
    # python-binance leaves open (EBUSY), where the standard one warns, as expected below.
    loop = asyncio.SelectorEventLoop()
    asyncio.set_event_loop(loop)
    try:
        twm = ThreadedWebsocketManager(**client)
        twm.start()
        try:
            yield twm
        finally:
            running = twm._socket_running
            for name in list(running):
                twm.stop_socket(name)
            deadline = time.monotonic() + 10  # a socket looks at its flag every 3 s
            while running and time.monotonic() < deadline:
                time.sleep(0.05)
            twm.stop()
            twm.join(10)
            assert not twm.is_alive(), "the threaded manager did not stop"
    finally:
        for _ in range(10):  # a cancelled read loop may start a reconnection's tasks
            pending = asyncio.all_tasks(loop)
            if not pending:
                break
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()
        with warnings.catch_warnings():  # the connection stop() gave up on, unreachable now
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def wait_until(predicate: Any, got: Any, timeout: float = 15.0) -> None:
    """Poll `predicate` until true; on timeout, fail showing what was received (`got`)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out; received: {[str(m)[:120] for m in got]}"
        time.sleep(0.02)


def post_signed(base_url: str, path: str, api_key: str = DEMO_API_KEY, secret: str = DEMO_SECRET,
                **params: Any) -> Any:  # fmt: skip
    """A signed POST over HTTP, its parameters in the body as clients send them: the 200 body."""
    import requests

    body = urlencode({**params, "timestamp": int(time.time() * 1000)})
    reply = requests.post(f"{base_url}{path}", data=f"{body}&signature={sign_hmac(secret, body.encode())}",
                          headers={"X-MBX-APIKEY": api_key}, timeout=10)  # fmt: skip
    assert reply.status_code == 200, reply.text
    return reply.json()
