"""GET /api/v3/aggTrades: aggregate trades (world tier).

The market's trades all differ in price or taker, so each aggregate holds one trade: its id is
the trade's (`a` = `f` = `l`). fromId, startTime and endTime are inclusive; with a start time the
oldest trades from it, else the newest; no limit on the span since 2022."""

from __future__ import annotations

from typing import NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import dumps, exclusive, limit, market, pair
from mock_server.endpoints.spec import spec_schema
from mock_server.market.symbols import Pair
from mock_server.market.text import decimal
from mock_server.rules.params import Long, Text


class Request(NamedTuple):
    pair: Pair
    from_id: int | None
    start: int | None
    end: int | None
    limit: int


def rules(values: Values, ctx: Context) -> Request:
    found = pair(ctx, values["symbol"])
    timed = values["startTime"] is not None or values["endTime"] is not None
    if exclusive(ctx, values["fromId"] is not None and timed):  # fromId wins
        return Request(found, values["fromId"], None, None, limit(ctx, values["limit"], 500, 1000))
    return Request(
        found,
        values["fromId"],
        values["startTime"],
        values["endTime"],
        limit(ctx, values["limit"], 500, 1000),
    )


def respond(r: Request, ctx: Context) -> bytes:
    m, now = market(ctx), ctx.now_ms
    if r.from_id is not None:
        trades = m.trades_from_id(r.pair, r.from_id, now, r.limit)
    elif r.start is not None:
        trades = m.trades_between(r.pair, r.start, min(r.end if r.end is not None else now, now), r.limit)
    elif r.end is not None:
        trades = m.last_trades(r.pair, min(r.end, now), r.limit) if r.end >= 0 else []
    else:
        trades = m.last_trades(r.pair, now, r.limit)
    pd, qd = r.pair.price_digits, r.pair.qty_digits
    return dumps([
        {"a": t.id, "p": decimal(t.price, pd), "q": decimal(t.qty, qd), "f": t.id, "l": t.id, "T": t.time_ms,
         "m": t.buyer_maker, "M": True}
        for t in trades
    ])  # fmt: skip


ENDPOINT = Endpoint(
    "GET", "/api/v3/aggTrades", "Compressed/Aggregate trades list", respond, spec_schema("GET", "/api/v3/aggTrades"),
    weight=4, params=(Text("symbol", required=True), Long("fromId"), Long("startTime"), Long("endTime"), Long("limit")),
    rules=rules, tier="world", operation_id="getAggTrades",
)  # fmt: skip
