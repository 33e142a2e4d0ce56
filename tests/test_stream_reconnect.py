"""Each unmodified streaming client after its connection ends: a drop (`mock.drop_streams()`, the
client sees 1006), the forced 24-hour end (`mock.stream_fault("expire")`, close 1000) and the
natural one (`mock.advance_clock(limits.MAX_AGE_MS)`). Each test sees in the mock's journal that
a NEW connection was opened (open, the end, open again: nothing else) and that an event steered
after it reaches the client. Where the client does not reconnect by itself, the test does what
its makers prescribe and its docstring says so; docs/streams.md ("When the connection ends") has
the table of what each client does.

Under a frozen clock a steer's print is the only trade, so each test knows what to expect."""

from __future__ import annotations

import asyncio
import gc
import json
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from helpers import ccxt_pro_binance

from mock_server import MockBinance
from mock_server.streams import limits

HOWS = ("drop", "expire", "24h")
AGED = "closed 1000: Connection is older than 24 hours"
# What the journal shows between the first connection's opening and the second's (a close by
# its msg, which holds the close code).
ENDS = {"drop": ["drop", "closed 1006: dropped"], "expire": ["fault", AGED], "24h": [AGED]}
LIMIT = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01"}


@pytest.fixture()
def mock(mock: MockBinance) -> MockBinance:
    mock.freeze_clock(mock.now_ms())  # not strict: the clients' wall-clock timestamps pass
    mock.set_balance("USDT", "10000")
    return mock


@pytest.fixture()
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-binance's two waits, shortened so that the file stays quick; the reconnect itself
    is the client's own. Before its n-th try it waits
    `round(random() * min(MAX_RECONNECT_SECONDS, 2**n - 1) + 1)` seconds
    (ReconnectingWebsocket._get_reconnect_wait): 1 or 2 s for the first, at random, and never
    less than 1 s whatever the class attributes say; here its own MIN_RECONNECT_WAIT (0.1 s).
    Its reader waits up to TIMEOUT (10 s) in a read before it looks whether the socket is being
    left, and leaving waits for it: under a frozen clock nothing comes, so each socket took 10 s
    to close. 1 s here; TIMEOUT is also how long a WebSocket API request may take, and the mock
    answers in milliseconds."""
    from binance.ws.reconnecting_websocket import ReconnectingWebsocket

    monkeypatch.setattr(
        ReconnectingWebsocket, "_get_reconnect_wait", lambda self, _n: self.MIN_RECONNECT_WAIT
    )
    monkeypatch.setattr(ReconnectingWebsocket, "TIMEOUT", 1)


@pytest.fixture()
def leaky() -> Iterator[None]:
    """python-binance's threaded manager lets its own event loop go with a transport in it:
    collected here, without the ResourceWarning, so that no later test is blamed for it."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _until(predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return found


async def _until_async(predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)
    return found


def _listening(mock: MockBinance, stream: str, after: int = 0) -> Callable[[], dict[str, Any] | None]:
    """The open connection newer than id `after` that listens to `stream` (subscribed: a client
    that subscribes by message shows it once the SUBSCRIBE is in)."""
    return lambda: next((c for c in mock.connections() if c["id"] > after and stream in c["streams"]), None)


def _subscribed(mock: MockBinance, after: int = 0) -> Callable[[], dict[str, Any] | None]:
    """The WebSocket API connection newer than id `after` that carries the account's events."""
    return lambda: next(
        (c for c in mock.connections() if c["id"] > after and c["endpoint"] == "ws-api" and c["apiKeys"]),
        None,
    )


def _end(mock: MockBinance, how: str) -> None:
    """End the one connection open now: dropped, expired as at 24 hours, or at its 24 hours."""
    if how == "drop":
        assert mock.drop_streams() == 1
    elif how == "expire":
        mock.stream_fault("expire")
        assert [r["fired"] for r in mock.stream_faults()] == [1]
    else:
        mock.advance_clock(limits.MAX_AGE_MS)


