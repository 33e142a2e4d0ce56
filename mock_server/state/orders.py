"""Every account's orders and trades, and the house's side of them.

An order is immutable: each change (a fill, a cancel, a trigger) replaces it in the book, so a
snapshot copies containers only. Ids are one sequence for the mock (an order id is unique across
symbols, as a client that keys orders by id alone expects). The market the mock simulates has no
other participants, so the other side of every fill is the house: what an account pays or
receives in a trade, and every commission, is the house's in reverse (`house`), and every asset
is conserved: the accounts' balances plus the house's stay what they were.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

ZERO = Decimal(0)
OPEN = frozenset({"NEW", "PARTIALLY_FILLED"})
STOPS = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def eight(value: Decimal) -> str:
    return f"{value:.8f}"


@dataclass(frozen=True, slots=True)
class Order:
    api_key: str
    wallet: str  # SPOT, MARGIN or ISOLATED:<SYMBOL>
    symbol: str
    order_id: int
    client_order_id: str
    side: str  # BUY or SELL
    type: str
    time_in_force: str  # "GTC" for a MARKET order too, as Binance shows it
    price: Decimal  # 0 for MARKET, STOP_LOSS and TAKE_PROFIT
    quantity: Decimal  # origQty (a quoteOrderQty MARKET order: what it executed)
    quote_qty: Decimal  # origQuoteOrderQty
    stop_price: Decimal  # 0 unless a stop order
    stp: str  # selfTradePreventionMode
    time_ms: int
    update_ms: int
    working_ms: int  # when it began to work: -1 while a stop waits for its trigger
    status: str = "NEW"
    executed: Decimal = ZERO
    cum_quote: Decimal = ZERO
    held_asset: str = ""  # what the order locked in its wallet, and how much of it is left
    held: Decimal = ZERO
    checked_ms: int = 0  # the market's trades up to here have been matched against it
    iceberg: Decimal | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    side_effect: str | None = None  # a margin order's sideEffectType
    borrowed: Decimal = ZERO  # what a MARGIN_BUY order borrowed when placed
    repay_at_cancel: bool = False  # autoRepayAtCancel: a cancel repays what it borrowed
    expiry_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_stop(self) -> bool:
        return self.type in STOPS

    @property
    def isolated(self) -> bool:
        return self.wallet.startswith("ISOLATED:")

    def base_json(self) -> dict[str, Any]:
        """The fields every order answer opens with, in Binance's order."""
        return {"symbol": self.symbol, "orderId": self.order_id, "orderListId": -1,
                "clientOrderId": self.client_order_id}  # fmt: skip

    def body_json(self) -> dict[str, Any]:
        """RESULT's fields after transactTime, as placement and cancellation answer them."""
        out: dict[str, Any] = {
            "price": eight(self.price), "origQty": eight(self.quantity), "executedQty": eight(self.executed),
            "origQuoteOrderQty": eight(self.quote_qty), "cummulativeQuoteQty": eight(self.cum_quote),
            "status": self.status, "timeInForce": self.time_in_force, "type": self.type, "side": self.side,
        }  # fmt: skip
        if self.is_stop:
            out["stopPrice"] = eight(self.stop_price)
        self._conditional(out)
        return out

    def query_json(self) -> dict[str, Any]:
        """GET order, openOrders and allOrders."""
        out = {
            **self.base_json(), "price": eight(self.price), "origQty": eight(self.quantity),
            "executedQty": eight(self.executed), "cummulativeQuoteQty": eight(self.cum_quote),
            "status": self.status, "timeInForce": self.time_in_force, "type": self.type, "side": self.side,
            "stopPrice": eight(self.stop_price), "icebergQty": eight(self.iceberg or ZERO), "time": self.time_ms,
            "updateTime": self.update_ms, "isWorking": self.working_ms >= 0, "workingTime": self.working_ms,
            "origQuoteOrderQty": eight(self.quote_qty), "selfTradePreventionMode": self.stp,
        }  # fmt: skip
        self._conditional(out, iceberg=False)
        return out

    def _conditional(self, out: dict[str, Any], iceberg: bool = True) -> None:
        if iceberg and self.iceberg is not None:
            out["icebergQty"] = eight(self.iceberg)
        if self.strategy_id is not None:
            out["strategyId"] = self.strategy_id
        if self.strategy_type is not None:
            out["strategyType"] = self.strategy_type
        if self.expiry_reason is not None:
            out["expiryReason"] = self.expiry_reason


