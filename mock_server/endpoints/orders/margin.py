"""Margin orders (world tier): the cross margin wallet's, or with isIsolated=TRUE a pair's
isolated wallet's. The same checks and matching as spot orders (common.py, mock_server/trading/);
`sideEffectType` borrows what an order needs when it is placed (MARGIN_BUY) and repays debt with
what its fills bring (AUTO_REPAY), both with AUTO_BORROW_REPAY."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Security, Values
from mock_server.endpoints.market.common import dumps, pair
from mock_server.endpoints.orders.common import (
    DAY_MS,
    LOOKUP_PARAMS,
    NEW_ORDER_PARAMS,
    Listing,
    Lookup,
    api_key,
    book,
    default_response,
    find,
    listed_fills,
    listed_orders,
    listing_rules,
    lookup_rules,
    read_new_order,
)
from mock_server.endpoints.spec import spec_schema
from mock_server.endpoints.wallet.universal_transfer import ENUM_AS_1100
from mock_server.endpoints.wallet.valuation import inventory, max_borrowable
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Choice, Long, Text
from mock_server.state.accounts import TRADE_PERMISSION
from mock_server.state.operations import Operations
from mock_server.state.orders import ZERO, Fill, Order, client_order_id, eight
from mock_server.trading import engine
from mock_server.trading.engine import NewOrder, Placed

SIDE_EFFECTS = ("NO_SIDE_EFFECT", "MARGIN_BUY", "AUTO_REPAY", "AUTO_BORROW_REPAY")
BORROWS = frozenset({"MARGIN_BUY", "AUTO_BORROW_REPAY"})
ISOLATED = Choice("isIsolated", ("TRUE", "FALSE"), default="FALSE", invalid=ENUM_AS_1100)  # F38, as elsewhere
# Binance's margin pages leave out LIMIT_MAKER's iceberg and the pegs: the spot parameters less those.
MARGIN_ORDER_PARAMS = (
    *(p for p in NEW_ORDER_PARAMS if p.name not in ("strategyId", "strategyType", "pegPriceType", "pegOffsetValue",
                                                     "pegOffsetType")),
    ISOLATED, Choice("sideEffectType", SIDE_EFFECTS, default="NO_SIDE_EFFECT"), Text("autoRepayAtCancel"),
)  # fmt: skip


def wallet_of(values: Values, ctx: Context) -> str:
    symbol = pair(ctx, values["symbol"]).symbol
    return f"ISOLATED:{symbol}" if values["isIsolated"] == "TRUE" else "MARGIN"


def _wallets(values: Values, ctx: Context) -> tuple[str, ...]:
    return (wallet_of(values, ctx),)


def _seed(ctx: Context) -> int:
    assert ctx.market is not None
    return ctx.market.seed


def _isolated(order: Order) -> bool:
    return order.wallet.startswith("ISOLATED:")


# --- POST /sapi/v1/margin/order ---


class Placing(NamedTuple):
    new: NewOrder
    response: str
    placed: Placed | None = None
    borrowed: Decimal = ZERO


def new_rules(values: Values, ctx: Context) -> Placing:
    repay = values["autoRepayAtCancel"]
    if repay is not None and repay.lower() not in ("true", "false"):
        raise BinanceError(errors.INVALID_PARAMETER, "autoRepayAtCancel")
    new = read_new_order(values, ctx, wallet_of(values, ctx))
    new = new._replace(
        side_effect=values["sideEffectType"], repay_at_cancel=(repay or "true").lower() == "true"
    )
    return Placing(new, values["newOrderRespType"] or default_response(new.type))


def new_write(p: Placing, ctx: Context, ops: Operations) -> Placing:
    """A MARGIN_BUY order borrows what its plan needs beyond the free balance, then is placed:
    above maxBorrowable -3006, above the mock's inventory -3045, as a borrow is."""
    assert ctx.market is not None
    ops.accrue()
    plan = engine.plan(ctx.market, ops.orders, ops.api_key, p.new, ops.now_ms)
    borrowed = ZERO
    if p.new.side_effect in BORROWS:
        asset = p.new.pays
        short = plan.need - ops.balance(p.new.wallet, asset).free
        if short > 0:
            borrowed = short
            most = max_borrowable(ctx, p.new.wallet, asset)
            ops.borrow(p.new.wallet, asset, short, most, inventory(ctx, asset))
    return p._replace(placed=engine.place(ops, _seed(ctx), plan, borrowed), borrowed=borrowed)


def new_answer(p: Placing, ctx: Context) -> bytes:
    assert p.placed is not None
    o = p.placed.order
    out: dict[str, Any] = {"symbol": o.symbol, "orderId": o.order_id, "clientOrderId": o.client_order_id,
                           "transactTime": o.time_ms}  # fmt: skip
    if p.response != "ACK":
        out.update({
            "price": eight(o.price), "origQty": eight(o.quantity), "executedQty": eight(o.executed),
            "cummulativeQuoteQty": eight(o.cum_quote), "status": o.status, "timeInForce": o.time_in_force,
            "type": o.type, "side": o.side,
        })  # fmt: skip
    out["isIsolated"] = _isolated(o)
    if p.response != "ACK":
        out["selfTradePreventionMode"] = o.stp
    if p.response == "FULL":
        if p.borrowed:
            out["marginBuyBorrowAmount"] = eight(p.borrowed)
            out["marginBuyBorrowAsset"] = p.new.pays
        out["fills"] = [f.fill_json() for f in p.placed.fills]
    return dumps(out)


