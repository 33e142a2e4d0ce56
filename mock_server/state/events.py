"""What an account's user data stream says, as Binance writes it, and the outbox it waits in.

Operations put an event here whenever they change what an account holds or an order's state:
`executionReport` for an order placed, filled, canceled or expired, `outboundAccountPosition`
for the balances a call changed, `balanceUpdate` for a transfer between wallets or a loan. Each
event belongs to one account and one wallet (SPOT, MARGIN, ISOLATED:<SYMBOL>): a stream
subscribed for a wallet gets that wallet's events (docs/streams.md). The outbox keeps the newest
events only; a reader asks for those after the last sequence number it saw.
"""

from __future__ import annotations

import threading
from collections import deque
from decimal import Decimal
from typing import Any, NamedTuple

from mock_server.state.orders import Fill, Order, eight
from mock_server.state.wallets import Balance

KEPT = 10_000


class Event(NamedTuple):
    seq: int
    api_key: str
    wallet: str
    payload: dict[str, Any]


class Outbox:
    def __init__(self, lock: threading.RLock | None = None, kept: int = KEPT) -> None:
        self._lock = lock or threading.RLock()
        self._events: deque[Event] = deque(maxlen=kept)
        self.last_seq = 0

    def put(self, api_key: str, wallet: str, payload: dict[str, Any]) -> Event:
        with self._lock:
            self.last_seq += 1
            event = Event(self.last_seq, api_key, wallet, payload)
            self._events.append(event)
            return event

    def since(self, seq: int) -> list[Event]:
        """The events after `seq`, oldest first (those the outbox still keeps)."""
        with self._lock:
            if not self._events or self._events[-1].seq <= seq:
                return []
            return [e for e in self._events if e.seq > seq]


def execution_report(order: Order, execution: str, now_ms: int, execution_id: int,
                     fill: Fill | None = None, orig_client_id: str = "") -> dict[str, Any]:  # fmt: skip
    """Binance's executionReport of `order` as it stands after `execution` (NEW, TRADE,
    CANCELED, EXPIRED); a TRADE names its fill."""
    out: dict[str, Any] = {
        "e": "executionReport", "E": now_ms, "s": order.symbol, "c": order.client_order_id, "S": order.side,
        "o": order.type, "f": order.time_in_force, "q": eight(order.quantity), "p": eight(order.price),
        "P": eight(order.stop_price), "F": eight(order.iceberg or Decimal(0)), "g": -1, "C": orig_client_id,
        "x": execution, "X": order.status, "r": "NONE", "i": order.order_id,
        "l": eight(fill.qty) if fill else "0.00000000", "z": eight(order.executed),
        "L": eight(fill.price) if fill else "0.00000000", "n": eight(fill.commission) if fill else "0",
        "N": fill.commission_asset if fill else None, "T": fill.time_ms if fill else now_ms,
        "t": fill.trade_id if fill else -1, "I": execution_id, "w": order.is_open and order.working_ms >= 0,
        "m": fill.maker if fill else False, "M": False, "O": order.time_ms, "Z": eight(order.cum_quote),
        "Y": eight(fill.quote_qty) if fill else "0.00000000", "Q": eight(order.quote_qty),
    }  # fmt: skip
    if order.working_ms >= 0:
        out["W"] = order.working_ms
    out["V"] = order.stp
    if order.strategy_id is not None:
        out["j"] = order.strategy_id
    if order.strategy_type is not None:
        out["J"] = order.strategy_type
    if order.expiry_reason is not None and order.status == "EXPIRED":
        out["eR"] = order.expiry_reason
    return out


def account_position(now_ms: int, balances: dict[str, Balance]) -> dict[str, Any]:
    """outboundAccountPosition: the assets a call changed, as they are now."""
    return {
        "e": "outboundAccountPosition", "E": now_ms, "u": now_ms,
        "B": [{"a": asset, "f": eight(b.free), "l": eight(b.locked)} for asset, b in sorted(balances.items())],
    }  # fmt: skip


def balance_update(now_ms: int, asset: str, delta: Decimal) -> dict[str, Any]:
    return {"e": "balanceUpdate", "E": now_ms, "a": asset, "d": eight(delta), "T": now_ms}
