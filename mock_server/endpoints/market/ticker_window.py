"""GET /api/v3/ticker: rolling window price change statistics (world tier).

The window ends now; its open time is floored to a minute, so it is up to 59,999 ms wider than
windowSize, as Binance documents."""

from __future__ import annotations

import re
from typing import NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import Asked, asked, count, each, malformed, market
from mock_server.endpoints.market.tickers import fields, ticker_type
from mock_server.endpoints.spec import spec_schema
from mock_server.rules.params import Text

_WINDOW = re.compile(r"([1-9][0-9]?)([mhd])")
_MOST = {"m": 59, "h": 23, "d": 7}
_UNIT_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}


class Request(NamedTuple):
    asked: Asked
    window_ms: int
    full: bool


WINDOW_RANGE = "^[1-9][0-9]?[mhd]$"


def window_size(text: str | None, ctx: Context) -> int:
    """`1m`..`59m`, `1h`..`23h`, `1d`..`7d` (default 1d); anything else is -1130 (F45)."""
    found = _WINDOW.fullmatch(text or "1d")
    if found is None or int(found.group(1)) > _MOST[found.group(2)]:
        raise malformed(ctx, "windowSize", WINDOW_RANGE)
    return int(found.group(1)) * _UNIT_MS[found.group(2)]


def rules(values: Values, ctx: Context) -> Request:
    kind = ticker_type(values["type"])
    return Request(
        asked(ctx, values, required=True, most=100), window_size(values["windowSize"], ctx), kind == "FULL"
    )


def respond(r: Request, ctx: Context) -> bytes:
    m, now = market(ctx), ctx.now_ms
    start = (now - r.window_ms) // 60_000 * 60_000
    return each(r.asked, lambda p: fields(p, m.summary(p, start, now, now), start, now, r.full, False, ctx))


def weight(first: dict[str, str]) -> int:
    return min(4 * (count(first) or 1), 200)


ENDPOINT = Endpoint(
    "GET", "/api/v3/ticker", "Rolling window price change statistics", respond, spec_schema("GET", "/api/v3/ticker"),
    weight=4, weight_of=weight, params=(Text("symbol"), Text("symbols"), Text("windowSize"), Text("type")),
    rules=rules, tier="world", operation_id="getTicker",
)  # fmt: skip
