"""A property: any sequence of orders, cancels, transfers, price moves and time passing conserves
every asset (what leaves an account is the house's: the other side of every fill and every fee),
never leaves a balance below zero, and keeps each locked balance equal to what the open orders
hold. ORDER_EXAMPLES=1000 runs more sequences than the suite's hundred."""

from __future__ import annotations

import os
from collections import defaultdict
from decimal import Decimal
from typing import Any

from helpers import NOW, signed_call
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.exchange import Exchange, Settings
from mock_server.state.clock import Clock

SYMBOLS = ("BTCUSDT", "ETHBTC")
QTY = {"BTCUSDT": ("0.001", "0.01", "0.05"), "ETHBTC": ("0.01", "0.1", "0.5")}
TICK = {"BTCUSDT": Decimal("0.01"), "ETHBTC": Decimal("0.00001")}

steps = st.one_of(
    st.tuples(st.just("market"), st.sampled_from(SYMBOLS), st.sampled_from(("BUY", "SELL")), st.integers(0, 2)),
    st.tuples(st.just("limit"), st.sampled_from(SYMBOLS), st.sampled_from(("BUY", "SELL")), st.integers(0, 2),
              st.integers(-40, 40)),
    st.tuples(st.just("stop"), st.sampled_from(SYMBOLS), st.sampled_from(("BUY", "SELL")), st.integers(0, 2),
              st.integers(5, 40)),
    st.tuples(st.just("cancel"), st.integers(0, 10)),
    st.tuples(st.just("transfer"), st.sampled_from(("MAIN_MARGIN", "MARGIN_MAIN")), st.sampled_from(("1", "250"))),
    st.tuples(st.just("price"), st.sampled_from(SYMBOLS), st.integers(-60, 60)),
    st.tuples(st.just("time"), st.integers(1, 180)),
)  # fmt: skip


def _totals(ex: Exchange) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(Decimal)
    for assets in ex.world.wallets.of(ex.default_api_key).values():
        for asset, b in assets.items():
            out[asset] += b.free + b.locked
    for asset, amount in ex.world.orders.house.items():
        out[asset] += amount
    return {a: v for a, v in out.items() if v}


def _last(ex: Exchange, symbol: str) -> Decimal:
    return Decimal(signed_call(ex, "GET", "/api/v3/ticker/price", symbol=symbol)[1]["price"])


def _do(ex: Exchange, step: tuple[Any, ...]) -> None:
    kind = step[0]
    if kind in ("market", "limit", "stop"):
        symbol, side, size = step[1], step[2], QTY[step[1]][step[3]]
        params: dict[str, Any] = {"symbol": symbol, "side": side, "quantity": size}
        if kind == "market":
            params["type"] = "MARKET"
        else:
            last = _last(ex, symbol)
            move = Decimal(step[4]) / 1000 * (1 if kind == "limit" or side == "BUY" else -1)
            price = (last * (1 + move)).quantize(TICK[symbol])
            if kind == "limit":
                params.update(type="LIMIT", timeInForce="GTC", price=str(price))
            else:
                params.update(type="STOP_LOSS", stopPrice=str(price))
        signed_call(ex, "POST", "/api/v3/order", **params)
    elif kind == "cancel":
        open_ = ex.orders(open_only=True)
        if open_:
            order = open_[step[1] % len(open_)]
            signed_call(ex, "DELETE", "/api/v3/order", symbol=order.symbol, orderId=order.order_id)
    elif kind == "transfer":
        signed_call(ex, "POST", "/sapi/v1/asset/transfer", type=step[1], asset="USDT", amount=step[2])
    elif kind == "price":
        symbol = step[1]
        ex.set_price(symbol, str((_last(ex, symbol) * (1 + Decimal(step[2]) / 1000)).quantize(TICK[symbol])))
    else:
        ex.advance_clock(step[1] * 60_000)


@settings(
    max_examples=int(os.environ.get("ORDER_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(steps, min_size=1, max_size=14))
def test_orders_conserve_every_asset_and_locks_match_the_open_orders(plan: list[tuple[Any, ...]]) -> None:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=0), clock=clock)
    for asset, amount in (("USDT", "5000"), ("BTC", "0.2"), ("ETH", "3")):
        ex.set_balance("SPOT", asset, amount)
    before = _totals(ex)
    for step in plan:
        _do(ex, step)
        assert _totals(ex) == before, step
        held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for order in ex.orders(open_only=True):
            held[(order.wallet, order.held_asset)] += order.held
        for wallet, assets in ex.balances().items():
            for asset, b in assets.items():
                assert b.free >= 0 and b.locked == held[(wallet, asset)], (wallet, asset, step)
    running: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for entry in ex.world.wallets.entries():  # no balance was ever below zero on the way
        key = (entry.wallet, entry.asset)
        running[key] += entry.free
        assert running[key] >= 0, entry
