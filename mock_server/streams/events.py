"""Event payloads, field for field as Binance's stream pages show them, from the one market.

Each builder takes the market and an instant: what it returns is what the REST endpoint of the
same data answers at that instant (a trade event is a row of `GET /api/v3/trades`, a kline
event's kline the row of `GET /api/v3/klines`, bookTicker the top of `GET /api/v3/depth`, a ticker
the figures of `GET /api/v3/ticker/24hr` or `GET /api/v3/ticker`).
"""

from __future__ import annotations

import json
from typing import Any

from mock_server.market.book import Book, book
from mock_server.market.klines import DAY_MS, klines, next_open
from mock_server.market.model import Market, Summary, Trade
from mock_server.market.path import Ints
from mock_server.market.symbols import Pair
from mock_server.market.text import decimal, decimal_float, levels_json


def trade(p: Pair, t: Trade) -> dict[str, Any]:
    """`<symbol>@trade`: the event time is the trade's."""
    return {"e": "trade", "E": t.time_ms, "s": p.symbol, "t": t.id, "p": decimal(t.price, p.price_digits),
            "q": decimal(t.qty, p.qty_digits), "T": t.time_ms, "m": t.buyer_maker, "M": True}  # fmt: skip


def agg_trade(p: Pair, t: Trade) -> dict[str, Any]:
    """`<symbol>@aggTrade`: one trade an aggregate, as `GET /api/v3/aggTrades` answers."""
    return {"e": "aggTrade", "E": t.time_ms, "s": p.symbol, "a": t.id, "p": decimal(t.price, p.price_digits),
            "q": decimal(t.qty, p.qty_digits), "f": t.id, "l": t.id, "T": t.time_ms, "m": t.buyer_maker,
            "M": True}  # fmt: skip


def kline(m: Market, p: Pair, interval: str, tz_ms: int, opened: int, at_ms: int) -> dict[str, Any]:
    """`<symbol>@kline_<interval>` at `at_ms`: the kline opened at `opened` as it stands then
    (closed, `x` true, once `at_ms` is past its close time)."""
    closed = next_open(interval, opened, tz_ms) - 1
    (s,) = klines(m, p, interval, [opened], at_ms, tz_ms)
    pd, qd = p.price_digits, p.qty_digits
    return {
        "e": "kline", "E": at_ms, "s": p.symbol,
        "k": {"t": opened, "T": closed, "s": p.symbol, "i": interval, "f": s.first_id, "L": s.last_id,
              "o": decimal(s.open, pd), "c": decimal(s.close, pd), "h": decimal(s.high, pd), "l": decimal(s.low, pd),
              "v": decimal(s.volume, qd), "n": s.trades, "x": at_ms > closed, "q": decimal_float(s.quote),
              "V": decimal(s.taker_buy, qd), "Q": decimal_float(s.taker_buy_quote), "B": "0"},
    }  # fmt: skip


def _day(m: Market, p: Pair, at_ms: int) -> tuple[Summary, int]:
    start = at_ms - DAY_MS
    return m.summary(p, start, at_ms, at_ms), start


def mini_ticker(m: Market, p: Pair, at_ms: int) -> dict[str, Any]:
    """`<symbol>@miniTicker`: the last 24 hours to `at_ms`, as `ticker/24hr?type=MINI`."""
    s, _ = _day(m, p, at_ms)
    pd = p.price_digits
    return {"e": "24hrMiniTicker", "E": at_ms, "s": p.symbol, "c": decimal(s.close, pd), "o": decimal(s.open, pd),
            "h": decimal(s.high, pd), "l": decimal(s.low, pd), "v": decimal(s.volume, p.qty_digits),
            "q": decimal_float(s.quote)}  # fmt: skip


def ticker(m: Market, p: Pair, at_ms: int) -> dict[str, Any]:
    """`<symbol>@ticker`: the last 24 hours to `at_ms`, as `ticker/24hr`: the trade before the
    window (`x`), the last quantity and the top of the book then."""
    s, start = _day(m, p, at_ms)
    pd, qd = p.price_digits, p.qty_digits
    before = m.last_trade(p, start - 1)
    top = book(m, p, at_ms, 1)
    return {
        "e": "24hrTicker", "E": at_ms, "s": p.symbol, "p": decimal(s.close - s.open, pd), "P": _percent(s),
        "w": _average(s, p), "x": decimal(before.price, pd), "c": decimal(s.close, pd), "Q": decimal(s.last_qty, qd),
        "b": decimal(top.bids[0][0], pd), "B": decimal(top.bids[0][1], qd), "a": decimal(top.asks[0][0], pd),
        "A": decimal(top.asks[0][1], qd), "o": decimal(s.open, pd), "h": decimal(s.high, pd), "l": decimal(s.low, pd),
        "v": decimal(s.volume, qd), "q": decimal_float(s.quote), "O": start, "C": at_ms, "F": s.first_id,
        "L": s.last_id, "n": s.trades,
    }  # fmt: skip


