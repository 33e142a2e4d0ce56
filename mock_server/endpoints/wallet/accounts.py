"""What an account holds, as Binance's account endpoints show it (world tier): the spot account,
the cross margin account, what may leave a margin wallet, and the funding wallet. Each reads the
world's wallets (mock_server/state/wallets.py) and values them with the market, so every answer
agrees with every other and with the universal transfers an app makes.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Security, Values
from mock_server.endpoints.market.common import dumps, pair
from mock_server.endpoints.spec import spec_schema
from mock_server.endpoints.wallet.valuation import dollars, holdings, max_transferable, worth
from mock_server.market.symbols import split
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Choice, Text
from mock_server.state.accounts import MARGIN_PERMISSION
from mock_server.state.wallets import ISOLATED, ZERO, Balance, eight_decimals
from mock_server.trading import fees

# Binance's default spot fees: 0.1% maker and taker (10 in the account's basis points).
COMMISSION_BPS = fees.TAKER_BPS
COMMISSION_RATE = f"{fees.RATE:.8f}"
# F55: the margin level of an account that owes nothing (no liability to divide by).
NO_LIABILITY_LEVEL = "999.00000000"


def uid(api_key: str) -> int:
    """A stable nine-digit account id for a key (Binance's uids are of that size)."""
    return (
        100_000_000
        + int.from_bytes(hashlib.blake2b(api_key.encode(), digest_size=8).digest(), "big") % 900_000_000
    )


# --- GET /api/v3/account ---


def spot_answer(values: Values, ctx: Context) -> bytes:
    assert ctx.account is not None and ctx.wallets is not None
    omit = values["omitZeroBalances"] == "true"
    spot = holdings(ctx, "SPOT")
    balances = [
        {"asset": a, "free": eight_decimals(b.free), "locked": eight_decimals(b.locked)}
        for a, b in spot.items()
        if not (omit and b.free == ZERO and b.locked == ZERO)
    ]
    changed = [e.time_ms for e in ctx.wallets.entries(ctx.account.api_key) if e.wallet == "SPOT"]
    return dumps({
        "makerCommission": COMMISSION_BPS, "takerCommission": COMMISSION_BPS, "buyerCommission": 0,
        "sellerCommission": 0,
        "commissionRates": {"maker": COMMISSION_RATE, "taker": COMMISSION_RATE, "buyer": "0.00000000",
                            "seller": "0.00000000"},
        "canTrade": True, "canWithdraw": True, "canDeposit": True, "brokered": False,
        "requireSelfTradePrevention": False, "preventSor": False, "updateTime": max(changed, default=0),
        "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": uid(ctx.account.api_key),
    })  # fmt: skip


SPOT_ACCOUNT = Endpoint(
    "GET", "/api/v3/account", "Account information", spot_answer, spec_schema("GET", "/api/v3/account"),
    security=Security.SIGNED, weight=20, params=(Choice("omitZeroBalances", ("true", "false"), default="false"),),
    tier="world", operation_id="getAccount",
)  # fmt: skip


# --- GET /api/v3/account/commission ---

ZERO_RATES = {"maker": "0.00000000", "taker": "0.00000000", "buyer": "0.00000000", "seller": "0.00000000"}


def commission_rules(values: Values, ctx: Context) -> str:
    symbol: str = pair(ctx, values["symbol"]).symbol  # -1100 malformed, -1121 unknown
    return symbol


def commission_answer(symbol: str, ctx: Context) -> bytes:
    """The rates /api/v3/account shows, for one symbol; no tax, no special rate, and paying fees
    in BNB not enabled (F60), so a fill's commission is the standard rate exactly."""
    return dumps({
        "symbol": symbol,
        "standardCommission": {"maker": COMMISSION_RATE, "taker": COMMISSION_RATE, "buyer": "0.00000000",
                               "seller": "0.00000000"},
        "specialCommission": ZERO_RATES, "taxCommission": ZERO_RATES,
        "discount": {"enabledForAccount": False, "enabledForSymbol": True, "discountAsset": "BNB",
                     "discount": "0.75000000"},
    })  # fmt: skip


COMMISSION = Endpoint(
    "GET", "/api/v3/account/commission", "Query Commission Rates", commission_answer,
    spec_schema("GET", "/api/v3/account/commission"), security=Security.SIGNED, weight=20,
    params=(Text("symbol", required=True),), rules=commission_rules, tier="world",
    operation_id="getAccountCommission",
)  # fmt: skip


# --- GET /sapi/v1/margin/account ---


class Totals(NamedTuple):
    asset_btc: Decimal
    liability_btc: Decimal
    collateral_usdt: Decimal


def margin_answer(values: Values, ctx: Context) -> bytes:
    margin = holdings(ctx, "MARGIN")
    w, btc = worth(ctx, "MARGIN"), dollars(ctx, "BTC")
    t = Totals(w.assets / btc, w.liabilities / btc, w.assets)
    level = eight_decimals(w.assets / w.liabilities) if w.liabilities else NO_LIABILITY_LEVEL
    user_assets = [
        {"asset": a, "borrowed": eight_decimals(b.borrowed), "free": eight_decimals(b.free),
         "interest": eight_decimals(b.interest), "locked": eight_decimals(b.locked),
         "netAsset": eight_decimals(b.free + b.locked - b.borrowed - b.interest)}
        for a, b in margin.items()
    ]  # fmt: skip
    return dumps({
        "created": True, "borrowEnabled": True, "marginLevel": level, "collateralMarginLevel": level,
        "totalAssetOfBtc": eight_decimals(t.asset_btc), "totalLiabilityOfBtc": eight_decimals(t.liability_btc),
        "totalNetAssetOfBtc": eight_decimals(t.asset_btc - t.liability_btc),
        "TotalCollateralValueInUSDT": eight_decimals(t.collateral_usdt), "totalOpenOrderLossInUSDT": "0.00000000",
        "tradeEnabled": True, "transferInEnabled": True, "transferOutEnabled": True, "accountType": "MARGIN_1",
        "userAssets": user_assets,
    })  # fmt: skip


MARGIN_ACCOUNT = Endpoint(
    "GET", "/sapi/v1/margin/account", "Query Cross Margin Account Details", margin_answer,
    spec_schema("GET", "/sapi/v1/margin/account"), security=Security.SIGNED, weight=10,
    permission=MARGIN_PERMISSION, margin_account=True, paced=True, tier="world", operation_id="getMarginAccount",
)  # fmt: skip


# --- GET /sapi/v1/margin/isolated/account ---

ISOLATED_MAX_SYMBOLS = 5  # the docs: at most 5 symbols, comma-separated
ISOLATED_RATIO = "5.00000000"  # F56: the pair's leverage, as an isolated account shows it


def isolated_rules(values: Values, ctx: Context) -> list[str]:
    text = values["symbols"]
    if text is None:
        return []
    wanted = [s.strip().upper() for s in text.split(",")]
    if len(wanted) > ISOLATED_MAX_SYMBOLS or not all(wanted):
        raise BinanceError(errors.INVALID_PARAMETER, "symbols")
    return wanted


def _isolated_side(ctx: Context, asset: str, b: Balance, btc: Decimal) -> dict[str, Any]:
    total = b.free + b.locked
    net = total - b.borrowed - b.interest
    return {
        "asset": asset, "borrowEnabled": True, "borrowed": eight_decimals(b.borrowed), "free": eight_decimals(b.free),
        "interest": eight_decimals(b.interest), "locked": eight_decimals(b.locked), "netAsset": eight_decimals(net),
        "netAssetOfBtc": eight_decimals(net * dollars(ctx, asset) / btc), "repayEnabled": True,
        "totalAsset": eight_decimals(total),
    }  # fmt: skip


def isolated_answer(wanted: list[str], ctx: Context) -> bytes:
    assert ctx.wallets is not None and ctx.account is not None and ctx.market is not None
    wallets = ctx.wallets.of(ctx.account.api_key)
    btc = dollars(ctx, "BTC")
    held = sorted(w.removeprefix(ISOLATED) for w in wallets if w.startswith(ISOLATED))
    out, assets_btc, liabilities_btc = [], ZERO, ZERO
    for symbol in [s for s in held if not wanted or s in wanted]:
        pair = ctx.market.pair(symbol)
        sides = (pair.base, pair.quote) if pair is not None else split(symbol) or (symbol, "")
        wallet = wallets[ISOLATED + symbol]
        base, quote = (wallet.get(a, Balance()) for a in sides)
        owned = sum(
            ((b.free + b.locked) * dollars(ctx, a) for a, b in zip(sides, (base, quote), strict=True)), ZERO
        )
        owed = sum(
            ((b.borrowed + b.interest) * dollars(ctx, a) for a, b in zip(sides, (base, quote), strict=True)),
            ZERO,
        )
        assets_btc, liabilities_btc = assets_btc + owned / btc, liabilities_btc + owed / btc
        out.append({
            "baseAsset": _isolated_side(ctx, sides[0], base, btc), "quoteAsset": _isolated_side(ctx, sides[1], quote, btc),
            "symbol": symbol, "isolatedCreated": True, "enabled": True,
            "marginLevel": eight_decimals(owned / owed) if owed else NO_LIABILITY_LEVEL,
            "marginLevelStatus": "EXCESSIVE", "marginRatio": ISOLATED_RATIO,
            "indexPrice": eight_decimals(dollars(ctx, sides[0]) / dollars(ctx, sides[1])),
            "liquidatePrice": "0.00000000", "liquidateRate": "0.00000000", "tradeEnabled": True,
        })  # fmt: skip
    return dumps({
        "assets": out, "totalAssetOfBtc": eight_decimals(assets_btc),
        "totalLiabilityOfBtc": eight_decimals(liabilities_btc),
        "totalNetAssetOfBtc": eight_decimals(assets_btc - liabilities_btc),
    })  # fmt: skip


ISOLATED_ACCOUNT = Endpoint(
    "GET", "/sapi/v1/margin/isolated/account", "Query Isolated Margin Account Info", isolated_answer,
    spec_schema("GET", "/sapi/v1/margin/isolated/account"), security=Security.SIGNED, weight=10,
    permission=MARGIN_PERMISSION, margin_account=True, paced=True, params=(Text("symbols"),),
    rules=isolated_rules, tier="world", operation_id="getMarginIsolatedAccount",
)  # fmt: skip


# --- GET /sapi/v1/margin/maxTransferable ---


def max_transferable_rules(values: Values, ctx: Context) -> tuple[str, str]:
    asset, symbol = values["asset"].upper(), values["isolatedSymbol"]
    wallet = f"ISOLATED:{symbol.upper()}" if symbol else "MARGIN"
    assert ctx.market is not None
    known = {a for p in ctx.market.pairs for a in (p.base, p.quote)}
    if asset not in known and asset not in holdings(ctx, wallet):
        raise BinanceError(errors.NOT_VALID_MARGIN_ASSET)
    return wallet, asset


def max_transferable_answer(request: tuple[str, str], ctx: Context) -> bytes:
    wallet, asset = request
    return b'{"amount":"%s"}' % eight_decimals(max_transferable(ctx, wallet, asset)).encode()


def max_transferable_schema(profile: Any) -> dict[str, Any]:
    return {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "string"}}}


