"""How to: trade with ccxt on the mock, steer the market through a resting order, and read back
what happened, also with a fault on one symbol's orders.

Self-contained: copy this file alone into your tests. It needs binance-mock installed (its
pytest plugin provides the `binance_mock` fixture) and ccxt.
"""

import ccxt
import pytest

BINANCE_HOSTS = ("https://api.binance.com", "https://fapi.binance.com", "https://dapi.binance.com")


@pytest.fixture
def exchange(binance_mock):
    """ccxt's binance, unmodified, every URL family pointed at the mock."""
    ex = ccxt.binance({"apiKey": binance_mock.api_key, "secret": binance_mock.secret})
    for name, url in ex.urls["api"].items():
        if isinstance(url, str):
            for host in BINANCE_HOSTS:
                url = url.replace(host, binance_mock.base_url)
            ex.urls["api"][name] = url
    return ex


def test_a_resting_buy_fills_when_the_market_trades_through_it(binance_mock, exchange):
    binance_mock.set_balance("USDT", "20000")
    order = exchange.create_order("BTC/USDT", "limit", "buy", 0.01, 60000)
    assert order["status"] == "open"
    assert binance_mock.balances()["SPOT"]["USDT"]["locked"] == "600.00000000"

    binance_mock.set_price("BTCUSDT", "59000")  # the market trades through 60,000

    assert exchange.fetch_order(order["id"], "BTC/USDT")["status"] == "closed"
    (trade,) = exchange.fetch_my_trades("BTC/USDT")
    assert (trade["price"], trade["amount"], trade["takerOrMaker"]) == (60000, 0.01, "maker")
    assert trade["fee"] == {"cost": 0.00001, "currency": "BTC"}  # 0.1% of what the fill brought in
    assert binance_mock.orders()[0]["status"] == "FILLED"


def test_orders_of_one_symbol_refused(binance_mock, exchange):
    binance_mock.set_balance("USDT", "20000")
    binance_mock.inject(code=-2010, match={"path": "/api/v3/order", "params": {"symbol": "ETHUSDT"}})
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order("ETH/USDT", "market", "buy", 0.1)
    assert exchange.create_order("BTC/USDT", "market", "buy", 0.001)["status"] == "closed"
