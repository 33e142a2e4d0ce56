"""The market streams without a server: stream names, the events a feed makes as the mock's clock
passes (each equal to the REST answer of the same instant), a diff depth stream a client syncs
against GET /api/v3/depth as Binance documents, the hub's fan-out, and a connection's control
messages and limits."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
from helpers import NOW, market_exchange, market_json

from mock_server.exchange import Exchange
from mock_server.streams import limits
from mock_server.streams.hub import Hub
from mock_server.streams.names import Route, parse, route
from mock_server.streams.session import Session

MINUTE = 60_000


class Collector:
    """A subscriber that keeps what it is sent."""

    def __init__(self, combined: bool = False, micro: bool = False) -> None:
        self.combined = combined
        self.micro = micro
        self.frames: list[str] = []
        self.ticks: list[int] = []
        self.due_ms = 0  # ticked every time

    def deliver(self, frame: str) -> None:
        self.frames.append(frame)

    def tick(self, now_ms: int) -> None:
        self.ticks.append(now_ms)

    def events(self) -> list[Any]:
        return [json.loads(f) for f in self.frames]


def _listen(ex: Exchange, *names: str, combined: bool = False) -> Collector:
    sub = Collector(combined)
    for name in names:
        ex.streams.subscribe(sub, name, parse(name))
    return sub


def _run(ex: Exchange, ms: int, step: int = 250) -> None:
    """The mock's clock moved on by `ms`, the hub ticking every `step` of it."""
    for _ in range(ms // step):
        ex.advance_clock(step)
        ex.streams.tick()


# --- names ---


@pytest.mark.parametrize(
    ("name", "kind", "symbol"),
    [
        ("btcusdt@trade", "trade", "BTCUSDT"),
        ("btcusdt@aggTrade", "aggTrade", "BTCUSDT"),
        ("btcusdt@kline_1m", "kline", "BTCUSDT"),
        ("ethbtc@kline_1M@+08:00", "kline", "ETHBTC"),
        ("btcusdt@miniTicker", "miniTicker", "BTCUSDT"),
        ("!miniTicker@arr", "miniTicker", None),
        ("btcusdt@ticker", "ticker", "BTCUSDT"),
        ("!ticker@arr", "ticker", None),
        ("btcusdt@ticker_4h", "windowTicker", "BTCUSDT"),
        ("!ticker_1d@arr", "windowTicker", None),
        ("btcusdt@bookTicker", "bookTicker", "BTCUSDT"),
        ("btcusdt@depth5", "partialDepth", "BTCUSDT"),
        ("btcusdt@depth20@100ms", "partialDepth", "BTCUSDT"),
        ("btcusdt@depth", "diffDepth", "BTCUSDT"),
        ("btcusdt@depth@100ms", "diffDepth", "BTCUSDT"),
        ("btcusdt@depth@1000ms", "diffDepth", "BTCUSDT"),  # binance-connector's
        ("btcusdt@depth5@1000ms", "partialDepth", "BTCUSDT"),
        ("nosuchusdt@trade", "trade", "NOSUCHUSDT"),  # well formed: a stream with no event
    ],
)
def test_stream_names_parse(name: str, kind: str, symbol: str | None) -> None:
    stream = parse(name)
    assert stream is not None and (stream.kind, stream.symbol) == (kind, symbol)


@pytest.mark.parametrize(
    "name",
    ["BTCUSDT@trade", "btcusdt@trades", "btcusdt@kline_2m", "btcusdt@kline_1m@+09:00", "btcusdt@depth15",
     "btcusdt@depth@500ms", "btcusdt@ticker_2h", "!bookTicker", "0", "", "btcusdt"],
)  # fmt: skip
def test_names_that_are_no_stream(name: str) -> None:
    assert parse(name) is None


def test_parsed_details() -> None:
    assert parse("btcusdt@kline_1h@+08:00") == parse("btcusdt@kline_1h@+08:00")
    k = parse("btcusdt@kline_1h@+08:00")
    assert k is not None and (k.interval, k.tz_ms) == ("1h", 8 * 3_600_000)
    d = parse("btcusdt@depth10@100ms")
    assert d is not None and (d.levels, d.speed_ms) == (10, 100)
    w = parse("!ticker_4h@arr")
    assert w is not None and w.window_ms == 4 * 3_600_000


def test_urls() -> None:
    assert route("/ws/btcusdt@trade/ethusdt@kline_1m", b"") == Route(
        ("btcusdt@trade", "ethusdt@kline_1m"), False
    )
    assert route("/ws", b"") == Route((), False)
    assert route("/ws/0", b"") == Route((), False)  # ccxt's: waits for a SUBSCRIBE
    assert route("/stream", b"streams=btcusdt@trade/btcusdt@depth") == Route(
        ("btcusdt@trade", "btcusdt@depth"), True
    )
    assert route("/api/v3/ping", b"") is None


# --- events equal the REST answers of their instant ---


def test_trade_events_are_the_trades_rest_lists() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@trade", "btcusdt@aggTrade", combined=True)
    _run(ex, 3 * MINUTE)
    got = sub.events()
    trades = [e["data"] for e in got if e["stream"] == "btcusdt@trade"]
    aggs = [e["data"] for e in got if e["stream"] == "btcusdt@aggTrade"]
    rest = market_json(ex, "/api/v3/trades", symbol="BTCUSDT", limit=1000)
    rest = [t for t in rest if t["time"] > NOW]
    assert len(trades) == len(rest) > 100
    for event, row in zip(trades, rest, strict=True):
        assert event == {"e": "trade", "E": row["time"], "s": "BTCUSDT", "t": row["id"], "p": row["price"],
                         "q": row["qty"], "T": row["time"], "m": row["isBuyerMaker"], "M": True}  # fmt: skip
    agg_rest = market_json(ex, "/api/v3/aggTrades", symbol="BTCUSDT", startTime=NOW + 1, limit=1000)
    assert [{k: v for k, v in a.items() if k not in ("e", "E", "s")} for a in aggs] == agg_rest


def test_a_kline_stream_closes_with_the_rest_row_and_follows_the_open_one() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@kline_1m")
    _run(ex, 2 * MINUTE + 10_000, step=500)
    got = sub.events()
    assert {e["E"] % 2_000 for e in got} == {0}  # every two seconds of mock time
    closed = [e["k"] for e in got if e["k"]["x"]]
    assert len(closed) == 2
    for k in closed:
        (row,) = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", startTime=k["t"], limit=1)
        assert [
            k["t"],
            k["o"],
            k["h"],
            k["l"],
            k["c"],
            k["v"],
            k["T"],
            k["q"],
            k["n"],
            k["V"],
            k["Q"],
        ] == row[:11]
    # The open kline of the last event is the REST row at that instant.
    last = got[-1]
    assert last["E"] == ex.now_ms() and not last["k"]["x"]
    row = market_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=1)[0]
    k = last["k"]
    assert [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["n"]] == [row[0], *row[1:6], row[8]]
    first, last_id = k["f"], k["L"]
    trades = market_json(ex, "/api/v3/aggTrades", symbol="BTCUSDT", startTime=k["t"], limit=1000)
    assert (first, last_id) == (trades[0]["a"], trades[-1]["a"])


