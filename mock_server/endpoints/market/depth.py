"""GET /api/v3/depth: the order book, synthetic around the last price (world tier)."""

from __future__ import annotations

from typing import NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import market, number, pair
from mock_server.endpoints.spec import spec_schema
from mock_server.market.book import MAX_LEVELS, book_levels
from mock_server.market.symbols import Pair
from mock_server.market.text import levels_json
from mock_server.rules.params import Long, Text


class Request(NamedTuple):
    pair: Pair
    limit: int


def rules(values: Values, ctx: Context) -> Request:
    # A limit over 5,000 answers 5,000 levels (the docs: "will truncate to 5000").
    return Request(pair(ctx, values["symbol"]), min(values["limit"], MAX_LEVELS))


def respond(r: Request, ctx: Context) -> bytes:
    # The text a json.dumps of the levels as `decimal` strings would make (text.levels_json),
    # from the book's arrays (remembered by instant, shared with the diff depth streams).
    b = book_levels(market(ctx), r.pair, ctx.now_ms, r.limit)
    pd, qd = r.pair.price_digits, r.pair.qty_digits
    bids, asks = levels_json(b.bid_prices, b.bid_qtys, pd, qd), levels_json(b.ask_prices, b.ask_qtys, pd, qd)
    return f'{{"lastUpdateId":{b.update_id},"bids":{bids},"asks":{asks}}}'.encode()


def weight(limit: int) -> int:
    """The docs' weights by limit: 1-100: 5, 101-500: 25, 501-1000: 50, 1001-5000: 250."""
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


ENDPOINT = Endpoint(
    "GET", "/api/v3/depth", "Order book", respond, spec_schema("GET", "/api/v3/depth"), weight=5,
    weight_of=lambda first: weight(number(first, "limit", 100)),
    params=(Text("symbol", required=True), Long("limit", default=100, minimum=1)), rules=rules, tier="world",
    operation_id="getDepth",
)  # fmt: skip