def _lifecycle(mock: MockBinance) -> list[str]:
    return [
        e["msg"] if e["check"] == "close" else e["check"]
        for e in mock.requests()
        if e["method"] == "WS" and e["check"] in ("open", "drop", "fault", "close")
    ]


def _assert_reopened(mock: MockBinance, how: str) -> None:
    """One connection, its end, and one new connection, still open."""
    assert _lifecycle(mock) == ["open", *ENDS[how], "open"]


def _price(n: int) -> str:
    return f"{61_000 + n}.00000000"


# --- python-binance: AsyncClient + BinanceSocketManager ---


def _python_binance(mock: MockBinance) -> tuple[type, type]:
    from binance import AsyncClient, BinanceSocketManager

    class Client(AsyncClient):  # python-binance takes its base URLs as class attributes
        API_URL = f"{mock.base_url}/api"
        WS_API_URL = f"{mock.stream_url}/ws-api/v3"

    class Sockets(BinanceSocketManager):
        STREAM_URL = f"{mock.stream_url}/"

    return Client, Sockets


def _assert_told(got: list[dict[str, Any]], how: str) -> None:
    """python-binance's error messages: the exception that ended the read, then its reconnect.
    At 24 hours the close frame comes behind the day's last events, and python-binance, which
    looks at the connection's state before it reads, may find it CLOSED before it reads the
    close (so no ConnectionClosedOK; it drops the frames it had not read, too)."""
    errors = [m["type"] for m in got if m.get("e") == "error"]
    closed = "ConnectionClosedError" if how == "drop" else "ConnectionClosedOK"
    if how == "24h" and errors == ["BinanceWebsocketClosed"]:
        return
    assert errors == [closed, "BinanceWebsocketClosed"]


async def _recv_until(socket: Any, predicate: Callable[[dict[str, Any]], bool], got: list[Any]) -> Any:
    while True:
        message = await asyncio.wait_for(socket.recv(), 10)
        got.append(message)
        if predicate(message):
            return message


def _steer(mock: MockBinance, how: str, n: int) -> Callable[[dict[str, Any]], bool]:
    """An event now on the socket `_python_binance_stream` opened, and how to know it: a trade at a
    price of its own, or (24h) a kline event later than the clock's instant before it moves."""
    if how == "24h":
        before = mock.now_ms()
        mock.advance_clock(2_000)
        return lambda m: m.get("e") == "kline" and m["E"] > before
    mock.set_price("BTCUSDT", _price(n))
    return lambda m: m.get("e") == "trade" and m["p"] == _price(n)


def _python_binance_stream(bsm: Any, how: str) -> tuple[Any, str]:
    """A trade socket; for the 24-hour end a kline socket. Advancing the clock a day sends the
    day's last 10 minutes of trades at once, then the close: python-binance stops reading while
    its connection is CLOSING, and the websockets library stops reading the network while more
    than 16 frames wait unread, so the connection never gets to CLOSED and the client hangs with
    no error (docs/streams.md, "When the connection ends"). A kline stream has two events for
    that day."""
    if how == "24h":
        return bsm.kline_socket("BTCUSDT"), "btcusdt@kline_1m"
    return bsm.trade_socket("BTCUSDT"), "btcusdt@trade"


@pytest.mark.parametrize("how", HOWS)
def test_python_binance_socket_manager_reconnects_by_itself(mock: MockBinance, how: str, quick: None) -> None:
    """ReconnectingWebsocket puts two error messages on the socket (the closing exception, then
    BinanceWebsocketClosed "Connection closed. Reconnecting...") and connects again to the same
    URL; the same socket object goes on with the new connection's events."""
    client_class, sockets_class = _python_binance(mock)
    got: list[dict[str, Any]] = []

    async def run() -> None:
        client = await client_class.create()
        try:
            socket, stream = _python_binance_stream(sockets_class(client), how)
            async with socket:
                first = await _until_async(_listening(mock, stream), "the socket's connection")
                await _recv_until(socket, _steer(mock, how, 0), got)
                _end(mock, how)
                await _recv_until(socket, lambda m: m.get("type") == "BinanceWebsocketClosed", got)
                await _until_async(_listening(mock, stream, after=first["id"]), "a new connection")
                await _recv_until(socket, _steer(mock, how, 1), got)
                _assert_reopened(mock, how)
        finally:
            await client.close_connection()

    asyncio.run(run())
    _assert_told(got, how)


