"""A feed per stream: what it has sent so far, and the events of the next span of mock time.

`advance(market, now)` returns the stream's events with instants in (the last now, now], oldest
first; the hub calls it once per tick for every stream that has a subscriber, whatever their
number. A clock moved back restarts a feed at the new now (the market shows the past again; a
diff depth stream's ids go back with it, and its clients resynchronise). A clock moved far on
(a test's `advance_clock`) gives a periodic stream its newest tick only, and a trade stream the
newest MAX_TRADES trades.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mock_server.market.book import MAX_LEVELS, Book, Levels, book, book_levels, update_id
from mock_server.market.klines import open_time
from mock_server.market.model import Market
from mock_server.market.path import Ints
from mock_server.market.symbols import Pair
from mock_server.streams import events
from mock_server.streams.names import Stream
from mock_server.streams.timeline import book_changes, newest, ticks, trades_after

MAX_TRADES = 1_000  # a trade stream's catch-up after a jump of the clock
MAX_TICKS = 50  # more ticks than this in one span: only the newest is sent
TRADE_SPAN_MS = 600_000  # trades older than this at a jump are not looked for
DIFF_LEVELS = MAX_LEVELS  # a diff depth event keeps this many levels a side exact (F76)


class Feed:
    """A stream that never has an event (a well-formed name of a symbol not listed)."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self.cursor = 0

    def start(self, m: Market, now: int) -> None:
        self.cursor = now

    def advance(self, m: Market, now: int) -> list[Any]:
        if now < self.cursor:
            self.start(m, now)
            return []
        out = self.span(m, now)
        self.cursor = now
        return out

    def span(self, m: Market, now: int) -> list[Any]:
        return []


class Trades(Feed):
    def __init__(self, stream: Stream, pair: Pair) -> None:
        super().__init__(stream)
        self.pair = pair
        self.build = events.trade if stream.kind == "trade" else events.agg_trade
        self.after = (0, -1)

    def start(self, m: Market, now: int) -> None:
        super().start(m, now)
        self.after = newest(m, self.pair, now)

    def span(self, m: Market, now: int) -> list[Any]:
        if self.after[0] < now - TRADE_SPAN_MS:
            self.after = (now - TRADE_SPAN_MS, -1)
        found = trades_after(m, self.pair, self.after, now, MAX_TRADES)
        if found:
            self.after = (found[-1].time_ms, found[-1].id)
        return [self.build(self.pair, t) for t in found]


class Periodic(Feed):
    """An event at every multiple of the period (its update speed)."""

    period_ms = 1_000

    def span(self, m: Market, now: int) -> list[Any]:
        due = ticks(self.cursor, now, self.period_ms)
        out: list[Any] = []
        for at in due[-1:] if len(due) > MAX_TICKS else due:
            out.extend(self.at(m, at))
        return out

    def at(self, m: Market, at: int) -> list[Any]:
        raise NotImplementedError


class Klines(Periodic):
    """Every 2 s (1 s for `1s` klines) the kline holding the tick; when a kline has closed, first
    its last state, `x` true, which is `GET /api/v3/klines`' row."""

    def __init__(self, stream: Stream, pair: Pair) -> None:
        super().__init__(stream)
        self.pair = pair
        self.period_ms = 1_000 if stream.interval == "1s" else 2_000
        self.opened: int | None = None

    def start(self, m: Market, now: int) -> None:
        super().start(m, now)
        self.opened = open_time(self.stream.interval, now, self.stream.tz_ms)

    def at(self, m: Market, at: int) -> list[Any]:
        s = self.stream
        opened = open_time(s.interval, at, s.tz_ms)
        out = []
        if self.opened is not None and self.opened != opened:
            out.append(events.kline(m, self.pair, s.interval, s.tz_ms, self.opened, at))
        self.opened = opened
        out.append(events.kline(m, self.pair, s.interval, s.tz_ms, opened, at))
        return out


class Tickers(Periodic):
    """A ticker of one symbol every second, or of every symbol whose figures changed since the
    last event (`!...@arr`: an array, none when nothing changed)."""

    def __init__(
        self, stream: Stream, pairs: tuple[Pair, ...], build: Callable[[Market, Pair, int], dict[str, Any]]
    ):
        super().__init__(stream)
        self.pairs = pairs
        self.build = build
        self.last: dict[str, dict[str, Any]] = {}

    def at(self, m: Market, at: int) -> list[Any]:
        if self.stream.symbol is not None:
            return [self.build(m, self.pairs[0], at)]
        changed = []
        for p in self.pairs:
            event = self.build(m, p, at)
            figures = {k: v for k, v in event.items() if k not in ("E", "O", "C")}
            if self.last.get(p.symbol) != figures:
                self.last[p.symbol] = figures
                changed.append(event)
        return [changed] if changed else []


class PartialDepth(Periodic):
    """The top levels every second, or every 100 ms when they changed."""

    def __init__(self, stream: Stream, pair: Pair) -> None:
        super().__init__(stream)
        self.pair = pair
        self.period_ms = stream.speed_ms
        self.last: Book | None = None

    def at(self, m: Market, at: int) -> list[Any]:
        b = book(m, self.pair, at, self.stream.levels)
        if (
            self.period_ms < 1_000
            and self.last is not None
            and (b.bids, b.asks) == (self.last.bids, self.last.asks)
        ):
            return []
        self.last = b
        return [events.partial_depth(self.pair, b)]


