"""The endpoints the mock serves, and the route table built from their declarations."""

from __future__ import annotations

from collections.abc import Iterable

from mock_server.endpoints import margin_transfer, ping, server_time, system_status, user_data
from mock_server.endpoints.declaration import Endpoint
from mock_server.endpoints.market import (
    agg_trades,
    avg_price,
    book_ticker,
    depth,
    exchange_info,
    futures,
    historical_trades,
    klines,
    ticker_24hr,
    ticker_price,
    ticker_window,
    trades,
    trading_day,
    ui_klines,
)
from mock_server.endpoints.orders import margin, spot
from mock_server.endpoints.wallet import accounts, borrow, universal_transfer
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError

DEFAULT_ENDPOINTS: tuple[Endpoint, ...] = (
    ping.ENDPOINT,
    server_time.ENDPOINT,
    system_status.ENDPOINT,
    margin_transfer.ENDPOINT,
    # The market (world tier): mock_server/market/ makes every answer.
    exchange_info.ENDPOINT,
    depth.ENDPOINT,
    trades.ENDPOINT,
    historical_trades.ENDPOINT,
    agg_trades.ENDPOINT,
    klines.ENDPOINT,
    ui_klines.ENDPOINT,
    avg_price.ENDPOINT,
    ticker_24hr.ENDPOINT,
    trading_day.ENDPOINT,
    ticker_window.ENDPOINT,
    ticker_price.ENDPOINT,
    book_ticker.ENDPOINT,
    *futures.ENDPOINTS,
    # The wallets (world tier): mock_server/state/ holds them, Operations changes them.
    *universal_transfer.ENDPOINTS,
    *accounts.ENDPOINTS,
    *borrow.ENDPOINTS,
    # Orders (world tier): mock_server/trading/ matches them against the market.
    *spot.ENDPOINTS,
    *margin.ENDPOINTS,
    # The user data streams' listenKeys (the streams themselves are WebSocket).
    *user_data.ENDPOINTS,
)


class Registry:
    """Method and path to declaration; refuses two declarations of one route. `spec` (the spec
    tier, endpoints/spec.py) fills the routes the declared endpoints leave open."""

    def __init__(
        self, endpoints: Iterable[Endpoint] = DEFAULT_ENDPOINTS, spec: Iterable[Endpoint] = ()
    ) -> None:
        self._routes: dict[str, dict[str, Endpoint]] = {}
        for endpoint in endpoints:
            methods = self._routes.setdefault(endpoint.path, {})
            if endpoint.method in methods:
                raise ValueError(f"{endpoint.method} {endpoint.path} is declared twice")
            methods[endpoint.method] = endpoint
        for endpoint in spec:
            self._routes.setdefault(endpoint.path, {}).setdefault(endpoint.method, endpoint)

    def find(self, method: str, path: str) -> Endpoint:
        """The declaration, or Binance's -1099 (404 for a path, 405 for a method it lacks)."""
        methods = self._routes.get(path)
        if methods is None:
            raise BinanceError(errors.NOT_FOUND)
        endpoint = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
        if endpoint is None:
            raise BinanceError(errors.NOT_FOUND, status=405)
        return endpoint

    def replace(self, endpoint: Endpoint) -> Endpoint:
        """Serve `endpoint` in place of the declaration of its route; returns the one it replaced
        (a test swaps an answer or a rule this way, and puts the old one back)."""
        old = self.find(endpoint.method, endpoint.path)
        self._routes[endpoint.path][endpoint.method] = endpoint
        return old

    def endpoints(self) -> list[Endpoint]:
        return [e for methods in self._routes.values() for e in methods.values()]

    def tiers(self) -> dict[str, list[str]]:
        """Every operation served, as "METHOD /path", by tier."""
        out: dict[str, list[str]] = {"exact": [], "world": [], "spec": []}
        for endpoint in self.endpoints():
            out[endpoint.tier].append(f"{endpoint.method} {endpoint.path}")
        return {tier: sorted(ops) for tier, ops in out.items()}

    def paths(self) -> frozenset[str]:
        return frozenset(self._routes)

    def history(self) -> Endpoint:
        """The endpoint that lists the margin transfer history: the declared one with `paging`."""
        return history(self.endpoints())


def history(endpoints: Iterable[Endpoint] = DEFAULT_ENDPOINTS) -> Endpoint:
    found = [e for e in endpoints if e.paging is not None and e.tier == "exact"]
    if len(found) != 1:
        raise ValueError(f"one declared endpoint lists the transfer history (has paging); found {len(found)}")
    return found[0]
