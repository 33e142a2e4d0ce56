"""GET /api/v3/klines: Kline/Candlestick data, from the seeded market (world tier)."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import dumps, limit, malformed, market, pair
from mock_server.endpoints.spec import spec_schema
from mock_server.market.klines import INTERVALS, klines, next_open, opens, row
from mock_server.market.symbols import Pair
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Long, Text

_TIME_ZONE = re.compile(r"([+-]?)(\d{1,2})(?::(\d{2}))?")
TIME_ZONE_RANGE = "[-12:00 to +14:00]"


class Request(NamedTuple):
    pair: Pair
    interval: str
    start: int | None
    end: int | None
    limit: int
    tz_ms: int


TIME_ZONE_RANGE = "^[+-]?[0-9]{1,2}(:[0-9]{2})?$"


def time_zone(text: str | None, ctx: Context) -> int:
    """`timeZone`: hours and minutes ("-1:00", "05:45") or hours ("8"), from -12:00 to +14:00 (a leading + too: F48); else -1130 (F45)."""
    if text is None:
        return 0
    found = _TIME_ZONE.fullmatch(text)
    if found is None:
        raise malformed(ctx, "timeZone", TIME_ZONE_RANGE)
    sign = -1 if found.group(1) == "-" else 1
    minutes = int(found.group(2)) * 60 + int(found.group(3) or 0)
    if int(found.group(3) or 0) >= 60 or not -12 * 60 <= sign * minutes <= 14 * 60:
        raise malformed(ctx, "timeZone", TIME_ZONE_RANGE)
    return sign * minutes * 60_000


def rules(values: Values, ctx: Context) -> Request:
    found = pair(ctx, values["symbol"])
    if values["interval"] not in INTERVALS:
        raise BinanceError(errors.BAD_INTERVAL)
    tz = time_zone(values["timeZone"], ctx)
    count = limit(ctx, values["limit"], 500, 1000)
    return Request(found, values["interval"], values["startTime"], values["endTime"], count, tz)


def respond(r: Request, ctx: Context) -> bytes:
    now = ctx.now_ms
    if r.start is not None and r.end is not None and r.start > r.end:
        return b"[]"
    # No kline ends before the pair's first trade; a start before it asks for the first klines
    # (python-binance finds a pair's earliest kline with startTime=0&limit=1).
    listed = market(ctx).listed_ms(r.pair)
    start = max(r.start, listed) if r.start is not None else None
    times = [t for t in opens(r.interval, start, r.end, r.limit, now, r.tz_ms)
             if next_open(r.interval, t, r.tz_ms) > listed]  # fmt: skip
    rows: list[Any] = [
        row(r.pair, t, next_open(r.interval, t, r.tz_ms) - 1, s)
        for t, s in zip(times, klines(market(ctx), r.pair, r.interval, times, now, r.tz_ms), strict=True)
    ]
    return dumps(rows)


PARAMS = (
    Text("symbol", required=True),
    Text("interval", required=True),
    Long("startTime"),
    Long("endTime"),
    Text("timeZone"),
    Long("limit"),
)

ENDPOINT = Endpoint(
    "GET", "/api/v3/klines", "Kline/Candlestick data", respond, spec_schema("GET", "/api/v3/klines"),
    weight=2, params=PARAMS, rules=rules, tier="world", operation_id="getKlines",
)  # fmt: skip
