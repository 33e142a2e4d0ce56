"""Opening balances that make the seeded history and today's balances agree.

The margin transfer history moves funds between wallets the mock holds (SPOT, the cross MARGIN
wallet, FUNDING, each ISOLATED:<SYMBOL>) and wallets it does not (FUTURES, MINING, ...). Replayed
oldest first from the opening balances, the CONFIRMED rows must never take a wallet below zero,
and must end at today's balances. So each held wallet opens with exactly what its lowest point
needs (nothing if it never dips), plus, for SPOT and FUNDING, a sum an account of this history
plausibly keeps there; today's balance is the opening plus every CONFIRMED row's move.
PENDING and FAILED rows move nothing (docs/fidelity.md, "Wallets and the history").
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from mock_server.state.ledger import Transfer

UNITS = 10**8  # amounts have eight decimals: sums in integers are exact and fast
# Where a row's side lands: the history's wallet names to the mock's; a None is not held.
_HELD = {"SPOT": "SPOT", "CROSS_MARGIN": "MARGIN", "FUNDING": "FUNDING", "ISOLATED_MARGIN": "ISOLATED"}


def wallet_of(side: str | None, symbol: str | None) -> str | None:
    """The mock's wallet for one side of a history row (None: a wallet the mock does not hold)."""
    held = _HELD.get(side or "")
    if held == "ISOLATED":
        return f"ISOLATED:{symbol}" if symbol else None
    return held


class Opening:
    """Fed an account's rows in time order; then `balances()` gives (opening, today) per
    (wallet, asset)."""

    def __init__(self) -> None:
        self._now: dict[tuple[str, str], int] = {}  # running sum, in units
        self._low: dict[tuple[str, str], int] = {}  # its lowest point so far

    def feed(self, rows: Iterable[Transfer]) -> None:
        now, low = self._now, self._low
        for t in rows:
            if t.status != "CONFIRMED":
                continue
            whole, _, cents = t.amount.partition(".")
            # A row's amount has exactly eight decimals (the ledger refuses others): digits alone.
            units = int(whole + cents) if len(cents) == 8 else _units(t.amount)
            for side, symbol, sign in ((t.trans_from, t.from_symbol, -1), (t.trans_to, t.to_symbol, 1)):
                wallet = wallet_of(side, symbol)
                if wallet is None:
                    continue
                key = (wallet, t.asset)
                value = now.get(key, 0) + sign * units
                now[key] = value
                if value < low.get(key, 0):
                    low[key] = value

    def balances(
        self, keep: dict[tuple[str, str], Decimal]
    ) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        """(opening, today) for every wallet and asset the rows touch or `keep` names: `keep` is
        what an account plausibly holds in a wallet beyond what its history needs."""
        out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        for key in sorted(set(self._now) | set(keep)):
            opening = -self._low.get(key, 0) + _units(keep.get(key, Decimal(0)))
            today = opening + self._now.get(key, 0)
            out[key] = (Decimal(opening) / UNITS, Decimal(today) / UNITS)
        return out

    def from_given(
        self, given: dict[tuple[str, str], Decimal]
    ) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        """(opening, today) when the openings are given (every other wallet opens empty); a
        ValueError names a wallet the rows would take below zero, and what it must open with."""
        out: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
        for key in sorted(set(self._now) | set(given)):
            opening = _units(given.get(key, Decimal(0)))
            low = self._low.get(key, 0)
            if opening + low < 0:
                wallet, asset = key
                raise ValueError(
                    f"the rows take {wallet} {asset} below zero: it must open with at least "
                    f"{Decimal(-low) / UNITS:f}, and the balances give {Decimal(opening) / UNITS:f}"
                )
            out[key] = (Decimal(opening) / UNITS, Decimal(opening + self._now.get(key, 0)) / UNITS)
        return out


def _units(amount: str | Decimal) -> int:
    return int(Decimal(amount).scaleb(8).to_integral_value())
