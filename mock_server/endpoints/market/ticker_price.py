"""GET /api/v3/ticker/price: the last trade's price, of one symbol, several or all (world tier)."""

from __future__ import annotations

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import Asked, asked, count, each, market
from mock_server.endpoints.spec import spec_schema
from mock_server.market.text import decimal
from mock_server.rules.params import Text


def rules(values: Values, ctx: Context) -> Asked:
    return asked(ctx, values)


def respond(request: Asked, ctx: Context) -> bytes:
    m = market(ctx)
    return each(
        request, lambda p: {"symbol": p.symbol, "price": decimal(m.price(p, ctx.now_ms), p.price_digits)}
    )


ENDPOINT = Endpoint(
    "GET", "/api/v3/ticker/price", "Symbol price ticker", respond, spec_schema("GET", "/api/v3/ticker/price"),
    weight=2, weight_of=lambda first: 2 if count(first) == 1 else 4, params=(Text("symbol"), Text("symbols")), rules=rules, tier="world", operation_id="getTickerPrice",
)  # fmt: skip
