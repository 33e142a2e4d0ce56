"""GET /sapi/v1/margin/transfer: Get Cross Margin Transfer History (USER_DATA).

`validate` is steps 7-8 of F16 (parameters, then the time window); `respond` reads the
ledger. The exchange runs injected and paced faults between the two.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from mock_server import errors
from mock_server.errors import BinanceError
from mock_server.fidelity import (
    DEFAULT_SIZE,
    DEFAULT_WINDOW_MS,
    MAX_SIZE,
    MAX_WINDOW_MS,
    Profile,
)
from mock_server.ledger import TYPES, Ledger, Page, Query
from mock_server.params import Params, parse_long

PATH = "/sapi/v1/margin/transfer"
WEIGHT = 1
# The page's parameter table, in its order: validation reports the first bad one.
PARAMETERS = ("asset", "type", "startTime", "endTime", "current", "size", "isolatedSymbol",
              "recvWindow", "timestamp", "signature")  # fmt: skip
_TYPE_LEGAL_RANGE = "^(ROLL_IN|ROLL_OUT)$"


class Request(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    query: Query
    empty: bool = False  # F8 alternative, F13 with an unknown symbol: answer an empty page


def _optional(params: Params, name: str) -> str | None:
    # F29: an empty value counts as not sent.
    value = params.get(name)
    return value if value else None


def _page_number(params: Params, name: str, default: int, profile: Profile) -> int:
    text = _optional(params, name)
    if text is None:
        return default
    value = parse_long(name, text)
    if value < 1:
        if profile.below_min == "default":
            return default
        raise BinanceError(errors.INVALID_PARAMETER, name)  # F4
    if name == "size" and value > MAX_SIZE:
        if profile.size_over_max == "clamp":
            return MAX_SIZE
        raise BinanceError(errors.INVALID_PARAMETER, name)  # F3
    return value


def validate(params: Params, now_ms: int, profile: Profile, ledger: Ledger, api_key: str) -> Request:
    # F11: a repeated parameter.
    if params.first_duplicate() is not None:
        raise BinanceError(errors.DUPLICATE_PARAM)
    # F12: unknown parameters.
    if profile.unknown_param == "error":
        read = [n for n in params.names() if n in PARAMETERS]
        if len(read) != len(params.items):
            raise BinanceError(errors.UNREAD_PARAMETERS, len(read), len(params.items))

    asset = _optional(params, "asset")
    type_ = _optional(params, "type")
    if type_ is not None and type_ not in TYPES:  # F9
        if profile.bad_type == "-1100":
            raise BinanceError(errors.ILLEGAL_CHARS_PARAM, "type", _TYPE_LEGAL_RANGE)
        raise BinanceError(errors.INVALID_PARAMETER, "type")
    start_text = _optional(params, "startTime")
    end_text = _optional(params, "endTime")
    start = parse_long("startTime", start_text) if start_text is not None else None
    end = parse_long("endTime", end_text) if end_text is not None else None
    current = _page_number(params, "current", 1, profile)
    size = _page_number(params, "size", DEFAULT_SIZE, profile)
    symbol = _optional(params, "isolatedSymbol")

    # F6-F8, F25: the window.
    if end is None:
        end = (
            start + DEFAULT_WINDOW_MS
            if start is not None and profile.missing_end == "start_plus_7d"
            else now_ms
        )
    if start is None:
        start = end - DEFAULT_WINDOW_MS
    query = Query(
        start_ms=start, end_ms=end, current=current, size=size, asset=asset, type=type_, symbol=symbol
    )
    if start > end:
        if profile.start_after_end == "empty":
            return Request(query, empty=True)
        raise BinanceError(errors.BAD_DATE_RANGE)
    if end - start > MAX_WINDOW_MS:
        if profile.window_too_long == "-3011":
            raise BinanceError(errors.BAD_DATE_RANGE)
        raise BinanceError(errors.MORE_THAN_HOURS, MAX_WINDOW_MS // 3_600_000)

    # F13: an isolated symbol this account never used.
    if symbol is not None and not ledger.has_symbol(api_key, symbol):
        if profile.unknown_isolated_symbol == "error":
            raise BinanceError(errors.ISOLATED_ACCOUNT_MISSING)
        return Request(query, empty=True)
    return Request(query)


def respond(request: Request, ledger: Ledger, api_key: str, profile: Profile) -> bytes:
    page = Page(0) if request.empty else ledger.query(api_key, request.query)
    body = page.body
    if page.count and profile.row_timestamp_unit == "s":  # F1 alternative
        rows = page.rows()
        for row in rows:
            row["timestamp"] //= 1000
        body = json.dumps(rows, separators=(",", ":")).encode()[1:-1]
    if not page.count and profile.empty_rows == "absent":  # F2
        return b'{"total":%d}' % page.total
    return b'{"rows":[' + body + b'],"total":%d}' % page.total