# --- python-binance: ThreadedWebsocketManager ---


@pytest.mark.parametrize("how", HOWS)
def test_python_binance_threaded_manager_reconnects_by_itself(
    mock: MockBinance, how: str, monkeypatch: pytest.MonkeyPatch, quick: None, leaky: None
) -> None:
    """The threaded manager reads through the same ReconnectingWebsocket: its callback gets the
    two error messages, then the new connection's events."""
    from binance import AsyncClient, BinanceSocketManager, ThreadedWebsocketManager

    monkeypatch.setattr(AsyncClient, "API_URL", f"{mock.base_url}/api")
    monkeypatch.setattr(BinanceSocketManager, "STREAM_URL", f"{mock.stream_url}/")
    got: list[dict[str, Any]] = []

    def received(predicate: Callable[[dict[str, Any]], bool]) -> bool:
        return any(predicate(m) for m in list(got))

    loop = asyncio.new_event_loop()  # python-binance takes the current loop, or makes one it never closes
    asyncio.set_event_loop(loop)
    try:
        twm = ThreadedWebsocketManager()
        twm.start()
        try:
            if how == "24h":  # a kline stream: see _python_binance_stream
                twm.start_kline_socket(callback=got.append, symbol="BTCUSDT", interval="1m")
                stream = "btcusdt@kline_1m"
            else:
                twm.start_trade_socket(callback=got.append, symbol="BTCUSDT")
                stream = "btcusdt@trade"
            first = _until(_listening(mock, stream), "the socket's connection")
            expected = _steer(mock, how, 0)
            _until(lambda: received(expected), "the first event")
            _end(mock, how)
            _until(
                lambda: received(lambda m: m.get("type") == "BinanceWebsocketClosed"), "the error messages"
            )
            _until(_listening(mock, stream, after=first["id"]), "a new connection")
            mark = len(got)  # what came before the new connection: the old one's last events
            expected = _steer(mock, how, 1)
            _until(lambda: any(expected(m) for m in got[mark:]), "an event on the new connection")
            _assert_reopened(mock, how)
        finally:
            twm.stop()
            # Its listener looks whether its socket was stopped between messages, or after 3 s
            # without one (a wait of its own): an event lets it go now.
            _steer(mock, how, 2)
            twm.join(10)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    _assert_told(got, how)


# --- python-binance: the user data socket (over the WebSocket API) ---


