"""The futures start-up calls: USD-M (/fapi/v1) and COIN-M (/dapi/v1) exchangeInfo, ping and time.

ccxt's default `load_markets()` reads both exchangeInfo answers, and stops when either fails. The
contracts are perpetuals on the spot market's assets, with Binance's futures field names (COIN-M's
`contractStatus`, futures MIN_NOTIONAL's `notional`); futures trading itself is not served (F42).
"""

from __future__ import annotations

from typing import Any

from mock_server.endpoints.declaration import Context, Endpoint
from mock_server.endpoints.market.common import dumps
from mock_server.market.symbols import PAIRS, Pair
from mock_server.rules.fidelity import Profile

PERPETUAL_DELIVERY_MS = 4_133_404_800_000  # Binance's delivery date of a perpetual: 2100-12-25
ONBOARD_MS = 1_569_398_400_000  # 2019-09-25, when USD-M futures opened
ORDER_TYPES = [
    "LIMIT",
    "MARKET",
    "STOP",
    "STOP_MARKET",
    "TAKE_PROFIT",
    "TAKE_PROFIT_MARKET",
    "TRAILING_STOP_MARKET",
]
TIME_IN_FORCE = ["GTC", "IOC", "FOK", "GTX", "GTD"]
COIN_M = ("BTC", "ETH", "BNB", "SOL", "XRP", "ADA", "DOGE", "LINK", "LTC", "TRX")


def _usd_m(p: Pair) -> dict[str, Any]:
    tick, step = (
        f"{10.0**-p.price_digits:.{p.price_digits}f}",
        f"{10.0 ** -min(p.qty_digits, 3):.{min(p.qty_digits, 3)}f}",
    )
    return {
        "symbol": p.symbol, "pair": p.symbol, "contractType": "PERPETUAL", "deliveryDate": PERPETUAL_DELIVERY_MS,
        "onboardDate": ONBOARD_MS, "status": "TRADING", "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000", "baseAsset": p.base, "quoteAsset": "USDT", "marginAsset": "USDT",
        "pricePrecision": p.price_digits, "quantityPrecision": min(p.qty_digits, 3), "baseAssetPrecision": 8,
        "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": [], "settlePlan": 0,
        "triggerProtect": "0.0500",
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "1000000", "stepSize": step},
            {"filterType": "MARKET_LOT_SIZE", "minQty": step, "maxQty": "100000", "stepSize": step},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
            {"filterType": "MIN_NOTIONAL", "notional": "5"},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"},
        ],
        "orderTypes": ORDER_TYPES, "timeInForce": TIME_IN_FORCE, "liquidationFee": "0.012500",
        "marketTakeBound": "0.05",
    }  # fmt: skip


def _coin_m(base: str, p: Pair) -> dict[str, Any]:
    digits = min(p.price_digits, 2)
    tick = f"{10.0**-digits:.{digits}f}" if digits else "1"
    return {
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": "1", "maxQty": "1000000", "stepSize": "1"},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "1", "maxQty": "60000", "stepSize": "1"},
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 20},
            {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"},
        ],
        "orderTypes": ORDER_TYPES, "timeInForce": TIME_IN_FORCE, "liquidationFee": "0.015000",
        "marketTakeBound": "0.05", "symbol": f"{base}USD_PERP", "pair": f"{base}USD", "contractType": "PERPETUAL",
        "deliveryDate": PERPETUAL_DELIVERY_MS, "onboardDate": 1_597_042_800_000, "contractStatus": "TRADING",
        "contractSize": 100 if base == "BTC" else 10, "quoteAsset": "USD", "baseAsset": base, "marginAsset": base,
        "pricePrecision": digits, "quantityPrecision": 0, "baseAssetPrecision": 8, "quotePrecision": 8,
        "equalQtyPrecision": 4, "triggerProtect": "0.0500", "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000", "underlyingType": "COIN", "underlyingSubType": [],
    }  # fmt: skip


def _limits() -> list[dict[str, Any]]:
    return [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200}]  # fmt: skip


def usd_m_info(request: Any, ctx: Context) -> bytes:
    symbols = [_usd_m(p) for p in PAIRS if p.quote == "USDT" and p.base not in ("USDC", "FDUSD")]
    assets = [
        {"asset": a, "marginAvailable": True, "autoAssetExchange": "-10000"} for a in ("USDT", "USDC", "BTC")
    ]
    return dumps({"timezone": "UTC", "serverTime": ctx.now_ms, "futuresType": "U_MARGINED",
                  "rateLimits": _limits(), "exchangeFilters": [], "assets": assets, "symbols": symbols})  # fmt: skip


def coin_m_info(request: Any, ctx: Context) -> bytes:
    usdt = {p.base: p for p in PAIRS if p.quote == "USDT"}
    symbols = [_coin_m(b, usdt[b]) for b in COIN_M if b in usdt]
    return dumps({"timezone": "UTC", "serverTime": ctx.now_ms, "rateLimits": _limits(), "exchangeFilters": [],
                  "symbols": symbols})  # fmt: skip


def _object(profile: Profile) -> dict[str, Any]:
    return {"type": "object"}


def _time(request: Any, ctx: Context) -> bytes:
    return b'{"serverTime":%d}' % ctx.now_ms


def _ping(request: Any, ctx: Context) -> bytes:
    return b"{}"


ENDPOINTS = tuple(
    Endpoint(
        "GET",
        f"/{family}/v1/{name}",
        f"{label} {summary}",
        answer,
        _object,
        tier="world",
        operation_id=f"{family}{name[0].upper()}{name[1:]}",
    )
    for family, label in (("fapi", "USD-M futures"), ("dapi", "COIN-M futures"))
    for name, summary, answer in (
        ("exchangeInfo", "exchange information", usd_m_info if family == "fapi" else coin_m_info),
        ("ping", "test connectivity", _ping),
        ("time", "check server time", _time),
    )
)
