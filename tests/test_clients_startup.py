"""Unmodified clients get through their start-up and an account call against the mock, by
base URL alone: ccxt, python-binance, binance-connector."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from mock_server import MockBinance


@pytest.fixture(scope="module")
def mock() -> Iterator[MockBinance]:
    with MockBinance(rows=500) as m:
        yield m


def test_ccxt_loads_spot_markets_and_fetches_the_balance(mock: MockBinance) -> None:
    import ccxt

    exchange = ccxt.binance(
        {"apiKey": mock.api_key, "secret": mock.secret, "options": {"fetchMarkets": ["spot"]}}
    )
    exchange.urls["api"] = {
        name: url.replace("https://api.binance.com", mock.base_url)
        for name, url in exchange.urls["api"].items()
    }
    markets = exchange.load_markets()
    balance = exchange.fetch_balance()
    assets = mock.exchange.assets(mock.api_key)
    assert {m["base"] for m in markets.values()} >= set(assets) - {"USDT"}
    assert set(assets) <= set(balance["total"])
    started = [r["path"] for r in mock.requests()]
    assert {"/sapi/v1/capital/config/getall", "/sapi/v1/margin/allPairs", "/api/v3/exchangeInfo"} <= set(
        started
    )
    assert all(r["status"] == 200 for r in mock.requests())


def test_python_binance_pings_on_construction_and_reads_the_account(mock: MockBinance) -> None:
    from binance.client import Client

    class MockClient(Client):  # python-binance takes its base URLs as class attributes
        API_URL = f"{mock.base_url}/api"
        MARGIN_API_URL = f"{mock.base_url}/sapi"

    mock.clear_requests()
    loop = asyncio.new_event_loop()  # python-binance takes the current loop, or makes one it never closes
    asyncio.set_event_loop(loop)
    try:
        client = MockClient(mock.api_key, mock.secret)
        balances = client.get_account()["balances"]
        client.close_connection()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    assert [r["path"] for r in mock.requests()] == ["/api/v3/ping", "/api/v3/account"]
    assert [b["asset"] for b in balances] == mock.exchange.assets(mock.api_key)


def test_binance_connector_reads_the_account_and_the_margin_account(mock: MockBinance) -> None:
    from binance.spot import Spot

    spot = Spot(api_key=mock.api_key, api_secret=mock.secret, base_url=mock.base_url)
    assets = mock.exchange.assets(mock.api_key)
    assert [b["asset"] for b in spot.account()["balances"]] == assets
    assert [a["asset"] for a in spot.margin_account()["userAssets"]] == assets
    rows = spot.margin_transfer_history(asset=assets[0], size=100)["rows"]
    assert {r["asset"] for r in rows} <= {assets[0]}
