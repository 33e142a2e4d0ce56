"""GET /api/v3/ticker/24hr: the last 24 hours' statistics, rolling to now (world tier)."""

from __future__ import annotations

from typing import NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import Asked, asked, count, each, market
from mock_server.endpoints.market.tickers import fields, ticker_type
from mock_server.endpoints.spec import spec_schema
from mock_server.market.klines import DAY_MS
from mock_server.rules.params import Text


class Request(NamedTuple):
    asked: Asked
    full: bool


def rules(values: Values, ctx: Context) -> Request:
    kind = ticker_type(values["type"])
    return Request(asked(ctx, values), kind == "FULL")


def respond(r: Request, ctx: Context) -> bytes:
    m, now = market(ctx), ctx.now_ms
    start = now - DAY_MS
    return each(r.asked, lambda p: fields(p, m.summary(p, start, now, now), start, now, r.full, True, ctx))


def weight(first: dict[str, str]) -> int:
    n = count(first)
    return 80 if n is None or n > 100 else 40 if n > 20 else 2


ENDPOINT = Endpoint(
    "GET", "/api/v3/ticker/24hr", "24hr ticker price change statistics", respond,
    spec_schema("GET", "/api/v3/ticker/24hr"), weight=2, weight_of=weight,
    params=(Text("symbol"), Text("symbols"), Text("type")), rules=rules, tier="world", operation_id="getTicker24hr",
)  # fmt: skip
