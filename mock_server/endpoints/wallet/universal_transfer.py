"""POST and GET /sapi/v1/asset/transfer: User Universal Transfer and its history (world tier).

The POST moves funds between two of the account's wallets (mock_server/state/universal.py says
which types are served and what each writes); the GET pages the account's universal transfers
of one type, newest first, over the last seven days by default and six months at most.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Security, Values
from mock_server.endpoints.market.common import dumps
from mock_server.endpoints.wallet.common import WINDOW_PARAMS, Window, page, positive_amount, window
from mock_server.endpoints.wallet.valuation import max_transferable
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import Switch
from mock_server.rules.params import Choice, Text
from mock_server.rules.params import Decimal as DecimalParam
from mock_server.state.accounts import UNIVERSAL_TRANSFER_PERMISSION
from mock_server.state.operations import Operations
from mock_server.state.universal import HISTORY_MS, KINDS, UNHELD, Kind

PATH = "/sapi/v1/asset/transfer"
TYPES = (*KINDS, *UNHELD)
ENUM_AS_1100 = Switch("bad_enum", "-1100")  # F38, as on the spec tier's enums
WEIGHT = 900  # the docs' Weight(UID); the OpenAPI description says 1 (IP): the docs win


class Transfer(NamedTuple):
    kind: Kind
    asset: str
    amount: Decimal
    from_symbol: str | None
    to_symbol: str | None
    tran_id: int = 0


def transfer_rules(values: Values, ctx: Context) -> Transfer:
    name = values["type"]
    kind = KINDS.get(name)
    if kind is None:  # F50: a type whose other wallet the mock does not hold
        raise BinanceError(errors.INVALID_PARAMETER, "type")
    for needed, sent in ((kind.from_isolated, "fromSymbol"), (kind.to_isolated, "toSymbol")):
        if needed and values[sent] is None:
            raise BinanceError(errors.MANDATORY_PARAM, sent)
    amount = positive_amount(values["amount"])
    asset = values["asset"].upper()
    from_symbol = values["fromSymbol"] if kind.from_isolated else None
    to_symbol = values["toSymbol"] if kind.to_isolated else None
    if kind.from_isolated and kind.to_isolated and from_symbol == to_symbol:
        raise BinanceError(errors.INVALID_PARAMETER, "toSymbol")
    touches_margin = "MARGIN" in (kind.source, kind.target) or kind.from_isolated or kind.to_isolated
    assert ctx.account is not None  # a SIGNED endpoint
    if touches_margin and not ctx.account.margin_account:
        raise BinanceError(errors.NO_MARGIN_ACCOUNT)  # F21
    return Transfer(kind, asset, amount, from_symbol, to_symbol)


def transfer_write(t: Transfer, ctx: Context, ops: Operations) -> Transfer:
    ops.accrue()  # what a margin wallet owes now holds some of it back
    source = t.kind.source + (t.from_symbol or "") if t.kind.from_isolated else t.kind.source
    max_out = max_transferable(ctx, source, t.asset) if t.kind.out_of_margin else None
    return t._replace(
        tran_id=ops.universal_transfer(t.kind, t.asset, t.amount, t.from_symbol, t.to_symbol, max_out)
    )


def transfer_answer(t: Transfer, ctx: Context) -> bytes:
    return b'{"tranId":%d}' % t.tran_id


def transfer_schema(profile: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["tranId"], "properties": {"tranId": {"type": "integer"}}}


TRANSFER = Endpoint(
    "POST", PATH, "User Universal Transfer", transfer_answer, transfer_schema,
    security=Security.SIGNED, weight=WEIGHT, weight_kind="UID", permission=UNIVERSAL_TRANSFER_PERMISSION,
    params=(Choice("type", TYPES, required=True, invalid=ENUM_AS_1100), Text("asset", required=True),
            DecimalParam("amount", required=True), Text("fromSymbol"), Text("toSymbol")),
    rules=transfer_rules, write=transfer_write, tier="world", operation_id="createAssetTransfer",
)  # fmt: skip


class Query(NamedTuple):
    type: str
    window: Window
    from_symbol: str | None
    to_symbol: str | None


def history_rules(values: Values, ctx: Context) -> Query:
    w = window(values, ctx)
    w = w._replace(start=max(w.start, ctx.now_ms - HISTORY_MS))  # the last six months only
    return Query(values["type"], w, values["fromSymbol"], values["toSymbol"])


def history_answer(q: Query, ctx: Context) -> bytes:
    assert ctx.universal is not None and ctx.account is not None
    rows = ctx.universal.rows(
        ctx.account.api_key, q.type, q.window.start, q.window.end, q.from_symbol, q.to_symbol
    )
    return dumps({"total": len(rows), "rows": [r.to_json() for r in page(rows, q.window)]})


def history_schema(profile: Any) -> dict[str, Any]:
    row = {
        "type": "object",
        "required": ["asset", "amount", "type", "status", "tranId", "timestamp"],
        "properties": {
            "asset": {"type": "string"}, "amount": {"type": "string"}, "type": {"type": "string"},
            "status": {"type": "string"}, "tranId": {"type": "integer"}, "timestamp": {"type": "integer"},
            "fromSymbol": {"type": "string"}, "toSymbol": {"type": "string"},
        },
    }  # fmt: skip
    return {
        "type": "object",
        "required": ["total", "rows"],
        "properties": {"total": {"type": "integer"}, "rows": {"type": "array", "items": row}},
    }


HISTORY = Endpoint(
    "GET", PATH, "Query User Universal Transfer History", history_answer, history_schema,
    security=Security.SIGNED, weight=1, weight_kind="IP", permission=None,
    params=(Choice("type", TYPES, required=True, invalid=ENUM_AS_1100), *WINDOW_PARAMS, Text("fromSymbol"),
            Text("toSymbol")),
    rules=history_rules, tier="world", operation_id="getAssetTransfer",
)  # fmt: skip

ENDPOINTS = (TRANSFER, HISTORY)
