"""The order book around the last price: synthetic, deterministic for the symbol and the second.

No participant's orders exist: the best bid is the last trade's price (one to three ticks below
it for a thin pair) and the best ask a spread above; levels step outwards by a tick or more, with
quantities hashed from (seed, symbol, second, level) that grow away from the touch. The book
changes every second and `lastUpdateId` counts tenths of a second, so it only grows.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mock_server.market.model import Market
from mock_server.market.path import Ints, mix, salt, unit
from mock_server.market.symbols import Pair, asset

MAX_LEVELS = 5_000


class Book(NamedTuple):
    update_id: int
    bids: list[tuple[int, int]]  # (price ticks, quantity steps), best first
    asks: list[tuple[int, int]]


def update_id(now_ms: int) -> int:
    return now_ms // 100


class Levels(NamedTuple):
    """A book as arrays (what `book` lists): prices in ticks, best first, and their quantities."""

    update_id: int
    bid_prices: Ints
    bid_qtys: Ints
    ask_prices: Ints
    ask_qtys: Ints


CACHED = 64  # the books of the last instants asked, whoever asked (each stream, each REST call)
_cache: dict[tuple[object, ...], Levels] = {}


def book(market: Market, pair: Pair, now_ms: int, levels: int) -> Book:
    a = book_levels(market, pair, now_ms, levels)
    return Book(
        a.update_id,
        list(zip(a.bid_prices.tolist(), a.bid_qtys.tolist(), strict=True)),
        list(zip(a.ask_prices.tolist(), a.ask_qtys.tolist(), strict=True)),
    )


def book_levels(market: Market, pair: Pair, now_ms: int, levels: int) -> Levels:
    """The book at `now_ms` as arrays (read only: they are shared). Remembered by everything it
    is made of (the seed, the pair, the instant, the last price, the dollar rate), so a steer or
    another market never meets an old book; a diff depth stream asks for the same instants again
    (the last event's book, the instants between), and so do other streams of the symbol."""
    last = market.price(pair, now_ms)
    notional = asset(pair.base).minute_volume_usd * (1.0 if pair.quote == "USDT" else 0.05) / 40
    price_usd = last / 10**pair.price_digits * market.usd(pair.quote, np.array([now_ms // 60_000]))[0]
    key = (market.seed, pair, now_ms, levels, last, notional, float(price_usd))
    found = _cache.get(key)
    if found is None:
        found = _levels(market.seed, pair, now_ms, levels, last, notional, price_usd)
        while len(_cache) >= CACHED:
            try:
                _cache.pop(next(iter(_cache)), None)
            except (StopIteration, RuntimeError):  # another thread's change: try again
                continue
        _cache[key] = found
    return found


def _levels(
    seed: int, pair: Pair, now_ms: int, levels: int, last: int, notional: float, price_usd: float
) -> Levels:
    second = now_ms // 1000
    key = salt(seed, "book", pair.symbol)
    head = mix(key, np.array([second], dtype=np.int64))[0]
    thin = pair.trades_per_minute < 10
    spread = 1 + (int(unit(head, np.array([0], dtype=np.int64))[0] * 3) if thin else 0)
    best_bid = max(last - (spread - 1), 1)
    best_ask = best_bid + spread
    depth = np.arange(levels, dtype=np.int64)
    bid_gaps = _gaps(head, depth, 1)
    ask_gaps = _gaps(head, depth, 2)
    bid_prices = best_bid - bid_gaps
    bid_prices = bid_prices[bid_prices > 0]
    ask_prices = best_ask + ask_gaps
    base = max(notional / max(price_usd, 1e-12) * 10**pair.qty_digits, 1.0)
    out = Levels(
        update_id(now_ms),
        bid_prices,
        _quantities(head, depth[: bid_prices.size], base, 3),
        ask_prices,
        _quantities(head, depth, base, 4),
    )
    for a in out[1:]:
        a.flags.writeable = False
    return out


def _gaps(head: np.uint64, depth: Ints, side: int) -> Ints:
    """Ticks from the touch to each level: mostly one more than the last, sometimes a few."""
    steps = 1 + np.floor(unit(mix(head, np.array([side], dtype=np.int64))[0], depth) ** 6 * 4).astype(
        np.int64
    )
    steps[0] = 0
    return np.cumsum(steps)


def _quantities(head: np.uint64, depth: Ints, base: float, side: int) -> Ints:
    u = unit(mix(head, np.array([side], dtype=np.int64))[0], depth)
    grow = 1.0 + depth / 25.0
    return np.maximum(np.floor(base * (0.05 + 2.0 * u**3) * grow), 1).astype(np.int64)
