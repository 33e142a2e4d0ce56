"""The checks, one module per area; importing a module registers its checks."""

from __future__ import annotations

from binance_mock.contracts.checks import (
    faults,
    headers,
    listing,
    market,
    orders,
    params,
    security,
    timing,
    wallet,
    window,
)
from binance_mock.contracts.registry import CHECKS, Check

# The report's order: by area in this order, then as written in each module.
MODULES = (security, timing, params, window, listing, headers, market, wallet, orders, faults)
_RANK = {m.__name__: n for n, m in enumerate(MODULES)}


def all_checks() -> list[Check]:
    return sorted(CHECKS.values(), key=lambda c: _RANK[c.fn.__module__])
