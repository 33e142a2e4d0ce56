"""GET /api/v3/ticker/bookTicker: the best bid and ask, the top of the depth (world tier)."""

from __future__ import annotations

from typing import Any

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import Asked, asked, count, each, market
from mock_server.endpoints.spec import spec_schema
from mock_server.market.book import book
from mock_server.market.symbols import Pair
from mock_server.market.text import decimal
from mock_server.rules.params import Text


def rules(values: Values, ctx: Context) -> Asked:
    return asked(ctx, values)


def top(ctx: Context, p: Pair) -> dict[str, Any]:
    b = book(market(ctx), p, ctx.now_ms, 1)
    (bid, bid_qty), (ask, ask_qty) = b.bids[0], b.asks[0]
    pd, qd = p.price_digits, p.qty_digits
    return {"symbol": p.symbol, "bidPrice": decimal(bid, pd), "bidQty": decimal(bid_qty, qd),
            "askPrice": decimal(ask, pd), "askQty": decimal(ask_qty, qd)}  # fmt: skip


def respond(request: Asked, ctx: Context) -> bytes:
    return each(request, lambda p: top(ctx, p))


ENDPOINT = Endpoint(
    "GET", "/api/v3/ticker/bookTicker", "Symbol order book ticker", respond,
    spec_schema("GET", "/api/v3/ticker/bookTicker"), weight=2, weight_of=lambda first: 2 if count(first) == 1 else 4, params=(Text("symbol"), Text("symbols")),
    rules=rules, tier="world", operation_id="getTickerBookTicker",
)  # fmt: skip
