"""Spot orders (world tier): placing, testing, querying and cancelling orders, and the trades
they made, on the account's SPOT wallet (mock_server/trading/ matches them against the market)."""

from __future__ import annotations

import json
import time
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Security, Values
from mock_server.endpoints.market.common import dumps, pair
from mock_server.endpoints.orders.common import (
    LOOKUP_PARAMS,
    NEW_ORDER_PARAMS,
    Listing,
    Lookup,
    api_key,
    book,
    canceled_json,
    default_response,
    find,
    listed_fills,
    listed_orders,
    listing_rules,
    lookup_rules,
    placed_json,
    read_new_order,
)
from mock_server.endpoints.spec import spec_schema
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Long, Text
from mock_server.state.accounts import TRADE_PERMISSION
from mock_server.state.operations import Operations
from mock_server.state.orders import Order, client_order_id
from mock_server.trading import engine, fees
from mock_server.trading.engine import NewOrder, Placed

SPOT = ("SPOT",)


def _seed(ctx: Context) -> int:
    assert ctx.market is not None
    return ctx.market.seed


# --- POST /api/v3/order ---


class Placing(NamedTuple):
    new: NewOrder
    response: str
    placed: Placed | None = None


def new_rules(values: Values, ctx: Context) -> Placing:
    new = read_new_order(values, ctx, "SPOT")
    return Placing(new, values["newOrderRespType"] or default_response(new.type))


def new_write(p: Placing, ctx: Context, ops: Operations) -> Placing:
    assert ctx.market is not None
    plan = engine.plan(ctx.market, ops.orders, ops.api_key, p.new, ops.now_ms)
    return p._replace(placed=engine.place(ops, _seed(ctx), plan))


def new_answer(p: Placing, ctx: Context) -> bytes:
    assert p.placed is not None
    return dumps(placed_json(p.placed, p.response))


NEW = Endpoint(
    "POST", "/api/v3/order", "New order", new_answer, spec_schema("POST", "/api/v3/order"),
    security=Security.SIGNED, weight=1, permission=TRADE_PERMISSION, params=NEW_ORDER_PARAMS,
    rules=new_rules, write=new_write, places_order=True, tier="world", operation_id="createOrder",
)  # fmt: skip


# --- POST /api/v3/order/test ---


class Testing(NamedTuple):
    new: NewOrder
    rates: bool


def test_rules(values: Values, ctx: Context) -> Testing:
    rates = values["computeCommissionRates"]
    if rates is not None and rates not in ("true", "false"):
        raise BinanceError(errors.INVALID_PARAMETER, "computeCommissionRates")
    return Testing(read_new_order(values, ctx, "SPOT"), rates == "true")


def test_answer(t: Testing, ctx: Context) -> bytes:
    """Checked as a new order is, up to the matching engine (the account's state is not); with
    computeCommissionRates, the rates its fills would pay (F60)."""
    if not t.rates:
        return b"{}"
    rate = f"{fees.RATE:.8f}"
    zero = "0.00000000"
    return dumps({
        "standardCommissionForOrder": {"maker": rate, "taker": rate},
        "specialCommissionForOrder": {"maker": zero, "taker": zero},
        "taxCommissionForOrder": {"maker": zero, "taker": zero},
        "discount": {"enabledForAccount": False, "enabledForSymbol": False, "discountAsset": "BNB",
                     "discount": "0.25000000"},
    })  # fmt: skip


def _test_weight(params: Any) -> int:
    return 20 if params.get("computeCommissionRates") == "true" else 1


TEST = Endpoint(
    "POST", "/api/v3/order/test", "Test new order", test_answer, spec_schema("POST", "/api/v3/order/test"),
    security=Security.SIGNED, weight=1, weight_of=_test_weight, permission=TRADE_PERMISSION,
    params=(*NEW_ORDER_PARAMS, Text("computeCommissionRates")), rules=test_rules, tier="world",
    operation_id="createOrderTest",
)  # fmt: skip


