"""GET /api/v3/historicalTrades: trades from an id on, or the most recent (world tier).

Security NONE since 2023: a key sent in X-MBX-APIKEY is ignored (ccxt still sends one)."""

from __future__ import annotations

from mock_server.endpoints.declaration import Context, Endpoint
from mock_server.endpoints.market.common import dumps, market
from mock_server.endpoints.market.trades import Request, rules, trade_json
from mock_server.endpoints.spec import spec_schema
from mock_server.rules.params import Long, Text


def respond(r: Request, ctx: Context) -> bytes:
    m = market(ctx)
    if r.from_id is None:
        trades = m.last_trades(r.pair, ctx.now_ms, r.limit)
    else:
        trades = m.trades_from_id(r.pair, r.from_id, ctx.now_ms, r.limit)
    return dumps([trade_json(r.pair, t) for t in trades])


ENDPOINT = Endpoint(
    "GET", "/api/v3/historicalTrades", "Old trade lookup", respond, spec_schema("GET", "/api/v3/historicalTrades"),
    weight=25, params=(Text("symbol", required=True), Long("limit"), Long("fromId")), rules=rules, tier="world",
    operation_id="getHistoricalTrades",
)  # fmt: skip
