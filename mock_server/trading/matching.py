"""Where an order meets the market: the synthetic book now, and the price path as time passes.

Prices are integers of ticks and quantities integers of lot steps (mock_server/market/), so a
walk through the book is exact. An order that takes walks the book's opposite side level by
level; an order that rests is matched against the market's trades after it was placed: the first
trade at or through its price fills it (a stop's first trade at or through its stop price
triggers it).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

import numpy as np

from mock_server.market.book import book
from mock_server.market.model import Market, Trade
from mock_server.market.path import MINUTE_MS
from mock_server.market.symbols import Pair
from mock_server.trading.filters import AVG_PRICE_MINS

LEVELS = 200  # deep enough for any order LOT_SIZE allows on the pairs' usual volumes


class Part(NamedTuple):
    ticks: int
    steps: int


def take(
    market: Market, pair: Pair, now_ms: int, buy: bool, steps: int | None = None, budget: int | None = None,
    limit: int | None = None,
) -> list[Part]:  # fmt: skip
    """The parts a taker order gets from the book at now_ms: up to `steps` lots, or as many as
    `budget` (in ticks x steps) buys or sells for, at prices no worse than `limit` (ticks)."""
    levels = book(market, pair, now_ms, LEVELS)
    side = levels.asks if buy else levels.bids
    out: list[Part] = []
    for ticks, size in side:
        if limit is not None and (ticks > limit if buy else ticks < limit):
            break
        want = size
        if steps is not None:
            want = min(want, steps - sum(p.steps for p in out))
        if budget is not None:
            want = min(want, (budget - sum(p.ticks * p.steps for p in out)) // ticks)
        if want <= 0:
            break
        out.append(Part(ticks, want))
    return out


def average(market: Market, pair: Pair, now_ms: int) -> Decimal:
    """The volume-weighted price of the last AVG_PRICE_MINS minutes' trades (the last trade's
    price when there were none): what avgPrice answers and the filters compare with."""
    trades = market.trades_between(pair, now_ms - AVG_PRICE_MINS * MINUTE_MS + 1, now_ms)
    if not trades:
        trades = [market.last_trade(pair, now_ms)]
    qty = sum(t.qty for t in trades)
    return Decimal(sum(t.price * t.qty for t in trades)) / qty / 10**pair.price_digits


def touch(market: Market, pair: Pair, now_ms: int) -> tuple[int, int]:
    """(best bid, best ask) in ticks."""
    levels = book(market, pair, now_ms, 1)
    return levels.bids[0][0], levels.asks[0][0]


def crossed(price: int, ticks: int, below: bool) -> bool:
    """A trade at `price` reaches `ticks` from above (below=True) or from below."""
    return price <= ticks if below else price >= ticks


def first_cross(
    market: Market, pair: Pair, after_ms: int, now_ms: int, ticks: int, below: bool
) -> Trade | None:
    """The first trade with after_ms < time <= now_ms at or through `ticks`. Whole minutes are
    judged by their candles' low or high first, so a long stretch costs its minutes, not its trades."""
    if now_ms <= after_ms:
        return None
    first, last = (after_ms + 1) // MINUTE_MS, now_ms // MINUTE_MS
    candidates = list(range(first, last + 1))
    if last - first > 2:
        c = market.candles(pair, first + 1, last)  # the whole minutes between
        hits = np.flatnonzero(c.low <= ticks if below else c.high >= ticks)
        candidates = list(dict.fromkeys([first, first + 1 + int(hits[0]) if hits.size else last, last]))
    for minute in candidates:
        for t in market.trades(pair, minute):
            if after_ms < t.time_ms <= now_ms and crossed(t.price, ticks, below):
                return t
    return None
