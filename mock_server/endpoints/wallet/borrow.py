"""Margin borrowing and repaying (world tier): POST and GET /sapi/v1/margin/borrow-repay,
GET /sapi/v1/margin/maxBorrowable and GET /sapi/v1/margin/interestHistory.

A loan goes into the cross margin wallet, or with isIsolated=TRUE into the symbol's isolated
wallet; what may be borrowed and what may leave follow the wallet's worth at the market's prices
(valuation.py); interest is charged by the hour (mock_server/state/loans.py).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Security, Values
from mock_server.endpoints.market.common import dumps
from mock_server.endpoints.spec import spec_schema
from mock_server.endpoints.wallet.common import WINDOW_PARAMS, Window, page, positive_amount, window
from mock_server.endpoints.wallet.valuation import inventory, max_borrowable
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Choice, Long, Text
from mock_server.rules.params import Decimal as DecimalParam
from mock_server.state.accounts import MARGIN_PERMISSION
from mock_server.state.loans import daily_rate
from mock_server.state.operations import Operations
from mock_server.state.wallets import eight_decimals

PATH = "/sapi/v1/margin/borrow-repay"


def _wallet(isolated: bool, symbol: str | None) -> str:
    if not isolated:
        return "MARGIN"
    if not symbol:
        raise BinanceError(errors.MANDATORY_PARAM, "symbol")
    return f"ISOLATED:{symbol.upper()}"


def _known_asset(ctx: Context, asset: str) -> str:
    assert ctx.market is not None
    if asset not in {a for p in ctx.market.pairs for a in (p.base, p.quote)}:
        raise BinanceError(errors.NOT_VALID_MARGIN_ASSET)
    return asset


# --- POST /sapi/v1/margin/borrow-repay ---


class Loan(NamedTuple):
    wallet: str
    asset: str
    amount: Decimal
    borrow: bool
    tran_id: int = 0


def loan_rules(values: Values, ctx: Context) -> Loan:
    wallet = _wallet(values["isIsolated"] == "TRUE", values["symbol"])
    asset = _known_asset(ctx, values["asset"].upper())
    return Loan(wallet, asset, positive_amount(values["amount"]), values["type"] == "BORROW")


def loan_write(loan: Loan, ctx: Context, ops: Operations) -> Loan:
    ops.accrue()
    if loan.borrow:
        most = max_borrowable(ctx, loan.wallet, loan.asset)
        tran_id = ops.borrow(loan.wallet, loan.asset, loan.amount, most, inventory(ctx, loan.asset))
    else:
        tran_id = ops.repay(loan.wallet, loan.asset, loan.amount)
    return loan._replace(tran_id=tran_id)


def loan_answer(loan: Loan, ctx: Context) -> bytes:
    return b'{"tranId":%d}' % loan.tran_id


def _tran_id_schema(profile: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["tranId"], "properties": {"tranId": {"type": "integer"}}}


BORROW_REPAY = Endpoint(
    "POST", PATH, "Margin account borrow/repay", loan_answer, _tran_id_schema, security=Security.SIGNED,
    weight=1500, weight_kind="UID", permission=MARGIN_PERMISSION, margin_account=True,
    params=(Text("asset", required=True), Choice("isIsolated", ("TRUE", "FALSE"), default="FALSE"),
            Text("symbol"), DecimalParam("amount", required=True),
            Choice("type", ("BORROW", "REPAY"), required=True)),
    rules=loan_rules, write=loan_write, tier="world", operation_id="createMarginBorrowRepay",
)  # fmt: skip


# --- GET /sapi/v1/margin/borrow-repay and /interestHistory ---


class LoanQuery(NamedTuple):
    type: str
    asset: str | None
    symbol: str | None
    tx_id: int | None
    window: Window


def loans_rules(values: Values, ctx: Context) -> LoanQuery:
    asset = values["asset"].upper() if values["asset"] else None
    return LoanQuery(values["type"], asset, values["isolatedSymbol"], values["txId"], window(values, ctx))


def loans_answer(q: LoanQuery, ctx: Context) -> bytes:
    assert ctx.loans is not None and ctx.account is not None
    rows = [
        r for r in reversed(ctx.loans.loans.get(ctx.account.api_key, []))
        if r.type == q.type and (q.asset is None or r.asset == q.asset)
        and (q.symbol is None or r.isolated_symbol == q.symbol) and (q.tx_id is None or r.tx_id == q.tx_id)
        and (q.tx_id is not None or q.window.start <= r.timestamp <= q.window.end)
    ]  # fmt: skip
    listed = [
        {"isolatedSymbol": r.isolated_symbol, "amount": eight_decimals(r.amount), "asset": r.asset,
         "interest": eight_decimals(r.interest), "principal": eight_decimals(r.principal), "status": "CONFIRMED",
         "timestamp": r.timestamp, "txId": r.tx_id}
        for r in page(rows, q.window)
    ]  # fmt: skip
    return dumps({"rows": listed, "total": len(rows)})


LOANS = Endpoint(
    "GET", PATH, "Query borrow/repay records in Margin account", loans_answer,
    spec_schema("GET", PATH), security=Security.SIGNED, weight=10, permission=MARGIN_PERMISSION,
    margin_account=True, paced=True,
    params=(Text("asset"), Text("isolatedSymbol"), Long("txId"), *WINDOW_PARAMS,
            Choice("type", ("BORROW", "REPAY"), required=True)),
    rules=loans_rules, tier="world", operation_id="getMarginBorrowRepay",
)  # fmt: skip


class InterestQuery(NamedTuple):
    asset: str | None
    symbol: str | None
    window: Window


def interest_rules(values: Values, ctx: Context) -> InterestQuery:
    asset = values["asset"].upper() if values["asset"] else None
    return InterestQuery(asset, values["isolatedSymbol"], window(values, ctx))


def interest_answer(q: InterestQuery, ctx: Context) -> bytes:
    assert ctx.loans is not None and ctx.account is not None
    rows = [
        c for c in reversed(ctx.loans.charges.get(ctx.account.api_key, []))
        if (q.asset is None or c.asset == q.asset) and (q.symbol is None or c.isolated_symbol == q.symbol)
        and q.window.start <= c.time_ms <= q.window.end
    ]  # fmt: skip
    listed = [
        {"txId": c.tx_id, "interestAccuredTime": c.time_ms, "asset": c.asset, "rawAsset": c.asset,
         "principal": eight_decimals(c.principal), "interest": eight_decimals(c.interest),
         "interestRate": f"{daily_rate(c.asset):.8f}", "type": c.type, "isolatedSymbol": c.isolated_symbol}
        for c in page(rows, q.window)
    ]  # fmt: skip
    return dumps({"rows": listed, "total": len(rows)})


INTEREST = Endpoint(
    "GET", "/sapi/v1/margin/interestHistory", "Get Interest History", interest_answer,
    spec_schema("GET", "/sapi/v1/margin/interestHistory"), security=Security.SIGNED, weight=1,
    permission=MARGIN_PERMISSION, margin_account=True, paced=True,
    params=(Text("asset"), Text("isolatedSymbol"), *WINDOW_PARAMS),
    rules=interest_rules, tier="world", operation_id="getMarginInterestHistory",
)  # fmt: skip


# --- GET /sapi/v1/margin/maxBorrowable ---


def max_borrowable_rules(values: Values, ctx: Context) -> tuple[str, str]:
    symbol = values["isolatedSymbol"]
    return _wallet(symbol is not None, symbol), _known_asset(ctx, values["asset"].upper())


def max_borrowable_answer(request: tuple[str, str], ctx: Context) -> bytes:
    wallet, asset = request
    amount = max_borrowable(ctx, wallet, asset)
    limit = inventory(ctx, asset, Decimal(0))  # the most this mock lends of the asset at all
    return b'{"amount":"%s","borrowLimit":"%s"}' % (
        eight_decimals(amount).encode(),
        eight_decimals(limit).encode(),
    )


def _amount_limit_schema(profile: Any) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["amount", "borrowLimit"],
        "properties": {"amount": text, "borrowLimit": text},
    }


MAX_BORROWABLE = Endpoint(
    "GET", "/sapi/v1/margin/maxBorrowable", "Query Max Borrow", max_borrowable_answer, _amount_limit_schema,
    security=Security.SIGNED, weight=50, permission=MARGIN_PERMISSION, margin_account=True, paced=True,
    params=(Text("asset", required=True), Text("isolatedSymbol")), rules=max_borrowable_rules, tier="world",
    operation_id="getMarginMaxBorrowable",
)  # fmt: skip

ENDPOINTS = (BORROW_REPAY, LOANS, INTEREST, MAX_BORROWABLE)
