"""GET /api/v3/avgPrice: the volume-weighted price of the last five minutes' trades (world tier)."""

from __future__ import annotations

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import dumps, market, pair
from mock_server.endpoints.spec import spec_schema
from mock_server.market.symbols import Pair
from mock_server.market.text import decimal_float
from mock_server.rules.params import Text

MINUTES = 5  # the PERCENT_PRICE_BY_SIDE filter's avgPriceMins (exchange_info.py)


def rules(values: Values, ctx: Context) -> Pair:
    return pair(ctx, values["symbol"])


def respond(p: Pair, ctx: Context) -> bytes:
    m = market(ctx)
    trades = m.trades_between(p, ctx.now_ms - MINUTES * 60_000 + 1, ctx.now_ms)
    if not trades:
        trades = [m.last_trade(p, ctx.now_ms)]
    qty = sum(t.qty for t in trades)
    price = sum(t.price * t.qty for t in trades) / qty / 10**p.price_digits
    return dumps({"mins": MINUTES, "price": decimal_float(price), "closeTime": trades[-1].time_ms})


ENDPOINT = Endpoint(
    "GET", "/api/v3/avgPrice", "Current average price", respond, spec_schema("GET", "/api/v3/avgPrice"),
    weight=2, params=(Text("symbol", required=True),), rules=rules, tier="world", operation_id="getAvgPrice",
)  # fmt: skip