class BookTicker(Feed):
    """The top of the book at every instant it changes (each second, each trade), and at now
    (a steer's print under a frozen clock)."""

    def __init__(self, stream: Stream, pair: Pair) -> None:
        super().__init__(stream)
        self.pair = pair
        self.top: tuple[Any, ...] | None = None

    def start(self, m: Market, now: int) -> None:
        super().start(m, now)
        b = book(m, self.pair, now, 1)
        self.top = (b.bids[0], b.asks[0])

    def span(self, m: Market, now: int) -> list[Any]:
        instants = book_changes(m, self.pair, self.cursor, now)
        if len(instants) > MAX_TICKS:
            instants = instants[-1:]
        if not instants or instants[-1] != now:
            instants.append(now)
        out = []
        for at in instants:
            b = book(m, self.pair, at, 1)
            top = (b.bids[0], b.asks[0])
            if top != self.top:
                self.top = top
                out.append(events.book_ticker(self.pair, b))
        return out


class DiffDepth(Feed):
    """`depthUpdate` every second (or 100 ms) when the book changed: every level of the book
    now to DIFF_LEVELS a side, and quantity 0 for every price the books since the last event
    held (at the last event, at each trade and second between, and as that instant reads now)
    that the book now does not. So a client's book, whether it holds the last event's or a
    snapshot taken at any instant since, equals the book now to DIFF_LEVELS levels after it.
    Ids: `U` is the last event's `u` + 1, `u` the tick's `lastUpdateId` (its tenth of a second).

    The books are arrays (book_levels, remembered by instant, so the last event's book and the
    instants between are not made again) and the event is made as text (events.Encoded)."""

    def __init__(self, stream: Stream, pair: Pair) -> None:
        super().__init__(stream)
        self.pair = pair
        self.last_u = 0
        self.since = 0  # the last tick (or the start): the books from there on count
        self.held: tuple[Ints, Ints] = (_NONE, _NONE)  # the last event's prices, as its book lists them

    def start(self, m: Market, now: int) -> None:
        super().start(m, now)
        self.since = now
        self.last_u = update_id(now)
        self.held = _prices(book_levels(m, self.pair, now, DIFF_LEVELS))

    def span(self, m: Market, now: int) -> list[Any]:
        due = ticks(self.cursor, now, self.stream.speed_ms)
        jump = len(due) > MAX_TICKS
        out = []
        before = self.since
        for at in due[-1:] if jump else due:
            changes = [] if jump else book_changes(m, self.pair, before, at)
            if (
                not jump
                and not changes
                and _same(_prices(book_levels(m, self.pair, before, DIFF_LEVELS)), self.held)
            ):
                before = at  # nothing changed since the last event (a steer at `before` would show)
                continue
            between = [t for t in changes if t < at]
            event = self._event(m, [before, *between], at)
            out.append(event)
            before = at
        self.since = before
        return out

    def _event(self, m: Market, instants: list[int], at: int) -> events.Encoded:
        now_book = book_levels(m, self.pair, at, DIFF_LEVELS)
        seen = [_prices(book_levels(m, self.pair, t, DIFF_LEVELS)) for t in instants]
        bids = _merge(now_book.bid_prices, now_book.bid_qtys, [self.held[0], *(b for b, _ in seen)], True)
        asks = _merge(now_book.ask_prices, now_book.ask_qtys, [self.held[1], *(a for _, a in seen)], False)
        first = self.last_u + 1
        self.last_u = update_id(at)
        self.held = _prices(now_book)
        return events.depth_update_text(self.pair, at, first, self.last_u, bids, asks)


_NONE: Ints = np.zeros(0, dtype=np.int64)


def _prices(b: Levels) -> tuple[Ints, Ints]:
    return b.bid_prices, b.ask_prices


def _same(a: tuple[Ints, Ints], b: tuple[Ints, Ints]) -> bool:
    """The same prices each side (a book's prices are distinct and ordered, so as sets)."""
    return np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def _merge(prices: Ints, qtys: Ints, held: list[Ints], descending: bool) -> tuple[Ints, Ints]:
    """A side of the event: the book's levels, and quantity 0 at every price held before that the
    book does not hold, ordered by price (best first)."""
    distinct: dict[int, Ints] = {}
    for a in held:  # mostly the same few books (remembered by instant): each once
        if a is not prices:
            distinct.setdefault(id(a), a)
    if not distinct:
        return prices, qtys
    then = list(distinct.values())
    pool = then[0] if len(then) == 1 else np.unique(np.concatenate(then))  # distinct either way
    gone = pool[np.isin(pool, prices, assume_unique=True, invert=True)]
    if not gone.size:
        return prices, qtys
    all_prices = np.concatenate([prices, gone])
    order = np.argsort(all_prices)  # distinct prices: any sort orders them the same
    if descending:
        order = order[::-1]
    return all_prices[order], np.concatenate([qtys, np.zeros(gone.size, dtype=np.int64)])[order]


def feed(stream: Stream, m: Market) -> Feed:
    """The feed of a parsed stream on this market (a listenKey's is the hub's user feed)."""
    if stream.kind == "userData":
        return Feed(stream)
    if stream.symbol is None:
        return Tickers(stream, m.pairs, _ticker_builder(stream))
    pair = m.pair(stream.symbol)
    if pair is None:
        return Feed(stream)
    kind = stream.kind
    if kind in ("trade", "aggTrade"):
        return Trades(stream, pair)
    if kind == "kline":
        return Klines(stream, pair)
    if kind in ("miniTicker", "ticker", "windowTicker"):
        return Tickers(stream, (pair,), _ticker_builder(stream))
    if kind == "bookTicker":
        return BookTicker(stream, pair)
    if kind == "partialDepth":
        return PartialDepth(stream, pair)
    return DiffDepth(stream, pair)


def _ticker_builder(stream: Stream) -> Callable[[Market, Pair, int], dict[str, Any]]:
    if stream.kind == "miniTicker":
        return events.mini_ticker
    if stream.kind == "ticker":
        return events.ticker
    window = stream.window_ms
    return lambda m, p, at: events.window_ticker(m, p, window, at)