def test_a_kline_stream_in_utc_plus_8_opens_days_at_its_midnight() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@kline_1d@+08:00")
    _run(ex, 4_000, step=2_000)
    k = sub.events()[-1]["k"]
    assert (k["t"] + 8 * 3_600_000) % 86_400_000 == 0 and k["T"] == k["t"] + 86_400_000 - 1


def test_tickers_are_the_rest_tickers_of_their_second() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@ticker", "btcusdt@miniTicker", "btcusdt@ticker_1h", combined=True)
    _run(ex, 1_000, step=1_000)
    by = {e["stream"]: e["data"] for e in sub.events()}
    day = market_json(ex, "/api/v3/ticker/24hr", symbol="BTCUSDT")
    t = by["btcusdt@ticker"]
    assert t["E"] == t["C"] == ex.now_ms() == day["closeTime"]
    assert [t["p"], t["P"], t["w"], t["x"], t["c"], t["Q"], t["b"], t["B"], t["a"], t["A"], t["o"], t["h"],
            t["l"], t["v"], t["q"], t["O"], t["F"], t["L"], t["n"]] == [
        day["priceChange"], day["priceChangePercent"], day["weightedAvgPrice"], day["prevClosePrice"],
        day["lastPrice"], day["lastQty"], day["bidPrice"], day["bidQty"], day["askPrice"], day["askQty"],
        day["openPrice"], day["highPrice"], day["lowPrice"], day["volume"], day["quoteVolume"], day["openTime"],
        day["firstId"], day["lastId"], day["count"]]  # fmt: skip
    mini = by["btcusdt@miniTicker"]
    assert (mini["e"], mini["c"], mini["o"], mini["v"]) == ("24hrMiniTicker", t["c"], t["o"], t["v"])
    hour = market_json(ex, "/api/v3/ticker", symbol="BTCUSDT", windowSize="1h")
    w = by["btcusdt@ticker_1h"]
    assert w["e"] == "1hTicker"
    assert [w["o"], w["h"], w["l"], w["c"], w["v"], w["O"], w["C"], w["n"]] == [
        hour["openPrice"], hour["highPrice"], hour["lowPrice"], hour["lastPrice"], hour["volume"],
        hour["openTime"], hour["closeTime"], hour["count"]]  # fmt: skip