def _new_weight(params: Any) -> int:
    return 1500 if params.get("sideEffectType") in BORROWS else 6


NEW = Endpoint(
    "POST", "/sapi/v1/margin/order", "Margin Account New Order (TRADE)", new_answer,
    spec_schema("POST", "/sapi/v1/margin/order"), security=Security.SIGNED, weight=6, weight_of=_new_weight,
    weight_kind="UID", permission=TRADE_PERMISSION, params=MARGIN_ORDER_PARAMS, rules=new_rules, write=new_write,
    margin_account=True, paced=True, tier="world", operation_id="createMarginOrder",
)  # fmt: skip


# --- GET and DELETE /sapi/v1/margin/order ---


def order_json(o: Order) -> dict[str, Any]:
    """A margin order as the margin queries show it (Binance's field order)."""
    return {
        "clientOrderId": o.client_order_id, "cummulativeQuoteQty": eight(o.cum_quote), "executedQty": eight(o.executed),
        "icebergQty": eight(o.iceberg or ZERO), "isWorking": o.working_ms >= 0, "orderId": o.order_id,
        "origQty": eight(o.quantity), "price": eight(o.price), "side": o.side, "status": o.status,
        "stopPrice": eight(o.stop_price), "symbol": o.symbol, "isIsolated": _isolated(o), "time": o.time_ms,
        "timeInForce": o.time_in_force, "type": o.type, "selfTradePreventionMode": o.stp, "updateTime": o.update_ms,
    }  # fmt: skip


class Query(NamedTuple):
    lookup: Lookup
    wallets: tuple[str, ...]
    client_id: str | None = None
    done: Order | None = None


def query_rules(values: Values, ctx: Context) -> Query:
    return Query(lookup_rules(values, ctx), _wallets(values, ctx), values.get("newClientOrderId"))


def query_answer(q: Query, ctx: Context) -> bytes:
    return dumps(order_json(find(ctx, q.lookup, q.wallets, errors.NO_SUCH_ORDER)))


QUERY = Endpoint(
    "GET", "/sapi/v1/margin/order", "Query Margin Account's Order (USER_DATA)", query_answer,
    spec_schema("GET", "/sapi/v1/margin/order"), security=Security.SIGNED, weight=10,
    params=(*LOOKUP_PARAMS, ISOLATED), rules=query_rules, margin_account=True, paced=True, tier="world",
    operation_id="getMarginOrder",
)  # fmt: skip


def cancel_write(q: Query, ctx: Context, ops: Operations) -> Query:
    ops.accrue()
    order = find(ctx, q.lookup, q.wallets, errors.UNKNOWN_ORDER)
    if not order.is_open:
        raise BinanceError(errors.UNKNOWN_ORDER)
    return q._replace(done=engine.cancel(ops, order))


def canceled_json(o: Order, client_id: str) -> dict[str, Any]:
    return {
        "symbol": o.symbol, "isIsolated": _isolated(o), "orderId": o.order_id, "origClientOrderId": o.client_order_id,
        "clientOrderId": client_id, "price": eight(o.price), "origQty": eight(o.quantity),
        "executedQty": eight(o.executed), "cummulativeQuoteQty": eight(o.cum_quote), "status": o.status,
        "timeInForce": o.time_in_force, "type": o.type, "side": o.side, "selfTradePreventionMode": o.stp,
    }  # fmt: skip


def cancel_answer(q: Query, ctx: Context) -> bytes:
    assert q.done is not None
    return dumps(canceled_json(q.done, q.client_id or client_order_id(_seed(ctx), q.done.order_id, "cancel")))


CANCEL = Endpoint(
    "DELETE", "/sapi/v1/margin/order", "Margin Account Cancel Order (TRADE)", cancel_answer,
    spec_schema("DELETE", "/sapi/v1/margin/order"), security=Security.SIGNED, weight=10,
    permission=TRADE_PERMISSION, params=(*LOOKUP_PARAMS, ISOLATED, Text("newClientOrderId")),
    rules=query_rules, write=cancel_write, margin_account=True, paced=True, tier="world",
    operation_id="deleteMarginOrder",
)  # fmt: skip


# --- GET and DELETE /sapi/v1/margin/openOrders ---


class OpenQuery(NamedTuple):
    symbol: str | None
    wallets: tuple[str, ...]
    done: tuple[Order, ...] = ()


def open_rules(values: Values, ctx: Context) -> OpenQuery:
    symbol = values["symbol"]
    if symbol is None:
        if values["isIsolated"] == "TRUE":
            raise BinanceError(errors.MANDATORY_PARAM, "symbol")
        return OpenQuery(None, ("MARGIN",))
    return OpenQuery(pair(ctx, symbol).symbol, _wallets(values, ctx))


