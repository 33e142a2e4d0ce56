"""User data over a real socket: a listenKey is a stream (`/ws/<listenKey>`, also beside market
streams in `/stream`), the WebSocket API at `/ws-api/v3` answers REST's operations and carries
a subscription's events. How soon an event arrives is the benchmark's to measure, not a test's."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from helpers import LIMIT, post_signed
from websockets.sync.client import ClientConnection, connect

from mock_server import MockBinance
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET


@pytest.fixture()
def mock(mock: MockBinance) -> MockBinance:
    mock.set_balance("USDT", "10000")
    return mock


def _open(mock: MockBinance, path: str) -> ClientConnection:
    return connect(mock.base_url.replace("http://", "ws://") + path, open_timeout=5, close_timeout=1)


def _events(ws: ClientConnection, count: int, within_s: float = 5) -> list[Any]:
    out = []
    deadline = time.monotonic() + within_s
    while len(out) < count:
        out.append(json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01))))
    return out


def test_a_listen_key_stream_carries_the_accounts_events(mock: MockBinance) -> None:
    key = requests.post(f"{mock.base_url}/api/v3/userDataStream", headers={"X-MBX-APIKEY": DEMO_API_KEY},
                        timeout=10).json()["listenKey"]  # fmt: skip
    with _open(mock, f"/ws/{key}") as ws, _open(mock, f"/stream?streams={key}/btcusdt@bookTicker") as both:
        time.sleep(0.2)  # both subscribed before the order
        placed = post_signed(mock.base_url, "/api/v3/order", **LIMIT)
        report, position = _events(ws, 2)
        assert (report["e"], report["x"], report["i"]) == ("executionReport", "NEW", placed["orderId"])
        assert position["e"] == "outboundAccountPosition"
        first = json.loads(both.recv(timeout=10))
        while first["stream"] != key:  # the market's bookTicker events between
            first = json.loads(both.recv(timeout=10))
        assert first["data"] == report  # the same event, wrapped


def test_an_expired_key_says_so_once(mock: MockBinance) -> None:
    key = requests.post(f"{mock.base_url}/api/v3/userDataStream", headers={"X-MBX-APIKEY": DEMO_API_KEY},
                        timeout=10).json()["listenKey"]  # fmt: skip
    with _open(mock, f"/ws/{key}") as ws:
        time.sleep(0.1)
        mock.advance_clock(61 * 60_000)
        (expired,) = _events(ws, 1)
        assert (expired["e"], expired["listenKey"]) == ("listenKeyExpired", key)


def _signed(params: dict[str, Any]) -> dict[str, Any]:
    full = {**params, "apiKey": DEMO_API_KEY, "timestamp": int(time.time() * 1000)}
    payload = "&".join(f"{k}={v}" for k, v in sorted(full.items())).encode()
    return {**full, "signature": sign_hmac(DEMO_SECRET, payload)}


def test_the_websocket_api_places_orders_and_streams_a_fill_the_market_made(mock: MockBinance) -> None:
    with _open(mock, "/ws-api/v3") as ws:
        ws.send(
            json.dumps({"id": "sub", "method": "userDataStream.subscribe.signature", "params": _signed({})})
        )
        assert json.loads(ws.recv(timeout=5))["result"] == {"subscriptionId": 0}
        ws.send(json.dumps({"id": 1, "method": "order.place", "params": _signed(LIMIT)}))
        frames = _events(ws, 3)
        answer = next(f for f in frames if f.get("id") == 1)
        assert answer["status"] == 200 and answer["result"]["status"] == "NEW"
        events = [f["event"] for f in frames if "subscriptionId" in f]
        assert [e["e"] for e in events] == ["executionReport", "outboundAccountPosition"]
        mock.set_price("BTCUSDT", "59000")  # the market trades through the order
        fill, _ = (f["event"] for f in _events(ws, 2))
        assert (fill["x"], fill["X"], fill["i"]) == ("TRADE", "FILLED", answer["result"]["orderId"])


def test_python_binance_user_socket_hears_its_order(
    mock: MockBinance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python-binance's spot user socket subscribes through the WebSocket API."""
    import asyncio

    from binance import AsyncClient, BinanceSocketManager
    from binance.ws.reconnecting_websocket import ReconnectingWebsocket

    # Its reader notices the socket closing only when a frame comes or TIMEOUT (10 s) passes; a
    # quiet user data stream would hold the test that long.
    monkeypatch.setattr(ReconnectingWebsocket, "TIMEOUT", 1)

    class Client(AsyncClient):  # python-binance takes its base URLs as class attributes
        API_URL = f"{mock.base_url}/api"
        WS_API_URL = mock.base_url.replace("http://", "ws://") + "/ws-api/v3"

    async def run() -> list[Any]:
        client = await Client.create(mock.api_key, mock.secret)
        try:
            async with BinanceSocketManager(client).user_socket() as socket:
                await asyncio.sleep(0.3)
                placed = await client.create_order(**LIMIT)
                got = [await asyncio.wait_for(socket.recv(), 5) for _ in range(2)]
                return [placed, *got]
        finally:
            await client.close_connection()

    placed, report, position = asyncio.run(run())
    assert (report["e"], report["x"], report["i"], report["p"]) == ("executionReport", "NEW", placed["orderId"],
                                                                    "60000.00000000")  # fmt: skip
    assert position["B"] == [{"a": "USDT", "f": "9400.00000000", "l": "600.00000000"}]


def test_ccxt_pro_watches_its_orders_and_balance(mock: MockBinance) -> None:
    import asyncio

    from helpers import ccxt_pro_binance

    async def run() -> tuple[Any, Any]:
        ex = ccxt_pro_binance(mock.base_url, apiKey=mock.api_key, secret=mock.secret)
        try:
            await ex.load_markets()
            watching = asyncio.create_task(ex.watch_orders("BTC/USDT"))
            await asyncio.sleep(0.5)
            await ex.create_order("BTC/USDT", "limit", "buy", 0.01, 60000)
            orders = await asyncio.wait_for(watching, 5)
            balance = asyncio.create_task(ex.watch_balance())
            await asyncio.sleep(0.3)
            await ex.create_order("BTC/USDT", "market", "buy", 0.001)
            return orders, await asyncio.wait_for(balance, 5)
        finally:
            await ex.close()

    orders, balance = asyncio.run(run())
    assert [(o["status"], o["price"], o["amount"]) for o in orders] == [("open", 60000.0, 0.01)]
    usdt = mock.balances()["SPOT"]["USDT"]
    assert (balance["USDT"]["free"], balance["USDT"]["used"]) == (float(usdt["free"]), float(usdt["locked"]))
    assert balance["BTC"]["free"] == float(mock.balances()["SPOT"]["BTC"]["free"])
