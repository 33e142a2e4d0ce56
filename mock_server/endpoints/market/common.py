"""What every market-data endpoint reads the same way: a symbol, a list of symbols, a limit."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context
from mock_server.market.model import Market
from mock_server.market.symbols import Pair
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import Switch

SYMBOL_RANGE = "^[A-Z0-9-_.]{1,20}$"
SYMBOLS_RANGE = '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$'
_SYMBOL = re.compile(r"[A-Z0-9\-_.]{1,20}")
_SYMBOLS = re.compile(r'\[("[A-Z0-9\-_.]{1,20}"(,"[A-Z0-9\-_.]{1,20}")*)?\]')
API_JSON = "application/json;charset=UTF-8"
COMBINATION_IGNORED = Switch("market_combination", "ignore")  # F43
LIMIT_OVER_MAX_REFUSED = Switch("market_limit_over_max", "error")  # F44
WINDOW_AS_1100 = Switch("market_bad_window", "-1100")  # F45


def market(ctx: Context) -> Market:
    assert ctx.market is not None
    return ctx.market


def pair(ctx: Context, symbol: str) -> Pair:
    """A listed pair: -1100 for a malformed name, -1121 for one the market does not list."""
    if _SYMBOL.fullmatch(symbol) is None:
        raise BinanceError(errors.ILLEGAL_CHARS_PARAM, "symbol", SYMBOL_RANGE)
    found = market(ctx).pair(symbol)
    if found is None:
        raise BinanceError(errors.BAD_SYMBOL)
    return found


class Asked(NamedTuple):
    """The pairs a ticker request names, and whether it named one by `symbol` (an object is
    answered then; a list otherwise, also for `symbols` of one)."""

    pairs: list[Pair]
    single: bool


def asked(ctx: Context, values: dict[str, Any], required: bool = False, most: int | None = None) -> Asked:
    """`symbol` (one), `symbols` (a JSON array, at most `most`) or neither (every pair, unless
    `required`); not both."""
    symbol, symbols = values.get("symbol"), values.get("symbols")
    if required and symbol is None and symbols is None:
        raise BinanceError(errors.ONE_OF_TWO, "symbol", "symbols")
    if symbol is not None and symbols is not None:
        raise BinanceError(errors.SYMBOL_AND_SYMBOLS)
    if symbol is not None:
        return Asked([pair(ctx, symbol)], True)
    if symbols is None:
        return Asked(list(market(ctx).pairs), False)
    return Asked(_symbols(market(ctx), symbols, most), False)


def each(request: Asked, item: Callable[[Pair], dict[str, Any]]) -> bytes:
    """The answer of a ticker: one object for `symbol`, else one an asked pair, in order."""
    if request.single:
        return dumps(item(request.pairs[0]))
    return dumps([item(p) for p in request.pairs])


def _symbols(m: Market, symbols: str, most: int | None) -> list[Pair]:
    if _SYMBOLS.fullmatch(symbols) is None:  # Binance's own JSON: no spaces, upper case
        raise BinanceError(errors.ILLEGAL_CHARS_PARAM, "symbols", SYMBOLS_RANGE)
    names = json.loads(symbols)
    if not names:
        raise BinanceError(errors.MANDATORY_PARAM, "symbols")
    if most is not None and len(names) > most:  # counted before any name is looked up
        raise BinanceError(errors.TOO_MANY_VALUES, "symbols", most)
    if len(set(names)) != len(names):
        raise BinanceError(errors.DUPLICATE_SYMBOLS)
    found = [m.pair(n) for n in names]
    if None in found:
        raise BinanceError(errors.BAD_SYMBOL)
    return [p for p in found if p is not None]


def dumps(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def number(first: Mapping[str, str], name: str, default: int) -> int:
    """A parameter as an integer for a weight, its default when absent or not a number."""
    text = first.get(name, "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else default


def count(first: Mapping[str, str]) -> int | None:
    """How many symbols a ticker request names (None: every symbol), for its weight."""
    if first.get("symbol"):
        return 1
    symbols = first.get("symbols")
    return symbols.count(",") + 1 if symbols else None


def limit(ctx: Context, value: int | None, default: int, most: int) -> int:
    """A list's `limit`: 0 or absent is the default, above the maximum the maximum (F44)."""
    if not value:
        return default
    if value > most and LIMIT_OVER_MAX_REFUSED.on(ctx.profile):
        raise BinanceError(errors.INVALID_PARAMETER, "limit")
    return min(value, most)


def exclusive(ctx: Context, clash: bool) -> bool:
    """Whether optional parameters that exclude each other were sent together: -1128, or (the
    alternative) False, so the caller ignores the one it names second (F43)."""
    if clash and not COMBINATION_IGNORED.on(ctx.profile):
        raise BinanceError(errors.OPTIONAL_PARAMS_BAD_COMBO)
    return clash


def malformed(ctx: Context, name: str, legal: str) -> BinanceError:
    """A windowSize or timeZone that is no such thing: -1130, or -1100 with its legal range (F45)."""
    if WINDOW_AS_1100.on(ctx.profile):
        return BinanceError(errors.ILLEGAL_CHARS_PARAM, name, legal)
    return BinanceError(errors.INVALID_PARAMETER, name)