# --- GET /api/v3/order ---


def query_answer(q: Lookup, ctx: Context) -> bytes:
    return dumps(find(ctx, q, SPOT, errors.NO_SUCH_ORDER).query_json())


QUERY = Endpoint(
    "GET", "/api/v3/order", "Query order", query_answer, spec_schema("GET", "/api/v3/order"),
    security=Security.SIGNED, weight=4, params=LOOKUP_PARAMS, rules=lookup_rules, tier="world",
    operation_id="getOrder",
)  # fmt: skip


# --- DELETE /api/v3/order ---

RESTRICTIONS = {"ONLY_NEW": "NEW", "ONLY_PARTIALLY_FILLED": "PARTIALLY_FILLED"}


class Cancelling(NamedTuple):
    lookup: Lookup
    client_id: str | None
    only: str | None  # cancelRestrictions: the status the order must have
    done: Order | None = None


def cancel_rules(values: Values, ctx: Context) -> Cancelling:
    only = values["cancelRestrictions"]
    if only is not None and only not in RESTRICTIONS:
        raise BinanceError(errors.INVALID_CANCEL_RESTRICTIONS)
    return Cancelling(lookup_rules(values, ctx), values["newClientOrderId"], RESTRICTIONS.get(only or ""))


def cancel_write(c: Cancelling, ctx: Context, ops: Operations) -> Cancelling:
    order = find(ctx, c.lookup, SPOT, errors.UNKNOWN_ORDER)
    if not order.is_open:
        raise BinanceError(errors.UNKNOWN_ORDER)
    if c.only is not None and order.status != c.only:
        raise BinanceError(errors.CANCEL_RESTRICTED)
    return c._replace(done=engine.cancel(ops, order))


def cancel_answer(c: Cancelling, ctx: Context) -> bytes:
    assert c.done is not None
    cancel_id = c.client_id or client_order_id(_seed(ctx), c.done.order_id, "cancel")
    return dumps(canceled_json(c.done, c.done.client_order_id, cancel_id))


CANCEL = Endpoint(
    "DELETE", "/api/v3/order", "Cancel order", cancel_answer, spec_schema("DELETE", "/api/v3/order"),
    security=Security.SIGNED, weight=1, permission=TRADE_PERMISSION,
    params=(*LOOKUP_PARAMS, Text("newClientOrderId"), Text("cancelRestrictions")), rules=cancel_rules,
    write=cancel_write, tier="world", operation_id="deleteOrder",
)  # fmt: skip


# --- POST /api/v3/order/cancelReplace ---

REPLACE_MODES = ("STOP_ON_FAILURE", "ALLOW_FAILURE")
RATE_MODES = ("DO_NOTHING", "CANCEL_ONLY")


class Replacing(NamedTuple):
    cancel: Cancelling
    placing: Placing
    allow_failure: bool
    body: dict[str, Any] | None = None


def replace_rules(values: Values, ctx: Context) -> Replacing:
    """The new order's checks (filters included) come first, as the docs say; then the cancel's."""
    placing = new_rules(values, ctx)
    for name, allowed in (("cancelReplaceMode", REPLACE_MODES), ("orderRateLimitExceededMode", RATE_MODES)):
        if values[name] is not None and values[name] not in allowed:
            raise BinanceError(errors.INVALID_PARAMETER, name)
    if values["cancelOrderId"] is None and values["cancelOrigClientOrderId"] is None:
        raise BinanceError(errors.ONE_OF_TWO, "cancelOrderId", "cancelOrigClientOrderId")
    only = values["cancelRestrictions"]
    if only is not None and only not in RESTRICTIONS:
        raise BinanceError(errors.INVALID_CANCEL_RESTRICTIONS)
    lookup = Lookup(placing.new.pair, values["cancelOrderId"], values["cancelOrigClientOrderId"])
    cancel = Cancelling(lookup, values["cancelNewClientOrderId"], RESTRICTIONS.get(only or ""))
    return Replacing(cancel, placing, values["cancelReplaceMode"] == "ALLOW_FAILURE")


