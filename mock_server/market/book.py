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


def book(market: Market, pair: Pair, now_ms: int, levels: int) -> Book:
    last = market.price(pair, now_ms)
    second = now_ms // 1000
    key = salt(market.seed, "book", pair.symbol)
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
    notional = asset(pair.base).minute_volume_usd * (1.0 if pair.quote == "USDT" else 0.05) / 40
    price_usd = last / 10**pair.price_digits * market.usd(pair.quote, np.array([now_ms // 60_000]))[0]
    base = max(notional / max(price_usd, 1e-12) * 10**pair.qty_digits, 1.0)
    return Book(
        update_id(now_ms),
        list(
            zip(
                bid_prices.tolist(),
                _quantities(head, depth[: bid_prices.size], base, 3).tolist(),
                strict=True,
            )
        ),
        list(zip(ask_prices.tolist(), _quantities(head, depth, base, 4).tolist(), strict=True)),
    )


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