def test_all_market_arrays_hold_only_the_symbols_that_changed() -> None:
    ex = market_exchange()
    sub = _listen(ex, "!miniTicker@arr")
    _run(ex, 1_000, step=1_000)
    (first,) = sub.events()
    assert {e["s"] for e in first} == {p.symbol for p in ex.world.market.pairs}
    ex.streams.tick()  # the same second again: nothing changed, nothing sent
    assert len(sub.events()) == 1
    _run(ex, 1_000, step=1_000)
    assert len(sub.events()) <= 2


def test_book_ticker_and_partial_depth_are_the_top_of_depth() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@bookTicker", "btcusdt@depth5", combined=True)
    _run(ex, 3_000, step=1_000)
    got = sub.events()
    tops = [e["data"] for e in got if e["stream"] == "btcusdt@bookTicker"]
    assert tops and tops[-1]["u"] == ex.now_ms() // 100
    rest = market_json(ex, "/api/v3/ticker/bookTicker", symbol="BTCUSDT")
    assert {"b": rest["bidPrice"], "B": rest["bidQty"], "a": rest["askPrice"], "A": rest["askQty"]} == {
        k: tops[-1][k] for k in "bBaA"
    }
    depth = [e["data"] for e in got if e["stream"] == "btcusdt@depth5"]
    assert depth[-1] == market_json(ex, "/api/v3/depth", symbol="BTCUSDT", limit=5)


def test_a_frozen_clock_sends_nothing_new_but_a_steers_print() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@trade", "btcusdt@kline_1m", "btcusdt@bookTicker", combined=True)
    for _ in range(5):
        ex.streams.tick()
    assert sub.frames == []
    ex.set_price("BTCUSDT", "61000.5")
    ex.streams.tick()
    got = {e["stream"]: e["data"] for e in sub.events()}
    assert set(got) == {"btcusdt@trade", "btcusdt@bookTicker"}
    (last,) = market_json(ex, "/api/v3/trades", symbol="BTCUSDT", limit=1)
    assert (got["btcusdt@trade"]["t"], got["btcusdt@trade"]["p"], got["btcusdt@trade"]["T"]) == (
        last["id"], "61000.50000000", NOW,
    )  # fmt: skip
    assert (
        got["btcusdt@bookTicker"]["b"]
        == market_json(ex, "/api/v3/ticker/bookTicker", symbol="BTCUSDT")["bidPrice"]
    )
    ex.streams.tick()
    assert len(sub.frames) == 2


def test_a_clock_moved_far_on_sends_the_newest_only() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@kline_1m", "btcusdt@trade", combined=True)
    ex.advance_clock(3_600_000)
    ex.streams.tick()
    got = sub.events()
    klines = [e["data"] for e in got if e["stream"] == "btcusdt@kline_1m"]
    assert [k["k"]["x"] for k in klines] == [True, False]  # the kline open before, closed; then now's
    trades = [e["data"] for e in got if e["stream"] == "btcusdt@trade"]
    assert 0 < len(trades) <= 1_000 and trades[-1]["T"] <= ex.now_ms()


