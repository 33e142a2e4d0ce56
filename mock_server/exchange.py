"""The fake exchange: all state of one mock, and the request pipeline, free of any web framework.

`Exchange.handle` reads top to bottom as Binance's precedence: route, weight, the signed
checks (security.authenticate), the endpoint's parameters and window, then faults, then
the answer. Every failure is a BinanceError turned into `{"code", "msg"}` in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from mock_server import errors
from mock_server.clock import Clock
from mock_server.data import DEFAULT_ROWS, generate, load_fixture
from mock_server.endpoints import margin_transfer
from mock_server.errors import BinanceError
from mock_server.fidelity import API_IP_WEIGHT_LIMIT, SAPI_IP_WEIGHT_LIMIT, Profile
from mock_server.ledger import Ledger
from mock_server.limits import WeightCounter
from mock_server.security import KeyStore, authenticate, demo_account, load_keys
from mock_server.wire import Call, Reply

SAPI_JSON = "application/json"  # F19
API_JSON = "application/json;charset=UTF-8"  # F19


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


def error_body(code: int, msg: str) -> bytes:
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":"), ensure_ascii=False).encode()


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
        self.anchor_ms = (
            self.settings.anchor_ms if self.settings.anchor_ms is not None else self.clock.now_ms()
        )
        self._routes: dict[str, dict[str, Callable[[Call], Reply]]] = {
            "/api/v3/ping": {"GET": self._ping},
            "/api/v3/time": {"GET": self._time},
            "/sapi/v1/system/status": {"GET": self._system_status},
            margin_transfer.PATH: {"GET": self._margin_transfer},
        }
        self.load_initial_data()

    # --- state ---

    def load_initial_data(self) -> None:
        """The start state: fixture rows if any were given, else Faker rows for each account."""
        self.ledger.clear()
        default_key = self.keys.first().api_key
        if self.settings.fixtures:
            for path in self.settings.fixtures:
                for api_key, rows in load_fixture(path, default_key).items():
                    self.ledger.add(api_key, rows)
            return
        for account in self.keys.accounts():
            if account.margin_account:
                rows = generate(self.settings.seed, self.anchor_ms, self.settings.rows, account.api_key)
                self.ledger.add(account.api_key, rows)

    # --- the pipeline ---

    def handle(self, call: Call) -> Reply:
        methods = self._routes.get(call.path)
        if methods is None:
            return self._error_reply(BinanceError(errors.NOT_FOUND), SAPI_JSON, {})
        handler = methods.get(call.method) or (methods.get("GET") if call.method == "HEAD" else None)
        if handler is None:
            return self._error_reply(BinanceError(errors.NOT_FOUND, status=405), SAPI_JSON, {})
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

    def _error_reply(self, err: BinanceError, content_type: str, headers: dict[str, str]) -> Reply:
        return Reply(err.status, error_body(err.code, err.msg), headers, content_type)

    def _public(self, call: Call, body: bytes) -> Reply:
        headers, over = self._weigh(call, 1)
        ctype = SAPI_JSON if call.path.startswith("/sapi/") else API_JSON
        if over is not None:
            return self._error_reply(over, ctype, headers)
        return Reply(200, body, headers, ctype)

    def _ping(self, call: Call) -> Reply:
        return self._public(call, b"{}")

    def _time(self, call: Call) -> Reply:
        return self._public(call, b'{"serverTime":%d}' % self.clock.now_ms())

    def _system_status(self, call: Call) -> Reply:
        return self._public(call, b'{"status":0,"msg":"normal"}')

    def _margin_transfer(self, call: Call) -> Reply:
        headers, over = self._weigh(call, margin_transfer.WEIGHT)
        try:
            if over is not None:
                raise over
            now = self.clock.now_ms()
            auth = authenticate(call.api_key, call.query, call.body, self.keys, now, self.profile)
            request = margin_transfer.validate(
                auth.params, now, self.profile, self.ledger, auth.account.api_key
            )
            if not auth.account.margin_account:
                raise BinanceError(errors.NO_MARGIN_ACCOUNT)  # F21
            body = margin_transfer.respond(request, self.ledger, auth.account.api_key, self.profile)
        except BinanceError as err:
            return self._error_reply(err, SAPI_JSON, headers)
        return Reply(200, body, headers, SAPI_JSON)
