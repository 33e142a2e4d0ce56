"""The symbols the market lists, and the assets whose prices make them.

Every price is in US dollars per unit of an asset, USDT being the dollar; a pair's price is its
base asset's over its quote asset's, so ETHBTC is always ETHUSDT over BTCUSDT. Reference prices
are of the order of real ones in late 2026 and daily volatilities of the order of each asset's;
tick and lot sizes are the ones Binance's exchangeInfo showed for these pairs, and listing dates
close to the pairs' first trades on Binance (docs/market.md).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    usd: float  # the reference price at the anchor
    daily_vol: float  # the standard deviation of a day's log return, roughly
    minute_volume_usd: float  # dollars traded in a minute against USDT, typically


@dataclass(frozen=True, slots=True)
class Pair:
    symbol: str
    base: str
    quote: str
    price_digits: int  # PRICE_FILTER tickSize = 10**-price_digits
    qty_digits: int  # LOT_SIZE stepSize = 10**-qty_digits
    min_notional: str  # NOTIONAL minNotional, in the quote asset
    trades_per_minute: int  # on average; at least four a minute
    listed_ms: int = 1_577_836_800_000  # the first trade (2020-01-01 for a pair the data brought)


ASSETS: dict[str, Asset] = {
    a.name: a
    for a in (
        Asset("USDT", 1.0, 0.0, 0.0),
        Asset("BTC", 95_000.0, 0.025, 1_500_000.0),
        Asset("ETH", 3_400.0, 0.035, 800_000.0),
        Asset("BNB", 650.0, 0.03, 120_000.0),
        Asset("SOL", 190.0, 0.045, 300_000.0),
        Asset("XRP", 2.3, 0.05, 200_000.0),
        Asset("ADA", 0.9, 0.05, 60_000.0),
        Asset("DOGE", 0.32, 0.06, 120_000.0),
        Asset("LINK", 20.0, 0.05, 40_000.0),
        Asset("TRX", 0.25, 0.03, 30_000.0),
        Asset("LTC", 100.0, 0.04, 30_000.0),
        Asset("USDC", 1.0, 0.0004, 150_000.0),
        Asset("FDUSD", 1.0, 0.0006, 40_000.0),
    )
}

PAIRS: tuple[Pair, ...] = (
    Pair("BTCUSDT", "BTC", "USDT", 2, 5, "5.00000000", 48, 1502942400000),
    Pair("ETHUSDT", "ETH", "USDT", 2, 4, "5.00000000", 40, 1502942400000),
    Pair("BNBUSDT", "BNB", "USDT", 2, 3, "5.00000000", 24, 1509940800000),
    Pair("SOLUSDT", "SOL", "USDT", 2, 3, "5.00000000", 30, 1597125600000),
    Pair("XRPUSDT", "XRP", "USDT", 4, 1, "5.00000000", 24, 1525421400000),
    Pair("ADAUSDT", "ADA", "USDT", 4, 1, "5.00000000", 16, 1523937720000),
    Pair("DOGEUSDT", "DOGE", "USDT", 5, 0, "1.00000000", 20, 1562328000000),
    Pair("LINKUSDT", "LINK", "USDT", 2, 2, "5.00000000", 12, 1547632800000),
    Pair("TRXUSDT", "TRX", "USDT", 4, 1, "5.00000000", 10, 1528717200000),
    Pair("LTCUSDT", "LTC", "USDT", 2, 3, "5.00000000", 10, 1513136400000),
    Pair("USDCUSDT", "USDC", "USDT", 4, 0, "5.00000000", 16, 1544868000000),
    Pair("FDUSDUSDT", "FDUSD", "USDT", 4, 0, "5.00000000", 10, 1690351200000),
    Pair("ETHBTC", "ETH", "BTC", 5, 4, "0.00010000", 12, 1500004800000),
    Pair("BNBBTC", "BNB", "BTC", 6, 3, "0.00010000", 6, 1500004800000),
    Pair("LTCBTC", "LTC", "BTC", 6, 3, "0.00010000", 6, 1500004800000),
)
BY_SYMBOL: dict[str, Pair] = {p.symbol: p for p in PAIRS}


def asset(name: str) -> Asset:
    """A listed asset, or one a fixture brought: its price seeded from its name (1 to 100 dollars)."""
    found = ASSETS.get(name)
    if found is not None:
        return found
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    usd = 1.0 + int.from_bytes(digest, "big") % 9_900 / 100
    return Asset(name, usd, 0.05, 10_000.0)


def symbol_id(symbol: str) -> int:
    """A stable number for a symbol's name: the hash salt of its path."""
    return int.from_bytes(hashlib.blake2b(symbol.encode(), digest_size=8).digest(), "big")


QUOTES = ("USDT", "FDUSD", "USDC", "BTC", "ETH", "BNB")  # the longest match ends a symbol


def split(symbol: str) -> tuple[str, str] | None:
    """(base, quote) of a symbol by the quote it ends in; None when it ends in none."""
    for quote in sorted(QUOTES, key=len, reverse=True):
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return None


def made_pair(base: str, quote: str) -> Pair:
    """A pair the data brought (a fixture's asset or isolated symbol): ticks of about a
    hundred-thousandth of its price, lots of about a dollar's hundredth."""
    price = asset(base).usd / asset(quote).usd
    price_digits = min(max(5 - math.floor(math.log10(price)), 0), 8)
    qty_digits = min(max(math.floor(math.log10(price)) + 2, 0), 8)
    return Pair(
        base + quote,
        base,
        quote,
        price_digits,
        qty_digits,
        "5.00000000" if quote == "USDT" else "0.00010000",
        8,
    )


def listing(assets: Iterable[str], symbols: Iterable[str]) -> tuple[Pair, ...]:
    """The pairs the market lists: Binance's usual ones, each isolated symbol of the data, and
    every asset of the data against USDT."""
    out = {p.symbol: p for p in PAIRS}
    for symbol in symbols:
        parts = split(symbol)
        if symbol not in out and parts is not None:
            out[symbol] = made_pair(*parts)
    for name in assets:
        if name != "USDT" and f"{name}USDT" not in out:
            out[f"{name}USDT"] = made_pair(name, "USDT")
    return tuple(out.values())
