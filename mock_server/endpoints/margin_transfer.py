"""GET /sapi/v1/margin/transfer: Get Cross Margin Transfer History (USER_DATA), exact tier.

Parameters as on the page's table, in its order; `rules` is the time window (F6-F8, F25) and
the isolated symbol (F13); `respond` reads one page off the ledger, newest first.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Paging, Security, Values
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import (
    DEFAULT_SIZE,
    DEFAULT_WINDOW_MS,
    MAX_SIZE,
    MAX_WINDOW_MS,
    Profile,
    Switch,
)
from mock_server.rules.params import Choice, Long, Text
from mock_server.state.accounts import MARGIN_PERMISSION
from mock_server.state.ledger import STATUSES, TYPES, WALLETS, Page, Query

PATH = "/sapi/v1/margin/transfer"
BELOW_MIN_AS_DEFAULT = Switch("below_min", "default")  # F4


class Request(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    query: Query
    empty: bool = False  # F8 alternative, F13 with an unknown symbol: answer an empty page


def window(values: Values, ctx: Context) -> Request:
    """F6-F8, F25: the window's bounds; F13: an isolated symbol this account never used."""
    profile = ctx.profile
    start, end = values["startTime"], values["endTime"]
    if end is None:
        end = (
            start + DEFAULT_WINDOW_MS
            if start is not None and profile.missing_end == "start_plus_7d"
            else ctx.now_ms
        )
    if start is None:
        start = end - DEFAULT_WINDOW_MS
    symbol = values["isolatedSymbol"]
    query = Query(start, end, values["current"], values["size"], values["asset"], values["type"], symbol)
    if start > end:
        if profile.start_after_end == "empty":
            return Request(query, empty=True)
        raise BinanceError(errors.BAD_DATE_RANGE)
    if end - start > MAX_WINDOW_MS:
        if profile.window_too_long == "-3011":
            raise BinanceError(errors.BAD_DATE_RANGE)
        raise BinanceError(errors.MORE_THAN_HOURS, MAX_WINDOW_MS // 3_600_000)
    assert ctx.account is not None  # a SIGNED endpoint
    if symbol is not None and not ctx.ledger.has_symbol(ctx.account.api_key, symbol):
        if profile.unknown_isolated_symbol == "error":
            raise BinanceError(errors.ISOLATED_ACCOUNT_MISSING)
        return Request(query, empty=True)
    return Request(query)


def respond(request: Request, ctx: Context) -> bytes:
    assert ctx.account is not None
    profile = ctx.profile
    page = Page(0) if request.empty else ctx.ledger.query(ctx.account.api_key, request.query)
    if not page.count and profile.empty_rows == "absent":  # F2
        return b'{"total":%d}' % page.total
    tail = b'],"total":%d}' % page.total
    if page.count and profile.row_timestamp_unit == "s":  # F1 alternative
        rows = page.rows()
        for row in rows:
            row["timestamp"] //= 1000
        return b'{"rows":[' + json.dumps(rows, separators=(",", ":")).encode()[1:-1] + tail
    return page.framed(b'{"rows":[', tail)


def schema(profile: Profile) -> dict[str, Any]:
    wallet = {"type": "string", "enum": list(WALLETS)}
    row = {
        "type": "object",
        "required": ["amount", "asset", "status", "timestamp", "txId", "type"],
        "properties": {
            "amount": {"type": "string", "pattern": r"^[0-9]+\.[0-9]{8}$"},
            "asset": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "timestamp": {"type": "integer", "format": "int64"},
            "txId": {"type": "integer", "format": "int64"},
            "type": {"type": "string", "enum": list(TYPES)},
            "transFrom": wallet,
            "transTo": wallet,
            "fromSymbol": {"type": "string"},
            "toSymbol": {"type": "string"},
        },
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "required": ["total"] if profile.empty_rows == "absent" else ["rows", "total"],
        "properties": {"rows": {"type": "array", "items": row}, "total": {"type": "integer", "minimum": 0}},
        "additionalProperties": False,
    }


ENDPOINT = Endpoint(
    method="GET",
    path=PATH,
    summary="Get Cross Margin Transfer History (USER_DATA)",
    operation_id="getCrossMarginTransferHistory",
    security=Security.SIGNED,
    weight=1,
    weight_kind="IP",
    permission=MARGIN_PERMISSION,
    paging=Paging(DEFAULT_WINDOW_MS, MAX_WINDOW_MS, MAX_SIZE),
    margin_account=True,
    paced=True,
    params=(
        Text("asset"),
        Choice("type", TYPES, invalid=Switch("bad_type", "-1100")),
        Long("startTime", description="UTC ms, inclusive"),
        Long("endTime", description="UTC ms, inclusive"),
        Long("current", default=1, minimum=1, below=BELOW_MIN_AS_DEFAULT, description="page, from 1"),
        Long(
            "size",
            default=DEFAULT_SIZE,
            minimum=1,
            maximum=MAX_SIZE,
            below=BELOW_MIN_AS_DEFAULT,
            above=Switch("size_over_max", "clamp"),
            description="rows a page, default 10",
        ),
        Text("isolatedSymbol"),
    ),
    rules=window,
    answer=respond,
    schema=schema,
)
