"""Stream names as Binance spells them, parsed into what a feed needs; and the two URL forms.

`btcusdt@trade`, `btcusdt@aggTrade`, `btcusdt@kline_1m`, `btcusdt@kline_1h@+08:00`,
`btcusdt@miniTicker`, `!miniTicker@arr`, `btcusdt@ticker`, `!ticker@arr`, `btcusdt@ticker_1h`
(`4h`, `1d`), `!ticker_1h@arr`, `btcusdt@bookTicker`, `btcusdt@depth5` (`10`, `20`, each with an
optional `@100ms`), `btcusdt@depth` and `btcusdt@depth@100ms`; the depth streams also take
`@1000ms`, their default, which Binance's own connector (binance-connector) always writes; and a
listenKey (64 letters and digits), the user data of its account. Symbols are lower case, as Binance
writes them; the event types are case-sensitive. A well-formed name of a symbol the market does
not list is still a stream (it never has an event); anything else is no stream.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import parse_qsl

from mock_server.market.klines import INTERVALS

TICKER_WINDOWS = {"1h": 3_600_000, "4h": 4 * 3_600_000, "1d": 86_400_000}
KLINE_ZONES = {"+08:00": 8 * 3_600_000}  # the one offset Binance documents for kline streams
PARTIAL_LEVELS = (5, 10, 20)

_SYMBOL = r"(?P<symbol>[a-z0-9]{1,20})"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("trade", re.compile(_SYMBOL + r"@trade")),
    ("aggTrade", re.compile(_SYMBOL + r"@aggTrade")),
    ("kline", re.compile(_SYMBOL + r"@kline_(?P<interval>\w{2,3})(?:@(?P<zone>[+-]\d\d:\d\d))?")),
    ("miniTicker", re.compile(_SYMBOL + r"@miniTicker")),
    ("miniTicker", re.compile(r"!miniTicker@arr")),
    ("ticker", re.compile(_SYMBOL + r"@ticker")),
    ("ticker", re.compile(r"!ticker@arr")),
    ("windowTicker", re.compile(_SYMBOL + r"@ticker_(?P<window>1h|4h|1d)")),
    ("windowTicker", re.compile(r"!ticker_(?P<window>1h|4h|1d)@arr")),
    ("bookTicker", re.compile(_SYMBOL + r"@bookTicker")),
    ("partialDepth", re.compile(_SYMBOL + r"@depth(?P<levels>5|10|20)(?:@(?P<speed>100|1000)ms)?")),
    ("diffDepth", re.compile(_SYMBOL + r"@depth(?:@(?P<speed>100|1000)ms)?")),
    ("userData", re.compile(r"[A-Za-z0-9]{64}")),  # a listenKey's shape (streams/user.py)
]


class Stream(NamedTuple):
    """One parsed stream name. `symbol` is upper case (the market's), None for the `!...@arr`
    streams of every symbol."""

    name: str
    kind: str  # trade, aggTrade, kline, miniTicker, ticker, windowTicker, bookTicker, partialDepth, diffDepth, userData
    symbol: str | None
    interval: str = ""  # kline
    tz_ms: int = 0  # kline: its time zone's offset
    window_ms: int = 0  # windowTicker
    levels: int = 0  # partialDepth
    speed_ms: int = 1_000  # the depth streams: 1000 or 100


def parse(name: str) -> Stream | None:
    """The stream a name names, or None for a name that is no stream."""
    for kind, pattern in _PATTERNS:
        found = pattern.fullmatch(name)
        if found is None:
            continue
        parts = found.groupdict()
        symbol = parts.get("symbol")
        stream = Stream(name, kind, symbol.upper() if symbol else None)
        if kind == "kline":
            interval, zone = parts["interval"], parts.get("zone")
            if interval not in INTERVALS or (zone is not None and zone not in KLINE_ZONES):
                return None
            return stream._replace(interval=interval, tz_ms=KLINE_ZONES.get(zone or "", 0))
        if kind == "windowTicker":
            return stream._replace(window_ms=TICKER_WINDOWS[parts["window"]])
        if kind in ("partialDepth", "diffDepth"):
            levels = int(parts.get("levels") or 0)
            return stream._replace(levels=levels, speed_ms=int(parts.get("speed") or 1_000))
        return stream
    return None


class Route(NamedTuple):
    """What a WebSocket URL asks: the streams to start with, and whether events come wrapped
    (`/stream`: `{"stream": name, "data": event}`) or raw (`/ws`)."""

    names: tuple[str, ...]
    combined: bool


def route(path: str, query: bytes) -> Route | None:
    """`/ws`, `/ws/<a>/<b>`, `/stream?streams=a/b`; None for any other path. A name in the path
    that is no stream (ccxt connects to `/ws/0`) is left out: such a connection starts with no
    stream and waits for a SUBSCRIBE."""
    if path == "/ws" or path.startswith("/ws/"):
        names = [n for n in path[4:].split("/") if n]
        return Route(tuple(n for n in names if parse(n) is not None), False)
    if path in ("/stream", "/stream/"):
        streams = ""
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if key == "streams":
                streams = value
        names = [n for n in streams.split("/") if n]
        return Route(tuple(n for n in names if parse(n) is not None), True)
    return None


def micro(query: bytes) -> bool:
    """`timeUnit=MICROSECOND` (or `microsecond`): every time field in microseconds."""
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key == "timeUnit" and value in ("MICROSECOND", "microsecond"):
            return True
    return False