MAX_TRANSFERABLE = Endpoint(
    "GET", "/sapi/v1/margin/maxTransferable", "Query Max Transfer-Out Amount", max_transferable_answer,
    max_transferable_schema, security=Security.SIGNED, weight=50, permission=MARGIN_PERMISSION,
    margin_account=True, paced=True, params=(Text("asset", required=True), Text("isolatedSymbol")),
    rules=max_transferable_rules, tier="world", operation_id="getMarginMaxTransferable",
)  # fmt: skip


# --- POST /sapi/v1/asset/get-funding-asset ---


def funding_answer(values: Values, ctx: Context) -> bytes:
    wanted = values["asset"].upper() if values["asset"] else None
    valued = values["needBtcValuation"] == "true"
    btc = dollars(ctx, "BTC") if valued else ZERO
    rows = [
        {"asset": a, "free": eight_decimals(b.free), "locked": eight_decimals(b.locked), "freeze": "0.00000000",
         "withdrawing": "0.00000000",
         "btcValuation": eight_decimals((b.free + b.locked) * dollars(ctx, a) / btc) if valued else "0.00000000"}
        for a, b in holdings(ctx, "FUNDING").items()
        if (wanted is None or a == wanted) and (b.free or b.locked)
    ]  # fmt: skip
    return dumps(rows)


FUNDING_ASSET = Endpoint(
    "POST", "/sapi/v1/asset/get-funding-asset", "Funding Wallet", funding_answer,
    spec_schema("POST", "/sapi/v1/asset/get-funding-asset"), security=Security.SIGNED, weight=1,
    params=(Text("asset"), Choice("needBtcValuation", ("true", "false"), default="false")),
    tier="world", operation_id="createAssetGetFundingAsset",
)  # fmt: skip

ENDPOINTS = (SPOT_ACCOUNT, COMMISSION, MARGIN_ACCOUNT, ISOLATED_ACCOUNT, MAX_TRANSFERABLE, FUNDING_ASSET)