def test_a_clock_moved_back_restarts_the_feeds() -> None:
    ex = market_exchange()
    sub = _listen(ex, "btcusdt@trade")
    _run(ex, 10_000, step=1_000)
    sent = len(sub.frames)
    ex.set_clock({"now_ms": NOW})
    ex.streams.tick()
    assert len(sub.frames) == sent
    _run(ex, 10_000, step=1_000)
    assert sub.frames[sent:] == sub.frames[:sent]  # the same market again


# --- diff depth: Binance's "How to manage a local order book correctly" ---


def _apply(book: dict[str, dict[Decimal, Decimal]], event: dict[str, Any]) -> None:
    for side, key in (("bids", "b"), ("asks", "a")):
        for price, qty in event[key]:
            if Decimal(qty) == 0:
                book[side].pop(Decimal(price), None)
            else:
                book[side][Decimal(price)] = Decimal(qty)


def _sync(ex: Exchange, buffered: list[dict[str, Any]], limit: int) -> tuple[dict[str, Any], int, list[Any]]:
    snapshot = market_json(ex, "/api/v3/depth", symbol="BTCUSDT", limit=limit)
    last = snapshot["lastUpdateId"]
    assert last >= buffered[0]["U"]  # else: step 3 again
    book = {side: {Decimal(p): Decimal(q) for p, q in snapshot[side]} for side in ("bids", "asks")}
    return book, last, [e for e in buffered if e["u"] > last]


def _follow(book: dict[str, Any], last: int, events: list[dict[str, Any]]) -> int:
    for e in events:
        if e["u"] < last:
            continue
        assert e["U"] <= last + 1, "missed events"
        _apply(book, e)
        last = e["u"]
    return last


@pytest.mark.parametrize(("name", "limit"), [("btcusdt@depth@100ms", 5000), ("btcusdt@depth", 1000)])
def test_a_client_syncing_diff_depth_holds_the_rest_book(name: str, limit: int) -> None:
    ex = market_exchange()
    sub = _listen(ex, name)
    _run(ex, 1_500, step=37 * 3)
    ex.advance_clock(57)  # the snapshot between two ticks, a trade or two after the last event
    book, last, pending = _sync(ex, sub.events(), limit)
    assert not pending or pending[0]["U"] <= last + 1 <= pending[0]["u"]
    ex.set_price("BTCUSDT", "94000")  # a steer under a frozen clock, after the snapshot
    seen = len(sub.frames)
    _run(ex, 6_000 - 57, step=37 * 3)
    ex.set_clock({"now_ms": NOW + 10_000})
    ex.streams.tick()
    events = sub.events()
    assert all(b["U"] == a["u"] + 1 for a, b in itertools.pairwise(events))
    last = _follow(book, last, pending + events[seen:])
    assert last == ex.now_ms() // 100
    rest = market_json(ex, "/api/v3/depth", symbol="BTCUSDT", limit=5000)
    for side, ordered in (("bids", True), ("asks", False)):
        mine = sorted(book[side].items(), reverse=ordered)[:limit]
        assert mine == [(Decimal(p), Decimal(q)) for p, q in rest[side][:limit]], side


# --- the hub ---


def test_one_computation_a_stream_whatever_the_subscribers() -> None:
    ex = market_exchange()
    subs = [_listen(ex, "btcusdt@trade") for _ in range(3)]
    wrapped = _listen(ex, "btcusdt@trade", combined=True)
    _run(ex, 5_000)
    assert subs[0].frames and all(s.frames == subs[0].frames for s in subs)
    assert all(a is b for a, b in zip(subs[0].frames, subs[1].frames, strict=True))  # encoded once
    assert [json.loads(f) for f in wrapped.frames] == [
        {"stream": "btcusdt@trade", "data": json.loads(f)} for f in subs[0].frames
    ]
    assert ex.streams.streams() == ["btcusdt@trade"]
    for s in [*subs, wrapped]:
        ex.streams.unsubscribe(s, "btcusdt@trade")
    assert ex.streams.streams() == []


