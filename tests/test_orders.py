"""Spot orders: checked as Binance checks them, filled against the market (at once through the
book, or as the price path crosses a resting order), and read back coherently: the order, the
open orders, the trades and the balances agree, and every asset goes to the house or the account."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from helpers import NOW, signed_call

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Reply
from mock_server.rules.fidelity import Profile
from mock_server.state.clock import Clock

ORDER = "/api/v3/order"
MINUTE = 60_000


def _exchange(usdt: str = "100000", btc: str = "1") -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=0), clock=clock)  # no history: SPOT holds what a test sets
    ex.set_balance("SPOT", "USDT", usdt)
    ex.set_balance("SPOT", "BTC", btc)
    return ex


def _order(ex: Exchange, **params: Any) -> tuple[Reply, Any]:
    return signed_call(ex, "POST", ORDER, **{"symbol": "BTCUSDT", **params})


def _spot(ex: Exchange, asset: str) -> tuple[Decimal, Decimal]:
    b = ex.balances()["SPOT"][asset]
    return b.free, b.locked


def _last(ex: Exchange) -> Decimal:
    return Decimal(signed_call(ex, "GET", "/api/v3/ticker/price", symbol="BTCUSDT")[1]["price"])


def _book(ex: Exchange) -> dict[str, Any]:
    return signed_call(ex, "GET", "/api/v3/depth", symbol="BTCUSDT", limit=5)[1]


def _conserved(ex: Exchange, before: dict[str, Decimal]) -> None:
    """Every asset the account had is still in the account or the house."""
    house = ex.world.orders.house
    for asset, total in before.items():
        b = ex.balances()["SPOT"].get(asset)
        held = (b.free + b.locked) if b is not None else Decimal(0)
        assert held + house.get(asset, Decimal(0)) == total, asset


def test_a_market_buy_walks_the_book_and_pays_commission_in_the_asset_received() -> None:
    ex = _exchange()
    ask = Decimal(_book(ex)["asks"][0][0])
    reply, body = _order(ex, side="BUY", type="MARKET", quantity="0.05")
    assert reply.status == 200 and reply.headers["X-MBX-ORDER-COUNT-10S"] == "1"
    assert reply.headers["X-MBX-ORDER-COUNT-1D"] == "1"
    assert body["status"] == "FILLED" and body["type"] == "MARKET" and "fills" in body  # FULL by default
    assert Decimal(body["fills"][0]["price"]) == ask  # the best ask first
    qty = sum(Decimal(f["qty"]) for f in body["fills"])
    cost = sum(Decimal(f["price"]) * Decimal(f["qty"]) for f in body["fills"])
    fee = sum(Decimal(f["commission"]) for f in body["fills"])
    assert qty == Decimal("0.05") == Decimal(body["executedQty"]) and cost == Decimal(
        body["cummulativeQuoteQty"]
    )
    assert {f["commissionAsset"] for f in body["fills"]} == {"BTC"} and fee == Decimal("0.00005")
    assert _spot(ex, "USDT") == (Decimal(100000) - cost, 0)
    assert _spot(ex, "BTC") == (Decimal(1) + qty - fee, 0)
    _conserved(ex, {"USDT": Decimal(100000), "BTC": Decimal(1)})


def test_a_market_sell_by_quote_quantity_receives_no_more_than_asked_on_the_lot_grid() -> None:
    ex = _exchange()
    _, body = _order(ex, side="SELL", type="MARKET", quoteOrderQty="1000")
    got = Decimal(body["cummulativeQuoteQty"])
    assert got <= 1000 and 1000 - got < Decimal(body["fills"][0]["price"]) * Decimal("0.00001")
    assert (
        Decimal(body["origQuoteOrderQty"]) == 1000 and Decimal(body["executedQty"]) % Decimal("0.00001") == 0
    )
    assert body["fills"][0]["commissionAsset"] == "USDT"


def test_a_resting_limit_locks_funds_and_fills_as_maker_when_the_path_crosses_it() -> None:
    ex = _exchange()
    price = (_last(ex) * Decimal("0.98")).quantize(Decimal("0.01"))
    _reply, body = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price=str(price))
    assert body["status"] == "NEW" and body["fills"] == []
    assert _spot(ex, "USDT") == (Decimal(100000) - price * Decimal("0.1"), price * Decimal("0.1"))
    open_ = signed_call(ex, "GET", "/api/v3/openOrders", symbol="BTCUSDT")[1]
    assert [o["orderId"] for o in open_] == [body["orderId"]]
    ex.move_price("BTCUSDT", str(price - 900), 10 * MINUTE)  # the path goes through it
    ex.advance_clock(10 * MINUTE)
    got = signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"])[1]
    assert got["status"] == "FILLED" and Decimal(got["executedQty"]) == Decimal("0.1")
    filled = {"op": "order", "orderId": body["orderId"], "symbol": "BTCUSDT", "status": "FILLED",
              "executedQty": "0.10000000"}  # fmt: skip
    assert filled in ex.requests()[-1].changes  # the journal entry of the call that looked
    assert Decimal(got["cummulativeQuoteQty"]) == price * Decimal("0.1")  # at its own price
    assert NOW < got["updateTime"] <= NOW + 10 * MINUTE
    (trade,) = signed_call(ex, "GET", "/api/v3/myTrades", symbol="BTCUSDT")[1]
    assert trade["isMaker"] is True and trade["isBuyer"] is True and Decimal(trade["price"]) == price
    assert trade["time"] == got["updateTime"] and trade["orderId"] == body["orderId"]
    assert _spot(ex, "USDT") == (Decimal(100000) - price * Decimal("0.1"), 0)
    assert signed_call(ex, "GET", "/api/v3/openOrders", symbol="BTCUSDT")[1] == []
    _conserved(ex, {"USDT": Decimal(100000), "BTC": Decimal(1)})


def test_setting_the_price_through_a_resting_order_fills_it_at_once_on_a_frozen_clock() -> None:
    ex = _exchange()
    price = (_last(ex) * Decimal("1.03")).quantize(Decimal("0.01"))
    _, body = _order(ex, side="SELL", type="LIMIT", timeInForce="GTC", quantity="0.5", price=str(price))
    assert _spot(ex, "BTC") == (Decimal("0.5"), Decimal("0.5"))
    ex.set_price("BTCUSDT", str(price - 1))  # not yet
    assert signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"])[1]["status"] == "NEW"
    ex.set_price("BTCUSDT", str(price + 50))
    got = signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"])[1]
    assert got["status"] == "FILLED" and got["updateTime"] == NOW
    received = price * Decimal("0.5")
    assert _spot(ex, "USDT") == (Decimal(100000) + received - received / 1000, 0)
    assert _spot(ex, "BTC") == (Decimal("0.5"), 0)


def test_cancelling_gives_the_lock_back_and_a_second_cancel_is_unknown() -> None:
    ex = _exchange()
    _, body = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="50000",
                     newClientOrderId="mine-1")  # fmt: skip
    assert body["clientOrderId"] == "mine-1"
    reply, done = signed_call(ex, "DELETE", ORDER, symbol="BTCUSDT", origClientOrderId="mine-1")
    assert reply.status == 200 and done["status"] == "CANCELED" and done["origClientOrderId"] == "mine-1"
    assert done["clientOrderId"] != "mine-1" and done["orderId"] == body["orderId"]
    assert _spot(ex, "USDT") == (Decimal(100000), 0)
    reply, again = signed_call(ex, "DELETE", ORDER, symbol="BTCUSDT", orderId=body["orderId"])
    assert (reply.status, again) == (400, {"code": -2011, "msg": "Unknown order sent."})
    reply, missing = signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=999)
    assert (reply.status, missing) == (400, {"code": -2013, "msg": "Order does not exist."})
    reply, wrong = signed_call(ex, "GET", ORDER, symbol="ETHUSDT", orderId=body["orderId"])
    assert wrong["code"] == -2013  # an order id names an order of its symbol only
    reply, both = signed_call(
        ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"], origClientOrderId="x"
    )
    assert both["code"] == -2013  # the client id must be the order's


def test_cancelling_every_open_order_of_a_symbol() -> None:
    ex = _exchange()
    for price in ("50000", "51000"):
        _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price=price)
    reply, done = signed_call(ex, "DELETE", "/api/v3/openOrders", symbol="BTCUSDT")
    assert reply.status == 200 and [o["status"] for o in done] == ["CANCELED", "CANCELED"]
    assert _spot(ex, "USDT") == (Decimal(100000), 0)
    reply, none = signed_call(ex, "DELETE", "/api/v3/openOrders", symbol="BTCUSDT")
    assert none == {"code": -2011, "msg": "Unknown order sent."}


@pytest.mark.parametrize(
    ("params", "code", "msg"),
    [
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "50000.005"},
            -1013,
            "Filter failure: PRICE_FILTER",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.000015", "price": "50000"},
            -1013,
            "Filter failure: LOT_SIZE",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.00001", "price": "50000"},
            -1013,
            "Filter failure: NOTIONAL",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "5000"},
            -1013,
            "Filter failure: PERCENT_PRICE_BY_SIDE",
        ),
        ({"side": "BUY", "type": "MARKET", "quantity": "500"}, -1013, "Filter failure: MARKET_LOT_SIZE"),
        ({"side": "HOLD", "type": "MARKET", "quantity": "1"}, -1117, "Invalid side."),
        ({"side": "BUY", "type": "ICEBERG", "quantity": "1"}, -1116, "Invalid orderType."),
        (
            {"side": "BUY", "type": "LIMIT", "timeInForce": "GTD", "quantity": "1", "price": "1"},
            -1115,
            "Invalid timeInForce.",
        ),
        (
            {"side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "50000"},
            -1102,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            {"side": "BUY", "type": "MARKET"},
            -1102,
            "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
        ),
        (
            {"side": "BUY", "type": "MARKET", "quantity": "0.01", "timeInForce": "GTC"},
            -1114,
            "TimeInForce parameter sent when not required.",
        ),
        (
            {"side": "BUY", "type": "MARKET", "quantity": "0.01", "price": "50000"},
            -1106,
            "Parameter 'price' sent when not required.",
        ),
        (
            {"side": "BUY", "type": "STOP_LOSS", "quantity": "0.01"},
            -1102,
            "Mandatory parameter 'stopPrice' was not sent, was empty/null, or malformed.",
        ),
        (
            {"side": "BUY", "type": "MARKET", "quantity": "0.01", "trailingDelta": "100"},
            -2010,
            "Trailing stop orders are not supported for this symbol.",
        ),
    ],
)
def test_a_new_order_is_checked_as_binance_checks_it(params: dict[str, str], code: int, msg: str) -> None:
    ex = _exchange()
    reply, body = _order(ex, **params)
    assert (reply.status, body) == (400, {"code": code, "msg": msg})
    assert reply.check == "rules"  # refused by the order's own checks, before any change
    assert ex.world.orders.last_order_id == 0 and _spot(ex, "USDT") == (Decimal(100000), 0)


def test_precision_beyond_eight_decimals_is_refused() -> None:
    _reply, body = _order(_exchange(), side="BUY", type="MARKET", quantity="0.000000001")
    assert body == {"code": -1111, "msg": "Parameter 'quantity' has too much precision."}


def test_an_order_the_balance_cannot_pay_changes_nothing() -> None:
    ex = _exchange(usdt="100")
    reply, body = _order(ex, side="BUY", type="MARKET", quantity="0.01")
    assert (reply.status, body) == (
        400,
        {"code": -2010, "msg": "Account has insufficient balance for requested action."},
    )
    reply, body = _order(ex, side="SELL", type="LIMIT", timeInForce="GTC", quantity="2", price="200000")
    assert body["code"] == -2010
    assert _spot(ex, "USDT") == (Decimal(100), 0) and _spot(ex, "BTC") == (Decimal(1), 0)
    assert ex.world.orders.house == {} and ex.orders() == []


def test_a_maker_only_order_that_would_take_and_a_stop_that_would_trigger_are_refused() -> None:
    ex = _exchange()
    ask = _book(ex)["asks"][0][0]
    _, body = _order(ex, side="BUY", type="LIMIT_MAKER", quantity="0.01", price=ask)
    assert body == {"code": -2010, "msg": "Order would immediately match and take."}
    last = _last(ex)
    _, body = _order(ex, side="SELL", type="STOP_LOSS", quantity="0.01", stopPrice=str(last + 100))
    assert body == {"code": -2010, "msg": "Order would trigger immediately."}
    reply, body = _order(ex, side="BUY", type="LIMIT_MAKER", quantity="0.01", price=str(last - 100))
    assert reply.status == 200  # a LIMIT_MAKER answers ACK by default
    assert list(body) == ["symbol", "orderId", "orderListId", "clientOrderId", "transactTime"]


def test_a_stop_loss_sells_at_the_market_when_the_price_falls_to_it() -> None:
    ex = _exchange()
    last = _last(ex)
    stop = (last * Decimal("0.95")).quantize(Decimal("0.01"))
    _, body = _order(
        ex, side="SELL", type="STOP_LOSS", quantity="0.2", stopPrice=str(stop), newOrderRespType="RESULT"
    )
    assert body["status"] == "NEW" and body["workingTime"] == -1 and Decimal(body["stopPrice"]) == stop
    assert _spot(ex, "BTC") == (Decimal("0.8"), Decimal("0.2"))
    ex.set_price("BTCUSDT", str(stop - 10))
    got = signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"])[1]
    assert got["status"] == "FILLED" and got["isWorking"] is True and got["workingTime"] == NOW
    (trade,) = signed_call(ex, "GET", "/api/v3/myTrades", symbol="BTCUSDT")[1]
    assert trade["isMaker"] is False and Decimal(trade["price"]) <= stop  # sold into the bids
    assert _spot(ex, "BTC") == (Decimal("0.8"), 0)


def test_time_in_force_ioc_and_fok_never_rest() -> None:
    ex = _exchange()
    below = str((_last(ex) * Decimal("0.99")).quantize(Decimal("0.01")))
    for tif in ("IOC", "FOK"):
        _, body = _order(ex, side="BUY", type="LIMIT", timeInForce=tif, quantity="0.01", price=below)
        assert body["status"] == "EXPIRED" and body["fills"] == []
    assert _spot(ex, "USDT") == (Decimal(100000), 0)
    ask = _book(ex)["asks"][0][0]
    _, body = _order(ex, side="BUY", type="LIMIT", timeInForce="FOK", quantity="0.01", price=ask)
    assert body["status"] == "FILLED"


def test_a_client_order_id_in_use_by_an_open_order_is_a_duplicate() -> None:
    ex = _exchange()
    params = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01", "price": "60000"}
    assert _order(ex, newClientOrderId="dup", **params)[0].status == 200
    assert _order(ex, newClientOrderId="dup", **params)[1] == {"code": -2010, "msg": "Duplicate order sent."}


def test_at_most_five_stop_orders_rest_on_a_symbol() -> None:
    ex = _exchange()
    last = _last(ex)
    for i in range(5):
        _order(ex, side="SELL", type="STOP_LOSS", quantity="0.01", stopPrice=str(last - 1000 - i))
    _, body = _order(ex, side="SELL", type="STOP_LOSS", quantity="0.01", stopPrice=str(last - 2000))
    assert body == {"code": -1013, "msg": "Filter failure: MAX_NUM_ALGO_ORDERS"}


def test_over_a_hundred_new_orders_in_ten_seconds_is_1015() -> None:
    ex = _exchange(usdt="10000000")
    params = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.001", "price": "60000"}
    for _ in range(100):
        reply, _ = _order(ex, **params)
        if reply.status != 200:  # the 10 s window turned over under a slow machine: start again
            break
    reply, body = _order(ex, **params)
    if reply.headers["X-MBX-ORDER-COUNT-10S"] == "101":
        assert (reply.status, body) == (429, {"code": -1015,
                                              "msg": "Too many new orders; current limit is 100 orders per 10 SECOND."})  # fmt: skip
        assert int(reply.headers["Retry-After"]) <= 10
    assert int(reply.headers["X-MBX-ORDER-COUNT-1D"]) == 101
    counts = signed_call(ex, "GET", "/api/v3/rateLimit/order")[1]
    assert [(c["interval"], c["intervalNum"], c["limit"]) for c in counts] == [
        ("SECOND", 10, 100),
        ("DAY", 1, 200_000),
    ]
    assert counts[1]["count"] == 101 and counts[0]["count"] <= 101


def test_all_orders_and_my_trades_page_oldest_first() -> None:
    ex = _exchange()
    ids = [_order(ex, side="BUY", type="MARKET", quantity="0.001")[1]["orderId"] for _ in range(4)]
    listed = signed_call(ex, "GET", "/api/v3/allOrders", symbol="BTCUSDT")[1]
    assert [o["orderId"] for o in listed] == ids
    assert [
        o["orderId"] for o in signed_call(ex, "GET", "/api/v3/allOrders", symbol="BTCUSDT", limit=2)[1]
    ] == ids[2:]
    from_id = signed_call(ex, "GET", "/api/v3/allOrders", symbol="BTCUSDT", orderId=ids[1], limit=2)[1]
    assert [o["orderId"] for o in from_id] == ids[1:3]
    trades = signed_call(ex, "GET", "/api/v3/myTrades", symbol="BTCUSDT", orderId=ids[2])[1]
    assert {t["orderId"] for t in trades} == {ids[2]}
    _, bad = signed_call(ex, "GET", "/api/v3/myTrades", symbol="BTCUSDT", fromId=1, startTime=NOW)
    assert bad["code"] == -1128
    _, long = signed_call(ex, "GET", "/api/v3/allOrders", symbol="BTCUSDT", startTime=NOW - 25 * 3_600_000,
                          endTime=NOW)  # fmt: skip
    assert long == {"code": -1127, "msg": "More than 24 hours between startTime and endTime."}


def test_a_test_order_is_checked_but_changes_nothing() -> None:
    ex = _exchange()
    reply, body = signed_call(ex, "POST", "/api/v3/order/test", symbol="BTCUSDT", side="BUY", type="MARKET",
                              quantity="0.01")  # fmt: skip
    assert (reply.status, body) == (200, {})
    reply, body = signed_call(ex, "POST", "/api/v3/order/test", symbol="BTCUSDT", side="BUY", type="MARKET",
                              quantity="0.01", computeCommissionRates="true")  # fmt: skip
    assert body["standardCommissionForOrder"] == {"maker": "0.00100000", "taker": "0.00100000"}
    assert reply.headers["X-MBX-USED-WEIGHT-1M"] == "21"
    _, body = signed_call(ex, "POST", "/api/v3/order/test", symbol="BTCUSDT", side="BUY", type="MARKET",
                          quantity="0.000001")  # fmt: skip
    assert body == {"code": -1013, "msg": "Filter failure: LOT_SIZE"}
    assert ex.orders() == [] and _spot(ex, "USDT") == (Decimal(100000), 0)


def test_a_reset_takes_orders_and_trades_back() -> None:
    ex = _exchange()
    snapshot = ex.snapshot()
    _order(ex, side="BUY", type="MARKET", quantity="0.01")
    _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="60000")
    assert len(ex.orders()) == 2 and len(ex.account_trades()) == 1
    ex.restore(snapshot)
    assert ex.orders() == [] and ex.account_trades() == [] and ex.world.orders.house == {}
    assert _spot(ex, "USDT") == (Decimal(100000), 0)


@pytest.mark.parametrize(("resting_fill", "fills_at_its_price"), [("touch", True), ("through", False)])
def test_f61_a_trade_at_the_price_fills_a_resting_order_or_only_one_beyond_it(
    resting_fill: str, fills_at_its_price: bool
) -> None:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=0, profile=Profile(resting_fill=resting_fill)), clock=clock)  # type: ignore[arg-type]
    ex.set_balance("SPOT", "USDT", "100000")
    price = (_last(ex) - 500).quantize(Decimal("0.01"))
    _, body = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price=str(price))
    ex.set_price("BTCUSDT", str(price))
    status = signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"])[1]["status"]
    assert status == ("FILLED" if fills_at_its_price else "NEW")
    ex.set_price("BTCUSDT", str(price - Decimal("0.01")))
    assert signed_call(ex, "GET", ORDER, symbol="BTCUSDT", orderId=body["orderId"])[1]["status"] == "FILLED"


def test_cancel_replace_swaps_an_order_and_reports_a_partial_failure_with_its_data() -> None:
    ex = _exchange()
    _, first = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="60000")
    new = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.02",
           "price": "61000", "cancelReplaceMode": "STOP_ON_FAILURE"}  # fmt: skip
    reply, body = signed_call(
        ex, "POST", "/api/v3/order/cancelReplace", cancelOrderId=first["orderId"], **new
    )
    assert reply.status == 200 and (body["cancelResult"], body["newOrderResult"]) == ("SUCCESS", "SUCCESS")
    assert body["cancelResponse"]["status"] == "CANCELED" and body["newOrderResponse"]["status"] == "NEW"
    second = body["newOrderResponse"]["orderId"]
    assert _spot(ex, "USDT") == (Decimal(100000) - 1220, Decimal(1220))  # the first order's lock went back
    # Cancelled already: STOP_ON_FAILURE stops there, 400 -2022, and nothing is placed.
    reply, body = signed_call(
        ex, "POST", "/api/v3/order/cancelReplace", cancelOrderId=first["orderId"], **new
    )
    assert (reply.status, body["code"], body["msg"]) == (400, -2022, "Order cancel-replace failed.")
    assert body["data"] == {"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED",
                            "cancelResponse": {"code": -2011, "msg": "Unknown order sent."},
                            "newOrderResponse": None}  # fmt: skip
    # The cancel succeeds, the new order cannot be paid: 409 -2021, and the cancel stands.
    costly = {**new, "quantity": "5", "price": "61000"}
    reply, body = signed_call(ex, "POST", "/api/v3/order/cancelReplace", cancelOrderId=second, **costly)
    assert (reply.status, body["code"]) == (409, -2021)
    assert body["data"]["cancelResult"] == "SUCCESS" and body["data"]["newOrderResult"] == "FAILURE"
    assert body["data"]["newOrderResponse"] == {
        "code": -2010,
        "msg": "Account has insufficient balance for requested action.",
    }
    assert ex.orders(open_only=True) == [] and _spot(ex, "USDT") == (Decimal(100000), 0)
    # A filter failure of the new order is checked first: nothing is cancelled.
    _, third = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="60000")
    reply, body = signed_call(ex, "POST", "/api/v3/order/cancelReplace", cancelOrderId=third["orderId"],
                              **{**new, "quantity": "0.000001"})  # fmt: skip
    assert body == {"code": -1013, "msg": "Filter failure: LOT_SIZE"}
    assert [o.order_id for o in ex.orders(open_only=True)] == [third["orderId"]]
