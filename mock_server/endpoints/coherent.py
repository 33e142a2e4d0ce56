"""Spec-tier answers that list what the mock's own state holds.

Where Binance's answer lists the same things the world knows (the ledger's assets and
isolated-margin symbols, the market's pairs), the spec tier's answer lists them: the margin pairs
are the market's, as in exchangeInfo. One element per asset or symbol, each shaped like
the element the schema gives, with its identifying fields set. So a client that loads the
coins, pairs and markets first (ccxt's `load_markets()`), then reads balances or the margin
history, sees one consistent account. Public answers list every account's assets; signed ones
the caller's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mock_server.endpoints.declaration import Context
from mock_server.state.wallets import eight_decimals

Element = dict[str, Any]


def _assets(ctx: Context) -> list[str]:
    return ctx.ledger.assets(ctx.account.api_key if ctx.account is not None else None)


def _pairs(ctx: Context) -> list[tuple[str, str, str]]:
    """(symbol, base, quote): every pair the market lists (mock_server/market/symbols.py)."""
    assert ctx.market is not None
    return sorted((p.symbol, p.base, p.quote) for p in ctx.market.pairs)


def _split(symbol: str, assets: list[str]) -> tuple[str, str]:
    quote = max((a for a in assets if symbol.endswith(a) and a != symbol), key=len, default=symbol[-4:])
    return symbol[: -len(quote)], quote


def _each(model: Element, items: list[Element]) -> list[Element]:
    return [{**model, **item} for item in items]


def _coins(body: Any, ctx: Context) -> Any:
    """Every asset of the caller's history and spot wallet, `free` and `locked` its SPOT balance
    (what /api/v3/account shows), the amounts no wallet holds zero."""
    model = body[0]
    networks = model.get("networkList") or []
    spot = ctx.wallets.of(ctx.account.api_key).get("SPOT", {}) if ctx.wallets and ctx.account else {}
    zero = "0.00000000"
    return [
        {**model, "coin": a, "name": a, "networkList": [{**n, "coin": a} for n in networks],
         "free": eight_decimals(spot[a].free) if a in spot else zero,
         "locked": eight_decimals(spot[a].locked) if a in spot else zero,
         "freeze": zero, "withdrawing": zero, "ipoing": zero, "ipoable": zero, "storage": zero}
        for a in sorted(set(_assets(ctx)) | set(spot))
    ]  # fmt: skip


def _margin_pairs(body: Any, ctx: Context) -> Any:
    pairs = _pairs(ctx)
    return [{**body[0], "id": n + 1, "symbol": s, "base": b, "quote": q} for n, (s, b, q) in enumerate(pairs)]


def _isolated_pairs(body: Any, ctx: Context) -> Any:
    assets = _assets(ctx)
    return _each(body[0], [dict(zip(("symbol", "base", "quote"), (s, *_split(s, assets)), strict=True))
                           for s in ctx.ledger.isolated_symbols()])  # fmt: skip


COHERENT: dict[tuple[str, str], Callable[[Any, Context], Any]] = {
    ("GET", "/sapi/v1/capital/config/getall"): _coins,
    ("GET", "/sapi/v1/margin/allPairs"): _margin_pairs,
    ("GET", "/sapi/v1/margin/isolated/allPairs"): _isolated_pairs,
}
