"""GET /api/v3/avgPrice: the volume-weighted price of the last five minutes' trades (world tier)."""

from __future__ import annotations

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import dumps, market, pair
from mock_server.endpoints.spec import spec_schema
from mock_server.market.symbols import Pair
from mock_server.rules.params import Text
from mock_server.trading.filters import AVG_PRICE_MINS
from mock_server.trading.matching import average

MINUTES = AVG_PRICE_MINS  # the filters' avgPriceMins: the price they compare orders with


def rules(values: Values, ctx: Context) -> Pair:
    return pair(ctx, values["symbol"])


def respond(p: Pair, ctx: Context) -> bytes:
    m = market(ctx)
    price = average(m, p, ctx.now_ms)
    close = m.last_trade(p, ctx.now_ms).time_ms
    return dumps({"mins": MINUTES, "price": f"{price:.8f}", "closeTime": close})


ENDPOINT = Endpoint(
    "GET", "/api/v3/avgPrice", "Current average price", respond, spec_schema("GET", "/api/v3/avgPrice"),
    weight=2, params=(Text("symbol", required=True),), rules=rules, tier="world", operation_id="getAvgPrice",
)  # fmt: skip