def _refused(err: BinanceError) -> dict[str, Any]:
    return {"code": err.code, "msg": err.msg}


def replace_write(r: Replacing, ctx: Context, ops: Operations) -> Replacing:
    """Cancel, then place: both, or Binance's -2021 (one failed: what succeeded stands) or
    -2022 (both failed, or the cancel failed and the mode stops there), each with its `data`."""
    try:
        done = cancel_write(r.cancel, ctx, ops)
        canceled: dict[str, Any] = json.loads(cancel_answer(done, ctx))
        cancel_ok = True
    except BinanceError as err:
        canceled, cancel_ok = _refused(err), False
    if not cancel_ok and not r.allow_failure:
        data = {"cancelResult": "FAILURE", "newOrderResult": "NOT_ATTEMPTED", "cancelResponse": canceled,
                "newOrderResponse": None}  # fmt: skip
        raise BinanceError(errors.CANCEL_REPLACE_FAILED, data=data)
    try:
        placed: dict[str, Any] = json.loads(new_answer(new_write(r.placing, ctx, ops), ctx))
        new_ok = True
    except BinanceError as err:
        placed, new_ok = _refused(err), False
    data = {"cancelResult": "SUCCESS" if cancel_ok else "FAILURE",
            "newOrderResult": "SUCCESS" if new_ok else "FAILURE", "cancelResponse": canceled,
            "newOrderResponse": placed}  # fmt: skip
    if cancel_ok and new_ok:
        return r._replace(body=data)
    if cancel_ok or new_ok:
        raise BinanceError(errors.CANCEL_REPLACE_PARTIAL, data=data, keeps_changes=True)
    raise BinanceError(errors.CANCEL_REPLACE_FAILED, data=data)


def replace_answer(r: Replacing, ctx: Context) -> bytes:
    return dumps(r.body)


CANCEL_REPLACE = Endpoint(
    "POST", "/api/v3/order/cancelReplace", "Cancel an Existing Order and Send a New Order", replace_answer,
    spec_schema("POST", "/api/v3/order/cancelReplace"), security=Security.SIGNED, weight=1,
    permission=TRADE_PERMISSION,
    params=(*NEW_ORDER_PARAMS, Text("cancelReplaceMode", required=True), Text("cancelNewClientOrderId"),
            Text("cancelOrigClientOrderId"), Long("cancelOrderId"), Text("cancelRestrictions"),
            Text("orderRateLimitExceededMode")),
    rules=replace_rules, write=replace_write, places_order=True, tier="world", operation_id="createOrderCancelReplace",
)  # fmt: skip


# --- GET and DELETE /api/v3/openOrders ---


def open_rules(values: Values, ctx: Context) -> str | None:
    symbol = values["symbol"]
    return None if symbol is None else pair(ctx, symbol).symbol


def open_answer(symbol: str | None, ctx: Context) -> bytes:
    orders = book(ctx).open_orders(api_key(ctx))
    return dumps([o.query_json() for o in orders if o.wallet == "SPOT" and symbol in (None, o.symbol)])


def _open_weight(params: Any) -> int:
    return 6 if params.get("symbol") else 80


OPEN = Endpoint(
    "GET", "/api/v3/openOrders", "Current open orders", open_answer, spec_schema("GET", "/api/v3/openOrders"),
    security=Security.SIGNED, weight=6, weight_of=_open_weight, params=(Text("symbol"),), rules=open_rules,
    tier="world", operation_id="getOpenOrders",
)  # fmt: skip


class CancellingAll(NamedTuple):
    symbol: str
    done: tuple[Order, ...] = ()


