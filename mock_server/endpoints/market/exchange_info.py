"""GET /api/v3/exchangeInfo: the rules and symbols of the market (world tier).

Every listed pair with Binance's current field order, the filters orders will be checked against
(tick and lot sizes of the pair, Binance's usual bounds otherwise), and `rateLimits` equal to what
this mock enforces (its own REQUEST_WEIGHT limit, `--ip-weight-limit` or not).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Values
from mock_server.endpoints.market.common import Asked, asked, dumps, exclusive
from mock_server.endpoints.spec import spec_schema
from mock_server.market.symbols import Pair
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Text
from mock_server.trading.filters import Filters

ORDER_TYPES = [
    "LIMIT",
    "LIMIT_MAKER",
    "MARKET",
    "STOP_LOSS",
    "STOP_LOSS_LIMIT",
    "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
]
STP_MODES = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT", "TRANSFER"]
PERMISSIONS = ("SPOT", "MARGIN", "LEVERAGED", *(f"TRD_GRP_{n:03d}" for n in range(2, 26)))
STATUSES = ("TRADING", "HALT", "BREAK")
_PERMISSION_LIST = re.compile(r'\[("[A-Z0-9_]{1,20}"(,"[A-Z0-9_]{1,20}")*)?\]')


class Request(NamedTuple):
    asked: Asked
    permissions: frozenset[str] | None
    show_sets: bool
    status: str | None


def rules(values: Values, ctx: Context) -> Request:
    named = values["symbol"] is not None or values["symbols"] is not None
    if exclusive(ctx, named and (values["permissions"] is not None or values["symbolStatus"] is not None)):
        values = {**values, "permissions": None, "symbolStatus": None}  # the symbols win
    status = values["symbolStatus"]
    if status is not None and status not in STATUSES:
        raise BinanceError(errors.INVALID_SYMBOL_STATUS)
    show = values["showPermissionSets"]
    if show is not None and show not in ("true", "false"):
        raise BinanceError(errors.INVALID_PARAMETER, "showPermissionSets")
    return Request(asked(ctx, values), _permissions(values["permissions"]), show != "false", status)


def _permissions(text: str | None) -> frozenset[str] | None:
    if text is None:
        return None
    names = json.loads(text) if _PERMISSION_LIST.fullmatch(text) else [text]
    if not names or any(n not in PERMISSIONS for n in names):
        raise BinanceError(errors.INVALID_PARAMETER, "permissions")
    return frozenset(names)


def symbol_info(p: Pair, show_sets: bool) -> dict[str, Any]:
    return {
        "symbol": p.symbol, "status": "TRADING", "baseAsset": p.base, "baseAssetPrecision": 8,
        "quoteAsset": p.quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8, "orderTypes": ORDER_TYPES, "icebergAllowed": True,
        # F67: order lists, trailing stops, amendments and pegs are not served.
        "ocoAllowed": False, "otoAllowed": False, "opoAllowed": False, "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False, "cancelReplaceAllowed": True, "amendAllowed": False,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True, "isMarginTradingAllowed": True,
        "filters": Filters.of(p).shown(p),
        "permissions": [],
        "permissionSets": [["SPOT", "MARGIN"]] if show_sets else [],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER", "allowedSelfTradePreventionModes": STP_MODES,
    }  # fmt: skip


def rate_limits(ctx: Context) -> list[dict[str, Any]]:
    """What the mock enforces: its /api weight limit a minute (orders are not limited yet)."""
    assert ctx.weights is not None
    return [
        {
            "rateLimitType": "REQUEST_WEIGHT",
            "interval": "MINUTE",
            "intervalNum": 1,
            "limit": ctx.weights.api_ip.limit,
        },
        {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200_000},
        {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 300_000},
    ]


def respond(r: Request, ctx: Context) -> bytes:
    listed = r.asked.pairs
    if r.permissions is not None and not r.permissions & {"SPOT", "MARGIN"}:
        listed = []  # no pair of the mock trades in the TRD_GRP groups or as LEVERAGED
    if r.status is not None and r.status != "TRADING":
        listed = []
    return dumps({
        "timezone": "UTC", "serverTime": ctx.now_ms, "rateLimits": rate_limits(ctx), "exchangeFilters": [],
        "symbols": [symbol_info(p, r.show_sets) for p in listed],
    })  # fmt: skip


ENDPOINT = Endpoint(
    "GET", "/api/v3/exchangeInfo", "Exchange information", respond, spec_schema("GET", "/api/v3/exchangeInfo"),
    weight=20,
    params=(Text("symbol"), Text("symbols"), Text("permissions"), Text("showPermissionSets"), Text("symbolStatus")),
    rules=rules, tier="world", operation_id="getExchangeInfo",
)  # fmt: skip
