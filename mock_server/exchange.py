"""The fake exchange: all state of one mock, and the request pipeline, free of any web framework.

`Exchange.handle` reads top to bottom as Binance's precedence (F16): route, weight, the
signed checks (security.authenticate), the endpoint's parameters and window, injected
faults, pacing, the account, then the answer. Every failure is a BinanceError turned into
`{"code", "msg"}` in one place, and every call lands in the journal.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mock_server import errors
from mock_server.cassette import Cassette
from mock_server.clock import Clock
from mock_server.data import DEFAULT_ROWS, generate_chunks, load_fixture, parse_rows
from mock_server.endpoints import margin_transfer
from mock_server.endpoints.margin_transfer import Request
from mock_server.errors import BinanceError, error_body
from mock_server.faults import FaultBook, Outcome, Pacer
from mock_server.fidelity import API_IP_WEIGHT_LIMIT, SAPI_IP_WEIGHT_LIMIT, Profile
from mock_server.journal import DEFAULT_SIZE, Journal
from mock_server.ledger import AccountLedger, Ledger, Transfer
from mock_server.limits import MINUTE_MS, WeightCounter
from mock_server.params import parse_query
from mock_server.scenario import Scenario
from mock_server.security import Authenticated, KeyStore, authenticate, demo_account, load_keys, mask_key
from mock_server.wire import Call, Reply

SAPI_JSON = "application/json"  # F19
SNAPSHOT_MAX_ROWS = 200_000  # a copy of the start ledger is kept for fast resets up to this size
API_JSON = "application/json;charset=UTF-8"  # F19

# Which check answered, by the code authenticate() raised (the journal shows it).
_AUTH_CHECK = {-2014: "key", -2015: "key", -1021: "timestamp", -1022: "signature"}
_WINDOW_CODES = frozenset({-1127, -3011})


@dataclass
class Settings:
    seed: int = 7
    anchor_ms: int | None = None  # None: the clock's now at start
    rows: int = DEFAULT_ROWS
    fixtures: list[str] = field(default_factory=list)
    keys_path: str | None = None
    profile: Profile = field(default_factory=Profile)
    sapi_weight_limit: int = SAPI_IP_WEIGHT_LIMIT
    api_weight_limit: int = API_IP_WEIGHT_LIMIT
    min_interval_ms: int = 0
    journal_size: int = DEFAULT_SIZE
    scenario: Scenario | None = None
    cassette: Cassette | None = None  # replay recorded answers (README "Recording and replay")
    on_miss: str = "error"  # a request the cassette lacks: "error" (-1099) or "ledger"


class Exchange:
    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock or Clock()
        self.profile = self.settings.profile
        accounts = load_keys(self.settings.keys_path) if self.settings.keys_path else [demo_account()]
        self.keys = KeyStore(accounts)
        self.ledger = Ledger()
        self.sapi_weight = WeightCounter(self.settings.sapi_weight_limit)
        self.api_weight = WeightCounter(self.settings.api_weight_limit)
        self.faults = FaultBook(seed=self.settings.seed)
        self.pacer = Pacer(self.settings.min_interval_ms)
        self.journal = Journal(self.settings.journal_size)
        self._start_clock = self.clock.state()
        self._start_rows: dict[str, AccountLedger] | None = None
        self.anchor_ms = (
            self.settings.anchor_ms if self.settings.anchor_ms is not None else self.clock.now_ms()
        )
        self._routes: dict[str, dict[str, Callable[[Call], Reply]]] = {
            "/api/v3/ping": {"GET": self._ping},
            "/api/v3/time": {"GET": self._time},
            "/sapi/v1/system/status": {"GET": self._system_status},
            margin_transfer.PATH: {"GET": self._margin_transfer},
        }
        self.reset()

    # --- state ---

    @property
    def default_api_key(self) -> str:
        return self.keys.first().api_key

    def reset(self) -> None:
        """Back to the state at start: data, faults, clock, pacing, journal and weights."""
        if self._start_clock.mode == "frozen":
            self.clock.freeze(self._start_clock.now_ms)
        else:
            self.clock.shift(self._start_clock.offset_ms)
        self.faults.clear()
        self.pacer.reset(self.settings.min_interval_ms)
        self.journal.clear()
        self.sapi_weight.reset()
        self.api_weight.reset()
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
            for path in self.settings.fixtures:
                for api_key, rows in load_fixture(path, self.default_api_key).items():
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
        for api_key, rows in scenario.transfers:
            self.ledger.add(api_key or self.default_api_key, rows)
        for rule in scenario.faults:
            self.faults.add(rule)

    def add_transfers(self, rows: Any, api_key: str | None = None) -> int:
        """Validated whole or nothing; raises ValueError naming the row and field."""
        parsed: list[Transfer] = parse_rows(rows, "rows")
        return self.ledger.add(api_key or self.default_api_key, parsed)

    def set_clock(self, data: Any) -> None:
        """`{"now_ms": N}` freezes, `{"offset_ms": N}` shifts, `{"mode": "real"}` returns to real time."""
        if not isinstance(data, dict) or len(data) != 1:
            raise ValueError('clock takes one of {"now_ms": N}, {"offset_ms": N}, {"mode": "real"}')
        ((name, value),) = data.items()
        if name == "mode" and value == "real":
            self.clock.real()
        elif name in ("now_ms", "offset_ms") and isinstance(value, int) and not isinstance(value, bool):
            if name == "now_ms":
                self.clock.freeze(value)
            else:
                self.clock.shift(value)
        else:
            raise ValueError('clock takes one of {"now_ms": N}, {"offset_ms": N}, {"mode": "real"}')

    # --- the pipeline ---

    def handle(self, call: Call) -> Reply:
        reply = self._route(call)
        self.journal.record(
            time_ms=self.clock.now_ms(),
            method=call.method,
            path=call.path,
            query=call.query,
            api_key=mask_key(call.api_key) if call.api_key else None,
            status=reply.status,
            code=reply.code,
            msg=reply.msg,
            check=reply.check,
            rule_id=reply.rule_id,
            client_ip=call.client_ip,
        )
        return reply

    def _route(self, call: Call) -> Reply:
        methods = self._routes.get(call.path)
        if methods is None:
            return self._error_reply(BinanceError(errors.NOT_FOUND), SAPI_JSON, {}, "route")
        handler = methods.get(call.method) or (methods.get("GET") if call.method == "HEAD" else None)
        if handler is None:
            return self._error_reply(BinanceError(errors.NOT_FOUND, status=405), SAPI_JSON, {}, "route")
        return handler(call)

    def _weigh(self, call: Call, weight: int) -> tuple[dict[str, str], BinanceError | None]:
        """F18: count the call's weight; every answer on the path reports it, errors included."""
        now = self.clock.now_ms()
        if call.path.startswith("/sapi/"):
            spend = self.sapi_weight.spend(f"{call.client_ip} {call.path}", weight, now)
            headers = {"X-SAPI-USED-IP-WEIGHT-1M": str(spend.used)}
        else:
            spend = self.api_weight.spend(call.client_ip, weight, now)
            headers = {"X-MBX-USED-WEIGHT": str(spend.used), "X-MBX-USED-WEIGHT-1M": str(spend.used)}
        if not spend.over:
            return headers, None
        headers["Retry-After"] = str(spend.retry_after_s)
        return headers, BinanceError(errors.TOO_MUCH_WEIGHT, spend.limit, "1 MINUTE")

    def _error_reply(
        self,
        err: BinanceError,
        content_type: str,
        headers: dict[str, str],
        check: str,
        rule_id: int | None = None,
    ) -> Reply:
        return Reply(
            err.status, error_body(err.code, err.msg), headers, content_type,
            code=err.code, msg=err.msg, check=check, rule_id=rule_id,
        )  # fmt: skip

    def _faulted(self, outcome: Outcome, ctype: str, headers: dict[str, str]) -> Reply | None:
        """The answer an injected rule imposes, or None to go on (latency alone goes on)."""
        if outcome.drop is not None:
            return Reply(
                0, b"", headers, ctype, outcome.delay_ms, outcome.drop, check="fault", rule_id=outcome.rule_id
            )
        if outcome.error is None:
            return None
        if outcome.error.status == 429 and "Retry-After" not in headers:
            now = self.clock.now_ms()
            default = -(-(MINUTE_MS - now % MINUTE_MS) // 1000)
            headers["Retry-After"] = str(outcome.retry_after if outcome.retry_after is not None else default)
        reply = self._error_reply(outcome.error, ctype, headers, "fault", outcome.rule_id)
        reply.delay_ms = outcome.delay_ms
        return reply

    def _public(self, call: Call, body: bytes) -> Reply:
        headers, over = self._weigh(call, 1)
        ctype = SAPI_JSON if call.path.startswith("/sapi/") else API_JSON
        if over is not None:
            return self._error_reply(over, ctype, headers, "rate_limit")
        outcome = self.faults.decide(call.path, call.api_key, _lenient_params(call.query))
        faulted = self._faulted(outcome, ctype, headers)
        if faulted is not None:
            return faulted
        return Reply(200, body, headers, ctype, delay_ms=outcome.delay_ms)

    def _ping(self, call: Call) -> Reply:
        return self._public(call, b"{}")

    def _time(self, call: Call) -> Reply:
        return self._public(call, b'{"serverTime":%d}' % self.clock.now_ms())

    def _system_status(self, call: Call) -> Reply:
        return self._public(call, b'{"status":0,"msg":"normal"}')

    def _validate(self, auth: Authenticated, now: int, headers: dict[str, str]) -> Request | Reply:
        try:
            return margin_transfer.validate(auth.params, now, self.profile, self.ledger, auth.account.api_key)
        except BinanceError as err:
            check = "window" if err.code in _WINDOW_CODES else "parameter"
            return self._error_reply(err, SAPI_JSON, headers, check)

    def _margin_transfer(self, call: Call) -> Reply:
        headers, over = self._weigh(call, margin_transfer.WEIGHT)
        if over is not None:
            return self._error_reply(over, SAPI_JSON, headers, "rate_limit")
        now = self.clock.now_ms()
        try:
            auth = authenticate(call.api_key, call.query, call.body, self.keys, now, self.profile)
        except BinanceError as err:
            return self._error_reply(err, SAPI_JSON, headers, _AUTH_CHECK.get(err.code, "parameter"))
        api_key = auth.account.api_key
        cassette = self.settings.cassette
        # Replay answers what was recorded, errors included, so the mock's own parameter
        # rules apply only when there is no cassette (or it has no recording: --on-miss ledger).
        request = None if cassette is not None else self._validate(auth, now, headers)
        if isinstance(request, Reply):
            return request
        outcome = self.faults.decide(call.path, api_key, auth.params.first)
        faulted = self._faulted(outcome, SAPI_JSON, headers)
        if faulted is not None:
            return faulted
        paced = self.pacer.check(api_key, now)
        if paced is not None:
            return self._error_reply(paced, SAPI_JSON, headers, "pacing")
        if cassette is not None:
            pairs = [(p.name, p.value) for p in auth.params.items]
            hit = cassette.answer(call.method, call.path, pairs, self.settings.on_miss)
            if hit is not None:
                return Reply(hit.status, hit.body, {**hit.headers, **headers}, hit.content_type,
                             delay_ms=outcome.delay_ms, code=hit.code, msg=hit.msg, check=hit.check)  # fmt: skip
            request = self._validate(auth, now, headers)
            if isinstance(request, Reply):
                return request
        if not auth.account.margin_account:
            return self._error_reply(
                BinanceError(errors.NO_MARGIN_ACCOUNT), SAPI_JSON, headers, "account"
            )  # F21
        body = margin_transfer.respond(request, self.ledger, api_key, self.profile)
        return Reply(200, body, headers, SAPI_JSON, delay_ms=outcome.delay_ms)


def _lenient_params(query: bytes) -> dict[str, str]:
    if not query:
        return {}
    try:
        return {p.name: p.value for p in parse_query(query).items}
    except BinanceError:
        return {}


def _return_free_memory() -> None:
    """Generating a large ledger leaves freed heap behind; glibc keeps it unless asked
    (about 15 MB of 300 for a million rows). A no-op where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
