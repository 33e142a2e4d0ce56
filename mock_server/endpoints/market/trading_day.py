"""GET /api/v3/ticker/tradingDay: the statistics of today's trading day in a time zone (world tier).

The day is the calendar day holding now in `timeZone` (UTC by default); closeTime is the day's
last millisecond, as in Binance's example, and the figures cover the trades up to now (F46)."""

from __future__ import annotations

from typing import NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import Asked, asked, each, market
from mock_server.endpoints.market.klines import time_zone
from mock_server.endpoints.market.ticker_window import weight
from mock_server.endpoints.market.tickers import fields, ticker_type
from mock_server.endpoints.spec import spec_schema
from mock_server.market.klines import DAY_MS
from mock_server.rules.params import Text


class Request(NamedTuple):
    asked: Asked
    tz_ms: int
    full: bool


def rules(values: Values, ctx: Context) -> Request:
    kind = ticker_type(values["type"])
    return Request(
        asked(ctx, values, required=True, most=100), time_zone(values["timeZone"], ctx), kind == "FULL"
    )


def respond(r: Request, ctx: Context) -> bytes:
    m, now = market(ctx), ctx.now_ms
    start = (now + r.tz_ms) // DAY_MS * DAY_MS - r.tz_ms
    end = start + DAY_MS - 1
    return each(r.asked, lambda p: fields(p, m.summary(p, start, now, now), start, end, r.full, False, ctx))


ENDPOINT = Endpoint(
    "GET", "/api/v3/ticker/tradingDay", "Trading Day Ticker", respond, spec_schema("GET", "/api/v3/ticker/tradingDay"),
    weight=4, weight_of=weight, params=(Text("symbol"), Text("symbols"), Text("timeZone"), Text("type")),
    rules=rules, tier="world", operation_id="getTickerTradingDay",
)  # fmt: skip