def window_ticker(m: Market, p: Pair, window_ms: int, at_ms: int) -> dict[str, Any]:
    """`<symbol>@ticker_<1h|4h|1d>`: as `GET /api/v3/ticker?windowSize=...`, its open time
    floored to a minute (up to 59,999 ms wider than the window), its close time `at_ms`."""
    start = (at_ms - window_ms) // 60_000 * 60_000
    s = m.summary(p, start, at_ms, at_ms)
    pd, qd = p.price_digits, p.qty_digits
    name = {3_600_000: "1h", 4 * 3_600_000: "4h", DAY_MS: "1d"}[window_ms]
    return {
        "e": f"{name}Ticker", "E": at_ms, "s": p.symbol, "p": decimal(s.close - s.open, pd), "P": _percent(s),
        "o": decimal(s.open, pd), "h": decimal(s.high, pd), "l": decimal(s.low, pd), "c": decimal(s.close, pd),
        "w": _average(s, p), "v": decimal(s.volume, qd), "q": decimal_float(s.quote), "O": start, "C": at_ms,
        "F": s.first_id, "L": s.last_id, "n": s.trades,
    }  # fmt: skip


def _percent(s: Summary) -> str:
    return f"{(s.close - s.open) / s.open * 100:.3f}" if s.open else "0.000"


def _average(s: Summary, p: Pair) -> str:
    return (
        decimal_float(s.quote / (s.volume / 10**p.qty_digits))
        if s.volume
        else decimal(s.close, p.price_digits)
    )


def book_ticker(p: Pair, b: Book) -> dict[str, Any]:
    """`<symbol>@bookTicker`: the top of the book and its update id."""
    (bid, bid_qty), (ask, ask_qty) = b.bids[0], b.asks[0]
    pd, qd = p.price_digits, p.qty_digits
    return {"u": b.update_id, "s": p.symbol, "b": decimal(bid, pd), "B": decimal(bid_qty, qd),
            "a": decimal(ask, pd), "A": decimal(ask_qty, qd)}  # fmt: skip


def partial_depth(p: Pair, b: Book) -> dict[str, Any]:
    """`<symbol>@depth<levels>`: `GET /api/v3/depth?limit=<levels>`'s answer."""
    pd, qd = p.price_digits, p.qty_digits
    return {"lastUpdateId": b.update_id, "bids": [[decimal(x, pd), decimal(q, qd)] for x, q in b.bids],
            "asks": [[decimal(x, pd), decimal(q, qd)] for x, q in b.asks]}  # fmt: skip


class Encoded:
    """An event made as JSON text already: the hub sends `text(micro)` as it is. `text(False)`
    is byte for byte `json.dumps(event, separators=(",", ":"))` of the event as a dict, and
    `text(True)` that of `in_microseconds(event)`; the only time field is `E`, the first after
    `e`."""

    __slots__ = ("at_ms", "kind", "rest")

    def __init__(self, kind: str, at_ms: int, rest: str) -> None:
        self.kind = kind
        self.at_ms = at_ms
        self.rest = rest  # the text after E's value

    def text(self, micro: bool) -> str:
        return f'{{"e":{json.dumps(self.kind)},"E":{self.at_ms * 1000 if micro else self.at_ms}{self.rest}'

    def data(self) -> Any:
        """The event as `json.loads` reads it."""
        return json.loads(self.text(False))


def depth_update_text(
    p: Pair, at_ms: int, first_id: int, last_id: int, bids: tuple[Ints, Ints], asks: tuple[Ints, Ints]
) -> Encoded:
    """`depth_update` of level arrays (prices, quantities), as JSON text: its thousands of levels
    formatted at once (text.levels_json), not two `decimal` calls and a json.dumps a level."""
    pd, qd = p.price_digits, p.qty_digits
    b, a = levels_json(*bids, pd, qd), levels_json(*asks, pd, qd)
    return Encoded(
        "depthUpdate", at_ms, f',"s":{json.dumps(p.symbol)},"U":{first_id},"u":{last_id},"b":{b},"a":{a}}}'
    )


TIME_FIELDS = {"E", "T", "O", "C"}  # and a kline's t and T


def in_microseconds(event: Any) -> Any:
    """An event with every time field in microseconds (`timeUnit=MICROSECOND`)."""
    if isinstance(event, list):
        return [in_microseconds(e) for e in event]
    if not isinstance(event, dict):
        return event
    out = {k: (v * 1000 if k in TIME_FIELDS and isinstance(v, int) else v) for k, v in event.items()}
    if isinstance(out.get("k"), dict):
        k = dict(out["k"])
        k["t"], k["T"] = k["t"] * 1000, k["T"] * 1000
        out["k"] = k
    return out
