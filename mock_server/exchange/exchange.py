"""The fake exchange: all state of one mock, free of any web framework.

`Exchange` builds the state a `Settings` describes (accounts, ledger, clock, weights,
faults, pacing, journal), answers every call through the one pipeline
(`mock_server/exchange/pipeline.py`), records each in the journal, and offers the
operations the control API, scenarios and `MockBinance` share (reset, clock, rows).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from typing import Any

from mock_server.endpoints.registry import Registry
from mock_server.endpoints.spec import spec_endpoints
from mock_server.exchange.pipeline import Pipeline
from mock_server.exchange.settings import Settings
from mock_server.exchange.wire import FORWARD, Call, Reply
from mock_server.injection.faults import FaultBook
from mock_server.injection.scenario import Scenario
from mock_server.replay.proxy import Upstreamed
from mock_server.state.accounts import KeyStore, demo_account, load_keys, mask_key, not_an_account
from mock_server.state.clock import MAX_MS, Clock, parse_clock_setting
from mock_server.state.data import generate_chunks, load_fixture, parse_rows
from mock_server.state.journal import Journal
from mock_server.state.ledger import AccountLedger, Ledger, Transfer
from mock_server.state.pacing import Pacer
from mock_server.state.weights import WeightCounter, Weights

SNAPSHOT_MAX_ROWS = 200_000  # a copy of the start ledger is kept for fast resets up to this size


class Exchange:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock or Clock()
        self.profile = self.settings.profile
        accounts = load_keys(self.settings.keys_path) if self.settings.keys_path else [demo_account()]
        self.keys = KeyStore(accounts)
        spec = () if self.settings.only_exact else spec_endpoints(self.settings.seed)
        self.registry = Registry(self.settings.endpoints, spec)
        self.ledger = Ledger()
        s = self.settings
        self.weights = Weights(
            WeightCounter(s.api_weight_limit), WeightCounter(s.sapi_weight_limit),
            WeightCounter(s.sapi_uid_weight_limit),
        )  # fmt: skip
        self.faults = FaultBook(seed=self.settings.seed, paths=self.registry.paths())
        self.pacer = Pacer(self.settings.min_interval_ms)
        self.journal = Journal(self.settings.journal_size)
        self.recording = self.settings.recording
        if self.recording is not None and self.settings.cassette is None:
            raise ValueError("recording needs the cassette to record into (Recording.open)")
        self.upstream = self.recording.upstream if self.recording is not None else None
        self.pipeline = Pipeline(
            self.registry, self.keys, self.clock, self.profile, self.ledger, self.weights,
            self.faults, self.pacer, self.settings.cassette, self.settings.on_miss,
            self.recording.mode if self.recording is not None else "none",
        )  # fmt: skip
        self._start_clock = self.clock.state()
        self._start_rows: dict[str, AccountLedger] | None = None
        self.anchor_ms = (
            self.settings.anchor_ms if self.settings.anchor_ms is not None else self.clock.now_ms()
        )
        self.reset()

    # --- state ---

    @property
    def default_api_key(self) -> str:
        return self.keys.first().api_key

    def reset(self) -> None:
        """Back to the state at start: data, faults, clock, pacing, journal and weights."""
        start = self._start_clock
        if start.mode == "frozen":
            self.clock.freeze(start.now_ms, start.strict)
        else:
            self.clock.shift(start.offset_ms, start.strict)
        self.faults.clear()
        self.pacer.reset(self.settings.min_interval_ms)
        self.journal.clear()
        self.weights.reset()
        if self.settings.cassette is not None:
            self.settings.cassette.rewind()  # recordings stay; sequences start over
        if self._start_rows is not None:
            self.ledger.restore(self._start_rows)
        else:
            self._load_initial_data()
            if sum(self.ledger.count(a.api_key) for a in self.keys.accounts()) <= SNAPSHOT_MAX_ROWS:
                # Resets are per test (the pytest fixture): copying beats regenerating 10x.
                self._start_rows = self.ledger.snapshot()
        if self.settings.scenario is not None:
            self.apply_scenario(self.settings.scenario)

    def _load_initial_data(self) -> None:
        """Fixture rows if any were given, else Faker rows for each account with a margin account."""
        self.ledger.clear()
        if self.settings.fixtures:
            accounts = {a.api_key for a in self.keys.accounts()}
            for path in self.settings.fixtures:
                for api_key, rows in load_fixture(path, self.default_api_key, accounts).items():
                    self.ledger.add(api_key, rows)
            return
        for account in self.keys.accounts():
            if account.margin_account:
                s = self.settings
                for chunk in generate_chunks(s.seed, self.anchor_ms, s.rows, account.api_key):
                    self.ledger.add(account.api_key, chunk)
        if self.settings.rows >= 100_000:
            _return_free_memory()

    def apply_scenario(self, scenario: Scenario) -> None:
        if scenario.clock is not None:
            self.set_clock(scenario.clock)
        if scenario.min_interval_ms is not None:
            self.pacer.reset(scenario.min_interval_ms)
        for i, (api_key, rows) in enumerate(scenario.transfers):
            try:
                account = self.account_key(api_key)
            except ValueError as exc:
                raise ValueError(f"{scenario.source}: transfers[{i}]: {exc}") from None
            self.ledger.add(account, rows)
        for i, rule in enumerate(scenario.faults):
            try:
                self.faults.add(rule)
            except ValueError as exc:
                raise ValueError(f"{scenario.source}: faults[{i}]: {exc}") from None

    def add_transfers(self, rows: Any, api_key: str | None = None) -> int:
        """Validated whole or nothing; raises ValueError naming the row and field."""
        account = self.account_key(api_key)
        parsed: list[Transfer] = parse_rows(rows, "rows")
        return self.ledger.add(account, parsed)

    def set_clock(self, data: Any) -> None:
        """`{"now_ms": N}` freezes, `{"offset_ms": N}` shifts (each may add `"strict": true`),
        `{"mode": "real"}` returns to real time; a bad shape raises ValueError saying so."""
        self.clock.apply(parse_clock_setting(data))

    def advance_clock(self, ms: Any) -> None:
        if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= MAX_MS:
            raise ValueError(f"advance_clock takes milliseconds (an integer from 0 to {MAX_MS}); got {ms!r}")
        self.clock.advance(ms)

    def set_pacing(self, min_interval_ms: Any) -> None:
        value = min_interval_ms
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"min_interval_ms must be a non-negative integer; got {value!r}")
        self.pacer.reset(value)

    def account_key(self, api_key: Any) -> str:
        """The account a control call names (the default one for None); ValueError otherwise."""
        if api_key is None:
            return self.default_api_key
        if not isinstance(api_key, str) or self.keys.get(api_key) is None:
            raise ValueError(not_an_account(api_key, (a.api_key for a in self.keys.accounts())))
        return api_key

    def cassette_state(self) -> dict[str, Any] | None:
        """What `/_mock/health` says of the cassette: its file, matcher, record mode and size."""
        cassette = self.settings.cassette
        if cassette is None:
            return None
        recording = self.recording
        return {
            "source": cassette.source,
            "match": cassette.match,
            "recordMode": recording.mode if recording is not None else "none",
            "upstream": self.upstream.origin if self.upstream is not None else None,
            "interactions": len(cassette.interactions),
        }

    # --- every call ---

    def handle(self, call: Call) -> Reply:
        """The answer to a call, journaled; or a FORWARD reply, to be completed by `forwarded`."""
        reply = self.pipeline.run(call)
        if reply.check == FORWARD:
            return reply
        self._journal(call, reply)
        return reply

    def forwarded(self, call: Call, answer: Upstreamed, tier: str | None) -> Reply:
        """What the upstream answered a forwarded call: recorded (unless it never answered),
        journaled, and passed on as received."""
        assert self.recording is not None and self.settings.cassette is not None
        r = answer.response
        if not answer.failed:
            self.recording.keep(
                self.settings.cassette, call.method, call.path, call.query, call.body, call.api_key, r
            )
        code, msg = r.error()
        reply = Reply(r.status, r.body, r.passed_on_headers(), r.content_type, code=code, msg=msg,
                      check="upstream", tier=tier)  # fmt: skip
        self._journal(call, reply)
        return reply

    def _journal(self, call: Call, reply: Reply) -> None:
        sent = call.query
        if call.body and call.method not in ("GET", "HEAD"):  # parameters in a form body (§1.5)
            sent = sent + b"&" + call.body if sent else call.body
        self.journal.record(
            self.clock.now_ms(), call.method, call.path, sent,
            mask_key(call.api_key) if call.api_key else None, reply.status, reply.code, reply.msg,
            reply.check, reply.rule_id, call.client_ip, reply.tier, reply.body,
        )  # fmt: skip


def _return_free_memory() -> None:
    """Generating a large ledger leaves freed heap behind; glibc keeps it unless asked
    (about 15 MB of 300 for a million rows). A no-op where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
