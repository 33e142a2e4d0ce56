"""A pair's trading filters, once: exchangeInfo shows them and every order is checked by them.

Each filter is one check that raises Binance's -1013 "Filter failure: <NAME>"; `check` runs them
in the order exchangeInfo lists them (Binance does not document its order; docs/orders.md). The
account-side filters (MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS) need the open orders and are checked
by the engine (engine.py), after these.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mock_server.market.symbols import Pair
from mock_server.market.text import decimal
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError

MAX_PRICE = Decimal("1000000")
MAX_NOTIONAL = Decimal("9000000")
BID_UP, BID_DOWN, ASK_UP, ASK_DOWN = Decimal(5), Decimal("0.2"), Decimal(5), Decimal("0.2")
AVG_PRICE_MINS = 5
MAX_NUM_ORDERS = 200
MAX_NUM_ALGO_ORDERS = 5
ICEBERG_PARTS = 100


@dataclass(frozen=True, slots=True)
class Filters:
    tick: Decimal
    step: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal

    @classmethod
    def of(cls, pair: Pair) -> Filters:
        max_qty = 9_000 * 10 ** max(0, 5 - pair.qty_digits)
        return cls(
            Decimal(1).scaleb(-pair.price_digits), Decimal(1).scaleb(-pair.qty_digits), Decimal(max_qty),
            Decimal(max_qty // 70), Decimal(pair.min_notional),
        )  # fmt: skip

    def shown(self, pair: Pair) -> list[dict[str, Any]]:
        """As exchangeInfo lists them."""
        pd, qd = pair.price_digits, pair.qty_digits
        return [
            {"filterType": "PRICE_FILTER", "minPrice": decimal(1, pd), "maxPrice": f"{MAX_PRICE:.8f}",
             "tickSize": decimal(1, pd)},
            {"filterType": "LOT_SIZE", "minQty": decimal(1, qd), "maxQty": f"{self.max_qty:.8f}",
             "stepSize": decimal(1, qd)},
            {"filterType": "ICEBERG_PARTS", "limit": ICEBERG_PARTS},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": f"{self.market_max_qty:.8f}",
             "stepSize": "0.00000000"},
            {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000,
             "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
            {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": str(BID_UP), "bidMultiplierDown": str(BID_DOWN),
             "askMultiplierUp": str(ASK_UP), "askMultiplierDown": str(ASK_DOWN), "avgPriceMins": AVG_PRICE_MINS},
            {"filterType": "NOTIONAL", "minNotional": pair.min_notional, "applyMinToMarket": True,
             "maxNotional": f"{MAX_NOTIONAL:.8f}", "applyMaxToMarket": False, "avgPriceMins": AVG_PRICE_MINS},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": MAX_NUM_ORDERS},
            {"filterType": "MAX_NUM_ORDER_LISTS", "maxNumOrderLists": 20},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": MAX_NUM_ALGO_ORDERS},
            {"filterType": "MAX_NUM_ORDER_AMENDS", "maxNumOrderAmends": 10},
        ]  # fmt: skip


def failure(name: str) -> BinanceError:
    return BinanceError(errors.FILTER_FAILURE, name)


def _on_grid(value: Decimal, step: Decimal) -> bool:
    return value % step == 0


def price_filter(f: Filters, price: Decimal | None) -> None:
    """A limit price (and a stop price) between minPrice and maxPrice, on the tick."""
    if price is not None and not (f.tick <= price <= MAX_PRICE and _on_grid(price, f.tick)):
        raise failure("PRICE_FILTER")


def lot_size(f: Filters, qty: Decimal | None) -> None:
    if qty is not None and not (f.step <= qty <= f.max_qty and _on_grid(qty, f.step)):
        raise failure("LOT_SIZE")


def market_lot_size(f: Filters, qty: Decimal | None) -> None:
    """A MARKET order's quantity: at most maxQty (the step is 0: no grid of its own)."""
    if qty is not None and qty > f.market_max_qty:
        raise failure("MARKET_LOT_SIZE")


def iceberg_parts(qty: Decimal | None, iceberg: Decimal) -> None:
    """An iceberg shows at most `limit` parts: quantity / icebergQty, rounded up."""
    if qty is not None and -(-qty // iceberg) > ICEBERG_PARTS:
        raise failure("ICEBERG_PARTS")


def percent_price_by_side(price: Decimal | None, buy: bool, average: Decimal) -> None:
    """A limit price within the multipliers of the average price of the last five minutes."""
    if price is None:
        return
    up, down = (BID_UP, BID_DOWN) if buy else (ASK_UP, ASK_DOWN)
    if not (average * down <= price <= average * up):
        raise failure("PERCENT_PRICE_BY_SIDE")


def notional(f: Filters, value: Decimal, is_market: bool) -> None:
    """price * quantity (a MARKET order's at the average price) within minNotional and, for
    any but a MARKET order (applyMaxToMarket false), maxNotional."""
    if value < f.min_notional or (not is_market and value > MAX_NOTIONAL):
        raise failure("NOTIONAL")