def _open(ctx: Context, q: OpenQuery) -> list[Order]:
    return [
        o
        for o in book(ctx).open_orders(api_key(ctx))
        if o.wallet in q.wallets and q.symbol in (None, o.symbol)
    ]


def open_answer(q: OpenQuery, ctx: Context) -> bytes:
    return dumps([order_json(o) for o in _open(ctx, q)])


OPEN = Endpoint(
    "GET", "/sapi/v1/margin/openOrders", "Query Margin Account's Open Orders (USER_DATA)", open_answer,
    spec_schema("GET", "/sapi/v1/margin/openOrders"), security=Security.SIGNED, weight=10,
    params=(Text("symbol"), ISOLATED), rules=open_rules, margin_account=True, paced=True, tier="world",
    operation_id="getMarginOpenOrders",
)  # fmt: skip


def cancel_all_write(q: OpenQuery, ctx: Context, ops: Operations) -> OpenQuery:
    ops.accrue()
    mine = _open(ctx, q)
    if not mine:
        raise BinanceError(errors.UNKNOWN_ORDER)
    return q._replace(done=tuple(engine.cancel(ops, o) for o in mine))


def cancel_all_answer(q: OpenQuery, ctx: Context) -> bytes:
    seed = _seed(ctx)
    return dumps([canceled_json(o, client_order_id(seed, o.order_id, "cancel")) for o in q.done])


CANCEL_ALL = Endpoint(
    "DELETE", "/sapi/v1/margin/openOrders", "Margin Account Cancel all Open Orders on a Symbol (TRADE)",
    cancel_all_answer, spec_schema("DELETE", "/sapi/v1/margin/openOrders"), security=Security.SIGNED, weight=1,
    permission=TRADE_PERMISSION, params=(Text("symbol", required=True), ISOLATED), rules=open_rules,
    write=cancel_all_write, margin_account=True, paced=True, tier="world", operation_id="deleteMarginOpenOrders",
)  # fmt: skip


# --- GET /sapi/v1/margin/allOrders and /sapi/v1/margin/myTrades ---


class MarginListing(NamedTuple):
    listing: Listing
    wallets: tuple[str, ...]


def _last_day(q: Listing, ctx: Context, id_given: bool) -> Listing:
    """Without an id or a window, the last 24 hours (the margin pages' rule)."""
    if id_given or q.start is not None or q.end is not None:
        return q
    return q._replace(start=ctx.now_ms - DAY_MS)


def all_rules(values: Values, ctx: Context) -> MarginListing:
    q = listing_rules(values, ctx, "orderId")
    return MarginListing(_last_day(q, ctx, q.from_id is not None), _wallets(values, ctx))


def all_answer(m: MarginListing, ctx: Context) -> bytes:
    return dumps([order_json(o) for o in listed_orders(ctx, m.wallets, m.listing)])


ALL_ORDERS = Endpoint(
    "GET", "/sapi/v1/margin/allOrders", "Query Margin Account's All Orders (USER_DATA)", all_answer,
    spec_schema("GET", "/sapi/v1/margin/allOrders"), security=Security.SIGNED, weight=200,
    params=(Text("symbol", required=True), ISOLATED, Long("orderId"), Long("startTime"), Long("endTime"),
            Long("limit", default=500, minimum=1, maximum=500)),
    rules=all_rules, margin_account=True, paced=True, tier="world", operation_id="getMarginAllOrders",
)  # fmt: skip


def trade_json(f: Fill) -> dict[str, Any]:
    return {
        "commission": eight(f.commission), "commissionAsset": f.commission_asset, "id": f.trade_id,
        "isBestMatch": True, "isBuyer": f.buyer, "isMaker": f.maker, "orderId": f.order_id, "price": eight(f.price),
        "qty": eight(f.qty), "symbol": f.symbol, "isIsolated": f.wallet.startswith("ISOLATED:"), "time": f.time_ms,
    }  # fmt: skip


def trades_rules(values: Values, ctx: Context) -> MarginListing:
    q = listing_rules(values, ctx, "fromId")
    return MarginListing(
        _last_day(q, ctx, q.from_id is not None or q.order_id is not None), _wallets(values, ctx)
    )


def trades_answer(m: MarginListing, ctx: Context) -> bytes:
    return dumps([trade_json(f) for f in listed_fills(ctx, m.wallets, m.listing)])


MY_TRADES = Endpoint(
    "GET", "/sapi/v1/margin/myTrades", "Query Margin Account's Trade List (USER_DATA)", trades_answer,
    spec_schema("GET", "/sapi/v1/margin/myTrades"), security=Security.SIGNED, weight=10,
    params=(Text("symbol", required=True), ISOLATED, Long("orderId"), Long("startTime"), Long("endTime"),
            Long("fromId"), Long("limit", default=500, minimum=1, maximum=1000)),
    rules=trades_rules, margin_account=True, paced=True, tier="world", operation_id="getMarginMyTrades",
)  # fmt: skip

ENDPOINTS = (NEW, QUERY, CANCEL, OPEN, CANCEL_ALL, ALL_ORDERS, MY_TRADES)
