"""The matching engine: an order checked, matched against the market, settled into a wallet.

`plan` decides everything about a new order without changing anything (the account-side checks,
what it takes from the book now, what it would rest with and what it must hold); `place` carries
a plan out through `Operations`, the only writer of balances. So a refusal always comes before
the first change. `settle` matches the resting orders against the market's trades as mock time
passes: the endpoints and the control API call it before they read, so an order is filled when
anyone looks, as it would have been by then.

Decisions (docs/fidelity.md): a resting order fills whole, as maker, at its own price, at the
first trade at or through it (F61); the commission is taken in the asset received (F62); the
other side of every fill is the house (mock_server/state/orders.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import NamedTuple

from mock_server.market.model import Market
from mock_server.market.symbols import Pair
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.state.operations import Operations
from mock_server.state.orders import ZERO, Fill, Order, OrderBook, client_order_id
from mock_server.trading import fees
from mock_server.trading.filters import MAX_NUM_ALGO_ORDERS, MAX_NUM_ORDERS, failure
from mock_server.trading.matching import Part, crossed, first_cross, take, touch

LIMITS = frozenset({"LIMIT", "LIMIT_MAKER", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"})


class NewOrder(NamedTuple):
    """A new order as the endpoint read it (every parameter checked against the pair's filters)."""

    wallet: str
    pair: Pair
    side: str
    type: str
    time_in_force: str  # "GTC" where none is sent
    quantity: Decimal | None
    quote_qty: Decimal | None
    price: Decimal | None
    stop_price: Decimal | None
    client_id: str | None
    stp: str
    iceberg: Decimal | None = None
    strategy_id: int | None = None
    strategy_type: int | None = None
    side_effect: str | None = None
    repay_at_cancel: bool = False

    @property
    def buy(self) -> bool:
        return self.side == "BUY"

    @property
    def pays(self) -> str:
        """The asset the order spends."""
        return self.pair.quote if self.buy else self.pair.base


class Plan(NamedTuple):
    new: NewOrder
    parts: list[Part]  # what it takes from the book now
    rest: Decimal  # the quantity that stays on the book (a waiting stop: all of it)
    status: str  # after the parts: NEW, PARTIALLY_FILLED, FILLED or EXPIRED
    spend: Decimal  # what the parts cost in the asset the order pays
    hold: Decimal  # what the rest locks of it
    expiry: str | None = None

    @property
    def need(self) -> Decimal:
        """The free balance of `new.pays` the plan uses."""
        return self.spend + self.hold


def _price(pair: Pair, ticks: int) -> Decimal:
    return Decimal(ticks).scaleb(-pair.price_digits)


def _qty(pair: Pair, steps: int) -> Decimal:
    return Decimal(steps).scaleb(-pair.qty_digits)


def _ticks(pair: Pair, price: Decimal) -> int:
    return int(price.scaleb(pair.price_digits))


def _steps(pair: Pair, qty: Decimal) -> int:
    return int(qty.scaleb(pair.qty_digits))


def _cost(pair: Pair, parts: list[Part]) -> Decimal:
    return sum((_price(pair, p.ticks) * _qty(pair, p.steps) for p in parts), ZERO)


def stop_below(type_: str, buy: bool) -> bool:
    """A stop triggers on a trade at or below its stop price (else at or above): a STOP_LOSS
    sells on a fall and buys on a rise; a TAKE_PROFIT the reverse."""
    return (type_.startswith("STOP_LOSS")) != buy


def plan(market: Market, book: OrderBook, api_key: str, new: NewOrder, now_ms: int) -> Plan:
    """Everything about a new order, decided without a change; Binance's error if it may not be placed."""
    pair = new.pair
    mine = [o for o in book.open_orders(api_key) if o.symbol == pair.symbol and o.wallet == new.wallet]
    if new.client_id is not None and any(o.client_order_id == new.client_id for o in mine):
        raise BinanceError(errors.DUPLICATE_ORDER)
    if len(mine) >= MAX_NUM_ORDERS:
        raise failure("MAX_NUM_ORDERS")
    if new.type.startswith(("STOP", "TAKE")) and sum(o.is_stop for o in mine) >= MAX_NUM_ALGO_ORDERS:
        raise failure("MAX_NUM_ALGO_ORDERS")
    bid, ask = touch(market, pair, now_ms)
    if new.stop_price is not None:
        last = market.price(pair, now_ms)
        if crossed(last, _ticks(pair, new.stop_price), stop_below(new.type, new.buy)):
            raise BinanceError(errors.WOULD_TRIGGER)
        quantity = new.quantity or ZERO
        hold_price = new.price if new.price is not None else new.stop_price
        hold = quantity * hold_price if new.buy else quantity
        return Plan(new, [], quantity, "NEW", ZERO, hold)
    limit = _ticks(pair, new.price) if new.price is not None else None
    if new.type == "LIMIT_MAKER" and limit is not None and (limit >= ask if new.buy else limit <= bid):
        raise BinanceError(errors.WOULD_TAKE)
    if new.type == "MARKET" and new.quantity is None:
        assert new.quote_qty is not None
        budget = int(new.quote_qty.scaleb(pair.price_digits + pair.qty_digits))
        parts = take(market, pair, now_ms, new.buy, budget=budget)
        wanted = sum(p.steps for p in parts)
    else:
        assert new.quantity is not None
        wanted = _steps(pair, new.quantity)
        parts = (
            []
            if new.type == "LIMIT_MAKER"
            else take(market, pair, now_ms, new.buy, steps=wanted, limit=limit)
        )
    got = sum(p.steps for p in parts)
    if new.time_in_force == "FOK" and got < wanted:
        parts, got = [], 0
    left = wanted - got
    rests = left > 0 and new.type != "MARKET" and new.time_in_force == "GTC"
    if got == wanted and wanted > 0:
        status = "FILLED"
    elif rests:
        status = "PARTIALLY_FILLED" if got else "NEW"
    else:
        status = "EXPIRED"
    rest = _qty(pair, left) if rests else ZERO
    spend = _cost(pair, parts) if new.buy else _qty(pair, got)
    hold = rest * (new.price or ZERO) if new.buy else rest
    expiry = "INSUFFICIENT_LIQUIDITY" if status == "EXPIRED" and new.type == "MARKET" else None
    return Plan(new, parts, rest, status, spend, hold, expiry)


class Placed(NamedTuple):
    order: Order
    fills: list[Fill]


def place(ops: Operations, seed: int, p: Plan, borrowed: Decimal = ZERO) -> Placed:
    """Carry a plan out: the order in the book, its taker fills paid, its rest locked. The free
    balance is checked first (-2010), and nothing changes before it (`borrowed`: what a
    MARGIN_BUY order borrowed for it, just before)."""
    new, pair = p.new, p.new.pair
    if ops.balance(new.wallet, new.pays).free < p.need:
        raise BinanceError(errors.INSUFFICIENT_BALANCE)
    order_id = ops.orders.next_order_id()
    executed = sum((_qty(pair, part.steps) for part in p.parts), ZERO)
    order = Order(
        ops.api_key, new.wallet, pair.symbol, order_id, new.client_id or client_order_id(seed, order_id),
        new.side, new.type, new.time_in_force, new.price or ZERO,
        new.quantity if new.quantity is not None else executed, new.quote_qty or ZERO, new.stop_price or ZERO,
        new.stp, ops.now_ms, ops.now_ms, -1 if new.stop_price is not None else ops.now_ms, held_asset=new.pays,
        checked_ms=ops.now_ms, iceberg=new.iceberg, strategy_id=new.strategy_id, strategy_type=new.strategy_type,
        side_effect=new.side_effect, expiry_reason=p.expiry, borrowed=borrowed,
        repay_at_cancel=new.repay_at_cancel,
    )  # fmt: skip
    ops.report(order, "NEW")
    fills = [_fill(ops, pair, order, part, maker=False) for part in p.parts]
    if p.hold:
        ops.hold(new.wallet, new.pays, p.hold, f"order {order_id}")
    done = replace(_advance(order, fills, p.status, ops.now_ms), held=p.hold)
    return Placed(_finish(ops, order, done, fills), fills)


def cancel(ops: Operations, order: Order, status: str = "CANCELED") -> Order:
    """Take an open order off the book: what it holds goes back to the free balance, and a
    MARGIN_BUY order with autoRepayAtCancel repays what it borrowed (as far as the wallet can)."""
    if order.held:
        ops.hold(order.wallet, order.held_asset, -order.held, f"cancel {order.order_id}")
    done = replace(order, status=status, held=ZERO, update_ms=ops.now_ms)
    ops.put_order(done)
    ops.report(done, status, orig_client_id=order.client_order_id)
    if order.borrowed and order.repay_at_cancel:  # the loan and the interest it has cost so far
        b = ops.balance(order.wallet, order.held_asset)
        amount = min(order.borrowed + b.interest, b.borrowed + b.interest, b.free)
        if amount > 0:
            ops.repay(order.wallet, order.held_asset, amount)
    return done


OpsAt = Callable[[str, int], Operations]  # the writer for an account at an instant


def settle(market: Market, book: OrderBook, ops_at: OpsAt, now_ms: int, symbol: str | None = None,
           at_price: bool = False, through: bool = False) -> int:  # fmt: skip
    """Match every open order (of `symbol`, or all) against the market's trades since it was
    last matched, up to now; `at_price`: also against the price now (a steer just moved it,
    maybe within the same millisecond); `through` (F61): a resting limit fills only on a trade
    beyond its price, not at it. Returns how many orders changed status."""
    changed = 0
    for order in book.open_orders():
        if symbol is not None and order.symbol != symbol:
            continue
        pair = market.pair(order.symbol)
        if pair is None or order.checked_ms > now_ms or (order.checked_ms == now_ms and not at_price):
            continue  # matched up to now already (a frozen clock), or the clock went back
        after = _settle_one(market, book, ops_at, pair, order, now_ms, at_price, through)
        changed += after.status != order.status
    return changed


def _when(market: Market, pair: Pair, order: Order, now_ms: int, ticks: int, below: bool,
          at_price: bool) -> int | None:  # fmt: skip
    """The instant the market first reaches `ticks` after the order was last matched."""
    hit = first_cross(market, pair, order.checked_ms, now_ms, ticks, below)
    if hit is not None:
        return hit.time_ms
    if at_price and crossed(market.price(pair, now_ms), ticks, below):
        return now_ms
    return None


def _settle_one(market: Market, book: OrderBook, ops_at: OpsAt, pair: Pair, order: Order, now_ms: int,
                at_price: bool, through: bool) -> Order:  # fmt: skip
    buy = order.side == "BUY"
    if order.working_ms < 0:  # a stop waiting for its trigger
        below = stop_below(order.type, buy)
        at = _when(market, pair, order, now_ms, _ticks(pair, order.stop_price), below, at_price)
        if at is None:
            book.put(replace(order, checked_ms=now_ms))
            return order
        ops = ops_at(order.api_key, at)
        if order.type in LIMITS:
            order = _triggered_limit(market, ops, pair, order, at)
            if not order.is_open:
                return order
        else:
            return _triggered_market(market, ops, pair, order, at)
    beyond = (-1 if buy else 1) if through else 0
    at = _when(market, pair, order, now_ms, _ticks(pair, order.price) + beyond, buy, at_price)
    if at is None:
        book.put(replace(order, checked_ms=now_ms))
        return order
    ops = ops_at(order.api_key, at)
    left = order.quantity - order.executed
    part = Part(_ticks(pair, order.price), _steps(pair, left))
    fills = [_fill(ops, pair, order, part, maker=True, held=True)]
    return _finish(ops, order, replace(_advance(order, fills, "FILLED", at), held=ZERO, checked_ms=at), fills)


def _triggered_market(market: Market, ops: Operations, pair: Pair, order: Order, at: int) -> Order:
    """A STOP_LOSS or TAKE_PROFIT triggered: a MARKET order for its quantity, paid from what it
    held and, for a buy whose fills cost more than it held, from the free balance; what the
    balance cannot pay, or the book cannot fill, expires."""
    buy = order.side == "BUY"
    parts = take(market, pair, at, buy, steps=_steps(pair, order.quantity))
    if buy:
        free = ops.balance(order.wallet, order.held_asset).free
        budget = order.held + free
        while parts and _cost(pair, parts) > budget:
            parts.pop()
        spend = _cost(pair, parts)
    else:
        spend = sum((_qty(pair, p.steps) for p in parts), ZERO)
    from_held = min(spend, order.held)
    if order.held > from_held:
        ops.hold(order.wallet, order.held_asset, -(order.held - from_held), f"trigger {order.order_id}")
    fills: list[Fill] = []
    for part in parts:
        beyond = _over(pair, fills, part, from_held) if buy else ZERO
        fills.append(_fill(ops, pair, order, part, maker=False, held=True, from_free=beyond))
    filled = sum((f.qty for f in fills), ZERO) == order.quantity
    done = replace(
        _advance(order, fills, "FILLED" if filled else "EXPIRED", at), held=ZERO, working_ms=at, checked_ms=at
    )
    return _finish(ops, order, done, fills)


def _over(pair: Pair, fills: list[Fill], part: Part, held: Decimal) -> Decimal:
    """How much of this part's payment the held amount no longer covers."""
    paid = sum((f.quote_qty for f in fills), ZERO)
    cost = _price(pair, part.ticks) * _qty(pair, part.steps)
    return max(min(cost, paid + cost - held), ZERO)


def _triggered_limit(market: Market, ops: Operations, pair: Pair, order: Order, at: int) -> Order:
    """A STOP_LOSS_LIMIT or TAKE_PROFIT_LIMIT triggered: a LIMIT order from now, which takes
    what the book has at its price at once and rests with the rest."""
    buy = order.side == "BUY"
    parts = take(market, pair, at, buy, steps=_steps(pair, order.quantity), limit=_ticks(pair, order.price))
    fills = [_fill(ops, pair, order, part, maker=False, held=True) for part in parts]
    got = sum((f.qty for f in fills), ZERO)
    left = order.quantity - got
    if buy:  # fills at better prices than the limit leave some of the hold free
        kept = left * order.price
        paid = sum((f.quote_qty for f in fills), ZERO)
        surplus = order.held - paid - kept
        if surplus:
            ops.hold(order.wallet, order.held_asset, -surplus, f"trigger {order.order_id}")
    else:
        kept = left
    status = "FILLED" if not left else "PARTIALLY_FILLED" if fills else "NEW"
    done = replace(_advance(order, fills, status, at), held=kept, working_ms=at, checked_ms=at)
    return _finish(ops, order, done, fills)


def _fill(ops: Operations, pair: Pair, order: Order, part: Part, maker: bool, held: bool = False,
          from_free: Decimal = ZERO) -> Fill:  # fmt: skip
    """One trade of `order` against the house: the account pays (out of what the order holds,
    or out of its free balance) and receives less the commission."""
    price, qty = _price(pair, part.ticks), _qty(pair, part.steps)
    quote = price * qty
    buy = order.side == "BUY"
    paid, paid_asset = (quote, order.held_asset) if buy else (qty, order.held_asset)
    got, got_asset = (qty, pair.base) if buy else (quote, pair.quote)
    trade_id = ops.orders.next_trade_id()
    cause = f"fill {trade_id}"
    if held:
        ops.trade(order.wallet, paid_asset, cause, locked=-(paid - from_free), free=-from_free)
    else:
        ops.trade(order.wallet, paid_asset, cause, free=-paid)
    fee = fees.commission(got, maker)
    ops.trade(order.wallet, got_asset, cause, free=got)
    if fee:
        ops.trade(order.wallet, got_asset, f"fee {trade_id}", free=-fee)
    fill = Fill(trade_id, order.order_id, ops.api_key, order.wallet, order.symbol, price, qty, quote, fee,
                got_asset, ops.now_ms, buy, maker)  # fmt: skip
    ops.add_fill(fill)
    return fill


AUTO_REPAY = frozenset({"AUTO_REPAY", "AUTO_BORROW_REPAY"})


def _finish(ops: Operations, before: Order, order: Order, fills: list[Fill]) -> Order:
    """The order as it now stands, in the book, and an executionReport a fill (then one for its
    expiry); a margin order with AUTO_REPAY repays the debt of the asset its fills brought in,
    out of what they brought (interest first)."""
    ops.put_order(order)
    step = before
    for i, fill in enumerate(fills):
        status = order.status if i == len(fills) - 1 and order.status != "EXPIRED" else "PARTIALLY_FILLED"
        step = replace(_advance(step, [fill], status, fill.time_ms), working_ms=order.working_ms)
        ops.report(step, "TRADE", fill)
    if order.status == "EXPIRED":
        ops.report(order, "EXPIRED")
    if order.side_effect in AUTO_REPAY and fills:
        got = sum((f.qty if f.buyer else f.quote_qty) - f.commission for f in fills)
        asset = fills[0].commission_asset
        b = ops.balance(order.wallet, asset)
        amount = min(got, b.borrowed + b.interest, b.free)
        if amount > 0:
            ops.repay(order.wallet, asset, amount)
    return order


def _advance(order: Order, fills: list[Fill], status: str, now_ms: int) -> Order:
    return replace(
        order, status=status, update_ms=now_ms,
        executed=order.executed + sum((f.qty for f in fills), ZERO),
        cum_quote=order.cum_quote + sum((f.quote_qty for f in fills), ZERO),
    )  # fmt: skip
