"""The WebSocket API's methods (`/ws-api/v3`), each the REST operation that answers it.

Binance's WebSocket API mirrors its REST API: a method takes the REST parameters (as JSON) and
answers the REST body as `result`. So each method here is one line naming its REST operation,
and the same pipeline checks and answers it: keys, weights, parameters, order counts, the
orders' engine. Methods of the session itself (logon, status, logout, the user data stream
subscriptions) are the session's (session.py).
"""

from __future__ import annotations

from typing import NamedTuple


class Method(NamedTuple):
    http: str
    path: str


METHODS: dict[str, Method] = {
    "ping": Method("GET", "/api/v3/ping"),
    "time": Method("GET", "/api/v3/time"),
    "exchangeInfo": Method("GET", "/api/v3/exchangeInfo"),
    "depth": Method("GET", "/api/v3/depth"),
    "trades.recent": Method("GET", "/api/v3/trades"),
    "trades.historical": Method("GET", "/api/v3/historicalTrades"),
    "trades.aggregate": Method("GET", "/api/v3/aggTrades"),
    "klines": Method("GET", "/api/v3/klines"),
    "uiKlines": Method("GET", "/api/v3/uiKlines"),
    "avgPrice": Method("GET", "/api/v3/avgPrice"),
    "ticker.24hr": Method("GET", "/api/v3/ticker/24hr"),
    "ticker.tradingDay": Method("GET", "/api/v3/ticker/tradingDay"),
    "ticker": Method("GET", "/api/v3/ticker"),
    "ticker.price": Method("GET", "/api/v3/ticker/price"),
    "ticker.book": Method("GET", "/api/v3/ticker/bookTicker"),
    "order.place": Method("POST", "/api/v3/order"),
    "order.test": Method("POST", "/api/v3/order/test"),
    "order.status": Method("GET", "/api/v3/order"),
    "order.cancel": Method("DELETE", "/api/v3/order"),
    "order.cancelReplace": Method("POST", "/api/v3/order/cancelReplace"),
    "openOrders.status": Method("GET", "/api/v3/openOrders"),
    "openOrders.cancelAll": Method("DELETE", "/api/v3/openOrders"),
    "allOrders": Method("GET", "/api/v3/allOrders"),
    "myTrades": Method("GET", "/api/v3/myTrades"),
    "account.status": Method("GET", "/api/v3/account"),
    "account.commission": Method("GET", "/api/v3/account/commission"),
    "account.rateLimits.orders": Method("GET", "/api/v3/rateLimit/order"),
    # A listenKey, as before Binance retired them on 2026-02-20 (F89): binance-connector calls them.
    "userDataStream.start": Method("POST", "/api/v3/userDataStream"),
    "userDataStream.ping": Method("PUT", "/api/v3/userDataStream"),
    "userDataStream.stop": Method("DELETE", "/api/v3/userDataStream"),
}

SESSION_METHODS = frozenset({
    "session.logon", "session.status", "session.logout", "session.subscriptions", "userDataStream.subscribe",
    "userDataStream.subscribe.signature", "userDataStream.subscribe.listenToken", "userDataStream.unsubscribe",
})  # fmt: skip


def method_name(name: str) -> str:
    """A method as requested, less the version prefix Binance allows (`v3/order.place`)."""
    return name.removeprefix("v3/")
