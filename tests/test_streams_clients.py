"""Unmodified clients on the market streams, pointed at the mock by URL alone: python-binance's
AsyncClient + BinanceSocketManager and ThreadedWebsocketManager, binance-connector's
SpotWebsocketStreamClient, ccxt pro. What they receive is checked against the REST answers of
the same instants, not only that something arrived."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import requests
from helpers import ccxt_pro_binance, threaded_manager, wait_until

from mock_server import MockBinance

MINUTE = 60_000


def _ws(mock: MockBinance) -> str:
    return mock.stream_url


def _get(mock: MockBinance, path: str, **params: Any) -> Any:
    reply = requests.get(mock.base_url + path, params=params, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _nudge(mock: MockBinance, symbol: str) -> None:
    """A trade now, at the price now: a minute of the market may hold as few as four trades, so
    a test waiting for the next one prints it (a steer's print reaches the trade streams)."""
    mock.set_price(symbol, _get(mock, "/api/v3/ticker/price", symbol=symbol)["price"])


def _kline_row(mock: MockBinance, k: dict[str, Any]) -> list[Any]:
    (row,) = _get(mock, "/api/v3/klines", symbol=k["s"], interval=k["i"], startTime=k["t"], limit=1)
    return row


def _as_row(k: dict[str, Any]) -> list[Any]:
    return [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"], k["V"], k["Q"]]


def _before_a_minute_ends(mock: MockBinance) -> int:
    """Freeze the clock a second before a minute ends (soon, by real time)."""
    at = (mock.now_ms() // MINUTE + 1) * MINUTE - 1_000
    mock.freeze_clock(at)
    return at


# --- python-binance ---


def _python_binance(mock: MockBinance) -> tuple[type, type]:
    from binance import AsyncClient, BinanceSocketManager

    class Client(AsyncClient):  # python-binance takes its base URLs as class attributes
        API_URL = f"{mock.base_url}/api"

    class Sockets(BinanceSocketManager):
        STREAM_URL = f"{_ws(mock)}/"

    return Client, Sockets


def test_python_binance_async_kline_trade_and_depth(mock: MockBinance) -> None:
    client_class, sockets_class = _python_binance(mock)

    async def run() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        client = await client_class.create()
        try:
            bsm = sockets_class(client)
            async with bsm.trade_socket("BTCUSDT") as socket:
                while True:  # until the subscription is in place and a trade came
                    _nudge(mock, "BTCUSDT")
                    try:
                        trade = await asyncio.wait_for(socket.recv(), 1)
                        break
                    except TimeoutError:
                        continue
            _before_a_minute_ends(mock)
            async with bsm.kline_socket("BTCUSDT") as socket:
                await asyncio.sleep(0.3)  # subscribed under the frozen clock: nothing comes
                mock.advance_clock(2_000)  # the minute closes: its last state, then the next one
                klines = [await asyncio.wait_for(socket.recv(), 10) for _ in range(2)]
                klines.append(_kline_row(mock, klines[0]["k"]))  # the REST row, the clock still there
                # python-binance notices the socket closing only when its reader wakes, after an
                # event or 10 s of silence: one more kline, and it leaves at once.
                mock.advance_clock(2_000)
            mock.real_clock()
            depth: list[dict[str, Any]] = []
            async with bsm.depth_socket("BTCUSDT") as socket:
                depth.append(await asyncio.wait_for(socket.recv(), 10))
                snapshot = await client.get_order_book(symbol="BTCUSDT", limit=1000)
                while depth[-1]["u"] <= snapshot["lastUpdateId"]:
                    depth.append(await asyncio.wait_for(socket.recv(), 10))
            return trade, klines, depth, snapshot
        finally:
            await client.close_connection()

    trade, klines, depth, snapshot = asyncio.run(run())
    rest = {t["id"]: t for t in _get(mock, "/api/v3/trades", symbol="BTCUSDT", limit=1000)}[trade["t"]]
    assert (trade["p"], trade["q"], trade["T"], trade["m"]) == (
        rest["price"],
        rest["qty"],
        rest["time"],
        rest["isBuyerMaker"],
    )
    closed, following = (k["k"] for k in klines[:2])
    assert closed["x"] and not following["x"] and following["t"] == closed["T"] + 1
    assert _as_row(closed) == klines[2][:11]
    # Binance's recipe: the first event after the snapshot holds lastUpdateId + 1.
    assert depth[0]["U"] <= snapshot["lastUpdateId"] + 1 or depth[0]["u"] > snapshot["lastUpdateId"]
    assert all(b["U"] == a["u"] + 1 for a, b in itertools.pairwise(depth))
    last = depth[-1]
    assert last["U"] <= snapshot["lastUpdateId"] + 1 <= last["u"]


def test_python_binance_threaded_manager(
    mock: MockBinance, monkeypatch: pytest.MonkeyPatch, leaky: None
) -> None:
    from binance import AsyncClient, BinanceSocketManager
    from binance.ws.reconnecting_websocket import ReconnectingWebsocket

    monkeypatch.setattr(AsyncClient, "API_URL", f"{mock.base_url}/api")
    monkeypatch.setattr(BinanceSocketManager, "STREAM_URL", f"{_ws(mock)}/")
    # Its reader notices a socket closing only when a frame comes or TIMEOUT (10 s) passes; the
    # ETHUSDT trades of a quiet market minute would hold `stop` that long.
    monkeypatch.setattr(ReconnectingWebsocket, "TIMEOUT", 1)
    got: list[dict[str, Any]] = []
    with threaded_manager() as twm:
        twm.start_kline_socket(callback=got.append, symbol="BTCUSDT", interval="1m")
        twm.start_trade_socket(callback=got.append, symbol="ETHUSDT")
        twm.start_depth_socket(callback=got.append, symbol="BTCUSDT", interval=100)
        deadline = time.monotonic() + 15
        while {m.get("e") for m in got} < {"kline", "trade"} or _count(got, "depthUpdate") < 2:
            assert time.monotonic() < deadline, f"timed out; received: {[str(m)[:120] for m in got]}"
            _nudge(mock, "ETHUSDT")
            time.sleep(0.5)
    # Diff depth a client can keep a book with: each update starts where the one before ended.
    updates = [m for m in got if m.get("e") == "depthUpdate"]
    assert all(b["U"] == a["u"] + 1 for a, b in itertools.pairwise(updates)), [
        (u["U"], u["u"]) for u in updates
    ]
    assert updates[0]["s"] == "BTCUSDT" and updates[0]["b"] and updates[0]["a"]
    kline = next(m for m in got if m.get("e") == "kline")["k"]
    assert (kline["s"], kline["i"], kline["t"] % MINUTE) == ("BTCUSDT", "1m", 0)
    trade = next(m for m in got if m.get("e") == "trade")
    ids = [t["id"] for t in _get(mock, "/api/v3/trades", symbol="ETHUSDT", limit=100)]
    assert trade["t"] in ids


def _count(got: list[dict[str, Any]], event: str) -> int:
    return sum(1 for m in got if m.get("e") == event)


# --- binance-connector ---


def test_binance_connector_subscribes_and_reads_kline_trade_and_depth(mock: MockBinance) -> None:
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    got: list[dict[str, Any]] = []
    lock = threading.Lock()

    def on_message(_client: Any, message: str) -> None:
        with lock:
            got.append(json.loads(message))

    client = SpotWebsocketStreamClient(stream_url=_ws(mock), on_message=on_message)
    try:
        client.kline(symbol="btcusdt", interval="1m", id=1)
        client.trade(symbol="btcusdt", id=2)
        client.diff_book_depth(symbol="btcusdt", speed=1000, id=3)  # btcusdt@depth@1000ms
        client.partial_book_depth(symbol="btcusdt", level=5, speed=1000, id=4)
        client.list_subscribe(id=5)
        wait_until(lambda: any(m.get("id") == 5 for m in list(got)), got)  # every subscription in place
        _nudge(mock, "BTCUSDT")
        wait_until(
            lambda: (
                {m.get("e") for m in list(got)} >= {"kline", "trade", "depthUpdate"}
                and any("lastUpdateId" in m for m in list(got))
            ),
            got,
        )
    finally:
        client.stop()
        client.socket_manager.ws.shutdown()  # the connector leaves its socket open after the close frames
    answers = {m["id"]: m["result"] for m in got if "id" in m}
    assert answers == {1: None, 2: None, 3: None, 4: None, 5: [
        "btcusdt@kline_1m", "btcusdt@trade", "btcusdt@depth@1000ms", "btcusdt@depth5@1000ms"]}  # fmt: skip
    update = next(m for m in got if m.get("e") == "depthUpdate")
    assert update["u"] >= update["U"] and update["b"] and update["a"]
    partial = next(m for m in got if "lastUpdateId" in m)
    assert len(partial["bids"]) == len(partial["asks"]) == 5
    trade = next(m for m in got if m.get("e") == "trade")
    assert trade["t"] in [t["a"] for t in _get(mock, "/api/v3/aggTrades", symbol="BTCUSDT", limit=200)]


# --- ccxt pro ---


def _last_volume(mock: MockBinance) -> str:
    return str(_get(mock, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=1)[0][5])


def test_ccxt_pro_ticker_ohlcv_and_order_book_agree_with_rest(mock: MockBinance) -> None:
    async def run() -> tuple[dict[str, Any], list[Any], dict[str, Any], int, int]:
        exchange = ccxt_pro_binance(mock.base_url)
        try:
            await asyncio.wait_for(exchange.watch_ticker("BTC/USDT"), 15)
            await asyncio.wait_for(exchange.watch_ohlcv("BTC/USDT", "1m"), 15)
            book = await asyncio.wait_for(exchange.watch_order_book("BTC/USDT"), 20)  # synced
            # Freeze at a whole second: the streams' last events are of that instant, and so is
            # REST. ccxt keeps what each stream said last; a watch would wait for the next one.
            at = (mock.now_ms() // 2_000 + 1) * 2_000
            mock.freeze_clock(at)
            deadline = time.monotonic() + 15

            def ready() -> bool:
                assert time.monotonic() < deadline, "timed out"
                candle = exchange.ohlcvs["BTC/USDT"]["1m"][-1]
                book = exchange.orderbooks["BTC/USDT"]
                return (
                    exchange.tickers["BTC/USDT"]["timestamp"] == at
                    and book["nonce"] == at // 100
                    and (candle[0] == at // MINUTE * MINUTE and candle[5] == float(_last_volume(mock)))
                )

            while not ready():
                await asyncio.sleep(0.05)
            book = exchange.orderbooks["BTC/USDT"]
            ticker = exchange.tickers["BTC/USDT"]
            ohlcv = list(exchange.ohlcvs["BTC/USDT"]["1m"])
            return ticker, ohlcv, {"bids": book["bids"][:50], "asks": book["asks"][:50]}, at, book["nonce"]
        finally:
            await exchange.close()

    ticker, ohlcv, book, at, nonce = asyncio.run(run())
    day = _get(mock, "/api/v3/ticker/24hr", symbol="BTCUSDT")
    assert day["closeTime"] == at
    assert ticker["info"]["e"] == "24hrMiniTicker"  # ccxt's watch_ticker reads <symbol>@miniTicker
    assert [ticker["last"], ticker["open"], ticker["high"], ticker["low"], ticker["baseVolume"]] == [
        float(day[k]) for k in ("lastPrice", "openPrice", "highPrice", "lowPrice", "volume")
    ]
    row = _get(mock, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=1)[0]
    assert ohlcv[-1] == [row[0], *(float(x) for x in row[1:6])]
    rest = _get(mock, "/api/v3/depth", symbol="BTCUSDT", limit=1000)
    assert nonce == rest["lastUpdateId"]
    for side in ("bids", "asks"):
        assert book[side] == [[float(p), float(q)] for p, q in rest[side][:50]], side
        assert all(Decimal(str(q)) > 0 for _, q in book[side])


def test_ccxt_pro_watch_ohlcv_as_freqtrade_reads_its_candles(mock: MockBinance) -> None:
    """freqtrade's WebSocket candles (enable_ws, its default; exchange_ws.py): a watch_ohlcv
    loop a pair, both on ccxt's one connection; at a minute's close the cache holds the closed
    candle, which must be the REST kline freqtrade then analyses; when a pair leaves its
    whitelist, un_watch_ohlcv_for_symbols ends that pair's stream alone."""
    pairs = ("BTC/USDT", "ETH/USDT")

    async def run() -> tuple[list[Any], int, dict[str, list[Any]], list[Any]]:
        exchange = ccxt_pro_binance(mock.base_url)
        try:
            for pair in pairs:
                await asyncio.wait_for(exchange.watch_ohlcv(pair, "1m"), 15)
            listening = _get(mock, "/_mock/streams")["connections"]
            closes = _before_a_minute_ends(mock) + 1_000
            mock.advance_clock(2_000)  # through the close: its last event, then the new minute's
            for pair in pairs:
                while exchange.ohlcvs[pair]["1m"][-1][0] < closes:
                    await asyncio.wait_for(exchange.watch_ohlcv(pair, "1m"), 15)
            cached = {pair: list(exchange.ohlcvs[pair]["1m"]) for pair in pairs}
            await asyncio.wait_for(exchange.un_watch_ohlcv_for_symbols([["ETH/USDT", "1m"]]), 15)
            left = _get(mock, "/_mock/streams")["connections"]
            return listening, closes, cached, left
        finally:
            await exchange.close()

    listening, closes, cached, left = asyncio.run(run())
    assert [c["streams"] for c in listening] == [["btcusdt@kline_1m", "ethusdt@kline_1m"]]
    for pair in pairs:
        (row,) = _get(mock, "/api/v3/klines", symbol=pair.replace("/", ""), interval="1m",
                      startTime=closes - MINUTE, limit=1)  # fmt: skip
        closed = next(c for c in cached[pair] if c[0] == closes - MINUTE)
        assert closed == [row[0], *(float(x) for x in row[1:6])], pair
        assert cached[pair][-1][0] == closes
    assert [c["streams"] for c in left] == [["btcusdt@kline_1m"]]