class Fill(NamedTuple):
    """One trade of an account: a part of one of its orders."""

    trade_id: int
    order_id: int
    api_key: str
    wallet: str
    symbol: str
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time_ms: int
    buyer: bool
    maker: bool

    def fill_json(self) -> dict[str, Any]:
        """An entry of a FULL answer's `fills`."""
        return {"price": eight(self.price), "qty": eight(self.qty), "commission": eight(self.commission),
                "commissionAsset": self.commission_asset, "tradeId": self.trade_id}  # fmt: skip

    def trade_json(self) -> dict[str, Any]:
        """GET /api/v3/myTrades."""
        return {
            "symbol": self.symbol, "id": self.trade_id, "orderId": self.order_id, "orderListId": -1,
            "price": eight(self.price), "qty": eight(self.qty), "quoteQty": eight(self.quote_qty),
            "commission": eight(self.commission), "commissionAsset": self.commission_asset, "time": self.time_ms,
            "isBuyer": self.buyer, "isMaker": self.maker, "isBestMatch": True,
        }  # fmt: skip


@dataclass
class OrderBook:
    """Orders and fills by account; the house's balance of every asset (signed)."""

    orders: dict[str, dict[int, Order]] = field(default_factory=dict)
    fills: dict[str, list[Fill]] = field(default_factory=dict)
    house: dict[str, Decimal] = field(default_factory=dict)
    last_order_id: int = 0
    last_trade_id: int = 0
    last_execution_id: int = 0  # executionReport's `I`
    # The open orders of every account, oldest first: what matching walks on every call, so
    # it never walks the filled and canceled ones.
    open: dict[tuple[str, int], None] = field(default_factory=dict)

    @property
    def open_count(self) -> int:
        return len(self.open)

    def put(self, order: Order) -> None:
        self.orders.setdefault(order.api_key, {})[order.order_id] = order
        key = (order.api_key, order.order_id)
        if order.is_open:
            self.open.setdefault(key, None)
        else:
            self.open.pop(key, None)

    def of(self, api_key: str) -> dict[int, Order]:
        return self.orders.get(api_key, {})

    def open_orders(self, api_key: str | None = None) -> list[Order]:
        """Open orders, oldest first (one account's, or every account's)."""
        return [self.orders[k][i] for k, i in list(self.open) if api_key is None or k == api_key]

    def find(self, api_key: str, symbol: str, order_id: int | None, client_id: str | None) -> Order | None:
        """By orderId first, then its client id checked against it (Binance's rule); by the
        client id alone the newest order of that id."""
        mine = self.of(api_key)
        if order_id is not None:
            order = mine.get(order_id)
            if order is None or order.symbol != symbol:
                return None
            return order if client_id is None or order.client_order_id == client_id else None
        for order in reversed(mine.values()):
            if order.symbol == symbol and order.client_order_id == client_id:
                return order
        return None

    def next_order_id(self) -> int:
        self.last_order_id += 1
        return self.last_order_id

    def next_execution_id(self) -> int:
        self.last_execution_id += 1
        return self.last_execution_id

    def next_trade_id(self) -> int:
        self.last_trade_id += 1
        return self.last_trade_id

    def add_fill(self, fill: Fill) -> None:
        self.fills.setdefault(fill.api_key, []).append(fill)

    def to_house(self, asset: str, amount: Decimal) -> None:
        self.house[asset] = self.house.get(asset, ZERO) + amount

    def snapshot(self) -> tuple[Any, ...]:
        """The caller holds the world's lock; orders and fills are immutable."""
        return ({k: dict(v) for k, v in self.orders.items()}, {k: list(v) for k, v in self.fills.items()},
                dict(self.house), self.last_order_id, self.last_trade_id, dict(self.open),
                self.last_execution_id)  # fmt: skip

    def restore(self, snapshot: tuple[Any, ...]) -> None:
        orders, fills, house, self.last_order_id, self.last_trade_id, open_, self.last_execution_id = snapshot
        self.orders = {k: dict(v) for k, v in orders.items()}
        self.fills = {k: list(v) for k, v in fills.items()}
        self.house = dict(house)
        self.open = dict(open_)


def client_order_id(seed: int, order_id: int, salt: str = "order") -> str:
    """A 22-character id as Binance generates them ("6gCrw2kRUAF9CvJDGP16IP"), from the order."""
    digest = hashlib.blake2b(f"{seed}:{salt}:{order_id}".encode(), digest_size=17).digest()
    n = int.from_bytes(digest, "big")
    out = []
    for _ in range(22):
        n, r = divmod(n, 62)
        out.append(_ALPHABET[r])
    return "".join(out)
