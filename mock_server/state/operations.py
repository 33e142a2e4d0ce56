"""The exchange's operations: the only code that changes what an account holds.

An endpoint's `write` step (mock_server/endpoints/declaration.py) gets an `Operations` bound to
its caller and its moment; the control API and `MockBinance` get one for the account they name.
Each operation holds the world's lock from its first check to its last change, so a balance is
checked and debited as one step and concurrent writes never lose an update; and each appends
what it changed to `changes`, which the journal entry of the call shows.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from mock_server.rules import errors
from mock_server.rules.errors import BinanceError, ErrorSpec
from mock_server.state.ledger import Ledger, Transfer
from mock_server.state.wallets import Balance, Entry, NotEnough, Wallets, eight_decimals


class Operations:
    __slots__ = ("_done", "api_key", "changes", "ledger", "lock", "now_ms", "wallets")

    def __init__(
        self, lock: threading.RLock, ledger: Ledger, wallets: Wallets, api_key: str, now_ms: int
    ) -> None:
        self.lock, self.ledger, self.wallets = lock, ledger, wallets
        self.api_key, self.now_ms = api_key, now_ms
        self.changes: list[dict[str, Any]] = []  # what this call changed, for its journal entry
        self._done: list[Entry] = []

    def undo(self) -> None:
        """Take back every balance change made so far (the caller still holds the lock): a write
        step that refuses half-way leaves nothing moved. History rows are written last, so
        nothing after them can refuse."""
        with self.lock:
            while self._done:
                self.wallets.revert(self._done.pop())
            self.changes.clear()

    def balance(self, wallet: str, asset: str) -> Balance:
        return self.wallets.balance(self.api_key, wallet, asset)

    def deposit(self, wallet: str, asset: str, amount: Decimal, cause: str = "deposit") -> Balance:
        """Credit a free balance."""
        with self.lock:
            self._change(wallet, asset, amount, cause, errors.INSUFFICIENT_BALANCE)
            return self.balance(wallet, asset)

    def withdraw(
        self, wallet: str, asset: str, amount: Decimal, cause: str,
        refuse: ErrorSpec = errors.INSUFFICIENT_BALANCE,
    ) -> Balance:  # fmt: skip
        """Debit a free balance; `refuse` (the endpoint's own error) when it is not enough."""
        with self.lock:
            self._change(wallet, asset, -amount, cause, refuse)
            return self.balance(wallet, asset)

    def move(
        self, source: str, target: str, asset: str, amount: Decimal, cause: str,
        refuse: ErrorSpec = errors.INSUFFICIENT_BALANCE,
    ) -> None:  # fmt: skip
        """Free balance from one wallet to another: both or neither."""
        with self.lock:
            self._change(source, asset, -amount, cause, refuse)
            self._change(target, asset, amount, cause, refuse)

    def set_balance(self, wallet: str, asset: str, free: Decimal) -> Balance:
        with self.lock:
            entry = self.wallets.set(self.now_ms, self.api_key, wallet, asset, free)
            self._done.append(entry)
            self.changes.append(
                {"op": "set", "wallet": wallet, "asset": asset, "free": eight_decimals(entry.free)}
            )
            return self.balance(wallet, asset)

    def add_transfer(self, row: Transfer) -> None:
        """A row of the margin transfer history (GET /sapi/v1/margin/transfer)."""
        with self.lock:
            self.ledger.add(self.api_key, [row])
            self.changes.append({"op": "transfer", "txId": row.tx_id, "type": row.type, "asset": row.asset,
                                 "amount": row.amount, "status": row.status})  # fmt: skip

    def set_transfer_status(self, tx_id: int, status: str) -> bool:
        with self.lock:
            found = self.ledger.set_status(self.api_key, tx_id, status)
            if found:
                self.changes.append({"op": "status", "txId": tx_id, "status": status})
            return found

    def _change(self, wallet: str, asset: str, free: Decimal, cause: str, refuse: ErrorSpec) -> None:
        try:
            self._done.append(self.wallets.change(self.now_ms, self.api_key, wallet, asset, cause, free=free))
        except NotEnough:
            raise BinanceError(refuse) from None
        self.changes.append({"op": cause, "wallet": wallet, "asset": asset, "free": eight_decimals(free)})
