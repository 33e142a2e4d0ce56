"""Margin loans: what the mock lends, at what rate, and the records of borrowing, repaying and
interest (docs/wallets.md, "Borrowing and repaying").

Interest is charged by the hour, as Binance does: an hour's worth at once when a loan is made,
then at the start of every later hour on what is owed then (principal only, F58). Charging
happens when an account's margin is next looked at, for every hour the mock's clock has passed,
so a frozen clock charges nothing and `advance_clock` charges the hours it crosses.
"""

from __future__ import annotations

from decimal import ROUND_UP, Decimal
from typing import NamedTuple

from mock_server.state.wallets import EIGHT

HOUR_MS = 3_600_000
# F57: daily interest rates (Binance publishes its own per asset and VIP level, and changes them).
DAILY_RATES = {
    "USDT": Decimal("0.00015"), "USDC": Decimal("0.00015"), "FDUSD": Decimal("0.00015"),
    "BTC": Decimal("0.00005"), "ETH": Decimal("0.00006"), "BNB": Decimal("0.0001"),
}  # fmt: skip
DEFAULT_DAILY_RATE = Decimal("0.0002")
CROSS_LEVERAGE = 3  # Cross Margin Classic
ISOLATED_LEVERAGE = 5  # the marginRatio an isolated account shows (F56)
INVENTORY_USD = Decimal(5_000_000)  # F57: what the mock lends of each asset, all accounts together


def daily_rate(asset: str) -> Decimal:
    return DAILY_RATES.get(asset, DEFAULT_DAILY_RATE)


def hour_interest(asset: str, principal: Decimal) -> Decimal:
    """An hour's interest on `principal`, rounded up to eight decimals (never less than owed)."""
    return (principal * daily_rate(asset) / 24).quantize(EIGHT, rounding=ROUND_UP)


class Loan(NamedTuple):
    """A borrow or a repay, as GET /sapi/v1/margin/borrow-repay lists it."""

    tx_id: int
    timestamp: int
    type: str  # BORROW | REPAY
    asset: str
    amount: Decimal
    principal: Decimal  # the part of the amount that is principal
    interest: Decimal  # a repay's part that paid interest
    isolated_symbol: str  # "" for cross margin


class Charge(NamedTuple):
    """An hour's interest, as GET /sapi/v1/margin/interestHistory lists it."""

    tx_id: int
    time_ms: int
    asset: str
    principal: Decimal
    interest: Decimal
    type: str  # ON_BORROW | PERIODIC
    isolated_symbol: str


class LoanBook:
    """Every account's loans and charges, the hour each debt was charged to, and what is lent of
    each asset. Changed under the world's lock; a reset puts it back."""

    def __init__(self) -> None:
        self.loans: dict[str, list[Loan]] = {}
        self.charges: dict[str, list[Charge]] = {}
        self.charged_hour: dict[tuple[str, str, str], int] = {}  # (api key, wallet, asset) -> hour
        self.lent: dict[str, Decimal] = {}
        self._next_charge = 1

    def charge_id(self) -> int:
        self._next_charge += 1
        return self._next_charge

    def snapshot(self) -> LoanSnapshot:
        return LoanSnapshot(
            {k: list(v) for k, v in self.loans.items()}, {k: list(v) for k, v in self.charges.items()},
            dict(self.charged_hour), dict(self.lent), self._next_charge,
        )  # fmt: skip

    def restore(self, s: LoanSnapshot) -> None:
        self.loans = {k: list(v) for k, v in s.loans.items()}
        self.charges = {k: list(v) for k, v in s.charges.items()}
        self.charged_hour, self.lent, self._next_charge = dict(s.charged_hour), dict(s.lent), s.next_charge


class LoanSnapshot(NamedTuple):
    loans: dict[str, list[Loan]]
    charges: dict[str, list[Charge]]
    charged_hour: dict[tuple[str, str, str], int]
    lent: dict[str, Decimal]
    next_charge: int
