"""Market data: the public endpoints' rules and the mock's decisions on them (F43-F48).

Every check here is a public GET without a key, a few weight each, so it runs on live as it runs
on the mock and settles what Binance does where its documentation is silent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from binance_mock.contracts.checks.params import classify_invalid
from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import errors
from binance_mock.contracts.outcomes import Skipped
from binance_mock.contracts.registry import check, expect
from binance_mock.contracts.target import Answer

SYMBOL = "BTCUSDT"  # listed on live and on the mock
MINUTE_MS = 60_000
DAY_MS = 86_400_000


def _public(ctx: Context, path: str, params: list[tuple[str, Any]]) -> Answer:
    """A public GET without a key; a target that does not serve the path (a mock started with
    --only-exact) skips the check."""
    answer = ctx.target.raw_get(path, ctx.target.encode(params), api_key=None)
    if answer.status == 404 and isinstance(answer.json, dict) and answer.json.get("code") == -1099:
        raise Skipped(f"the target does not serve GET {path}")
    return answer


def _ok(ctx: Context, path: str, params: list[tuple[str, Any]]) -> Any:
    answer = _public(ctx, path, params)
    expect(answer.status == 200, f"GET {path} {params} answered {answer.describe()}, expected 200")
    return answer.json


def _code(answer: Answer) -> object:
    return answer.json.get("code") if isinstance(answer.json, dict) else None


@check("market.unknown_symbol", 'An unknown symbol is -1121 "Invalid symbol."', "docs: errors -1121")
def unknown_symbol(ctx: Context) -> None:
    answer = _public(ctx, "/api/v3/ticker/price", [("symbol", "NOSUCHPAIR")])
    ctx.expect_error(answer, errors.BAD_SYMBOL, what="ticker/price?symbol=NOSUCHPAIR")


@check("market.bad_interval", 'klines with interval=7m is -1120 "Invalid interval."', "docs: errors -1120")
def bad_interval(ctx: Context) -> None:
    answer = _public(ctx, "/api/v3/klines", [("symbol", SYMBOL), ("interval", "7m")])
    ctx.expect_error(answer, errors.BAD_INTERVAL, what="klines?interval=7m")


@check(
    "market.symbol_and_symbols",
    "symbol and symbols together are -1128, recommending to send one of them.",
    "observed; docs: errors -1128",
)
def symbol_and_symbols(ctx: Context) -> None:
    answer = _public(ctx, "/api/v3/ticker/price", [("symbol", SYMBOL), ("symbols", f'["{SYMBOL}"]')])
    ctx.expect_error(answer, errors.SYMBOL_AND_SYMBOLS, what="ticker/price with symbol and symbols")


@check(
    "market.limit_over_max",
    "klines with limit=1001 answers the 1,000 newest klines (or: -1130 for 'limit').",
    "F44",
    decision="market_limit_over_max",
)
def limit_over_max(ctx: Context) -> None:
    answer = _public(ctx, "/api/v3/klines", [("symbol", SYMBOL), ("interval", "1m"), ("limit", 1001)])
    if answer.status == 200 and isinstance(answer.json, list):
        ctx.observe("market_limit_over_max", "clamp", "limit=1001 answered 200")
        expect(len(answer.json) == 1000, f"limit=1001 answered {len(answer.json)} klines, expected 1000")
    elif _code(answer) == errors.INVALID_PARAMETER.code:
        ctx.observe("market_limit_over_max", "error", "limit=1001 answered -1130")
        ctx.expect_error(answer, errors.INVALID_PARAMETER, "limit")
    else:
        ctx.observe("market_limit_over_max", None, answer.describe())


@check(
    "market.combination",
    "aggTrades with fromId and startTime is -1128 (or: startTime ignored, trades from fromId).",
    "F43",
    decision="market_combination",
)
def combination(ctx: Context) -> None:
    newest = _ok(ctx, "/api/v3/aggTrades", [("symbol", SYMBOL), ("limit", 1)])
    expect(isinstance(newest, list) and len(newest) == 1, f"aggTrades limit=1 answered {newest!r:.200}")
    first = newest[0]["a"]
    answer = _public(
        ctx,
        "/api/v3/aggTrades",
        [("symbol", SYMBOL), ("fromId", first), ("startTime", ctx.now_ms() - 3_600_000)],
    )
    if answer.status == 200 and isinstance(answer.json, list):
        ctx.observe("market_combination", "ignore", "fromId with startTime answered 200")
        expect(
            bool(answer.json) and answer.json[0]["a"] == first,
            f"fromId={first} with startTime answered trades from {answer.json[0]['a'] if answer.json else None}",
        )
    elif _code(answer) == errors.OPTIONAL_PARAMS_BAD_COMBO.code:
        ctx.observe("market_combination", "-1128", "fromId with startTime answered -1128")
        ctx.expect_error(answer, errors.OPTIONAL_PARAMS_BAD_COMBO)
    else:
        ctx.observe("market_combination", None, answer.describe())


@check(
    "market.bad_window",
    "ticker with windowSize=60m is -1130 \"Data sent for parameter 'windowSize' is not valid.\" (or: -1100).",
    "F45",
    decision="market_bad_window",
)
def bad_window(ctx: Context) -> None:
    answer = _public(ctx, "/api/v3/ticker", [("symbol", SYMBOL), ("windowSize", "60m")])
    classify_invalid(ctx, "market_bad_window", answer, "windowSize", "windowSize=60m")


@check(
    "market.kline_selection",
    "A startTime inside a kline starts at the next kline; startTime = endTime = an open time selects that kline.",
    "F47",
)
def kline_selection(ctx: Context) -> None:
    inside = (ctx.now_ms() - 10 * MINUTE_MS) // MINUTE_MS * MINUTE_MS + 30_000
    page = _ok(
        ctx, "/api/v3/klines", [("symbol", SYMBOL), ("interval", "1m"), ("startTime", inside), ("limit", 2)]
    )
    expect(isinstance(page, list) and len(page) == 2, f"two klines asked, got {page!r:.200}")
    expect(page[0][0] == inside + 30_000, f"startTime {inside} (inside a kline) gave first open {page[0][0]}")
    one = _ok(
        ctx,
        "/api/v3/klines",
        [("symbol", SYMBOL), ("interval", "1m"), ("startTime", page[1][0]), ("endTime", page[1][0])],
    )
    expect(
        [k[0] for k in one] == [page[1][0]], f"startTime = endTime = {page[1][0]} gave {[k[0] for k in one]}"
    )


@check("market.plus_time_zone", "klines take timeZone=+8 like 8.", "F48")
def plus_time_zone(ctx: Context) -> None:
    asked = [("symbol", SYMBOL), ("interval", "1d"), ("limit", 1)]
    plus = _ok(ctx, "/api/v3/klines", [*asked, ("timeZone", "+8")])
    bare = _ok(ctx, "/api/v3/klines", [*asked, ("timeZone", "8")])
    expect(plus[0][0] == bare[0][0], f"timeZone=+8 opens at {plus[0][0]}, timeZone=8 at {bare[0][0]}")
    expect(plus[0][0] % DAY_MS == DAY_MS - 8 * 3_600_000, f"timeZone=8's day opens at {plus[0][0]}")


@check(
    "market.trading_day",
    "ticker/tradingDay spans the UTC day running: openTime its start, closeTime its last millisecond.",
    "F46",
)
def trading_day(ctx: Context) -> None:
    day = _ok(ctx, "/api/v3/ticker/tradingDay", [("symbol", SYMBOL)])
    start = ctx.now_ms() // DAY_MS * DAY_MS
    expect(
        (day["openTime"], day["closeTime"]) in ((start, start + DAY_MS - 1), (start - DAY_MS, start - 1)),
        f"openTime {day['openTime']} closeTime {day['closeTime']}, expected {start} and {start + DAY_MS - 1}",
    )


@check(
    "market.ticker_bounds",
    "The 24-hour ticker's low <= last <= high, and its window is 24 hours ending now.",
    "docs: 24hr ticker",
)
def ticker_bounds(ctx: Context) -> None:
    t = _ok(ctx, "/api/v3/ticker/24hr", [("symbol", SYMBOL)])
    low, last, high = (Decimal(t[k]) for k in ("lowPrice", "lastPrice", "highPrice"))
    expect(low <= last <= high, f"low {low}, last {last}, high {high}")
    span = t["closeTime"] - t["openTime"]
    expect(DAY_MS - MINUTE_MS <= span <= DAY_MS + MINUTE_MS, f"openTime to closeTime is {span} ms")
    expect(abs(t["closeTime"] - ctx.now_ms()) < 2 * MINUTE_MS, f"closeTime {t['closeTime']} is not now")


@check(
    "market.exchange_info",
    "exchangeInfo?symbol= lists that symbol alone, with PRICE_FILTER, LOT_SIZE and NOTIONAL filters and "
    "a per-minute REQUEST_WEIGHT limit.",
    "docs: exchangeInfo",
)
def exchange_info(ctx: Context) -> None:
    info = _ok(ctx, "/api/v3/exchangeInfo", [("symbol", SYMBOL)])
    symbols = [s["symbol"] for s in info["symbols"]]
    expect(symbols == [SYMBOL], f"exchangeInfo?symbol={SYMBOL} lists {symbols[:5]}")
    kinds = {f["filterType"] for f in info["symbols"][0]["filters"]}
    expect({"PRICE_FILTER", "LOT_SIZE", "NOTIONAL"} <= kinds, f"{SYMBOL}'s filters are {sorted(kinds)}")
    weight = [
        r for r in info["rateLimits"] if r["rateLimitType"] == "REQUEST_WEIGHT" and r["interval"] == "MINUTE"
    ]
    expect(len(weight) == 1 and weight[0]["limit"] > 0, f"rateLimits {info['rateLimits']}")
