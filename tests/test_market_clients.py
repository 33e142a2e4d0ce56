"""Unmodified clients read the market, with their default options, by base URL alone: ccxt's
load_markets (spot, USD-M and COIN-M), tickers, every timeframe of OHLCV, the order book and
trades; python-binance's klines, book and ticker; and what each reads agrees with the rest."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import ccxt_binance as ccxt_at

from mock_server import MockBinance


@pytest.fixture(scope="module")
def mock() -> Iterator[MockBinance]:
    with MockBinance(rows=200, ip_weight_limit=10**6) as m:
        m.freeze_clock(m.now_ms())  # one market state for every call of a test
        yield m


@pytest.fixture(scope="module")
def ccxt_binance(mock: MockBinance) -> Any:
    return ccxt_at(mock.base_url)  # default options: spot, linear and inverse markets


def test_ccxt_loads_spot_and_futures_markets_with_default_options(
    ccxt_binance: Any, mock: MockBinance
) -> None:
    markets = ccxt_binance.load_markets()
    assert {"BTC/USDT", "ETH/BTC", "BTC/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
    btc = markets["BTC/USDT"]
    assert btc["precision"]["price"] == 0.01 and btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5 and btc["active"]
    assert markets["BTC/USDT:USDT"]["swap"] and markets["BTC/USD:BTC"]["inverse"]
    paths = {r["path"] for r in mock.requests()}
    assert {"/api/v3/exchangeInfo", "/fapi/v1/exchangeInfo", "/dapi/v1/exchangeInfo"} <= paths


def test_ccxt_tickers_books_trades_and_candles_agree(ccxt_binance: Any) -> None:
    ccxt_binance.load_markets()
    ticker = ccxt_binance.fetch_ticker("BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT" and ticker["low"] <= ticker["last"] <= ticker["high"]
    assert 30_000 < ticker["last"] < 300_000 and ticker["baseVolume"] > 0
    tickers = ccxt_binance.fetch_tickers(["BTC/USDT", "ETH/USDT"])
    assert tickers["BTC/USDT"]["last"] == ticker["last"] and tickers["ETH/USDT"]["last"] < ticker["last"]
    book = ccxt_binance.fetch_order_book("BTC/USDT", 10)
    assert len(book["bids"]) == 10 and book["bids"][0][0] < book["asks"][0][0]
    assert book["bids"][0][0] == ticker["bid"] and book["asks"][0][0] == ticker["ask"]
    trades = ccxt_binance.fetch_trades("BTC/USDT", limit=20)
    assert len(trades) == 20 and trades[-1]["price"] == ticker["last"]
    assert [t["timestamp"] for t in trades] == sorted(t["timestamp"] for t in trades)
    since = trades[0]["timestamp"] - 3_600_000
    older = ccxt_binance.fetch_trades("BTC/USDT", since=since, limit=50)
    assert older and all(since <= t["timestamp"] <= since + 3_600_000 for t in older)


@pytest.mark.parametrize("timeframe", ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h",
                                       "1d", "3d", "1w", "1M"])  # fmt: skip
def test_ccxt_fetches_every_timeframe(ccxt_binance: Any, timeframe: str) -> None:
    ccxt_binance.load_markets()
    candles = ccxt_binance.fetch_ohlcv("ETH/USDT", timeframe, limit=50)
    assert len(candles) == 50
    step = ccxt_binance.parse_timeframe(timeframe) * 1000
    starts = [c[0] for c in candles]
    if timeframe != "1M":
        assert all(b - a == step for a, b in itertools.pairwise(starts))
    assert all(c[3] <= min(c[1], c[4]) <= max(c[1], c[4]) <= c[2] and c[5] >= 0 for c in candles)
    assert candles[-1][4] == ccxt_binance.fetch_ticker("ETH/USDT")["last"]
    # A later page from `since` goes on where this one started.
    again = ccxt_binance.fetch_ohlcv("ETH/USDT", timeframe, since=starts[10], limit=5)
    assert [c[0] for c in again] == starts[10:15] and again == candles[10:15]


def test_python_binance_reads_klines_the_book_and_the_ticker(mock: MockBinance) -> None:
    from binance.client import Client

    class MockClient(Client):  # python-binance takes its base URLs as class attributes
        API_URL = mock.base_url + "/api"

    loop = asyncio.new_event_loop()  # python-binance takes the current loop, or makes one it never closes
    asyncio.set_event_loop(loop)
    try:
        _read_with_python_binance(MockClient(mock.api_key, mock.secret), mock)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _read_with_python_binance(client: Any, mock: MockBinance) -> None:
    from binance.client import Client

    price = client.get_symbol_ticker(symbol="BNBUSDT")["price"]
    klines = client.get_klines(symbol="BNBUSDT", interval=Client.KLINE_INTERVAL_15MINUTE, limit=8)
    assert len(klines) == 8 and klines[-1][4] == price
    book = client.get_order_book(symbol="BNBUSDT", limit=5)
    assert float(book["bids"][0][0]) < float(book["asks"][0][0])
    # Paging by startTime, as python-binance does for a long range, gives one continuous series.
    start = klines[0][0] - 20 * 60 * 60 * 1000  # 1,200 minutes and more: two pages of 1,000
    series = client.get_historical_klines("BNBUSDT", Client.KLINE_INTERVAL_1MINUTE, start, klines[-1][6])
    opens = [k[0] for k in series]
    assert opens == list(range(start, opens[-1] + 1, 60_000)) and len(series) > 1_200
    assert [r["path"] for r in mock.requests()].count("/api/v3/klines") >= 3
    client.close_connection()
    assert series[-1][4] == price


def test_ccxt_sees_a_steered_drop_of_ten_percent_in_five_minutes(
    ccxt_binance: Any, mock: MockBinance
) -> None:
    """What a bot's test does: BTC falls 10% over five minutes of mock time, and the app sees it
    in the ticker and the candles. The module's other tests read DOGE, BTC and ETH as they were."""
    start = mock.now_ms()
    before = ccxt_binance.fetch_ticker("SOL/USDT")["last"]
    target = f"{before * 0.9:.2f}"
    try:
        mock.move_price("SOLUSDT", target, 300_000)
        mock.advance_clock(300_000)
        assert ccxt_binance.fetch_ticker("SOL/USDT")["last"] == float(target)
        closes = [c[4] for c in ccxt_binance.fetch_ohlcv("SOL/USDT", "1m", since=start - 60_000, limit=7)]
        assert closes == sorted(closes, reverse=True) and closes[-1] == float(target)
    finally:
        mock.release_price("SOLUSDT")
        mock.freeze_clock(start)
