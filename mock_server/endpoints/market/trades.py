"""GET /api/v3/trades: the most recent trades (world tier)."""

from __future__ import annotations

from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import dumps, limit, market, pair
from mock_server.endpoints.spec import spec_schema
from mock_server.market.model import Trade
from mock_server.market.symbols import Pair
from mock_server.market.text import decimal
from mock_server.rules.params import Long, Text


class Request(NamedTuple):
    pair: Pair
    limit: int
    from_id: int | None = None


def rules(values: Values, ctx: Context) -> Request:
    return Request(pair(ctx, values["symbol"]), limit(ctx, values["limit"], 500, 1000), values.get("fromId"))


def trade_json(p: Pair, t: Trade) -> dict[str, Any]:
    return {
        "id": t.id, "price": decimal(t.price, p.price_digits), "qty": decimal(t.qty, p.qty_digits),
        "quoteQty": decimal(t.price * t.qty, p.price_digits + p.qty_digits), "time": t.time_ms,
        "isBuyerMaker": t.buyer_maker, "isBestMatch": True,
    }  # fmt: skip


def respond(r: Request, ctx: Context) -> bytes:
    return dumps([trade_json(r.pair, t) for t in market(ctx).last_trades(r.pair, ctx.now_ms, r.limit)])


ENDPOINT = Endpoint(
    "GET", "/api/v3/trades", "Recent trades list", respond, spec_schema("GET", "/api/v3/trades"), weight=25,
    params=(Text("symbol", required=True), Long("limit")), rules=rules, tier="world", operation_id="getTrades",
)  # fmt: skip
