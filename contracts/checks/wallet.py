"""The wallet family's read side: universal transfer history, the spot and margin accounts and
what may leave margin (docs/wallets.md, docs/fidelity.md §13). Signed GETs only, a few hundred
weight in all, so they run on live as on the mock."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import errors
from binance_mock.contracts.outcomes import Skipped
from binance_mock.contracts.registry import check, expect
from binance_mock.contracts.target import PATH, Answer

UNIVERSAL = "/sapi/v1/asset/transfer"
ROW_KEYS = {"asset", "amount", "type", "status", "tranId", "timestamp"}
EIGHT = Decimal("0.00000001")


def _ok(ctx: Context, path: str, params: tuple[tuple[str, Any], ...] = ()) -> Any:
    answer = ctx.get(list(params), path=path)
    expect(answer.status == 200, f"GET {path} answered {answer.describe()}, expected 200")
    return answer.json


def _decimal(value: object, what: str) -> Decimal:
    expect(isinstance(value, str), f"{what} is {value!r}, not a decimal string")
    return Decimal(str(value))


@check(
    "wallet.universal_history",
    "GET /sapi/v1/asset/transfer?type=MAIN_MARGIN answers {total, rows} with rows of that type, newest first.",
    "docs: Query User Universal Transfer History",
)
def universal_history(ctx: Context) -> None:
    body = _ok(ctx, UNIVERSAL, (("type", "MAIN_MARGIN"),))
    expect(isinstance(body, dict) and isinstance(body.get("total"), int), f"answered {body!r:.200}")
    rows = body.get("rows", [])
    expect(
        isinstance(rows, list) and len(rows) <= min(10, body["total"]), f"{len(rows)} rows of {body['total']}"
    )
    for row in rows:
        expect(set(row) >= ROW_KEYS, f"a row lacks {sorted(ROW_KEYS - set(row))}: {row}")
        expect(row["type"] == "MAIN_MARGIN", f"type=MAIN_MARGIN listed a {row['type']} row")
    times = [r["timestamp"] for r in rows]
    expect(times == sorted(times, reverse=True), f"rows are not newest first: {times}")


@check(
    "wallet.universal_type_required",
    "GET /sapi/v1/asset/transfer without type is -1102 for 'type'.",
    "docs: type is mandatory",
)
def universal_type_required(ctx: Context) -> None:
    answer: Answer = ctx.get([], path=UNIVERSAL)
    ctx.expect_error(answer, errors.MANDATORY_PARAM, "type", what="no type")


@check(
    "wallet.margin_arithmetic",
    "In GET /sapi/v1/margin/account each asset's netAsset is free + locked - borrowed - interest, and the "
    "net total is assets minus liabilities.",
    "docs: Query Cross Margin Account Details",
)
def margin_arithmetic(ctx: Context) -> None:
    account = _ok(ctx, "/sapi/v1/margin/account")
    for a in account["userAssets"]:
        free, locked, borrowed, interest, net = (
            _decimal(a[k], f"{a['asset']}.{k}")
            for k in ("free", "locked", "borrowed", "interest", "netAsset")
        )
        expect(net == free + locked - borrowed - interest, f"{a['asset']}: netAsset {net} from {a}")
    total, liability, net_total = (
        _decimal(account[k], k) for k in ("totalAssetOfBtc", "totalLiabilityOfBtc", "totalNetAssetOfBtc")
    )
    expect(abs(total - liability - net_total) <= 2 * EIGHT, f"{total} - {liability} != {net_total}")


@check(
    "wallet.max_transferable",
    "GET /sapi/v1/margin/maxTransferable for an asset the margin account holds is at most its free balance.",
    "docs: Query Max Transfer-Out Amount",
)
def max_transferable(ctx: Context) -> None:
    assets = _ok(ctx, "/sapi/v1/margin/account")["userAssets"]
    held = sorted(assets, key=lambda a: -Decimal(a["free"]))
    asset = held[0] if held else {"asset": "USDT", "free": "0"}
    body = _ok(ctx, "/sapi/v1/margin/maxTransferable", (("asset", asset["asset"]),))
    amount = _decimal(body.get("amount"), "amount")
    expect(
        Decimal(0) <= amount <= Decimal(asset["free"]),
        f"{asset['asset']}: {amount} may leave, free {asset['free']}",
    )


@check(
    "wallet.spot_account",
    "GET /api/v3/account lists balances of {asset, free, locked} as decimal strings, and its commission rates.",
    "docs: Account information",
)
def spot_account(ctx: Context) -> None:
    account = _ok(ctx, "/api/v3/account")
    expect(isinstance(account.get("balances"), list), f"balances is {account.get('balances')!r:.100}")
    for b in account["balances"][:50]:
        expect({"asset", "free", "locked"} <= set(b), f"a balance is {b}")
        _decimal(b["free"], f"{b['asset']}.free")
    rates = account.get("commissionRates", {})
    expect({"maker", "taker", "buyer", "seller"} <= set(rates), f"commissionRates is {rates}")


@check(
    "wallet.round_trip",
    "With --allow-writes only: 1 USDT MAIN_MARGIN then MARGIN_MAIN; both tranIds appear in "
    "the margin transfer history as a ROLL_IN from SPOT to CROSS_MARGIN and a ROLL_OUT back.",
    "docs: User Universal Transfer; F53",
)
def round_trip(ctx: Context) -> None:
    if not ctx.target.safety.allow_writes:
        raise Skipped("it moves 1 USDT from spot to cross margin and back: run with --allow-writes")
    ctx.announce(f"wallet.round_trip: moving 1 USDT SPOT -> cross margin -> SPOT on {ctx.target.base_url}")
    ids: dict[str, int] = {}
    for kind in ("MAIN_MARGIN", "MARGIN_MAIN"):
        answer = ctx.target.signed_post(
            UNIVERSAL, [("type", kind), ("asset", "USDT"), ("amount", "1")], ctx.now_ms()
        )
        body = answer.json if isinstance(answer.json, dict) else {}
        expect(answer.status == 200 and isinstance(body.get("tranId"), int),
               f"{kind} of 1 USDT answered {answer.describe()} (it needs 1 USDT free in spot)")  # fmt: skip
        ids[kind] = body["tranId"]
    expected = {
        ids["MAIN_MARGIN"]: ("ROLL_IN", "SPOT", "CROSS_MARGIN"),
        ids["MARGIN_MAIN"]: ("ROLL_OUT", "CROSS_MARGIN", "SPOT"),
    }
    seen: dict[int, tuple[Any, ...]] = {}
    for attempt in range(5):  # live may list a transfer a moment after it answered
        rows = _ok(ctx, PATH, (("asset", "USDT"), ("size", 100)))["rows"]
        seen = {
            r["txId"]: (r["type"], r.get("transFrom"), r.get("transTo"))
            for r in rows
            if r["txId"] in expected
        }
        if len(seen) == len(expected):
            break
        time.sleep(2 * (attempt + 1))
    expect(seen == expected, f"the margin history shows {seen} for the transfers {expected}")


@check(
    "wallet.max_borrowable",
    "GET /sapi/v1/margin/maxBorrowable?asset=USDT answers an amount no larger than its borrowLimit.",
    "docs: Query Max Borrow",
)
def max_borrowable(ctx: Context) -> None:
    body = _ok(ctx, "/sapi/v1/margin/maxBorrowable", (("asset", "USDT"),))
    amount, limit = _decimal(body.get("amount"), "amount"), _decimal(body.get("borrowLimit"), "borrowLimit")
    expect(Decimal(0) <= amount <= limit, f"amount {amount}, borrowLimit {limit}")


@check(
    "wallet.loan_history",
    "GET /sapi/v1/margin/borrow-repay?type=BORROW answers {rows, total}, rows of that asset newest first.",
    "docs: Query borrow/repay records in Margin account",
)
def loan_history(ctx: Context) -> None:
    body = _ok(ctx, "/sapi/v1/margin/borrow-repay", (("type", "BORROW"), ("asset", "USDT")))
    expect(isinstance(body, dict) and isinstance(body.get("total"), int), f"answered {body!r:.200}")
    rows = body.get("rows", [])
    for row in rows:
        expect({"asset", "amount", "principal", "status", "timestamp", "txId"} <= set(row), f"a row is {row}")
        expect(row["asset"] == "USDT", f"asset=USDT listed {row['asset']}")
    times = [r["timestamp"] for r in rows]
    expect(times == sorted(times, reverse=True), f"rows are not newest first: {times}")