@pytest.mark.parametrize("how", HOWS)
def test_python_binance_user_socket_reconnects_but_does_not_subscribe_again(
    mock: MockBinance, how: str, quick: None
) -> None:
    """The spot `user_socket()` subscribes through the client's WebSocket API connection. That
    connection reconnects by itself (a ReconnectingWebsocket too), but the subscription, which
    lived on the old connection, is not made again: the socket gets the error messages and then
    nothing, whatever the account does. python-binance's docs say to close the socket and start
    a new one on an error message; closing it unsubscribes its old id on the new connection,
    which is refused (-2036 "User Data Stream subscription not active."), and a new
    `user_socket()` subscribes again on the reconnected connection. This test does that."""
    from binance import BinanceSocketManager
    from binance.exceptions import BinanceAPIException
    from binance.ws.constants import WSListenerState

    client_class, _ = _python_binance(mock)
    got: list[dict[str, Any]] = []

    def report(price: str) -> Callable[[dict[str, Any]], bool]:
        return lambda m: m.get("e") == "executionReport" and m["p"] == price

    async def run() -> None:
        client = await client_class.create(mock.api_key, mock.secret)
        try:
            socket = BinanceSocketManager(client).user_socket()
            await socket.__aenter__()
            first = await _until_async(_subscribed(mock), "the subscription")
            await client.create_order(**LIMIT, price="60000")
            await _recv_until(socket, report("60000.00000000"), got)
            _end(mock, how)
            await _recv_until(socket, lambda m: m.get("type") == "BinanceWebsocketClosed", got)
            reopened = await _until_async(
                lambda: next((c for c in mock.connections() if c["id"] > first["id"]), None),
                "a new connection",
            )
            # The mock lists it at the handshake; the client is done with it a moment later, and a
            # request sent before that would make a connection of its own.
            await _until_async(lambda: client.ws_api.ws_state == WSListenerState.STREAMING, "the client")
            assert (reopened["endpoint"], reopened["apiKeys"]) == ("ws-api", [])  # no subscription
            with pytest.raises(BinanceAPIException, match="code=-2036"):
                await socket.__aexit__(None, None, None)
            async with BinanceSocketManager(client).user_socket() as again:
                assert (await _until_async(_subscribed(mock), "the new subscription"))["id"] == reopened["id"]
                await client.create_order(**LIMIT, price="59000")
                await _recv_until(again, report("59000.00000000"), got)
                _assert_reopened(mock, how)
        finally:
            await client.close_connection()

    asyncio.run(run())
    _assert_told(got, how)


# --- binance-connector ---


@pytest.mark.parametrize("how", HOWS)
def test_binance_connector_reconnects_from_its_callbacks(mock: MockBinance, how: str) -> None:
    """binance-connector's SpotWebsocketStreamClient does not reconnect: a drop reaches `on_error`
    (WebSocketConnectionClosedException; with no on_error it raises in its reading thread), a
    close frame `on_close`, and its reading thread ends. Those two callbacks are what it offers
    for a reconnect: here they make a new client, which subscribes again."""
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient
    from websocket import WebSocketConnectionClosedException

    got: list[dict[str, Any]] = []
    ends: list[str] = []
    clients: list[Any] = []
    stopping = threading.Event()

    def on_message(_client: Any, message: str) -> None:
        got.append(json.loads(message))

    def on_close(_client: Any) -> None:
        ends.append("close")
        if not stopping.is_set():
            start()

    def on_error(_client: Any, error: Exception) -> None:
        ends.append(type(error).__name__)
        if not stopping.is_set() and isinstance(error, WebSocketConnectionClosedException):
            start()

    def start() -> None:
        client = SpotWebsocketStreamClient(
            stream_url=mock.stream_url, on_message=on_message, on_close=on_close, on_error=on_error
        )
        clients.append(client)
        client.trade(symbol="btcusdt", id=len(clients))

    def trade(n: int, mark: int = 0) -> bool:
        return any(m.get("e") == "trade" and m["p"] == _price(n) for m in got[mark:])

    start()
    try:
        first = _until(_listening(mock, "btcusdt@trade"), "the subscription")
        mock.set_price("BTCUSDT", _price(0))
        _until(lambda: trade(0), "the first trade")
        _end(mock, how)
        _until(_listening(mock, "btcusdt@trade", after=first["id"]), "a new connection")
        mark = len(got)  # the old connection's last trades came before (a day of them at 24h)
        mock.set_price("BTCUSDT", _price(1))
        _until(lambda: trade(1, mark), "a trade on the new connection")
        _assert_reopened(mock, how)
    finally:
        stopping.set()
        for client in clients:
            client.stop()
            client.socket_manager.ws.shutdown()  # the connector leaves its socket open after the close frames
    assert ends[0] == ("WebSocketConnectionClosedException" if how == "drop" else "close")
    assert len(clients) == 2 and [m["result"] for m in got if "id" in m] == [None, None]


# --- ccxt pro ---