def test_publish_reaches_the_subscribers_of_a_name() -> None:
    hub = market_exchange().streams
    a, b = Collector(), Collector(combined=True)
    hub.subscribe(a, "someListenKey")
    hub.subscribe(b, "someListenKey")
    assert hub.publish("someListenKey", {"e": "executionReport", "E": 1}) == 2
    assert a.events() == [{"e": "executionReport", "E": 1}]
    assert b.events() == [{"stream": "someListenKey", "data": {"e": "executionReport", "E": 1}}]
    assert hub.publish("nobody", {}) == 0


def test_microseconds() -> None:
    ex = market_exchange()
    sub = Collector(micro=True)
    ex.streams.subscribe(sub, "btcusdt@kline_1m", parse("btcusdt@kline_1m"))
    _run(ex, 2_000, step=2_000)
    (e,) = sub.events()
    assert e["E"] == ex.now_ms() * 1000 and e["k"]["t"] % 60_000_000 == 0


# --- a connection's control messages ---


class _Loopless(Hub):
    """A hub that is not ticking (no event loop here)."""

    def _keep_ticking(self) -> None:
        pass


def _session(names: tuple[str, ...] = (), combined: bool = False) -> tuple[Session, list[Any], list[Any]]:
    ex = market_exchange()
    hub = _Loopless(ex.now_ms, lambda: ex.world.market, ex.world.lock)
    out: list[Any] = []
    closed: list[Any] = []
    session = Session(
        hub, Route(names, combined), False, ex.now_ms(), out.append, lambda c, r: closed.append((c, r))
    )
    return session, out, closed


def _ask(session: Session, out: list[Any], message: Any, t: float = 0.0) -> Any:
    session.receive(message if isinstance(message, str) else json.dumps(message), t)
    return json.loads(out.pop())


def test_subscribe_unsubscribe_list_and_properties() -> None:
    s, out, _ = _session(("btcusdt@trade",))
    assert _ask(s, out, {"method": "SUBSCRIBE", "params": ["btcusdt@aggTrade", "btcusdt@depth"], "id": 1}) == {
        "result": None, "id": 1,
    }  # fmt: skip
    assert s.hub.streams() == ["btcusdt@trade", "btcusdt@aggTrade", "btcusdt@depth"]
    assert _ask(s, out, {"method": "UNSUBSCRIBE", "params": ["btcusdt@depth"], "id": 312}, 1) == {
        "result": None,
        "id": 312,
    }
    assert _ask(s, out, {"method": "LIST_SUBSCRIPTIONS", "id": 3}, 2) == {
        "result": ["btcusdt@trade", "btcusdt@aggTrade"], "id": 3,
    }  # fmt: skip
    assert _ask(s, out, {"method": "GET_PROPERTY", "params": ["combined"], "id": 2}, 3) == {
        "result": False,
        "id": 2,
    }
    assert _ask(s, out, {"method": "SET_PROPERTY", "params": ["combined", True], "id": 5}, 4) == {
        "result": None,
        "id": 5,
    }
    assert s.combined is True
    assert _ask(s, out, {"method": "GET_PROPERTY", "params": ["combined"], "id": "a1"}, 5) == {
        "result": True,
        "id": "a1",
    }


