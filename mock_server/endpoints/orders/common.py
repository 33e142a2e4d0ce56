"""What the spot and margin order endpoints read and answer alike.

A new order's parameters are checked in one place, in this order (Binance documents none;
docs/orders.md): the enums (side -1117, type -1116, timeInForce -1115), the parameters the type
needs (-1102) and those it must not have (-1106, -1114), the precision (-1111), then the pair's
filters in the order exchangeInfo lists them (-1013). What needs the account (duplicate client
ids, open-order limits, a stop that would trigger or a maker order that would take, the balance)
the engine checks after (mock_server/trading/engine.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Values
from mock_server.endpoints.market.common import pair
from mock_server.market.model import Market
from mock_server.market.symbols import Pair
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Decimal as DecimalParam
from mock_server.rules.params import Long, Text
from mock_server.state.orders import Fill, Order, OrderBook
from mock_server.trading import filters
from mock_server.trading.engine import NewOrder, Placed
from mock_server.trading.filters import Filters
from mock_server.trading.matching import average

SIDES = ("BUY", "SELL")
TYPES = ("LIMIT", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT", "LIMIT_MAKER")
TIME_IN_FORCE = ("GTC", "IOC", "FOK")
RESPONSE_TYPES = ("ACK", "RESULT", "FULL")
STP_MODES = ("NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER")
DEFAULT_STP = "EXPIRE_MAKER"  # exchangeInfo's defaultSelfTradePreventionMode
DIGITS = 8  # every asset's precision

# What each type needs besides symbol, side and type, and what it may have (docs/orders.md).
NEEDS: dict[str, tuple[str, ...]] = {
    "LIMIT": ("timeInForce", "quantity", "price"),
    "MARKET": (),  # quantity or quoteOrderQty: one of them
    "STOP_LOSS": ("quantity", "stopPrice"),
    "STOP_LOSS_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "TAKE_PROFIT": ("quantity", "stopPrice"),
    "TAKE_PROFIT_LIMIT": ("timeInForce", "quantity", "price", "stopPrice"),
    "LIMIT_MAKER": ("quantity", "price"),
}
MAY_HAVE: dict[str, frozenset[str]] = {
    "LIMIT": frozenset({"icebergQty"}),
    "MARKET": frozenset({"quantity", "quoteOrderQty"}),
    "STOP_LOSS": frozenset(),
    "STOP_LOSS_LIMIT": frozenset({"icebergQty"}),
    "TAKE_PROFIT": frozenset(),
    "TAKE_PROFIT_LIMIT": frozenset({"icebergQty"}),
    "LIMIT_MAKER": frozenset({"icebergQty"}),
}
SHAPED = ("timeInForce", "quantity", "quoteOrderQty", "price", "stopPrice", "icebergQty")

NEW_ORDER_PARAMS = (
    Text("symbol", required=True), Text("side", required=True), Text("type", required=True), Text("timeInForce"),
    DecimalParam("quantity"), DecimalParam("quoteOrderQty"), DecimalParam("price"), Text("newClientOrderId"),
    Long("strategyId"), Long("strategyType"), DecimalParam("stopPrice"), Long("trailingDelta"),
    DecimalParam("icebergQty"), Text("newOrderRespType"), Text("selfTradePreventionMode"), Text("pegPriceType"),
    Long("pegOffsetValue"), Text("pegOffsetType"),
)  # fmt: skip


def _decimal(values: Values, name: str) -> Decimal | None:
    text = values.get(name)
    if text is None:
        return None
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > DIGITS:
        raise BinanceError(errors.BAD_PRECISION, name)
    return value


def read_new_order(values: Values, ctx: Context, wallet: str) -> NewOrder:
    """A new order's parameters, checked as Binance checks them (the module's docstring)."""
    p = pair(ctx, values["symbol"])
    side, kind = values["side"], values["type"]
    if side not in SIDES:
        raise BinanceError(errors.INVALID_SIDE)
    if kind not in TYPES:
        raise BinanceError(errors.INVALID_ORDER_TYPE)
    tif = values["timeInForce"]
    if tif is not None and tif not in TIME_IN_FORCE:
        raise BinanceError(errors.INVALID_TIF)
    for name, allowed in (("newOrderRespType", RESPONSE_TYPES), ("selfTradePreventionMode", STP_MODES)):
        if values.get(name) is not None and values[name] not in allowed:
            raise BinanceError(errors.INVALID_PARAMETER, name)
    if values.get("trailingDelta") is not None:  # exchangeInfo: allowTrailingStop false
        raise BinanceError(
            errors.INSUFFICIENT_BALANCE, msg="Trailing stop orders are not supported for this symbol."
        )
    if any(values.get(n) is not None for n in ("pegPriceType", "pegOffsetValue", "pegOffsetType")):
        raise BinanceError(
            errors.INSUFFICIENT_BALANCE, msg="Pegged orders are not supported for this symbol."
        )
    for name in NEEDS[kind]:
        if values[name] is None:
            raise BinanceError(errors.MANDATORY_PARAM, name)
    if kind == "MARKET":
        if values["quantity"] is None and values["quoteOrderQty"] is None:
            raise BinanceError(errors.ONE_OF_TWO, "quantity", "quoteOrderQty")
        if values["quantity"] is not None and values["quoteOrderQty"] is not None:
            raise BinanceError(errors.PARAM_NOT_REQUIRED, "quoteOrderQty")
    for name in SHAPED:
        if values[name] is not None and name not in NEEDS[kind] and name not in MAY_HAVE[kind]:
            if name == "timeInForce":
                raise BinanceError(errors.TIF_NOT_REQUIRED)
            raise BinanceError(errors.PARAM_NOT_REQUIRED, name)
    quantity, quote_qty = _decimal(values, "quantity"), _decimal(values, "quoteOrderQty")
    price, stop = _decimal(values, "price"), _decimal(values, "stopPrice")
    iceberg = _decimal(values, "icebergQty")
    new = NewOrder(
        wallet, p, side, kind, tif or "GTC", quantity, quote_qty, price, stop, values["newClientOrderId"],
        values.get("selfTradePreventionMode") or DEFAULT_STP, iceberg, values.get("strategyId"), values.get("strategyType"),
    )  # fmt: skip
    check_filters(new, ctx)
    return new


def check_filters(new: NewOrder, ctx: Context) -> None:
    """The pair's filters, in exchangeInfo's order."""
    p = new.pair
    f = Filters.of(p)
    filters.price_filter(f, new.price)
    filters.price_filter(f, new.stop_price)
    filters.lot_size(f, new.quantity)
    if new.iceberg is not None:
        if new.time_in_force != "GTC":
            raise BinanceError(errors.UNKNOWN_ORDER_COMPOSITION)
        if new.quantity is not None and new.iceberg >= new.quantity:
            raise BinanceError(errors.INSUFFICIENT_BALANCE, msg="IcebergQty exceeds QTY.")
        filters.lot_size(f, new.iceberg)
        filters.iceberg_parts(new.quantity, new.iceberg)
    is_market = new.type == "MARKET"
    if is_market:
        filters.market_lot_size(f, new.quantity)
    avg = average(_market(ctx), p, ctx.now_ms)
    filters.percent_price_by_side(new.price, new.buy, avg)
    if new.quote_qty is not None:
        value = new.quote_qty
    else:
        assert new.quantity is not None
        value = new.quantity * (new.price or new.stop_price or avg)
    filters.notional(f, value, is_market or new.type in ("STOP_LOSS", "TAKE_PROFIT"))


def _market(ctx: Context) -> Market:
    assert ctx.market is not None
    return ctx.market


def book(ctx: Context) -> OrderBook:
    assert ctx.orders is not None
    return ctx.orders


def api_key(ctx: Context) -> str:
    assert ctx.account is not None
    return ctx.account.api_key


class Lookup(NamedTuple):
    pair: Pair
    order_id: int | None
    client_id: str | None


LOOKUP_PARAMS = (Text("symbol", required=True), Long("orderId"), Text("origClientOrderId"))


def lookup_rules(values: Values, ctx: Context) -> Lookup:
    p = pair(ctx, values["symbol"])
    if values["orderId"] is None and values["origClientOrderId"] is None:
        raise BinanceError(errors.ONE_OF_TWO, "orderId", "origClientOrderId")
    return Lookup(p, values["orderId"], values["origClientOrderId"])


def find(ctx: Context, q: Lookup, wallets: tuple[str, ...], missing: errors.ErrorSpec) -> Order:
    """The account's order of the request, in one of `wallets`; `missing` when there is none."""
    order = book(ctx).find(api_key(ctx), q.pair.symbol, q.order_id, q.client_id)
    if order is None or order.wallet not in wallets:
        raise BinanceError(missing)
    return order


