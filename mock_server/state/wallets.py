"""Each account's wallets (SPOT, MARGIN, ISOLATED:<SYMBOL>, FUNDING) and their balances.

A balance never changes in place: every change is an `Entry` with its cause (a transfer, a fill,
a fee, a deposit a test made), appended to the book's entries. So replaying the entries from the
opening balances gives today's, and a property test can check that no free balance ever went
negative. The caller holds the world's lock (mock_server/exchange/world.py): a check and the
change it allows are one step.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

ZERO = Decimal(0)
WALLETS = ("SPOT", "MARGIN", "FUNDING")  # and ISOLATED:<SYMBOL>, one per isolated pair
ISOLATED = "ISOLATED:"
EIGHT = Decimal("0.00000001")  # Binance's amounts have eight decimals


def isolated_symbol(wallet: str) -> str:
    """The pair of an ISOLATED:<SYMBOL> wallet; "" for any other (as Binance's rows write it)."""
    return wallet.removeprefix(ISOLATED) if wallet.startswith(ISOLATED) else ""


def wallet_name(text: Any) -> str:
    """A wallet's name as the mock writes it; ValueError naming the value otherwise."""
    if isinstance(text, str):
        upper = text.upper()
        if upper in WALLETS:
            return upper
        symbol = upper.removeprefix(ISOLATED)
        if upper.startswith(ISOLATED) and symbol.isalnum() and symbol.isascii():
            return upper
    raise ValueError(f"wallet must be one of {', '.join(WALLETS)} or ISOLATED:<SYMBOL>; got {text!r}")


def amount(text: Any, name: str = "amount") -> Decimal:
    """A non-negative decimal from a string or int (never a float: 0.1 is not 0.1)."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise ValueError(f'{name} must be a decimal string such as "10.5"; got {text!r}')
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f'{name} must be a decimal string such as "10.5"; got {text!r}') from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a non-negative decimal; got {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class Balance:
    free: Decimal = ZERO
    locked: Decimal = ZERO
    borrowed: Decimal = ZERO
    interest: Decimal = ZERO

    def to_dict(self) -> dict[str, str]:
        """As Binance writes amounts: strings with eight decimals."""
        return {k: eight_decimals(getattr(self, k)) for k in ("free", "locked", "borrowed", "interest")}


def eight_decimals(value: Decimal) -> str:
    return f"{value:.8f}"


class Entry(NamedTuple):
    """One change of one balance: what moved, where, and why."""

    time_ms: int
    api_key: str
    wallet: str
    asset: str
    free: Decimal  # the change, signed
    locked: Decimal
    cause: str  # "deposit", "transfer 42", "fill 7", "fee 7", "set", "borrow 9", "interest", ...
    borrowed: Decimal = ZERO  # a margin wallet's debt: the principal and the interest owed
    interest: Decimal = ZERO


class NotEnough(Exception):
    """A change would leave a free or locked balance below zero; nothing changed."""

    def __init__(self, wallet: str, asset: str, have: Decimal, need: Decimal) -> None:
        super().__init__(f"{wallet} {asset}: {have} available, {need} needed")
        self.wallet, self.asset, self.have, self.need = wallet, asset, have, need


class Wallets:
    """Every account's balances, by (wallet, asset), with the entries that made them."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._balances: dict[str, dict[tuple[str, str], Balance]] = {}
        self._entries: list[Entry] = []

    def balance(self, api_key: str, wallet: str, asset: str) -> Balance:
        return self._balances.get(api_key, {}).get((wallet, asset), Balance())

    def of(self, api_key: str) -> dict[str, dict[str, Balance]]:
        """An account's balances, wallet -> asset -> balance, sorted."""
        with self._lock:
            out: dict[str, dict[str, Balance]] = {}
            for (wallet, asset), b in sorted(self._balances.get(api_key, {}).items()):
                out.setdefault(wallet, {})[asset] = b
            return out

    def entries(self, api_key: str | None = None) -> list[Entry]:
        with self._lock:
            return [e for e in self._entries if api_key is None or e.api_key == api_key]

    def change(
        self, time_ms: int, api_key: str, wallet: str, asset: str, cause: str,
        free: Decimal = ZERO, locked: Decimal = ZERO, borrowed: Decimal = ZERO, interest: Decimal = ZERO,
    ) -> Entry:  # fmt: skip
        """Add `free`, `locked`, `borrowed` and `interest` (signed) to one balance; NotEnough
        when any would go below zero, and then nothing changes."""
        with self._lock:
            old = self.balance(api_key, wallet, asset)
            for have, delta in ((old.free, free), (old.locked, locked), (old.borrowed, borrowed),
                                (old.interest, interest)):  # fmt: skip
                if have + delta < 0:
                    raise NotEnough(wallet, asset, have, -delta)
            new = replace(
                old, free=old.free + free, locked=old.locked + locked, borrowed=old.borrowed + borrowed,
                interest=old.interest + interest,
            )  # fmt: skip
            self._balances.setdefault(api_key, {})[(wallet, asset)] = new
            entry = Entry(time_ms, api_key, wallet, asset, free, locked, cause, borrowed, interest)
            self._entries.append(entry)
            return entry

    def revert(self, entry: Entry) -> None:
        """Undo the newest change, which must be `entry` (a write step that refused mid-way)."""
        with self._lock:
            assert self._entries and self._entries[-1] is entry, "changes are undone newest first"
            self._entries.pop()
            old = self.balance(entry.api_key, entry.wallet, entry.asset)
            key = (entry.wallet, entry.asset)
            self._balances[entry.api_key][key] = replace(
                old, free=old.free - entry.free, locked=old.locked - entry.locked,
                borrowed=old.borrowed - entry.borrowed, interest=old.interest - entry.interest,
            )  # fmt: skip

    def set(
        self, time_ms: int, api_key: str, wallet: str, asset: str, free: Decimal, cause: str = "set"
    ) -> Entry:
        """Set one free balance (a test's or a fixture's word), recorded as the change it makes."""
        with self._lock:
            return self.change(
                time_ms, api_key, wallet, asset, cause, free - self.balance(api_key, wallet, asset).free
            )

    def accounts(self) -> Iterator[str]:
        return iter(list(self._balances))

    def snapshot(self) -> tuple[dict[str, dict[tuple[str, str], Balance]], list[Entry]]:
        with self._lock:  # balances and entries are immutable: copying the containers is enough
            return {k: dict(v) for k, v in self._balances.items()}, list(self._entries)

    def restore(self, snapshot: tuple[dict[str, dict[tuple[str, str], Balance]], list[Entry]]) -> None:
        balances, entries = snapshot
        with self._lock:
            self._balances = {k: dict(v) for k, v in balances.items()}
            self._entries = list(entries)
