"""What the user data streams will carry, from the same writes as REST: an executionReport for
every order state (NEW, each TRADE, CANCELED, EXPIRED), an outboundAccountPosition of the
balances a call changed, a balanceUpdate for a transfer or a loan; each for its wallet, and
nothing for a refused call."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from helpers import NOW, signed_call

from mock_server.exchange import Exchange, Settings
from mock_server.state.clock import Clock


def _exchange() -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=0), clock=clock)
    ex.set_balance("SPOT", "USDT", "100000")
    ex.set_balance("SPOT", "BTC", "1")
    return ex


def _events(ex: Exchange, since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    return [(e.wallet, e.payload) for e in ex.world.outbox.since(since)]


def _order(ex: Exchange, **params: Any) -> Any:
    return signed_call(ex, "POST", "/api/v3/order", **{"symbol": "BTCUSDT", **params})[1]


def test_a_market_order_reports_new_then_each_fill_then_the_balances() -> None:
    ex = _exchange()
    ex.set_balance("SPOT", "USDT", "300000")
    body = _order(ex, side="BUY", type="MARKET", quantity="2")  # deep enough to take several levels
    events = _events(ex)
    reports = [p for _, p in events if p["e"] == "executionReport"]
    assert (reports[0]["x"], reports[0]["X"]) == ("NEW", "NEW")
    trades = reports[1:]
    assert len(trades) == len(body["fills"]) >= 2
    assert [r["X"] for r in trades] == ["PARTIALLY_FILLED"] * (len(trades) - 1) + ["FILLED"]
    assert [r["t"] for r in trades] == [f["tradeId"] for f in body["fills"]]
    assert trades[-1]["z"] == body["executedQty"] and trades[-1]["Z"] == body["cummulativeQuoteQty"]
    assert [Decimal(r["z"]) for r in trades] == sorted(Decimal(r["z"]) for r in trades)  # cumulative
    assert all(
        r["i"] == body["orderId"] and r["c"] == body["clientOrderId"] and r["m"] is False for r in trades
    )
    assert [r["n"] for r in trades] == [f["commission"] for f in body["fills"]] and trades[0]["N"] == "BTC"
    ids = [r["I"] for r in reports]
    assert ids == sorted(set(ids))  # execution ids grow
    wallet, position = events[-1]
    assert wallet == "SPOT" and position["e"] == "outboundAccountPosition"
    spot = ex.balances()["SPOT"]
    assert position["B"] == [
        {"a": a, "f": f"{spot[a].free:.8f}", "l": f"{spot[a].locked:.8f}"} for a in ("BTC", "USDT")
    ]


def test_a_resting_order_reports_its_fill_when_the_market_reaches_it_and_a_cancel_its_end() -> None:
    ex = _exchange()
    resting = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="60000")
    other = _order(ex, side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.01", price="50000")
    seen = ex.world.outbox.last_seq
    ex.set_price("BTCUSDT", "59000")
    (fill,) = [p for _, p in _events(ex, seen) if p["e"] == "executionReport"]
    assert (fill["x"], fill["X"], fill["i"], fill["m"], fill["L"]) == ("TRADE", "FILLED", resting["orderId"], True,
                                                                      "60000.00000000")  # fmt: skip
    assert fill["T"] == fill["E"] == NOW
    seen = ex.world.outbox.last_seq
    signed_call(ex, "DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=other["orderId"])
    events = _events(ex, seen)
    assert [(p["e"], p.get("x")) for _, p in events] == [("executionReport", "CANCELED"),
                                                          ("outboundAccountPosition", None)]  # fmt: skip
    assert events[0][1]["C"] == other["clientOrderId"]
    assert events[1][1]["B"] == [
        {"a": "USDT", "f": f"{ex.balances()['SPOT']['USDT'].free:.8f}", "l": "0.00000000"}
    ]


def test_an_ioc_order_that_cannot_fill_reports_new_then_expired() -> None:
    ex = _exchange()
    _order(ex, side="BUY", type="LIMIT", timeInForce="IOC", quantity="0.01", price="60000")
    assert [(p["x"], p["X"]) for _, p in _events(ex) if p["e"] == "executionReport"] == [
        ("NEW", "NEW"), ("EXPIRED", "EXPIRED")
    ]  # fmt: skip


def test_a_transfer_is_a_balance_update_on_each_wallet_and_a_refusal_says_nothing() -> None:
    ex = _exchange()
    signed_call(ex, "POST", "/sapi/v1/asset/transfer", type="MAIN_MARGIN", asset="USDT", amount="25")
    events = _events(ex)
    updates = [(w, p["a"], p["d"]) for w, p in events if p["e"] == "balanceUpdate"]
    assert updates == [("SPOT", "USDT", "-25.00000000"), ("MARGIN", "USDT", "25.00000000")]
    positions = {w: p["B"] for w, p in events if p["e"] == "outboundAccountPosition"}
    assert positions == {"SPOT": [{"a": "USDT", "f": "99975.00000000", "l": "0.00000000"}],
                         "MARGIN": [{"a": "USDT", "f": "25.00000000", "l": "0.00000000"}]}  # fmt: skip
    seen = ex.world.outbox.last_seq
    assert _order(ex, side="BUY", type="MARKET", quantity="50")["code"] == -2010
    assert _events(ex, seen) == []
