"""Unmodified clients trade on the mock and read back what they did: ccxt and python-binance
place, query, list and cancel spot orders, read their trades and balances, and python-binance
places a margin order that borrows; what they read agrees with the mock's own view."""

from __future__ import annotations

from decimal import Decimal

from helpers import ccxt_binance

from mock_server import MockBinance


def test_ccxt_trades_and_reads_back_coherent_state() -> None:
    with MockBinance(rows=0) as mock:
        mock.set_balance("USDT", "20000")
        ex = ccxt_binance(mock.base_url, apiKey=mock.api_key, secret=mock.secret)
        ex.load_markets()
        last = Decimal(str(ex.fetch_ticker("BTC/USDT")["last"]))
        price = float((last * Decimal("0.97")).quantize(Decimal("0.01")))
        resting = ex.create_order("BTC/USDT", "limit", "buy", 0.01, price)
        assert (resting["status"], resting["price"], resting["amount"], resting["filled"]) == (
            "open",
            price,
            0.01,
            0,
        )
        assert ex.fetch_order(resting["id"], "BTC/USDT")["status"] == "open"
        assert [o["id"] for o in ex.fetch_open_orders("BTC/USDT")] == [resting["id"]]
        locked = Decimal(str(price)) * Decimal("0.01")
        assert ex.fetch_balance()["USDT"]["used"] == float(locked)
        canceled = ex.cancel_order(resting["id"], "BTC/USDT")
        assert canceled["status"] == "canceled" and ex.fetch_open_orders("BTC/USDT") == []
        bought = ex.create_order("BTC/USDT", "market", "buy", 0.02)
        assert bought["status"] == "closed" and bought["filled"] == 0.02 and bought["average"] > 0
        assert (
            bought["fee"]["currency"] == "BTC" and bought["fee"]["cost"] == 0.00002
        )  # 0.1%, however many fills
        trades = ex.fetch_my_trades("BTC/USDT")
        assert {t["order"] for t in trades} == {bought["id"]} and {t["side"] for t in trades} == {"buy"}
        assert {t["takerOrMaker"] for t in trades} == {"taker"}  # one trade a level of the book it walked
        assert sum(Decimal(str(t["cost"])) for t in trades) == Decimal(str(bought["cost"]))
        balance = ex.fetch_balance()
        mine = mock.balances()["SPOT"]
        assert balance["BTC"]["free"] == float(mine["BTC"]["free"]) == 0.02 - 0.00002
        assert balance["USDT"]["free"] == float(mine["USDT"]["free"]) and balance["USDT"]["used"] == 0
        assert Decimal(mine["USDT"]["free"]) == Decimal(20000) - Decimal(str(bought["cost"]))
        assert [o["orderId"] for o in mock.orders()] == [int(resting["id"]), int(bought["id"])]


def test_python_binance_trades_spot_and_margin_with_auto_borrow() -> None:
    import asyncio

    from binance.client import Client

    with MockBinance(rows=0) as mock:
        mock.set_balance("USDT", "20000")
        mock.set_balance("USDT", "1000", wallet="MARGIN")

        class MockClient(Client):  # python-binance takes its base URLs as class attributes
            API_URL = f"{mock.base_url}/api"
            MARGIN_API_URL = f"{mock.base_url}/sapi"

        loop = asyncio.new_event_loop()  # python-binance takes the current loop, or makes one
        asyncio.set_event_loop(loop)
        try:
            client = MockClient(mock.api_key, mock.secret)
            last = Decimal(client.get_symbol_ticker(symbol="ETHUSDT")["price"])
            limit = client.order_limit_buy(symbol="ETHUSDT", quantity="0.5", price=str(last - 100))
            assert client.get_order(symbol="ETHUSDT", orderId=limit["orderId"])["status"] == "NEW"
            assert [o["orderId"] for o in client.get_open_orders(symbol="ETHUSDT")] == [limit["orderId"]]
            assert client.cancel_order(symbol="ETHUSDT", orderId=limit["orderId"])["status"] == "CANCELED"
            bought = client.order_market_buy(symbol="ETHUSDT", quantity="1")
            sold = client.order_market_sell(symbol="ETHUSDT", quantity="0.5")
            assert bought["status"] == sold["status"] == "FILLED"
            trades = client.get_my_trades(symbol="ETHUSDT")
            assert sorted({t["orderId"] for t in trades}) == [bought["orderId"], sold["orderId"]]
            margin = client.create_margin_order(
                symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.5", sideEffectType="MARGIN_BUY"
            )
            client.close_connection()
        finally:
            asyncio.set_event_loop(None)
            loop.close()
        fee = sum(Decimal(f["commission"]) for f in bought["fills"])
        eth = Decimal(bought["executedQty"]) - fee - Decimal("0.5")
        assert Decimal(mock.balances()["SPOT"]["ETH"]["free"]) == eth
        cost = Decimal(margin["cummulativeQuoteQty"])
        assert cost > 1000 and Decimal(margin["marginBuyBorrowAmount"]) == cost - 1000
        usdt = mock.balances()["MARGIN"]["USDT"]
        assert Decimal(usdt["free"]) == 0 and Decimal(usdt["borrowed"]) == cost - 1000
        wallets = {t["orderId"]: t["wallet"] for t in mock.trades()}
        assert wallets == {bought["orderId"]: "SPOT", sold["orderId"]: "SPOT", margin["orderId"]: "MARGIN"}