@pytest.mark.parametrize(
    ("message", "code", "msg"),
    [
        ('{"method": "SUBSCRIBE",', 3, "Invalid JSON: expected value at line 1 column 24"),
        ({"params": [], "id": 1}, 2, "Invalid request: missing field `method` at line 1 column 23"),
        ({"method": "SUBSCRIB", "id": 1}, 2,
         "Invalid request: unknown variant `SUBSCRIB`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, "
         "`LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 21"),
        ({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1.5}, 2,
         "Invalid request: request ID must be an unsigned integer"),
        ({"method": "SUBSCRIBE", "params": ["btcusdt@trade"]}, 2, "Invalid request: request ID must be an unsigned integer"),
        ({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": "x" * 37}, 2,
         "Invalid request: request ID must be an unsigned integer"),
        ({"method": "SUBSCRIBE", "params": ["btcusdt@trades"], "id": 1}, 2, "Invalid request: invalid stream"),
        ({"method": "SET_PROPERTY", "params": ["combined", "yes"], "id": 1}, 1, "Invalid value type: expected Boolean"),
        ({"method": "SET_PROPERTY", "params": ["combined", True, 1], "id": 1}, 2, "Invalid request: too many parameters"),
        ({"method": "SET_PROPERTY", "params": [5, True], "id": 1}, 2, "Invalid request: property name must be a string"),
        ({"method": "GET_PROPERTY", "params": [], "id": 1}, 2, "Invalid request: property name must be a string"),
        ({"method": "GET_PROPERTY", "params": ["speed"], "id": 1}, 0, "Unknown property"),
        ({"method": "LIST_SUBSCRIPTIONS", "params": ["x"], "id": 1}, 2, "Invalid request: too many parameters"),
    ],
)  # fmt: skip
def test_errors_are_binances(message: Any, code: int, msg: str) -> None:
    s, out, closed = _session()
    answer = _ask(s, out, message)
    assert answer["error"] == {"code": code, "msg": msg}
    assert not closed and s.hub.streams() == []


def test_six_messages_in_a_second_close_the_connection() -> None:
    s, out, closed = _session()
    for i in range(5):
        _ask(s, out, {"method": "LIST_SUBSCRIPTIONS", "id": i}, 10.0 + i * 0.1)
    s.receive(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 9}), 10.95)
    assert closed == [limits.CLOSE_TOO_MANY_MESSAGES] and not out
    t, out2, closed2 = _session()
    for i in range(12):  # five a second is fine
        _ask(t, out2, {"method": "LIST_SUBSCRIPTIONS", "id": i}, i * 0.2)
    assert not closed2


def test_a_connection_listens_to_at_most_1024_streams() -> None:
    s, out, _ = _session()
    names = [f"btcusdt@kline_{i}" for i in ("1m", "5m")] + [f"s{i}usdt@trade" for i in range(1022)]
    assert _ask(s, out, {"method": "SUBSCRIBE", "params": names, "id": 1}) == {"result": None, "id": 1}
    answer = _ask(s, out, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 2}, 1)
    assert answer["error"]["code"] == 2 and "1024" in answer["error"]["msg"] and answer["id"] == 2
    assert _ask(s, out, {"method": "SUBSCRIBE", "params": ["s1usdt@trade"], "id": 3}, 2) == {
        "result": None,
        "id": 3,
    }


def test_a_connection_ends_after_24_hours_of_mock_time() -> None:
    s, _, closed = _session()
    s.tick(s.opened_ms + limits.MAX_AGE_MS - 1)
    assert not closed
    s.tick(s.opened_ms + limits.MAX_AGE_MS)
    assert closed == [limits.CLOSE_AGE]


def test_the_hub_closes_each_connection_when_its_own_24_hours_are_up() -> None:
    """The hub ticks a connection only from its due instant on: each is still closed at the
    first tick past its own 24 hours, whichever opened first, left, or came after."""
    ex = market_exchange()
    hub = _Loopless(ex.now_ms, lambda: ex.world.market, ex.world.lock)
    closed: list[str] = []

    def open_one(name: str) -> Session:
        return Session(
            hub, Route((), False), False, ex.now_ms(), lambda f: None, lambda c, r: closed.append(name)
        )

    open_one("first")
    ex.advance_clock(1_000)
    gone = open_one("gone")
    open_one("second")
    gone.ended()  # left before its time: never closed by the hub
    hub.tick()
    ex.advance_clock(limits.MAX_AGE_MS - 1_001)
    hub.tick()
    assert closed == []
    ex.advance_clock(1)
    hub.tick()
    assert closed == ["first"]
    ex.advance_clock(500)
    open_one("late")  # opened after the hub's last pass
    hub.tick()
    ex.advance_clock(499)
    hub.tick()
    assert closed == ["first"]
    ex.advance_clock(1)
    hub.tick()
    assert closed == ["first", "second"]
    ex.advance_clock(limits.MAX_AGE_MS)
    hub.tick()
    assert closed == ["first", "second", "late"]