def default_response(kind: str) -> str:
    """MARKET and LIMIT answer FULL by default, every other type ACK."""
    return "FULL" if kind in ("MARKET", "LIMIT") else "ACK"


def placed_json(placed: Placed, response: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """ACK, RESULT or FULL, in Binance's field order."""
    o = placed.order
    out: dict[str, Any] = {**o.base_json(), "transactTime": o.time_ms}
    if response == "ACK":
        return out
    out.update(o.body_json())
    out["workingTime"] = o.working_ms
    out["selfTradePreventionMode"] = o.stp
    if extra:
        out.update(extra)
    if response == "FULL":
        out["fills"] = [f.fill_json() for f in placed.fills]
    return out


def canceled_json(order: Order, orig_client_id: str, client_id: str) -> dict[str, Any]:
    """A cancellation's answer: the order as it is now, named by the cancel's own client id."""
    return {
        "symbol": order.symbol, "origClientOrderId": orig_client_id, "orderId": order.order_id,
        "orderListId": -1, "clientOrderId": client_id, "transactTime": order.update_ms,
        **order.body_json(), "selfTradePreventionMode": order.stp,
    }  # fmt: skip


# --- the account's lists: allOrders and myTrades, spot and margin ---

DAY_MS = 86_400_000


class Listing(NamedTuple):
    symbol: str
    from_id: int | None  # orderId (allOrders) or fromId (myTrades): this id and later
    order_id: int | None  # myTrades: the trades of one order
    start: int | None
    end: int | None
    limit: int


def listing_rules(values: Values, ctx: Context, id_name: str) -> Listing:
    symbol = pair(ctx, values["symbol"]).symbol
    start, end = values["startTime"], values["endTime"]
    if start is not None and end is not None:
        if start > end:
            raise BinanceError(errors.INVALID_PARAMETER, "startTime")
        if end - start > DAY_MS:
            raise BinanceError(errors.MORE_THAN_HOURS, 24)
    order_id = values.get("orderId") if id_name == "fromId" else None
    if id_name == "fromId" and values["fromId"] is not None and (start is not None or end is not None):
        raise BinanceError(errors.OPTIONAL_PARAMS_BAD_COMBO)
    if order_id is not None and (start is not None or end is not None):
        raise BinanceError(errors.OPTIONAL_PARAMS_BAD_COMBO)
    return Listing(symbol, values[id_name], order_id, start, end, values["limit"])


def select(rows: list[Any], ids: list[int], times: list[int], q: Listing) -> list[Any]:
    """Binance's paging of account lists: from an id on, oldest first; in a window, its oldest;
    else the newest `limit`, oldest first."""
    picked = [
        r for r, i, t in zip(rows, ids, times, strict=True)
        if (q.from_id is None or i >= q.from_id) and (q.start is None or t >= q.start)
        and (q.end is None or t <= q.end)
    ]  # fmt: skip
    if q.from_id is not None or q.start is not None:
        return picked[: q.limit]
    return picked[-q.limit :]


def listed_orders(ctx: Context, wallets: tuple[str, ...], q: Listing) -> list[Order]:
    orders = [o for o in book(ctx).of(api_key(ctx)).values() if o.wallet in wallets and o.symbol == q.symbol]
    return select(orders, [o.order_id for o in orders], [o.time_ms for o in orders], q)


def listed_fills(ctx: Context, wallets: tuple[str, ...], q: Listing) -> list[Fill]:
    fills = [
        f for f in book(ctx).fills.get(api_key(ctx), [])
        if f.symbol == q.symbol and f.wallet in wallets and q.order_id in (None, f.order_id)
    ]  # fmt: skip
    return select(fills, [f.trade_id for f in fills], [f.time_ms for f in fills], q)
