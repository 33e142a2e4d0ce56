"""Unmodified clients on the user data streams, pointed at the mock by URL alone: python-binance's
ThreadedWebsocketManager (its user socket subscribes through the WebSocket API with a signature,
its margin sockets with a listenToken from POST /sapi/v1/userListenToken), and binance-connector's
WebSocket API client (orders, and a listenKey from userDataStream.start) with its stream client
listening on that key. Each hears an order the test placed, checked against the order's REST
answer."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from helpers import LIMIT, post_signed, threaded_manager, wait_until

from mock_server import MockBinance
from mock_server.rules.signature import sign_hmac


@pytest.fixture()
def mock(mock: MockBinance) -> MockBinance:
    mock.set_balance("USDT", "10000")
    mock.set_balance("USDT", "10000", wallet="MARGIN")
    mock.set_balance("USDT", "10000", wallet="ISOLATED:BTCUSDT")
    return mock


@pytest.fixture()
def python_binance_urls(mock: MockBinance, monkeypatch: pytest.MonkeyPatch) -> None:
    """python-binance takes its base URLs as class attributes (the threaded manager makes its own
    client, so they are set on the class)."""
    from binance import AsyncClient

    monkeypatch.setattr(AsyncClient, "API_URL", f"{mock.base_url}/api")
    monkeypatch.setattr(AsyncClient, "MARGIN_API_URL", f"{mock.base_url}/sapi")
    monkeypatch.setattr(AsyncClient, "WS_API_URL", f"{mock.stream_url}/ws-api/v3")


def _heard(got: list[Any], place: Callable[[], Any], timeout: float = 15.0) -> tuple[list[Any], Any]:
    """Place orders until the socket hears one (the manager subscribes in its own thread, when it
    is ready): the orders placed, and the first report heard."""
    placed: list[Any] = []
    deadline = time.monotonic() + timeout
    while not any(m.get("e") == "executionReport" for m in list(got)):
        assert time.monotonic() < deadline, f"timed out; received: {got}"
        placed.append(place())
        time.sleep(0.5)
    return placed, next(m for m in got if m.get("e") == "executionReport")


def _reports(got: list[Any]) -> list[tuple[str, int]]:
    return [(m["x"], m["i"]) for m in list(got) if m.get("e") == "executionReport"]


def test_python_binance_threaded_sockets_each_hear_their_own_wallet(
    mock: MockBinance, python_binance_urls: None, leaky: None
) -> None:
    """The user socket subscribes with a signature, the margin and isolated margin sockets each
    with a listenToken of their wallet, all on the client's one WebSocket API connection."""
    spot: list[dict[str, Any]] = []
    cross: list[dict[str, Any]] = []
    isolated: list[dict[str, Any]] = []
    with threaded_manager(api_key=mock.api_key, api_secret=mock.secret) as twm:
        twm.start_user_socket(callback=spot.append)
        twm.start_margin_socket(callback=cross.append)
        twm.start_isolated_margin_socket(callback=isolated.append, symbol="BTCUSDT")
        placed, report = _heard(spot, lambda: post_signed(mock.base_url, "/api/v3/order", **LIMIT))
        wait_until(lambda: any(m.get("e") == "outboundAccountPosition" for m in list(spot)), spot)
        _heard(cross, lambda: post_signed(mock.base_url, "/sapi/v1/margin/order", **LIMIT))
        _heard(
            isolated, lambda: post_signed(mock.base_url, "/sapi/v1/margin/order", isIsolated="TRUE", **LIMIT)
        )
        last = post_signed(mock.base_url, "/sapi/v1/margin/order", **LIMIT)
        wait_until(lambda: ("NEW", last["orderId"]) in _reports(cross), cross)
    order = next(p for p in placed if p["orderId"] == report["i"])
    assert (report["x"], report["X"], report["s"], report["c"]) == (
        "NEW",
        "NEW",
        "BTCUSDT",
        order["clientOrderId"],
    )
    assert (report["p"], report["q"]) == (order["price"], order["origQty"])
    position = next(m for m in spot if m.get("e") == "outboundAccountPosition")
    assert position["B"][0]["a"] == "USDT" and len(position["B"]) == 1
    ids = {"SPOT": {o["orderId"] for o in _orders(mock, "/api/v3/allOrders")},
           "MARGIN": {o["orderId"] for o in _orders(mock, "/sapi/v1/margin/allOrders", isIsolated="FALSE")},
           "ISOLATED": {o["orderId"] for o in _orders(mock, "/sapi/v1/margin/allOrders", isIsolated="TRUE")}}  # fmt: skip
    heard = {"SPOT": spot, "MARGIN": cross, "ISOLATED": isolated}
    for wallet, got in heard.items():  # each socket its own wallet's orders
        assert {i for _, i in _reports(got)} <= ids[wallet], wallet
    assert _reports(spot)[-1] == ("NEW", placed[-1]["orderId"])  # the last heard is the last placed
    tokens = [r for r in mock.requests() if r["path"] == "/sapi/v1/userListenToken"]
    assert sorted(dict(r["params"]).get("isIsolated", "") for r in tokens) == ["", "true"]
    assert all(r["status"] == 200 for r in tokens)


