"""`MockBinance`: a real mock server in a background thread, driven from Python.

    with MockBinance(seed=7) as mock:
        mock.inject(-21003, times=2)          # the next two calls fail, then it succeeds
        client = Spot(api_key=mock.api_key, api_secret=mock.secret, base_url=mock.base_url)

The server is uvicorn on a free loopback port; every helper acts on the exchange directly
(same process), so nothing here goes over HTTP but the client under test.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import uvicorn

from mock_server.endpoints.declaration import Endpoint
from mock_server.endpoints.registry import DEFAULT_ENDPOINTS
from mock_server.exchange import Exchange
from mock_server.exchange.settings import build_settings
from mock_server.http.app import create_app
from mock_server.http.server import server_config
from mock_server.replay.proxy import DEFAULT_TIMEOUT_S, PYTHON_NAMES
from mock_server.rules.fidelity import Profile
from mock_server.state.journal import Entry


class MockBinance:
    """A real binance-mock server in a background thread, for tests written in Python.

    `with MockBinance() as mock:` serves on a free loopback port until the block ends; point the
    client under test at `mock.base_url` with `mock.api_key` and `mock.secret`. The arguments
    are `binance-mock serve`'s options (docs/serve.md), by the same names:

    - `seed`, `rows`, `anchor_ms`: the generated data (deterministic for the three);
    - `fixture` / `fixtures`: a fixture file's path, or a list of paths, instead of generated rows;
    - `keys` (alias `keys_path`): a keys file replacing the demo account;
    - `profile`: the fidelity profile, as a `Profile`, a mapping of decisions
      (`{"size_over_max": "clamp"}`, like `--fidelity`) or a profile file's path (`--profile`);
    - `min_interval_ms` (pacing), `ip_weight_limit`, `scenario` (a path), `journal_size`,
      `cassette` (a path), `on_miss` and `match` (`"params"` or `"sequence"`); `host` and
      `port` (0: any free port);
    - recording the app's traffic: `record_mode` (`"none"`, `"new"`, `"all"`), `upstream` (a
      URL), `upstream_timeout_s` and `redact` (values to scrub), with `cassette` the file;
    - `endpoints`: the endpoint declarations to serve (docs/adding-an-endpoint.md);
      `only_exact`: serve them alone, without the spec tier (`--only-exact`).

    Every method acts on the running mock directly and checks its input when called, raising
    ValueError with the message the control API would answer.
    """

    def __init__(
        self,
        seed: int = 7,
        rows: int = 2_000,
        anchor_ms: int | None = None,
        fixtures: str | Iterable[str] = (),
        keys: str | None = None,
        profile: Profile | Mapping[str, str] | str | None = None,
        min_interval_ms: int = 0,
        ip_weight_limit: int | None = None,
        scenario: str | None = None,
        journal_size: int = 1_000,
        cassette: str | None = None,
        on_miss: str = "error",
        match: str | None = None,
        record_mode: str = "none",
        upstream: str | None = None,
        upstream_timeout_s: float = DEFAULT_TIMEOUT_S,
        redact: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        endpoints: Iterable[Endpoint] = DEFAULT_ENDPOINTS,
        only_exact: bool = False,
        *,
        fixture: str | Iterable[str] = (),
        keys_path: str | None = None,
    ) -> None:
        paths = [p for given in (fixture, fixtures) for p in ([given] if isinstance(given, str) else given)]
        settings = build_settings(
            PYTHON_NAMES, seed=seed, anchor_ms=anchor_ms, rows=rows, fixtures=paths, keys=keys or keys_path,
            profile=profile, min_interval_ms=min_interval_ms, ip_weight_limit=ip_weight_limit,
            scenario=scenario, journal_size=journal_size, cassette=cassette, on_miss=on_miss, match=match,
            record_mode=record_mode, upstream=upstream, upstream_timeout_s=upstream_timeout_s, redact=redact,
            endpoints=endpoints, only_exact=only_exact,
        )  # fmt: skip
        self.exchange = Exchange(settings)
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    # --- lifecycle ---

    def start(self) -> MockBinance:
        """Serve on a free loopback port (or the one given); on failure nothing stays open."""
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError as exc:
            sock.close()
            raise OSError(exc.errno, f"cannot listen on {self._host}:{self._port}: {exc.strerror}") from None
        server = uvicorn.Server(server_config(create_app(exchange=self.exchange)))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="binance-mock", daemon=True
        )
        self._server, self._thread, self._sock = server, thread, sock
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("binance-mock server did not start (see the log above)")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving and free the port (the mock's state stays; `start()` serves it again)."""
        if self._server is None:
            return
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> MockBinance:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- where and who ---

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` of the running mock."""
        if self._sock is None:
            raise RuntimeError("the mock is not running: use `with MockBinance() as mock:` or start()")
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def stream_url(self) -> str:
        """`ws://127.0.0.1:PORT`: the market streams, on the same port (docs/streams.md)."""
        return self.base_url.replace("http://", "ws://", 1)

    @property
    def api_key(self) -> str:
        """The first account's API key (the demo key unless `keys` replaced the accounts)."""
        return self.exchange.default_api_key

    @property
    def secret(self) -> str | None:
        """The HMAC secret of the default account (None for an RSA or Ed25519 key)."""
        return self.exchange.account().secret

    # --- faults ---

    def inject(self, code: int | None = None, **rule: Any) -> int:
        """Add a fault rule (the control API's shape); returns its id.

        `inject(-3020)`, `inject(-3065, args=["LUNA", "10", "LUNA"])`, `inject(-1003, times=3)`,
        `inject(delay_ms=300, times=None)`, `inject(fault="reset")`, `inject(..., match={"params": {...}})`.
        """
        if code is not None:
            rule["code"] = code
        return self.exchange.add_fault(rule).id

    def faults(self) -> list[dict[str, Any]]:
        """Every rule as the control API lists it, with `fired` and `remaining`."""
        return [r.to_dict() for r in self.exchange.fault_rules()]

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.exchange.clear_faults()

    # --- streams (docs/streams.md, "Faults on the streams") ---

    def connections(self) -> list[dict[str, Any]]:
        """The open WebSocket connections, as `GET /_mock/streams` lists them."""
        return self.exchange.stream_connections()

    def drop_streams(
        self, stream: str | None = None, listen_key: str | None = None, api_key: str | None = None,
        endpoint: str | None = None,
    ) -> int:  # fmt: skip
        """Close the matching connections now, without a close frame, as a failed network would
        (every connection when nothing is named); returns how many. `endpoint`: "streams" or
        "ws-api"; `api_key`: the connections carrying that account's user data."""
        return self.exchange.drop_streams(_stream_match(stream, listen_key, api_key, endpoint))

    def stream_fault(
        self, kind: str, ms: int | None = None, times: int | None = None, stream: str | None = None,
        listen_key: str | None = None, api_key: str | None = None, endpoint: str | None = None,
    ) -> int:  # fmt: skip
        """Add a stream fault; returns its id. `stream_fault("pause", ms=2000, stream="btcusdt@trade")`,
        `stream_fault("delay", ms=300)`, `stream_fault("gap", stream="btcusdt@depth@100ms")`,
        `stream_fault("expire")` (every connection ends as at 24 hours, now),
        `stream_fault("refuse", ms=5000)`, `stream_fault("shutdown", ms=2000)` (Binance's serverShutdown
        event now, the close 2 s later)."""
        rule: dict[str, Any] = {"kind": kind, "match": _stream_match(stream, listen_key, api_key, endpoint)}
        if ms is not None:
            rule["ms"] = ms
        if times is not None:
            rule["times"] = times
        return int(self.exchange.add_stream_fault(rule)["id"])

    def stream_faults(self) -> list[dict[str, Any]]:
        """Every stream fault as the control API lists it, with `fired` and `active`."""
        return self.exchange.stream_fault_rules()

    def clear_stream_faults(self) -> None:
        self.exchange.clear_stream_faults()

    def set_pacing(self, min_interval_ms: int) -> None:
        """Calls of one account closer than this get -21003 (0 turns pacing off)."""
        self.exchange.set_pacing(min_interval_ms)

    # --- data ---

    def add_transfers(self, rows: list[dict[str, Any]], api_key: str | None = None) -> int:
        """Add rows (in Binance's shape) to an account, the first one by default; validated
        whole or nothing. Returns how many were added."""
        return self.exchange.add_transfers(rows, api_key)

    def clear_transfers(self, api_key: str | None = None) -> None:
        """Empty one account's rows, or every account's (no `api_key`)."""
        self.exchange.clear_transfers(api_key)

    def transfers(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every row of the account, newest first, as Binance shows it."""
        return self.exchange.transfers(api_key)

    # --- wallets ---

    def set_balance(
        self, asset: str, free: str | int, wallet: str = "SPOT", api_key: str | None = None
    ) -> None:
        """Set one free balance (`"1000"`) of a wallet (SPOT, MARGIN, FUNDING, ISOLATED:<SYMBOL>)
        of an account (the first by default)."""
        self.exchange.set_balance(wallet, asset, free, api_key)

    def balances(self, api_key: str | None = None) -> dict[str, dict[str, dict[str, str]]]:
        """wallet -> asset -> {"free", "locked", "borrowed", "interest"}, as decimal strings."""
        wallets = self.exchange.balances(api_key)
        return {w: {a: b.to_dict() for a, b in assets.items()} for w, assets in wallets.items()}

    def orders(
        self, symbol: str | None = None, open_only: bool = False, api_key: str | None = None
    ) -> list[dict[str, Any]]:
        """An account's orders (every one, or the open ones), oldest first, as
        `GET /api/v3/order` shows them plus the `wallet` each trades from (SPOT, MARGIN,
        ISOLATED:<SYMBOL>); resting orders the market has reached by now are filled first."""
        return [
            {"wallet": o.wallet, **o.query_json()} for o in self.exchange.orders(api_key, symbol, open_only)
        ]

    def trades(self, symbol: str | None = None, api_key: str | None = None) -> list[dict[str, Any]]:
        """An account's fills, oldest first, as `GET /api/v3/myTrades` shows them plus `wallet`."""
        return [{"wallet": f.wallet, **f.trade_json()} for f in self.exchange.account_trades(api_key, symbol)]

    # --- the market ---

    def set_price(self, symbol: str, price: str | int | float) -> dict[str, Any]:
        """Set a symbol's price now (`"61000.5"`): a trade at that price, and the seeded moves
        go on from there. Returns `{"symbol", "price", "steered"}`."""
        return self.exchange.set_price(symbol, price)

    def move_price(self, symbol: str, price: str | int | float, over_ms: int) -> dict[str, Any]:
        """Move a symbol's price from where it is now to `price`, linearly over `over_ms` of mock
        time (a frozen clock holds the move; `advance_clock` plays it); then the seeded moves
        go on from there."""
        return self.exchange.move_price(symbol, price, over_ms)

    def steer_price(self, symbol: str, path: list[dict[str, Any]]) -> dict[str, Any]:
        """Move a symbol through points, `[{"in_ms": 300000, "price": "55000"}, ...]`, each
        `in_ms` counted from now (the control API's `{"path": [...]}`)."""
        return self.exchange.steer(symbol, {"path": path})

    def release_price(self, symbol: str) -> dict[str, Any]:
        """Back to the seeded path from now on (the price jumps to the seeded one)."""
        return self.exchange.release_price(symbol)

    def prices(self) -> list[dict[str, Any]]:
        """Every symbol with its price now and whether it is steered."""
        return self.exchange.prices()

    # --- clock ---

    def now_ms(self) -> int:
        """The server clock, as `/api/v3/time` answers it."""
        return self.exchange.now_ms()

    def freeze_clock(self, now_ms: int, strict: bool = False) -> None:
        """Stop the server clock at `now_ms`. Unless `strict`, a request timestamp valid against
        the wall clock is still accepted, so a client that never syncs keeps working."""
        self.exchange.set_clock({"now_ms": now_ms, "strict": strict})

    def shift_clock(self, offset_ms: int, strict: bool = False) -> None:
        """Run the server clock `offset_ms` from real time (`strict` as for freeze_clock)."""
        self.exchange.set_clock({"offset_ms": offset_ms, "strict": strict})

    def advance_clock(self, ms: int) -> None:
        """Move a frozen clock forward by `ms` (or add `ms` to a shifted one's offset)."""
        self.exchange.advance_clock(ms)

    def real_clock(self) -> None:
        """Back to real time."""
        self.exchange.real_clock()

    # --- journal ---

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """The journal, oldest first (docs/control-api.md shows an entry), optionally of one path."""
        return [e.to_dict() for e in self._entries(path)]

    def clear_requests(self) -> None:
        """Empty the journal."""
        self.exchange.clear_requests()

    def _entries(self, path: str | None) -> list[Entry]:
        return [e for e in self.exchange.requests() if path is None or e.path == path]

    def assert_request_made(
        self,
        path: str | None = None,
        params: Mapping[str, Any] | None = None,
        status: int = 200,
    ) -> dict[str, Any]:
        """The newest journal entry with this path (the transfer history's by default),
        parameter values and status; when none is there, an AssertionError that shows the nearest
        requests and what refused them."""
        path = path if path is not None else self.exchange.history().path
        wanted = {k: str(v) for k, v in (params or {}).items()}
        entries = self.exchange.requests()
        for e in reversed(entries):
            if e.path == path and e.status == status and all(e.param(k) == v for k, v in wanted.items()):
                return e.to_dict()
        raise AssertionError(_explain_miss(path, wanted, status, entries))

    def reset(self) -> None:
        """Back to the state at start: rows, faults, clock, pacing, journal, weights and the
        market's steering."""
        self.exchange.reset()


def _explain_miss(path: str, wanted: dict[str, str], status: int, entries: list[Entry]) -> str:
    def distance(e: Entry) -> int:
        d = 0 if e.path == path else 10
        d += sum(1 for k, v in wanted.items() if e.param(k) != v)
        return d + (0 if e.status == status else 1)

    nearest = sorted(entries, key=lambda e: (distance(e), -e.id))[:5]
    lines = [
        f"no {status} request to {path} with {wanted or 'any parameters'}; {len(entries)} in the journal."
    ]
    if nearest:
        lines.append("Nearest:")
    for e in nearest:
        differs = [f"{k}={e.param(k)!r} (wanted {v!r})" for k, v in wanted.items() if e.param(k) != v]
        why = (
            f"refused by the {e.check} check: {e.code} {e.msg}"
            if e.code is not None
            else f"status {e.status}"
        )
        lines.append(
            f"  #{e.id} {e.method} {e.path} -> {why}"
            + (f"; differs: {', '.join(differs)}" if differs else "")
        )
    return "\n".join(lines)


def _stream_match(
    stream: str | None, listen_key: str | None, api_key: str | None, endpoint: str | None
) -> dict[str, str]:
    named = {"stream": stream, "listenKey": listen_key, "apiKey": api_key, "endpoint": endpoint}
    return {k: v for k, v in named.items() if v is not None}
