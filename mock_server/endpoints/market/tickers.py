"""What the 24-hour, rolling-window and trading-day tickers share: a window's summary as fields."""

from __future__ import annotations

from typing import Any

from mock_server.endpoints.declaration import Context
from mock_server.endpoints.market.common import market
from mock_server.market.book import book
from mock_server.market.model import Summary
from mock_server.market.symbols import Pair
from mock_server.market.text import decimal, decimal_float
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError

TYPES = ("FULL", "MINI")


def ticker_type(text: str | None) -> str:
    if text is None:
        return "FULL"
    if text not in TYPES:
        raise BinanceError(errors.INVALID_TICKER_TYPE)
    return text


def fields(
    p: Pair, s: Summary, open_ms: int, close_ms: int, full: bool, extra: bool, ctx: Context
) -> dict[str, Any]:
    """A ticker's fields in Binance's order. `full`: the FULL type's price change and average;
    `extra`: the 24-hour ticker's previous close, last quantity and book top."""
    pd, qd = p.price_digits, p.qty_digits
    change = s.close - s.open
    out: dict[str, Any] = {"symbol": p.symbol}
    if full:
        out["priceChange"] = decimal(change, pd)
        out["priceChangePercent"] = f"{change / s.open * 100:.3f}" if s.open else "0.000"
        out["weightedAvgPrice"] = (
            decimal_float(s.quote / (s.volume / 10**qd)) if s.volume else decimal(s.close, pd)
        )
        if extra:
            m = market(ctx)
            before = m.last_trade(p, open_ms - 1)
            top = book(m, p, ctx.now_ms, 1)
            out["prevClosePrice"] = decimal(before.price, pd)
            out["lastPrice"] = decimal(s.close, pd)
            out["lastQty"] = decimal(s.last_qty, qd)
            out["bidPrice"], out["bidQty"] = decimal(top.bids[0][0], pd), decimal(top.bids[0][1], qd)
            out["askPrice"], out["askQty"] = decimal(top.asks[0][0], pd), decimal(top.asks[0][1], qd)
    out["openPrice"] = decimal(s.open, pd)
    out["highPrice"] = decimal(s.high, pd)
    out["lowPrice"] = decimal(s.low, pd)
    out["lastPrice"] = decimal(s.close, pd)
    if extra and full:  # the 24-hour ticker's order: lastPrice comes before the book
        out = {k: out[k] for k in _FULL_24H_ORDER}
    out["volume"] = decimal(s.volume, qd)
    out["quoteVolume"] = decimal_float(s.quote)
    out["openTime"] = open_ms
    out["closeTime"] = close_ms
    out["firstId"] = s.first_id
    out["lastId"] = s.last_id
    out["count"] = s.trades
    return out


_FULL_24H_ORDER = (
    "symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice", "lastPrice", "lastQty",
    "bidPrice", "bidQty", "askPrice", "askQty", "openPrice", "highPrice", "lowPrice",
)  # fmt: skip
