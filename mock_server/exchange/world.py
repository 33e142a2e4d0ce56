"""The world: all mutable state of one mock, behind one lock.

What an account holds (the margin transfer history, wallets and balances), and what steers the
mock (faults, clock, pacing, weights, the journal, the market's steering) are parts of one object. Every part shares the
world's lock, so an operation that checks one part and changes another does both as one step,
and `snapshot()` / `restore()` take and put back all of it at once (`POST /_mock/reset`).
Endpoints read the parts; only `Operations` (mock_server/state/operations.py) change what an
account holds.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from mock_server.injection.faults import FaultBook
from mock_server.market.model import Market
from mock_server.state.clock import Clock
from mock_server.state.events import Outbox
from mock_server.state.journal import Journal
from mock_server.state.ledger import Ledger
from mock_server.state.listen_keys import ListenKeys
from mock_server.state.loans import LoanBook
from mock_server.state.operations import Operations
from mock_server.state.orders import OrderBook
from mock_server.state.pacing import Pacer
from mock_server.state.universal import UniversalBook
from mock_server.state.wallets import Wallets
from mock_server.state.weights import WeightCounter, Weights
from mock_server.streams.faults import StreamFaults
from mock_server.trading import engine


class Snapshot(NamedTuple):
    ledger: Any  # None: too large to copy; a reset regenerates it (Exchange.reset)
    wallets: Any
    faults: Any
    clock: Any
    pacer: Any
    weights: Any
    journal: Any
    steering: Any
    universal: Any
    loans: Any
    orders: Any
    listen_keys: Any
    stream_faults: Any


class World:
    def __init__(
        self, clock: Clock, journal_size: int, weight_limits: tuple[int, int, int], seed: int,
        paths: frozenset[str], min_interval_ms: int, market: Market,
    ) -> None:  # fmt: skip
        self.lock = threading.RLock()
        lock = self.lock
        clock.bind(lock)
        self.clock = clock
        self.ledger = Ledger(lock)
        self.wallets = Wallets(lock)
        self.universal = UniversalBook()  # universal transfers (GET /sapi/v1/asset/transfer)
        self.loans = LoanBook()  # margin loans and their interest
        self.orders = OrderBook()  # orders, their fills, and the house's side of them
        self.listen_keys = ListenKeys()  # the user data streams' keys
        self.outbox = Outbox(lock)  # what the user data streams will send (not reset: it was sent)
        self.faults = FaultBook(seed=seed, paths=paths, lock=lock)
        self.stream_faults = StreamFaults(lock)  # what the WebSocket connections get wrong
        self.pacer = Pacer(min_interval_ms, lock)
        self.weights = Weights(*(WeightCounter(limit, lock) for limit in weight_limits))
        self.journal = Journal(journal_size, lock)
        self.market = market  # a function of (seed, anchor, time) and of its steering records
        self.fill_through = False  # F61's alternative: resting orders fill beyond their price only

    def operations(self, api_key: str, now_ms: int | None = None) -> Operations:
        """The writer for one account at one moment (now, by the mock's clock, by default)."""
        when = self.clock.now_ms() if now_ms is None else now_ms
        return Operations(self.lock, self.ledger, self.wallets, api_key, when, self.universal, self.loans,
                          self.orders, self.listen_keys, self.outbox)  # fmt: skip

    def settle(
        self, now_ms: int | None = None, symbol: str | None = None, at_price: bool = False
    ) -> list[dict[str, Any]]:
        """Match the open orders against the market up to now (mock_server/trading/engine.py):
        run before anything reads an account, so resting orders are filled when anyone looks.
        Returns what the fills changed, for the journal entry of the call that looked."""
        with self.lock:
            if not self.orders.open_count:
                return []
            now = self.clock.now_ms() if now_ms is None else now_ms
            made: list[Operations] = []

            def ops_at(api_key: str, at_ms: int) -> Operations:
                made.append(self.operations(api_key, at_ms))
                return made[-1]

            engine.settle(self.market, self.orders, ops_at, now, symbol, at_price, self.fill_through)
            for ops in made:
                ops.publish()
            return [change for ops in made for change in ops.changes]

    def snapshot(self, ledger: bool = True) -> Snapshot:
        with self.lock:
            return Snapshot(
                self.ledger.snapshot() if ledger else None, self.wallets.snapshot(), self.faults.snapshot(),
                self.clock.snapshot(), self.pacer.snapshot(), self.weights.snapshot(), self.journal.snapshot(),
                self.market.steering.snapshot(), self.universal.snapshot(), self.loans.snapshot(),
                self.orders.snapshot(), self.listen_keys.snapshot(), self.stream_faults.snapshot(),
            )  # fmt: skip

    def restore(self, snapshot: Snapshot) -> None:
        """Every part as it was; a snapshot without its ledger leaves the ledger as it is."""
        with self.lock:
            if snapshot.ledger is not None:
                self.ledger.restore(snapshot.ledger)
            self.wallets.restore(snapshot.wallets)
            self.faults.restore(snapshot.faults)
            self.clock.restore(snapshot.clock)
            self.pacer.restore(snapshot.pacer)
            self.weights.restore(snapshot.weights)
            self.journal.restore(snapshot.journal)
            self.market.steering.restore(snapshot.steering)
            self.universal.restore(snapshot.universal)
            self.loans.restore(snapshot.loans)
            self.orders.restore(snapshot.orders)
            self.listen_keys.restore(snapshot.listen_keys)
            self.stream_faults.restore(snapshot.stream_faults)
