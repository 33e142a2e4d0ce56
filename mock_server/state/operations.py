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
from mock_server.state.events import Outbox, account_position, balance_update, execution_report
from mock_server.state.ledger import Ledger, Transfer
from mock_server.state.listen_keys import ListenKey, ListenKeys
from mock_server.state.loans import HOUR_MS, Charge, Loan, LoanBook, hour_interest
from mock_server.state.orders import Fill, Order, OrderBook
from mock_server.state.universal import Kind, Made, UniversalBook
from mock_server.state.wallets import Balance, Entry, NotEnough, Wallets, eight_decimals, isolated_symbol


class Operations:
    __slots__ = (
        "_done", "_events", "_touched", "api_key", "changes", "ledger", "listen_keys", "loans", "lock", "now_ms",
        "orders", "outbox", "universal", "wallets",
    )  # fmt: skip

    def __init__(
        self, lock: threading.RLock, ledger: Ledger, wallets: Wallets, api_key: str, now_ms: int,
        universal: UniversalBook | None = None, loans: LoanBook | None = None, orders: OrderBook | None = None,
        listen_keys: ListenKeys | None = None, outbox: Outbox | None = None,
    ) -> None:  # fmt: skip
        self.lock, self.ledger, self.wallets = lock, ledger, wallets
        self.universal = universal if universal is not None else UniversalBook()
        self.loans = loans if loans is not None else LoanBook()
        self.orders = orders if orders is not None else OrderBook()
        self.listen_keys = listen_keys if listen_keys is not None else ListenKeys()
        self.outbox = outbox if outbox is not None else Outbox(lock)
        # What the user data stream will say of this call, sent by publish() once it stands.
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._touched: dict[tuple[str, str], None] = {}  # (wallet, asset) whose balance changed
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
            self._events.clear()
            self._touched.clear()

    def publish(self) -> None:
        """Send what this call did to the account's user data streams: its events in order, then
        one outboundAccountPosition a wallet for the balances it changed."""
        with self.lock:
            for wallet, payload in self._events:
                self.outbox.put(self.api_key, wallet, payload)
            wallets: dict[str, dict[str, Balance]] = {}
            for wallet, asset in self._touched:
                wallets.setdefault(wallet, {})[asset] = self.balance(wallet, asset)
            for wallet, assets in wallets.items():
                self.outbox.put(self.api_key, wallet, account_position(self.now_ms, assets))
            self._events.clear()
            self._touched.clear()

    def report(
        self, order: Order, execution: str, fill: Fill | None = None, orig_client_id: str = ""
    ) -> None:
        """An executionReport of the order as it now stands, for publish()."""
        payload = execution_report(
            order, execution, self.now_ms, self.orders.next_execution_id(), fill, orig_client_id
        )
        self._events.append((order.wallet, payload))

    def _moved(self, entry: Entry) -> Entry:
        self._done.append(entry)
        self._touched[(entry.wallet, entry.asset)] = None
        return entry

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
            self._moved(entry)
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

    def universal_transfer(
        self, kind: Kind, asset: str, amount: Decimal, from_symbol: str | None, to_symbol: str | None,
        max_out: Decimal | None = None,
    ) -> int:  # fmt: skip
        """Move `amount` between the kind's wallets and record it: in the universal transfer
        history, and for a margin kind as a margin history row with the same id. Out of a margin
        wallet, more than `max_out` (maxTransferable, which the caller values) is -3020; more than
        the free balance -5013."""
        with self.lock:
            source = kind.source + (from_symbol or "") if kind.from_isolated else kind.source
            target = kind.target + (to_symbol or "") if kind.to_isolated else kind.target
            if kind.out_of_margin and amount > (
                max_out if max_out is not None else self.balance(source, asset).free
            ):
                raise BinanceError(errors.EXCEED_MAX_ROLLOUT)
            tran_id = self._next_id()
            self.move(source, target, asset, amount, f"transfer {tran_id}", errors.TRANSFER_INSUFFICIENT)
            self._events.append((source, balance_update(self.now_ms, asset, -amount)))
            self._events.append((target, balance_update(self.now_ms, asset, amount)))
            made = Made(tran_id, self.now_ms, kind.name, asset, amount, from_symbol, to_symbol)
            self.universal.add(self.api_key, made)
            self.changes.append({"op": "universal transfer", "tranId": tran_id, "type": kind.name,
                                 "asset": asset, "amount": eight_decimals(amount)})  # fmt: skip
            if kind.row_type is not None:
                self.add_transfer(
                    Transfer(
                        tran_id, self.now_ms, asset, eight_decimals(amount), kind.row_type, "CONFIRMED",
                        kind.trans_from, kind.trans_to, from_symbol if kind.from_isolated else None,
                        to_symbol if kind.to_isolated else None,
                    )
                )  # fmt: skip
            return tran_id

    def _next_id(self) -> int:
        """An id above every transfer's and loan's: Binance's ids share one sequence per account."""
        loans = max((loan.tx_id for rows in self.loans.loans.values() for loan in rows), default=0)
        return max(self.ledger.max_tx_id(), self.universal.max_id(), loans) + 1

    # --- margin loans (mock_server/state/loans.py) ---

    def accrue(self) -> None:
        """Charge every hour of interest the clock has passed on this account's debts. Time
        passing, not the call: a refusal after it (undo) leaves the charges, and a clock moved
        back never charges an hour twice."""
        with self.lock:
            now_hour = self.now_ms // HOUR_MS
            for wallet, assets in self.wallets.of(self.api_key).items():
                for asset, b in assets.items():
                    key = (self.api_key, wallet, asset)
                    hour = self.loans.charged_hour.get(key, now_hour)
                    while hour < now_hour and b.borrowed > 0:
                        hour += 1
                        owed = hour_interest(asset, b.borrowed)
                        self.wallets.change(
                            hour * HOUR_MS, self.api_key, wallet, asset, "interest", interest=owed
                        )
                        self._charge(hour * HOUR_MS, wallet, asset, b.borrowed, owed, "PERIODIC")
                        b = self.balance(wallet, asset)
                    if b.borrowed > 0 or key in self.loans.charged_hour:
                        self.loans.charged_hour[key] = max(hour, now_hour)

    def borrow(self, wallet: str, asset: str, amount: Decimal, most: Decimal, inventory: Decimal) -> int:
        """Lend `amount` into a margin wallet: -3006 above `most` (maxBorrowable), -3045 above
        what the mock has left to lend; an hour's interest is charged at once."""
        with self.lock:
            self.accrue()
            if amount > inventory:
                raise BinanceError(errors.NOT_ENOUGH_INVENTORY)
            if amount > most:
                raise BinanceError(errors.EXCEED_MAX_BORROWABLE)
            tx_id = self._next_id()
            first = hour_interest(asset, amount)
            self._moved(self.wallets.change(
                self.now_ms, self.api_key, wallet, asset, f"borrow {tx_id}", free=amount, borrowed=amount,
                interest=first))  # fmt: skip
            self.loans.lent[asset] = self.loans.lent.get(asset, Decimal(0)) + amount
            symbol = isolated_symbol(wallet)
            self.loans.loans.setdefault(self.api_key, []).append(
                Loan(tx_id, self.now_ms, "BORROW", asset, amount, amount, Decimal(0), symbol)
            )
            self._charge(self.now_ms, wallet, asset, amount, first, "ON_BORROW")
            self.loans.charged_hour[(self.api_key, wallet, asset)] = self.now_ms // HOUR_MS
            self._events.append((wallet, balance_update(self.now_ms, asset, amount)))
            self.changes.append({"op": f"borrow {tx_id}", "wallet": wallet, "asset": asset,
                                 "borrowed": eight_decimals(amount), "interest": eight_decimals(first)})  # fmt: skip
            return tx_id

    def repay(self, wallet: str, asset: str, amount: Decimal) -> int:
        """Pay back from the wallet's free balance, interest first, then principal: -3015 above
        what is owed, -3041 above the free balance."""
        with self.lock:
            self.accrue()
            b = self.balance(wallet, asset)
            if amount > b.borrowed + b.interest:
                raise BinanceError(errors.REPAY_EXCEEDS_BORROW)
            if amount > b.free:
                raise BinanceError(errors.BALANCE_NOT_ENOUGH)
            to_interest = min(amount, b.interest)
            to_principal = amount - to_interest
            tx_id = self._next_id()
            self._moved(self.wallets.change(
                self.now_ms, self.api_key, wallet, asset, f"repay {tx_id}", free=-amount, borrowed=-to_principal,
                interest=-to_interest))  # fmt: skip
            self.loans.lent[asset] = self.loans.lent.get(asset, Decimal(0)) - to_principal
            symbol = isolated_symbol(wallet)
            self.loans.loans.setdefault(self.api_key, []).append(
                Loan(tx_id, self.now_ms, "REPAY", asset, amount, to_principal, to_interest, symbol)
            )
            self._events.append((wallet, balance_update(self.now_ms, asset, -amount)))
            self.changes.append({"op": f"repay {tx_id}", "wallet": wallet, "asset": asset, "free": eight_decimals(-amount),
                                 "borrowed": eight_decimals(-to_principal), "interest": eight_decimals(-to_interest)})  # fmt: skip
            return tx_id

    def _charge(
        self, time_ms: int, wallet: str, asset: str, principal: Decimal, owed: Decimal, kind: str
    ) -> None:
        symbol = isolated_symbol(wallet)
        self.loans.charges.setdefault(self.api_key, []).append(
            Charge(self.loans.charge_id(), time_ms, asset, principal, owed, kind, symbol)
        )

    # --- orders (mock_server/trading/engine.py decides; these move the balances) ---

    def hold(self, wallet: str, asset: str, amount: Decimal, cause: str) -> None:
        """Lock `amount` of a free balance for an order (negative: give it back); -2010 when the
        free balance is short."""
        with self.lock:
            try:
                entry = self.wallets.change(self.now_ms, self.api_key, wallet, asset, cause, free=-amount,
                                            locked=amount)  # fmt: skip
            except NotEnough:
                raise BinanceError(errors.INSUFFICIENT_BALANCE) from None
            self._moved(entry)
            self.changes.append(
                {"op": cause, "wallet": wallet, "asset": asset, "locked": eight_decimals(amount)}
            )

    def trade(self, wallet: str, asset: str, cause: str, free: Decimal = Decimal(0),
              locked: Decimal = Decimal(0)) -> None:  # fmt: skip
        """One leg of a fill or a fee: the account's balance changes and the house's (the other
        side of every trade, mock_server/state/orders.py) by the opposite."""
        with self.lock:
            try:
                entry = self.wallets.change(
                    self.now_ms, self.api_key, wallet, asset, cause, free=free, locked=locked
                )
            except NotEnough:
                raise BinanceError(errors.INSUFFICIENT_BALANCE) from None
            self._moved(entry)
            self.orders.to_house(asset, -(free + locked))
            self.changes.append({"op": cause, "wallet": wallet, "asset": asset,
                                 "free": eight_decimals(free + locked)})  # fmt: skip

    def put_order(self, order: Order) -> None:
        with self.lock:
            self.orders.put(order)
            self.changes.append({"op": "order", "orderId": order.order_id, "symbol": order.symbol,
                                 "status": order.status, "executedQty": eight_decimals(order.executed)})  # fmt: skip

    def add_fill(self, fill: Fill) -> None:
        with self.lock:
            self.orders.add_fill(fill)

    # --- user data streams ---

    def start_stream(self, seed: int, wallet: str) -> str:
        """A listenKey for the account's wallet: its active one extended, or a new one."""
        with self.lock:
            key = self.listen_keys.start(seed, self.api_key, wallet, self.now_ms)
            self.changes.append({"op": "listenKey", "wallet": wallet, "expires": key.expires_ms})
            return key.key

    def keep_stream(self, key: str, wallet: str) -> None:
        """Extend a listenKey of the account's wallet by 60 minutes; -1125 when it names none."""
        with self.lock:
            if not self.listen_keys.keepalive(key, self.api_key, wallet, self.now_ms):
                raise BinanceError(errors.INVALID_LISTEN_KEY)

    def close_stream(self, key: str, wallet: str) -> None:
        with self.lock:
            if not self.listen_keys.close(key, self.api_key, wallet, self.now_ms):
                raise BinanceError(errors.INVALID_LISTEN_KEY)
            self.changes.append({"op": "listenKey closed", "wallet": wallet})

    def start_token(self, seed: int, wallet: str, validity_ms: int) -> ListenKey:
        """A new listenToken for the account's wallet, valid `validity_ms` from now."""
        with self.lock:
            token = self.listen_keys.token(seed, self.api_key, wallet, self.now_ms + validity_ms)
            self.changes.append({"op": "listenToken", "wallet": wallet, "expires": token.expires_ms})
            return token

    def set_transfer_status(self, tx_id: int, status: str) -> bool:
        with self.lock:
            found = self.ledger.set_status(self.api_key, tx_id, status)
            if found:
                self.changes.append({"op": "status", "txId": tx_id, "status": status})
            return found

    def _change(self, wallet: str, asset: str, free: Decimal, cause: str, refuse: ErrorSpec) -> None:
        try:
            self._moved(self.wallets.change(self.now_ms, self.api_key, wallet, asset, cause, free=free))
        except NotEnough:
            raise BinanceError(refuse) from None
        self.changes.append({"op": cause, "wallet": wallet, "asset": asset, "free": eight_decimals(free)})
