"""Margin orders: on the cross margin wallet or a pair's isolated one, with the side effects that
borrow when an order is placed and repay when it fills or is canceled (docs/orders.md, F68)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from helpers import NOW, signed_call

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Reply
from mock_server.state.clock import Clock

ORDER = "/sapi/v1/margin/order"


def _exchange() -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=0), clock=clock)
    ex.set_balance("MARGIN", "USDT", "1000")
    return ex


def _order(ex: Exchange, **params: Any) -> tuple[Reply, Any]:
    return signed_call(ex, "POST", ORDER, **{"symbol": "BTCUSDT", **params})


def _margin(ex: Exchange, asset: str, wallet: str = "MARGIN") -> dict[str, Decimal]:
    b = ex.balances()[wallet][asset]
    return {"free": b.free, "locked": b.locked, "borrowed": b.borrowed, "interest": b.interest}


def _last(ex: Exchange) -> Decimal:
    return Decimal(signed_call(ex, "GET", "/api/v3/ticker/price", symbol="BTCUSDT")[1]["price"])


def test_a_margin_order_trades_the_margin_wallet_and_the_spot_endpoints_do_not_see_it() -> None:
    ex = _exchange()
    reply, body = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="60000",
                         newOrderRespType="RESULT")  # fmt: skip
    assert reply.status == 200 and reply.headers["X-SAPI-USED-UID-WEIGHT-1M"] == "6"
    assert body["isIsolated"] is False and body["status"] == "NEW" and "orderListId" not in body
    assert _margin(ex, "USDT") == {"free": Decimal(400), "locked": Decimal(600), "borrowed": 0, "interest": 0}
    listed = signed_call(ex, "GET", "/sapi/v1/margin/openOrders", symbol="BTCUSDT")[1]
    assert [o["orderId"] for o in listed] == [body["orderId"]] and listed[0]["isIsolated"] is False
    assert signed_call(ex, "GET", "/api/v3/openOrders")[1] == []
    assert (
        signed_call(ex, "GET", "/api/v3/order", symbol="BTCUSDT", orderId=body["orderId"])[1]["code"] == -2013
    )
    reply, done = signed_call(ex, "DELETE", ORDER, symbol="BTCUSDT", orderId=body["orderId"])
    assert done["status"] == "CANCELED" and _margin(ex, "USDT")["free"] == 1000


def test_an_isolated_order_uses_the_pairs_wallet() -> None:
    ex = _exchange()
    ex.set_balance("ISOLATED:BTCUSDT", "USDT", "500")
    _, body = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.005", price="60000",
                     isIsolated="TRUE")  # fmt: skip
    assert _margin(ex, "USDT", "ISOLATED:BTCUSDT")["locked"] == 300 and _margin(ex, "USDT")["locked"] == 0
    isolated = signed_call(ex, "GET", "/sapi/v1/margin/openOrders", symbol="BTCUSDT", isIsolated="TRUE")[1]
    assert [o["orderId"] for o in isolated] == [body["orderId"]] and isolated[0]["isIsolated"] is True
    assert signed_call(ex, "GET", "/sapi/v1/margin/openOrders", symbol="BTCUSDT")[1] == []  # cross
    _, missing = signed_call(ex, "GET", "/sapi/v1/margin/openOrders", isIsolated="TRUE")
    assert missing["code"] == -1102  # isolated lists need their symbol


def test_margin_buy_borrows_the_shortfall_and_a_cancel_repays_it() -> None:
    ex = _exchange()
    _, body = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.025", price="60000",
                     sideEffectType="MARGIN_BUY", newOrderRespType="FULL")  # fmt: skip
    assert (body["marginBuyBorrowAmount"], body["marginBuyBorrowAsset"]) == ("500.00000000", "USDT")
    usdt = _margin(ex, "USDT")
    assert (usdt["free"], usdt["locked"], usdt["borrowed"]) == (0, 1500, 500) and usdt["interest"] > 0
    signed_call(ex, "DELETE", ORDER, symbol="BTCUSDT", orderId=body["orderId"])
    interest = usdt["interest"]
    usdt = _margin(ex, "USDT")  # autoRepayAtCancel (default true): the loan and its interest go back
    assert usdt == {"free": 1000 - interest, "locked": 0, "borrowed": 0, "interest": 0}


def test_margin_buy_beyond_what_may_be_borrowed_is_3006_and_changes_nothing() -> None:
    ex = _exchange()
    reply, body = _order(ex, side="BUY", type="MARKET", quantity="1", sideEffectType="MARGIN_BUY")
    assert (reply.status, body["code"]) == (400, -3006)
    assert _margin(ex, "USDT") == {"free": Decimal(1000), "locked": 0, "borrowed": 0, "interest": 0}
    assert ex.orders() == [] and reply.headers["X-SAPI-USED-UID-WEIGHT-1M"] == "1500"
    _, plain = _order(ex, side="BUY", type="MARKET", quantity="1")
    assert plain == {"code": -2010, "msg": "Account has insufficient balance for requested action."}


def test_auto_repay_repays_with_what_a_resting_sell_brings_when_the_market_reaches_it() -> None:
    ex = _exchange()
    _order(ex, side="BUY", type="MARKET", quantity="0.02", sideEffectType="MARGIN_BUY")
    owed = _margin(ex, "USDT")["borrowed"]
    assert owed > 0
    price = (_last(ex) * Decimal("1.02")).quantize(Decimal("0.01"))
    _, body = _order(ex, side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.019", price=str(price),
                     sideEffectType="AUTO_REPAY")  # fmt: skip
    ex.set_price("BTCUSDT", str(price + 100))
    got = signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"])[1]
    assert got["status"] == "FILLED"
    usdt = _margin(ex, "USDT")
    assert usdt["borrowed"] == 0 and usdt["interest"] == 0  # repaid from the proceeds
    proceeds = price * Decimal("0.019")
    assert usdt["free"] > 0 and usdt["free"] < proceeds - owed


def test_margin_lists_keep_to_the_margin_pages_limits() -> None:
    ex = _exchange()
    _, body = signed_call(ex, "GET", "/sapi/v1/margin/allOrders", symbol="BTCUSDT", limit=501)
    assert body == {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}
    _order(ex, side="BUY", type="MARKET", quantity="0.001")
    trades = signed_call(ex, "GET", "/sapi/v1/margin/myTrades", symbol="BTCUSDT")[1]
    assert trades and set(trades[0]) == {"commission", "commissionAsset", "id", "isBestMatch", "isBuyer",
                                         "isMaker", "orderId", "price", "qty", "symbol", "isIsolated", "time"}  # fmt: skip
    ex.advance_clock(25 * 3_600_000)  # without a window, the last 24 hours only
    assert signed_call(ex, "GET", "/sapi/v1/margin/myTrades", symbol="BTCUSDT")[1] == []
    assert len(signed_call(ex, "GET", "/sapi/v1/margin/allOrders", symbol="BTCUSDT", orderId=1)[1]) == 1
