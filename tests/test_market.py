"""The seeded market: every market-data answer comes from one price path per symbol, so they
agree with each other, at every instant, for every symbol; the same seed and time give the same
bytes; history never changes; and each operation keeps Binance's request rules."""

from __future__ import annotations

import itertools
import json
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from helpers import NOW
from helpers import market_error as _error
from helpers import market_exchange as _exchange
from helpers import market_get as _get
from helpers import market_json as _json

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call, Reply
from mock_server.market.klines import INTERVALS, open_time
from mock_server.market.model import Market
from mock_server.market.path import log_prices, salt
from mock_server.market.symbols import ASSETS, BY_SYMBOL, PAIRS, listing
from mock_server.rules import errors
from mock_server.state.clock import Clock

# Instants: the anchor, a minute's middle a day later, and a year back at an odd millisecond.
INSTANTS = (NOW, NOW + 86_400_000 + 30_123, NOW - 365 * 86_400_000 + 7)


@pytest.fixture(scope="module", params=INSTANTS, ids=["anchor", "a-day-on", "a-year-back"])
def at(request: pytest.FixtureRequest) -> Exchange:
    return _exchange(request.param)


@pytest.mark.parametrize("symbol", [p.symbol for p in PAIRS])
def test_price_last_trade_last_kline_and_book_agree(at: Exchange, symbol: str) -> None:
    price = _json(at, "/api/v3/ticker/price", symbol=symbol)["price"]
    (last_trade,) = _json(at, "/api/v3/trades", symbol=symbol, limit=1)
    (last_agg,) = _json(at, "/api/v3/aggTrades", symbol=symbol, limit=1)
    kline = _json(at, "/api/v3/klines", symbol=symbol, interval="1m", limit=1)[-1]
    day = _json(at, "/api/v3/ticker/24hr", symbol=symbol)
    book = _json(at, "/api/v3/depth", symbol=symbol, limit=5)
    top = _json(at, "/api/v3/ticker/bookTicker", symbol=symbol)
    assert price == last_trade["price"] == last_agg["p"] == kline[4] == day["lastPrice"]
    assert last_trade["time"] <= at.now_ms() and last_trade["id"] == last_agg["a"]
    assert kline[0] == at.now_ms() // 60_000 * 60_000 and kline[6] == kline[0] + 59_999
    assert Decimal(day["lowPrice"]) <= Decimal(price) <= Decimal(day["highPrice"])
    assert day["lastQty"] == last_trade["qty"]
    assert [top["bidPrice"], top["bidQty"]] == book["bids"][0] and [top["askPrice"], top["askQty"]] == book[
        "asks"
    ][0]
    bids = [Decimal(p) for p, _ in book["bids"]]
    asks = [Decimal(p) for p, _ in book["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    assert (day["bidPrice"], day["askPrice"]) == (top["bidPrice"], top["askPrice"])
    # The book sits on the last trade: the best bid within three ticks of it.
    tick = Decimal(10) ** -BY_SYMBOL[symbol].price_digits
    assert Decimal(price) - 3 * tick <= bids[0] <= Decimal(price)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHBTC", "DOGEUSDT"])
def test_a_kline_is_its_trades_and_a_coarse_kline_its_fine_ones(at: Exchange, symbol: str) -> None:
    closed = at.now_ms() // 3_600_000 * 3_600_000 - 3_600_000  # the last whole hour
    hour = _json(at, "/api/v3/klines", symbol=symbol, interval="1h", startTime=closed, limit=1)[0]
    minutes = _json(at, "/api/v3/klines", symbol=symbol, interval="1m", startTime=closed, limit=60)
    assert [m[0] for m in minutes] == list(range(closed, closed + 3_600_000, 60_000))
    assert hour[1] == minutes[0][1] and hour[4] == minutes[-1][4]
    assert Decimal(hour[2]) == max(Decimal(m[2]) for m in minutes)
    assert Decimal(hour[3]) == min(Decimal(m[3]) for m in minutes)
    assert Decimal(hour[5]) == sum(Decimal(m[5]) for m in minutes) and hour[8] == sum(m[8] for m in minutes)
    # One minute's trades, all of them: they are its candle.
    first = minutes[7]
    trades = _json(at, "/api/v3/aggTrades", symbol=symbol, startTime=first[0], endTime=first[6], limit=1000)
    prices = [Decimal(t["p"]) for t in trades]
    assert len(trades) == first[8] and first[0] <= trades[0]["T"] and trades[-1]["T"] <= first[6]
    assert (str(prices[0]), str(prices[-1])) == (str(Decimal(first[1])), str(Decimal(first[4])))
    assert max(prices) == Decimal(first[2]) and min(prices) == Decimal(first[3])
    assert sum(Decimal(t["q"]) for t in trades) == Decimal(first[5])
    assert sum(Decimal(t["q"]) for t in trades if not t["m"]) == Decimal(first[9])  # takers who bought
    assert [t["a"] for t in trades] == sorted(t["a"] for t in trades)


def test_the_24h_ticker_covers_the_last_day_of_klines(at: Exchange) -> None:
    day = _json(at, "/api/v3/ticker/24hr", symbol="ETHUSDT")
    now = at.now_ms()
    assert (day["openTime"], day["closeTime"]) == (now - 86_400_000, now)
    minutes = _json(at, "/api/v3/klines", symbol="ETHUSDT", interval="1m", startTime=now - 86_400_000 + 60_000,
                    limit=1000) + _json(at, "/api/v3/klines", symbol="ETHUSDT", interval="1m",
                                         startTime=now - 86_400_000 + 1_060_000, limit=1000)  # fmt: skip
    inside = [m for m in minutes if m[0] >= now - 86_400_000 and m[6] <= now]
    assert Decimal(day["highPrice"]) >= max(Decimal(m[2]) for m in inside)
    assert Decimal(day["lowPrice"]) <= min(Decimal(m[3]) for m in inside)
    assert day["count"] == day["lastId"] - day["firstId"] + 1 - _gaps(day, at) and day["count"] > 1000
    change = Decimal(day["lastPrice"]) - Decimal(day["openPrice"])
    assert Decimal(day["priceChange"]) == change
    assert day["priceChangePercent"] == f"{change / Decimal(day['openPrice']) * 100:.3f}"
    wap = Decimal(day["weightedAvgPrice"])
    assert Decimal(day["lowPrice"]) <= wap <= Decimal(day["highPrice"])


def _gaps(day: dict[str, Any], ex: Exchange) -> int:
    """Trade ids leave room for 128 trades a minute: the unused ids between first and last."""
    from mock_server.market.model import ID_SLOTS

    return (
        (day["lastId"] // ID_SLOTS - day["firstId"] // ID_SLOTS + 1) * ID_SLOTS
        - day["count"]
        - (day["firstId"] % ID_SLOTS)
        - (ID_SLOTS - 1 - day["lastId"] % ID_SLOTS)
    )


def test_avg_price_is_the_last_five_minutes_weighted() -> None:
    ex = _exchange()
    avg = _json(ex, "/api/v3/avgPrice", symbol="BNBUSDT")
    trades = _json(
        ex, "/api/v3/aggTrades", symbol="BNBUSDT", startTime=NOW - 300_000 + 1, endTime=NOW, limit=1000
    )
    weighted = sum(Decimal(t["p"]) * Decimal(t["q"]) for t in trades) / sum(Decimal(t["q"]) for t in trades)
    assert avg["mins"] == 5 and abs(Decimal(avg["price"]) - weighted) < Decimal("0.00000001")
    assert avg["closeTime"] == trades[-1]["T"]


def test_the_same_seed_and_time_give_the_same_bytes_and_another_seed_other_prices() -> None:
    paths = [("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "5m"}), ("/api/v3/ticker/24hr", {}),
             ("/api/v3/depth", {"symbol": "SOLUSDT", "limit": 50}), ("/api/v3/trades", {"symbol": "XRPUSDT"})]  # fmt: skip
    one, two, other = _exchange(), _exchange(), _exchange(seed=8)
    for path, params in paths:
        assert _get(one, path, **params).body == _get(two, path, **params).body
        assert _get(one, path, **params).body != _get(other, path, **params).body


def test_a_frozen_clock_freezes_the_market_and_history_never_changes() -> None:
    ex = _exchange()
    before = _get(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=120).body
    assert _get(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=120).body == before
    ex.advance_clock(3_600_000)
    later = json.loads(_get(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=180).body)
    earlier = json.loads(before)
    # The hour that was closed then is the same now; the minute that was open then is now whole.
    assert later[:119] == earlier[:119]
    assert later[119][:2] == earlier[119][:2] and Decimal(later[119][5]) >= Decimal(earlier[119][5])
    # Seen from a day later (a clock moved on), the same minutes are still the same.
    ex.set_clock({"now_ms": NOW + 86_400_000})
    again = _get(
        ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", startTime=earlier[0][0], limit=119
    ).body
    assert json.loads(again) == earlier[:119]


def test_prices_are_of_the_order_of_real_ones_and_move_by_the_assets_volatility() -> None:
    ex = _exchange()
    prices = {t["symbol"]: Decimal(t["price"]) for t in _json(ex, "/api/v3/ticker/price")}
    for pair in PAIRS:
        reference = ASSETS[pair.base].usd / ASSETS[pair.quote].usd
        assert reference * 0.5 < float(prices[pair.symbol]) < reference * 2, pair.symbol
    # A cross pair is its assets' dollar prices divided: at every minute's close, to a tick.
    closes = {s: Decimal(_json(ex, "/api/v3/klines", symbol=s, interval="1m", limit=2)[0][4])
              for s in ("ETHBTC", "ETHUSDT", "BTCUSDT")}  # fmt: skip
    assert abs(closes["ETHBTC"] - closes["ETHUSDT"] / closes["BTCUSDT"]) <= Decimal("0.00001")
    # A year of days: the daily log returns' spread is the asset's daily volatility, roughly.
    days = np.arange(NOW // 60_000 - 365 * 1440, NOW // 60_000, 1440, dtype=np.int64)
    for name in ("BTC", "DOGE"):
        returns = np.diff(log_prices(salt(7, "asset", name), ASSETS[name].daily_vol, NOW // 60_000, days))
        assert 0.6 < returns.std() / ASSETS[name].daily_vol < 1.5, name


@pytest.mark.parametrize("interval", list(INTERVALS))
def test_every_interval_answers_whole_candles_up_to_now(interval: str) -> None:
    ex = _exchange(NOW + 12_345)
    limit = 3 if interval in ("1w", "1M") else 30
    rows = _json(ex, "/api/v3/klines", symbol="LTCBTC", interval=interval, limit=limit)
    assert len(rows) == limit
    assert rows[-1][0] <= ex.now_ms() <= rows[-1][6]
    assert all(r[6] + 1 == n[0] for r, n in itertools.pairwise(rows))
    assert all(Decimal(r[3]) <= min(Decimal(r[1]), Decimal(r[4])) and Decimal(r[2]) >= max(Decimal(r[1]), Decimal(r[4]))
               for r in rows)  # fmt: skip
    assert all(r[11] == "0" and len(r) == 12 for r in rows)
    assert (
        _get(ex, "/api/v3/uiKlines", symbol="LTCBTC", interval=interval, limit=limit).body
        == _get(ex, "/api/v3/klines", symbol="LTCBTC", interval=interval, limit=limit).body
    )


def test_kline_windows_and_time_zones() -> None:
    ex = _exchange()
    start = NOW - 10 * 3_600_000 + 1  # not on an hour: the first kline opens at the next hour
    rows = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1h", startTime=start, limit=3)
    assert rows[0][0] == open_time("1h", start, 0) + 3_600_000 and len(rows) == 3
    end = NOW - 5 * 3_600_000
    rows = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1h", endTime=end, limit=2)
    assert [r[0] for r in rows] == [open_time("1h", end, 0) - 3_600_000, open_time("1h", end, 0)]
    both = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1h", startTime=start, endTime=end)
    assert both[0][0] >= start and both[-1][0] <= end and len(both) == 5
    assert _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1h", startTime=end, endTime=start) == []
    # 1d candles of UTC+8 open at 16:00 UTC; of -5:30 at 05:30 UTC.
    eight = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1d", timeZone="8", limit=2)
    assert all(r[0] % 86_400_000 == 16 * 3_600_000 for r in eight)
    minus = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1d", timeZone="-5:30", limit=2)
    assert all(r[0] % 86_400_000 == 5 * 3_600_000 + 1_800_000 for r in minus)
    week = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1w", limit=1)[0]
    assert (week[0] // 86_400_000 + 3) % 7 == 0  # a Monday (the epoch was a Thursday)
    month = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1M", limit=2)
    assert [int(np.datetime64(r[0], "ms").astype("datetime64[D]").astype(str)[-2:]) for r in month] == [1, 1]
    # 0 or no limit: 500; over 1,000: 1,000.
    assert len(_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m")) == 500
    assert len(_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=0)) == 500
    assert len(_json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=5000)) == 1000


def test_tickers_answer_one_several_or_all() -> None:
    ex = _exchange()
    assert isinstance(_json(ex, "/api/v3/ticker/price", symbol="BTCUSDT"), dict)
    listed = [p.symbol for p in ex.world.market.pairs]
    assert [t["symbol"] for t in _json(ex, "/api/v3/ticker/price")] == listed
    two = _json(ex, "/api/v3/ticker/24hr", symbols='["ETHUSDT","BTCUSDT"]', type="MINI")
    assert [t["symbol"] for t in two] == ["ETHUSDT", "BTCUSDT"]
    assert list(two[0]) == ["symbol", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume",
                            "openTime", "closeTime", "firstId", "lastId", "count"]  # fmt: skip
    assert list(_json(ex, "/api/v3/ticker/24hr", symbol="BTCUSDT"))[:8] == [
        "symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice", "lastPrice", "lastQty",
        "bidPrice"]  # fmt: skip
    one = _json(ex, "/api/v3/ticker", symbols='["BNBUSDT"]', windowSize="15m")
    assert isinstance(one, list) and one[0]["openTime"] == (NOW - 900_000) // 60_000 * 60_000
    assert one[0]["closeTime"] == NOW
    day = _json(ex, "/api/v3/ticker/tradingDay", symbol="BNBUSDT", timeZone="-1:00")
    assert day["openTime"] % 86_400_000 == 3_600_000 and day["closeTime"] == day["openTime"] + 86_399_999


def test_exchange_info_lists_the_filters_and_the_limits_the_mock_enforces() -> None:
    clock = Clock()
    clock.freeze(NOW)
    limited = Exchange(Settings(anchor_ms=NOW, rows=20, api_weight_limit=321), clock=clock)
    info = _json(limited, "/api/v3/exchangeInfo")
    assert info["rateLimits"][0] == {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                                     "limit": 321}  # fmt: skip
    ex = _exchange()
    btc = _json(ex, "/api/v3/exchangeInfo", symbol="BTCUSDT")["symbols"]
    assert [s["symbol"] for s in btc] == ["BTCUSDT"]
    filters = {f["filterType"]: f for f in btc[0]["filters"]}
    assert (
        filters["PRICE_FILTER"]["tickSize"] == "0.01000000"
        and filters["LOT_SIZE"]["stepSize"] == "0.00001000"
    )
    assert filters["NOTIONAL"]["minNotional"] == "5.00000000"
    assert {
        "PRICE_FILTER",
        "LOT_SIZE",
        "MARKET_LOT_SIZE",
        "NOTIONAL",
        "MAX_NUM_ORDERS",
        "PERCENT_PRICE_BY_SIDE",
    } <= set(filters)
    # Every price and quantity the market shows keeps to the filters.
    for pair in PAIRS:
        info_pair = _json(ex, "/api/v3/exchangeInfo", symbol=pair.symbol)["symbols"][0]
        f = {x["filterType"]: x for x in info_pair["filters"]}
        tick, step = Decimal(f["PRICE_FILTER"]["tickSize"]), Decimal(f["LOT_SIZE"]["stepSize"])
        for t in _json(ex, "/api/v3/trades", symbol=pair.symbol, limit=20):
            assert Decimal(t["price"]) % tick == 0 and Decimal(t["qty"]) % step == 0, pair.symbol
    two = _json(ex, "/api/v3/exchangeInfo", symbols='["ETHBTC","LTCBTC"]', showPermissionSets="false")
    assert [s["permissionSets"] for s in two["symbols"]] == [[], []]
    assert _json(ex, "/api/v3/exchangeInfo", permissions='["TRD_GRP_004"]')["symbols"] == []
    assert len(_json(ex, "/api/v3/exchangeInfo", permissions="SPOT")["symbols"]) == len(ex.world.market.pairs)


def test_futures_exchange_info_lists_contracts_on_the_same_assets() -> None:
    ex = _exchange()
    usd_m = _json(ex, "/fapi/v1/exchangeInfo")["symbols"]
    coin_m = _json(ex, "/dapi/v1/exchangeInfo")["symbols"]
    assert {s["baseAsset"] for s in usd_m} <= set(ASSETS) and all(
        s["contractType"] == "PERPETUAL" for s in usd_m
    )
    assert all(s["contractStatus"] == "TRADING" and s["marginAsset"] == s["baseAsset"] for s in coin_m)
    assert _json(ex, "/fapi/v1/time") == {"serverTime": NOW} and _json(ex, "/dapi/v1/ping") == {}


BAD = [
    ("/api/v3/klines", {"symbol": "btcusdt", "interval": "1m"}, errors.ILLEGAL_CHARS_PARAM, ("symbol", "^[A-Z0-9-_.]{1,20}$")),
    ("/api/v3/klines", {"symbol": "NOPEUSDT", "interval": "1m"}, errors.BAD_SYMBOL, ()),
    ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "2m"}, errors.BAD_INTERVAL, ()),
    ("/api/v3/klines", {"symbol": "BTCUSDT"}, errors.MANDATORY_PARAM, ("interval",)),
    ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "timeZone": "+15:00"}, errors.INVALID_PARAMETER, ("timeZone",)),
    ("/api/v3/klines", {"symbol": "BTCUSDT", "interval": "1m", "limit": -5}, errors.ILLEGAL_CHARS_PARAM, ("limit", "^[0-9]{1,20}$")),
    ("/api/v3/depth", {}, errors.MANDATORY_PARAM, ("symbol",)),
    ("/api/v3/ticker/price", {"symbol": "BTCUSDT", "symbols": '["BTCUSDT"]'}, errors.SYMBOL_AND_SYMBOLS, ()),
    ("/api/v3/ticker/price", {"symbols": '["BTCUSDT","BTCUSDT"]'}, errors.DUPLICATE_SYMBOLS, ()),
    ("/api/v3/ticker/price", {"symbols": '["BTCUSDT", "ETHUSDT"]'}, errors.ILLEGAL_CHARS_PARAM,
     ("symbols", '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$')),
    ("/api/v3/ticker/24hr", {"symbol": "BTCUSDT", "type": "TINY"}, errors.INVALID_TICKER_TYPE, ()),
    ("/api/v3/ticker", {}, errors.ONE_OF_TWO, ("symbol", "symbols")),
    ("/api/v3/ticker", {"symbol": "BTCUSDT", "windowSize": "60m"}, errors.INVALID_PARAMETER, ("windowSize",)),
    ("/api/v3/ticker", {"symbol": "BTCUSDT", "windowSize": "1d2h"}, errors.INVALID_PARAMETER, ("windowSize",)),
    ("/api/v3/ticker/tradingDay", {}, errors.ONE_OF_TWO, ("symbol", "symbols")),
    ("/api/v3/aggTrades", {"symbol": "BTCUSDT", "fromId": 1, "startTime": NOW}, errors.OPTIONAL_PARAMS_BAD_COMBO, ()),
    ("/api/v3/exchangeInfo", {"symbol": "BTCUSDT", "permissions": "SPOT"}, errors.OPTIONAL_PARAMS_BAD_COMBO, ()),
    ("/api/v3/exchangeInfo", {"symbolStatus": "ASLEEP"}, errors.INVALID_SYMBOL_STATUS, ()),
]  # fmt: skip


@pytest.mark.parametrize(("path", "params", "spec", "args"), BAD, ids=[f"{p}-{s.code}" for p, _, s, _ in BAD])
def test_a_bad_request_gets_binances_error(
    path: str, params: dict[str, Any], spec: errors.ErrorSpec, args: tuple[str, ...]
) -> None:
    assert _error(_exchange(), path, **params) == (400, spec.code, spec.format(*args))


def test_too_many_symbols_for_a_rolling_ticker() -> None:
    symbols = json.dumps([f"X{n}USDT" for n in range(101)], separators=(",", ":"))
    status, code, msg = _error(_exchange(), "/api/v3/ticker", symbols=symbols)
    assert (status, code, msg) == (
        400,
        -1101,
        "Too many values sent for parameter 'symbols', maximum allowed up to 100.",
    )


@pytest.mark.parametrize(("limit", "weight", "levels"), [(None, 5, 100), (100, 5, 100), (101, 25, 101), (1000, 50, 1000),
                                                         (1001, 250, 1001), (9999, 250, 5000)])  # fmt: skip
def test_depth_weighs_by_limit_and_stops_at_5000(limit: int | None, weight: int, levels: int) -> None:
    ex = _exchange()
    reply = _get(ex, "/api/v3/depth", symbol="BTCUSDT", **({"limit": limit} if limit is not None else {}))
    body = json.loads(reply.body)
    assert (reply.headers["X-MBX-USED-WEIGHT-1M"], len(body["bids"]), len(body["asks"])) == (
        str(weight),
        levels,
        levels,
    )


@pytest.mark.parametrize(("params", "weight"), [({"symbol": "BTCUSDT"}, 2), ({}, 80),
                                                ({"symbols": '["BTCUSDT","ETHUSDT"]'}, 2)])  # fmt: skip
def test_the_24h_ticker_weighs_by_its_symbols(params: dict[str, str], weight: int) -> None:
    assert _get(_exchange(), "/api/v3/ticker/24hr", **params).headers["X-MBX-USED-WEIGHT-1M"] == str(weight)


def test_trades_from_an_id_and_historical_trades_ignore_a_key() -> None:
    ex = _exchange()
    recent = _json(ex, "/api/v3/trades", symbol="ETHUSDT", limit=30)
    older = _json(ex, "/api/v3/historicalTrades", symbol="ETHUSDT", fromId=recent[0]["id"], limit=30)
    assert older == recent
    reply = ex.handle(Call("GET", "/api/v3/historicalTrades", b"symbol=ETHUSDT&limit=3", api_key="anything"))
    assert isinstance(reply, Reply) and reply.status == 200
    assert _json(ex, "/api/v3/historicalTrades", symbol="ETHUSDT", fromId=10**15) == []


def test_pairs_the_data_brings_are_listed_too() -> None:
    pairs = {p.symbol: p for p in listing(["LUNA", "BTC"], ["LUNABTC"])}
    assert {"LUNAUSDT", "LUNABTC", "BTCUSDT"} <= set(pairs) and pairs["LUNABTC"].quote == "BTC"
    market = Market(7, NOW, tuple(pairs.values()))
    price = market.price(pairs["LUNAUSDT"], NOW) / 10 ** pairs["LUNAUSDT"].price_digits
    assert 0.5 < price < 200 and math.isfinite(price)


@pytest.mark.parametrize("tz", ["0", "8", "-5:30"])
def test_a_daily_kline_is_its_hours_and_a_week_its_days(tz: str) -> None:
    ex = _exchange()
    days = _json(ex, "/api/v3/klines", symbol="SOLUSDT", interval="1d", timeZone=tz, limit=9)
    day = days[-3]  # a whole day two days back, through the remembered days
    hours = _json(
        ex, "/api/v3/klines", symbol="SOLUSDT", interval="1h", timeZone=tz, startTime=day[0], limit=24
    )
    assert hours[0][0] == day[0] and hours[-1][6] == day[6]
    assert (day[1], day[4]) == (hours[0][1], hours[-1][4]) and day[8] == sum(h[8] for h in hours)
    assert Decimal(day[2]) == max(Decimal(h[2]) for h in hours) and Decimal(day[3]) == min(
        Decimal(h[3]) for h in hours
    )
    assert Decimal(day[5]) == sum(Decimal(h[5]) for h in hours)
    # Asked again (now remembered) or through a week, the days are the same.
    assert _json(ex, "/api/v3/klines", symbol="SOLUSDT", interval="1d", timeZone=tz, limit=9) == days
    week = _json(ex, "/api/v3/klines", symbol="SOLUSDT", interval="1w", timeZone=tz, limit=2)[0]
    inside = [d for d in _json(ex, "/api/v3/klines", symbol="SOLUSDT", interval="1d", timeZone=tz,
                               startTime=week[0], limit=7)]  # fmt: skip
    assert week[8] == sum(d[8] for d in inside) and Decimal(week[2]) == max(Decimal(d[2]) for d in inside)


def test_history_starts_at_the_listing() -> None:
    ex = _exchange()
    listed = BY_SYMBOL["BTCUSDT"].listed_ms
    first = _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1m", startTime=0, limit=1)
    assert [k[0] for k in first] == [listed]
    assert _json(ex, "/api/v3/klines", symbol="BTCUSDT", interval="1d", endTime=listed - 86_400_000) == []
    assert _json(ex, "/api/v3/aggTrades", symbol="BTCUSDT", startTime=0, endTime=listed - 1) == []
    (oldest,) = _json(ex, "/api/v3/historicalTrades", symbol="BTCUSDT", fromId=0, limit=1)
    assert oldest["time"] >= listed and oldest["price"] == first[0][1]


def _profiled(**decisions: str) -> Exchange:
    from mock_server.rules.fidelity import Profile

    clock = Clock()
    clock.freeze(NOW)
    settings = Settings(
        anchor_ms=NOW, rows=20, api_weight_limit=10**9, profile=Profile().with_values(decisions)
    )
    return Exchange(settings, clock=clock)


def test_the_market_decisions_switch_to_their_alternatives() -> None:
    default, alt = (
        _exchange(),
        _profiled(market_combination="ignore", market_limit_over_max="error", market_bad_window="-1100"),
    )
    # F44: a limit over the maximum is cut to it, or refused.
    assert len(_json(default, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=1001)) == 1000
    assert _error(alt, "/api/v3/klines", symbol="BTCUSDT", interval="1m", limit=1001) == (
        400,
        -1130,
        "Data sent for parameter 'limit' is not valid.",
    )
    assert len(_json(alt, "/api/v3/trades", symbol="BTCUSDT", limit=1000)) == 1000
    # F43: parameters that exclude each other are refused, or the second ignored.
    first = _json(default, "/api/v3/aggTrades", symbol="BTCUSDT", limit=3)[0]["a"]
    assert (
        _error(default, "/api/v3/aggTrades", symbol="BTCUSDT", fromId=first, startTime=NOW - 60_000)[1]
        == -1128
    )
    both = _json(alt, "/api/v3/aggTrades", symbol="BTCUSDT", fromId=first, startTime=NOW - 3_600_000, limit=2)
    assert len(both) == 2 and both[0]["a"] == first  # the startTime an hour back would start elsewhere
    assert _error(default, "/api/v3/exchangeInfo", symbol="ETHUSDT", permissions="SPOT")[1] == -1128
    info = _json(alt, "/api/v3/exchangeInfo", symbol="ETHUSDT", permissions="LEVERAGED")
    assert [s["symbol"] for s in info["symbols"]] == ["ETHUSDT"]
    # F45: a malformed window or time zone is -1130, or -1100 naming its legal range.
    assert _error(default, "/api/v3/ticker", symbol="BTCUSDT", windowSize="60m") == (
        400,
        -1130,
        "Data sent for parameter 'windowSize' is not valid.",
    )
    assert _error(alt, "/api/v3/ticker", symbol="BTCUSDT", windowSize="60m") == (
        400,
        -1100,
        "Illegal characters found in parameter 'windowSize'; legal range is '^[1-9][0-9]?[mhd]$'.",
    )
    assert _error(alt, "/api/v3/klines", symbol="BTCUSDT", interval="1d", timeZone="abc") == (
        400,
        -1100,
        "Illegal characters found in parameter 'timeZone'; legal range is '^[+-]?[0-9]{1,2}(:[0-9]{2})?$'.",
    )
