"""Orders (docs/orders.md, docs/orders-facts.md, F61-F69). On live they only test orders
(`POST /api/v3/order/test` never reaches the matching engine) and query an order that does not
exist; F61 needs a market the check can move, so it runs on a mock only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from binance_mock.contracts.checks.market import SYMBOL, _ok
from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import errors
from binance_mock.contracts.outcomes import Skipped
from binance_mock.contracts.registry import check, expect
from binance_mock.contracts.target import Answer

TEST = "/api/v3/order/test"
ORDER = "/api/v3/order"


def _test(ctx: Context, params: list[tuple[str, Any]]) -> Answer:
    answer = ctx.target.signed_post(TEST, [("symbol", SYMBOL), *params], ctx.now_ms(), changes_nothing=True)
    if answer.status == 404 and isinstance(answer.json, dict) and answer.json.get("code") == -1099:
        raise Skipped(f"the target does not serve POST {TEST}")
    return answer


@check(
    "order.test_accepted",
    "POST /api/v3/order/test of a MARKET buy for 10 USDT of BTCUSDT answers {} (it never trades).",
    "docs: Test new order",
)
def test_accepted(ctx: Context) -> None:
    answer = _test(ctx, [("side", "BUY"), ("type", "MARKET"), ("quoteOrderQty", "10")])
    expect((answer.status, answer.json) == (200, {}), f"answered {answer.describe()}, expected 200 {{}}")


@check(
    "order.test_lot_size",
    'A test order of 0.000001 BTC (below LOT_SIZE\'s minQty) is -1013 "Filter failure: LOT_SIZE".',
    "docs: Filters, errors (filter failures)",
)
def test_lot_size(ctx: Context) -> None:
    answer = _test(ctx, [("side", "BUY"), ("type", "MARKET"), ("quantity", "0.000001")])
    ctx.expect_error(answer, errors.FILTER_FAILURE, "LOT_SIZE", what="quantity 0.000001")


@check(
    "order.test_commission",
    "A test order with computeCommissionRates=true answers the standard, tax and special rates "
    "{maker, taker} and the BNB discount.",
    "docs: Test new order; F60",
)
def test_commission(ctx: Context) -> None:
    answer = _test(ctx, [("side", "BUY"), ("type", "MARKET"), ("quoteOrderQty", "10"),
                         ("computeCommissionRates", "true")])  # fmt: skip
    body = answer.json if isinstance(answer.json, dict) else {}
    expect(answer.status == 200, f"answered {answer.describe()}")
    for key in ("standardCommissionForOrder", "specialCommissionForOrder", "taxCommissionForOrder"):
        rates = body.get(key)
        expect(isinstance(rates, dict) and set(rates) == {"maker", "taker"}, f"{key} is {rates!r}")
        for side in ("maker", "taker"):
            expect(Decimal(0) <= Decimal(rates[side]) < 1, f"{key}.{side} is {rates[side]!r}")
    discount = body.get("discount")
    expect(isinstance(discount, dict) and {"enabledForAccount", "discountAsset", "discount"} <= set(discount),
           f"discount is {discount!r}")  # fmt: skip


@check(
    "order.unknown",
    'GET /api/v3/order for an order id the account never had is -2013 "Order does not exist."',
    "docs: errors -2013",
)
def unknown(ctx: Context) -> None:
    answer = ctx.get([("symbol", SYMBOL), ("orderId", 1)], path=ORDER)
    ctx.expect_error(answer, errors.NO_SUCH_ORDER, what="orderId=1")


@check(
    "order.resting_fill",
    "On a mock: a resting LIMIT buy fills when the price is set to its own price (or: only one tick below).",
    "F61",
    control=True,
    decision="resting_fill",
)
def resting_fill(ctx: Context) -> None:
    control = ctx.need_control("set a balance and the price")
    control.set_balance(ctx.target.creds.api_key, "USDT", "1000")
    last = Decimal(_ok(ctx, "/api/v3/ticker/price", [("symbol", SYMBOL)])["price"])
    price = (last * Decimal("0.98")).quantize(Decimal("0.01"))
    params = [("symbol", SYMBOL), ("side", "BUY"), ("type", "LIMIT"), ("timeInForce", "GTC"),
              ("quantity", "0.001"), ("price", str(price))]  # fmt: skip
    placed = ctx.target.signed_post(
        ORDER, params, ctx.now_ms(), changes_nothing=True
    )  # a mock: it has a control API
    expect(placed.status == 200 and isinstance(placed.json, dict), f"the order answered {placed.describe()}")
    order_id = placed.json["orderId"]

    def status() -> object:
        body = ctx.get([("symbol", SYMBOL), ("orderId", order_id)], path=ORDER).json
        return body.get("status") if isinstance(body, dict) else body

    try:
        control.set_price(SYMBOL, str(price))
        at_price = status()
        control.set_price(SYMBOL, str(price - Decimal("0.01")))
        beyond = status()
    finally:
        control.release_price(SYMBOL)
    if (at_price, beyond) == ("FILLED", "FILLED"):
        ctx.observe("resting_fill", "touch", "a trade at its price filled it")
    elif (at_price, beyond) == ("NEW", "FILLED"):
        ctx.observe("resting_fill", "through", "a trade at its price left it NEW, one tick below filled it")
    else:
        ctx.observe("resting_fill", None, f"status {at_price} at its price, {beyond} a tick below")
