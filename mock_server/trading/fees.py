"""What a fill costs in commission (F60: every account pays Binance's default rates)."""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

MAKER_BPS = TAKER_BPS = 10  # 0.1%, as /api/v3/account shows makerCommission and takerCommission
RATE = Decimal("0.001")
EIGHT = Decimal("0.00000001")


def commission(received: Decimal, maker: bool) -> Decimal:
    """The commission on what a fill brings in (F61: taken in the asset received), rounded up
    to eight decimals: a fee is never smaller than the rate says."""
    rate = Decimal(MAKER_BPS if maker else TAKER_BPS) / 10_000
    return (received * rate).quantize(EIGHT, rounding=ROUND_UP)