async def _watching(
    watch: Callable[[], Awaitable[list[Any]]], seen: list[Any], errors: list[Exception]
) -> None:
    """The loop a ccxt pro program runs: watch again after a NetworkError, after a pause. Without
    the pause a clean close (1000: the 24-hour end) loses the next connection: ccxt's old client
    reports its end twice (on_close 1000 for the close frame, then 1006 once its socket is
    closed), and Exchange.on_close removes whatever client `exchange.clients` holds for the URL,
    by then the new one; watch_orders then waits on a third connection with no subscription,
    and the account's events go to the second, which nobody reads (docs/streams.md, "When the
    connection ends"). Half a second is ample for the old socket to close on the loopback."""
    import ccxt

    while True:
        try:
            seen.extend(await watch())
        except ccxt.NetworkError as error:
            errors.append(error)
            await asyncio.sleep(0.5)


@pytest.mark.parametrize("how", HOWS)
def test_ccxt_pro_watch_trades_reconnects_on_the_next_watch(mock: MockBinance, how: str) -> None:
    """A watch pending when the connection ends raises NetworkError ("Connection closed by remote
    server, closing code 1006/1000"); the next `watch_trades` connects and subscribes again by
    itself: the loop every ccxt pro program runs is all it takes (with a pause: `_watching`)."""
    seen: list[dict[str, Any]] = []
    errors: list[Exception] = []

    def trade(n: int, mark: int = 0) -> Callable[[], bool]:
        return lambda: any(t["price"] == float(_price(n)) for t in seen[mark:])

    async def run() -> None:
        exchange = ccxt_pro_binance(mock.base_url)
        loop = None
        try:
            await exchange.load_markets()
            loop = asyncio.create_task(_watching(lambda: exchange.watch_trades("BTC/USDT"), seen, errors))
            first = await _until_async(_listening(mock, "btcusdt@trade"), "the subscription")
            mock.set_price("BTCUSDT", _price(0))
            await _until_async(trade(0), "the first trade")
            _end(mock, how)
            await _until_async(_listening(mock, "btcusdt@trade", after=first["id"]), "a new connection")
            mark = len(seen)  # the old connection's last trades came before (a day of them at 24h)
            mock.set_price("BTCUSDT", _price(1))
            await _until_async(trade(1, mark), "a trade on the new connection")
            _assert_reopened(mock, how)
        finally:
            if loop is not None:
                loop.cancel()
            await exchange.close()

    asyncio.run(run())
    code = 1006 if how == "drop" else 1000
    assert [str(e) for e in errors] == [f"Connection closed by remote server, closing code {code}"]


@pytest.mark.parametrize("how", HOWS)
def test_ccxt_pro_watch_orders_reconnects_and_subscribes_again(mock: MockBinance, how: str) -> None:
    """`watch_orders` reads the WebSocket API's user data subscription: after the end the next
    watch opens a new connection and subscribes again (`userDataStream.subscribe.signature`),
    and the account's next order reaches it (with a pause before watching again: `_watching`)."""
    seen: list[dict[str, Any]] = []
    errors: list[Exception] = []

    def order(price: float) -> Callable[[], bool]:
        return lambda: any(o["price"] == price for o in list(seen))

    async def run() -> None:
        exchange = ccxt_pro_binance(mock.base_url, apiKey=mock.api_key, secret=mock.secret)
        loop = None
        try:
            await exchange.load_markets()
            loop = asyncio.create_task(_watching(lambda: exchange.watch_orders("BTC/USDT"), seen, errors))
            first = await _until_async(_subscribed(mock), "the subscription")
            await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60000)
            await _until_async(order(60000.0), "the first order")
            _end(mock, how)
            await _until_async(_subscribed(mock, after=first["id"]), "a new subscription")
            await exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 59000)
            await _until_async(order(59000.0), "an order on the new connection")
            _assert_reopened(mock, how)
        finally:
            if loop is not None:
                loop.cancel()
            await exchange.close()

    asyncio.run(run())
    code = 1006 if how == "drop" else 1000
    assert [str(e) for e in errors] == [f"Connection closed by remote server, closing code {code}"]