def cancel_all_write(c: CancellingAll, ctx: Context, ops: Operations) -> CancellingAll:
    mine = [o for o in ops.orders.open_orders(ops.api_key) if o.wallet == "SPOT" and o.symbol == c.symbol]
    if not mine:
        raise BinanceError(errors.UNKNOWN_ORDER)
    return c._replace(done=tuple(engine.cancel(ops, o) for o in mine))


def cancel_all_answer(c: CancellingAll, ctx: Context) -> bytes:
    seed = _seed(ctx)
    return dumps(
        [canceled_json(o, o.client_order_id, client_order_id(seed, o.order_id, "cancel")) for o in c.done]
    )


CANCEL_ALL = Endpoint(
    "DELETE", "/api/v3/openOrders", "Cancel All Open Orders on a Symbol", cancel_all_answer,
    spec_schema("DELETE", "/api/v3/openOrders"), security=Security.SIGNED, weight=1, permission=TRADE_PERMISSION,
    params=(Text("symbol", required=True),),
    rules=lambda values, ctx: CancellingAll(pair(ctx, values["symbol"]).symbol), write=cancel_all_write,
    tier="world", operation_id="deleteOpenOrders",
)  # fmt: skip


# --- GET /api/v3/allOrders and /api/v3/myTrades ---


LIMIT = Long("limit", default=500, minimum=1, maximum=1000)


def all_orders_answer(q: Listing, ctx: Context) -> bytes:
    return dumps([o.query_json() for o in listed_orders(ctx, SPOT, q)])


ALL_ORDERS = Endpoint(
    "GET", "/api/v3/allOrders", "All orders", all_orders_answer, spec_schema("GET", "/api/v3/allOrders"),
    security=Security.SIGNED, weight=20,
    params=(Text("symbol", required=True), Long("orderId"), Long("startTime"), Long("endTime"), LIMIT),
    rules=lambda values, ctx: listing_rules(values, ctx, "orderId"), tier="world", operation_id="getAllOrders",
)  # fmt: skip


def my_trades_answer(q: Listing, ctx: Context) -> bytes:
    return dumps([f.trade_json() for f in listed_fills(ctx, SPOT, q)])


def _trades_weight(params: Any) -> int:
    return 5 if params.get("orderId") else 20


MY_TRADES = Endpoint(
    "GET", "/api/v3/myTrades", "Account trade list", my_trades_answer, spec_schema("GET", "/api/v3/myTrades"),
    security=Security.SIGNED, weight=20, weight_of=_trades_weight,
    params=(Text("symbol", required=True), Long("orderId"), Long("startTime"), Long("endTime"), Long("fromId"),
            LIMIT),
    rules=lambda values, ctx: listing_rules(values, ctx, "fromId"), tier="world", operation_id="getMyTrades",
)  # fmt: skip

# --- GET /api/v3/rateLimit/order ---


def order_count_answer(request: Values, ctx: Context) -> bytes:
    """The account's new orders in each window (the wall clock's, as the pipeline counts them)."""
    assert ctx.weights is not None
    wall = time.time_ns() // 1_000_000
    key = api_key(ctx)
    return dumps([
        {"rateLimitType": "ORDERS", "interval": interval, "intervalNum": num, "limit": counter.limit,
         "count": counter.used(key, wall)}
        for interval, num, counter in (("SECOND", 10, ctx.weights.orders_10s), ("DAY", 1, ctx.weights.orders_1d))
    ])  # fmt: skip


ORDER_COUNT = Endpoint(
    "GET", "/api/v3/rateLimit/order", "Query Unfilled Order Count", order_count_answer,
    spec_schema("GET", "/api/v3/rateLimit/order"), security=Security.SIGNED, weight=40, tier="world",
    operation_id="getRateLimitOrder",
)  # fmt: skip

ENDPOINTS = (NEW, TEST, QUERY, CANCEL, CANCEL_REPLACE, OPEN, CANCEL_ALL, ALL_ORDERS, MY_TRADES, ORDER_COUNT)