def _orders(mock: MockBinance, path: str, **params: Any) -> list[Any]:
    query = urlencode({"symbol": "BTCUSDT", **params, "timestamp": int(time.time() * 1000)})
    reply = requests.get(f"{mock.base_url}{path}?{query}&signature={sign_hmac(mock.secret, query.encode())}",
                         headers={"X-MBX-APIKEY": mock.api_key}, timeout=10)  # fmt: skip
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_binance_connector_places_reads_and_hears_its_order_fill(mock: MockBinance) -> None:
    """binance-connector's WebSocket API client has no logon nor subscription: it starts a
    listenKey (userDataStream.start) that its stream client listens on."""
    from binance.websocket.spot.websocket_api import SpotWebsocketAPIClient
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    answers: dict[str, Any] = {}
    events: list[Any] = []
    lock = threading.Lock()

    def on_answer(_client: Any, message: str) -> None:
        with lock:
            body = json.loads(message)
            answers[body["id"]] = body

    def on_event(_client: Any, message: str) -> None:
        with lock:
            events.append(json.loads(message))

    api = SpotWebsocketAPIClient(stream_url=f"{mock.stream_url}/ws-api/v3", api_key=mock.api_key,
                                 api_secret=mock.secret, on_message=on_answer)  # fmt: skip
    stream = None
    try:
        api.user_data_start(id="start")
        wait_until(lambda: "start" in answers, [answers])
        key = answers["start"]["result"]["listenKey"]
        stream = SpotWebsocketStreamClient(stream_url=mock.stream_url, on_message=on_event)
        stream.user_data(listen_key=key, id=1)
        wait_until(lambda: any(e.get("id") == 1 for e in list(events)), events)  # subscribed
        api.new_order(id="new", **LIMIT)
        wait_until(lambda: "new" in answers, [answers])
        placed = answers["new"]["result"]
        api.get_order(id="get", symbol="BTCUSDT", orderId=placed["orderId"])
        wait_until(lambda: "get" in answers, [answers])
        mock.set_price("BTCUSDT", "59000")  # the market trades through the order
        wait_until(lambda: ("TRADE", placed["orderId"]) in _reports(events), events)
        api.user_data_ping(listenKey=key, id="ping")
        wait_until(lambda: "ping" in answers, [answers])
    finally:  # the connector leaves its sockets open after the close frames
        for client in (api, stream):
            if client is not None:
                client.stop()
                client.socket_manager.ws.shutdown()
    assert placed["status"] == "NEW" and answers["get"]["result"]["orderId"] == placed["orderId"]
    assert answers["get"]["result"]["status"] == "NEW" and answers["ping"]["result"] == {}
    assert _reports(events) == [("NEW", placed["orderId"]), ("TRADE", placed["orderId"])]
    fill = next(e for e in events if e.get("x") == "TRADE")
    assert (fill["X"], fill["l"], fill["z"], fill["L"]) == (
        "FILLED",
        "0.01000000",
        "0.01000000",
        "60000.00000000",
    )
