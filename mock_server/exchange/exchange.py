"""The fake exchange, free of any web framework.

`Exchange` builds the world a `Settings` describes (mock_server/exchange/world.py), answers
every call through the one pipeline (mock_server/exchange/pipeline.py), records each in the
journal, and is the one facade the control API, scenarios, `MockBinance` and tests act through.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from mock_server.endpoints.declaration import Endpoint
from mock_server.endpoints.registry import Registry
from mock_server.endpoints.spec import spec_endpoints
from mock_server.exchange.pipeline import Pipeline
from mock_server.exchange.settings import Settings
from mock_server.exchange.wire import Call, Forward, Reply
from mock_server.exchange.world import Snapshot, World
from mock_server.injection.faults import FaultRule
from mock_server.injection.scenario import Scenario
from mock_server.market.model import MINUTE_MS, Market
from mock_server.market.steering import Plan, parse_plan, parse_price
from mock_server.market.symbols import Pair, listing
from mock_server.market.symbols import asset as asset_of
from mock_server.market.text import decimal
from mock_server.replay.proxy import Upstreamed
from mock_server.rules.fidelity import Switch
from mock_server.state.accounts import Account, KeyStore, demo_account, load_keys, mask_key, not_an_account
from mock_server.state.clock import MAX_MS, Clock, ClockState, parse_clock_setting
from mock_server.state.data import Holdings, generate_chunks, open_fixture, parse_rows
from mock_server.state.journal import Entry
from mock_server.state.ledger import Summary, Transfer
from mock_server.state.opening import Opening
from mock_server.state.operations import Operations
from mock_server.state.orders import Fill, Order
from mock_server.state.wallets import EIGHT, Balance, amount, wallet_name
from mock_server.state.weights import Weights
from mock_server.streams.connections import Connection, Connections, masked_listen_keys
from mock_server.streams.faults import SHUTDOWN_MS, parse_fault, parse_match
from mock_server.streams.hub import Hub
from mock_server.streams.user import UserData

SNAPSHOT_MAX_ROWS = 200_000  # a copy of the start ledger is kept for fast resets up to this size
SPOT_USDT = 10_000  # F51: what an account keeps in SPOT besides what its history moved
SPOT_DOLLARS = 2_000  # ...and this many dollars' worth of each asset of its history


FILL_THROUGH = Switch("resting_fill", "through")  # F61


class Exchange:
    """The facade: the control API, `MockBinance`, scenarios and tests act through its methods."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        s = self.settings
        self.profile = s.profile
        accounts = load_keys(s.keys_path) if s.keys_path else [demo_account()]
        self.keys = KeyStore(accounts)
        spec = () if s.only_exact else spec_endpoints(s.seed)
        declared = [e for e in s.endpoints if e.tier == "exact"] if s.only_exact else s.endpoints
        self.registry = Registry(declared, spec)
        limits = (s.api_weight_limit, s.sapi_weight_limit, s.sapi_uid_weight_limit)
        clock = clock or Clock()
        self.anchor_ms = s.anchor_ms if s.anchor_ms is not None else clock.now_ms()
        self.world = World(
            clock, s.journal_size, limits, s.seed, self.registry.paths(), s.min_interval_ms,
            Market(s.seed, self.anchor_ms),
        )  # fmt: skip
        self.world.fill_through = FILL_THROUGH.on(self.profile)
        # The market streams: one hub for every WebSocket connection (mock_server/streams/).
        self.streams = Hub(
            self.world.clock.now_ms, lambda: self.world.market, self.world.lock,
            lambda stream: UserData(stream, self.world.outbox, self.world.listen_keys),
            self.world.stream_faults, self._listen_key_owner, Connections(self._journal_connection),
        )  # fmt: skip
        self.streams.note = self._journal_stream_fault
        self.streams.refused = self._journal_refusal
        self.recording = s.recording
        if self.recording is not None and s.cassette is None:
            raise ValueError("recording needs the cassette to record into (Recording.open)")
        self.upstream = self.recording.upstream if self.recording is not None else None
        self._load_initial_data()
        if s.scenario is not None:
            self.apply_scenario(s.scenario)
        # The market lists the pairs of the data at start too (a fixture's asset, an isolated symbol).
        ledger = self.world.ledger
        self.world.market = Market(
            s.seed, self.anchor_ms, listing(ledger.assets(), ledger.isolated_symbols())
        )
        if s.scenario is not None:  # its symbols are the market's, listed only now
            for symbol, plan in s.scenario.market:
                try:
                    self.steer(symbol, plan)
                except ValueError as exc:
                    raise ValueError(f"{s.scenario.source}: market.{symbol}: {exc}") from None
        self.pipeline = Pipeline(
            self.registry, self.keys, self.world, self.profile, s.cassette, s.on_miss,
            self.recording.mode if self.recording is not None else "none",
        )  # fmt: skip
        # Resets are per test (the pytest fixture): copying beats regenerating 10x, up to a size.
        rows = sum(self.world.ledger.count(a.api_key) for a in self.keys.accounts())
        self._start = self.world.snapshot(ledger=rows <= SNAPSHOT_MAX_ROWS)

    # --- state ---

    @property
    def default_api_key(self) -> str:
        return self.keys.first().api_key

    def reset(self) -> None:
        """Back to the state at start: every part of the world (rows, balances, faults, clock,
        pacing, weights, journal); a cassette's sequences start over, its recordings stay."""
        if self._start.ledger is None:
            self._load_initial_data()
        self.world.restore(self._start)
        if self.settings.cassette is not None:
            self.settings.cassette.rewind()

    def snapshot(self) -> Snapshot:
        return self.world.snapshot()

    def restore(self, snapshot: Snapshot) -> None:
        self.world.restore(snapshot)

    def _load_initial_data(self) -> None:
        """Fixture rows if any were given, else Faker rows for each account with a margin account;
        then each account's balances, opening where its history needs them (opening.py)."""
        ledger = self.world.ledger
        ledger.clear()
        openings = {a.api_key: Opening() for a in self.keys.accounts()}
        given: dict[str, tuple[str, Holdings]] = {}  # opening balances a fixture gives, and its file
        if self.settings.fixtures:
            accounts = {a.api_key for a in self.keys.accounts()}
            loaded: dict[str, list[Transfer]] = {}
            for path in self.settings.fixtures:
                fixture = open_fixture(path, self.default_api_key, accounts)
                for api_key, rows in fixture.rows.items():
                    ledger.add(api_key, rows)
                    loaded.setdefault(api_key, []).extend(rows)
                for api_key, holdings in fixture.balances.items():
                    given[api_key] = (fixture.source, {**given.get(api_key, ("", {}))[1], **holdings})
            for api_key, rows in loaded.items():
                openings[api_key].feed(sorted(rows, key=lambda t: (t.timestamp, t.tx_id)))
        else:
            for account in self.keys.accounts():
                if account.margin_account:
                    s = self.settings
                    for chunk in generate_chunks(s.seed, self.anchor_ms, s.rows, account.api_key):
                        ledger.add(account.api_key, chunk)
                        openings[account.api_key].feed(chunk)
        self._open_balances(openings, given)
        if self.settings.rows >= 100_000:
            _return_free_memory()

    def _open_balances(self, openings: dict[str, Opening], given: dict[str, tuple[str, Holdings]]) -> None:
        """Today's balance of every wallet the history touches: from the opening balances a
        fixture gives, or else from the least the history needs plus what an account keeps in
        SPOT: 10,000 USDT and 2,000 dollars' worth of each asset of its history (F51)."""
        wallets = self.world.wallets
        wallets.restore(({}, []))
        for api_key, (source, holdings) in given.items():
            try:
                today = openings.pop(api_key).from_given(holdings)
            except ValueError as exc:
                raise ValueError(f"{source}: account {mask_key(api_key)}: {exc}") from None
            for (wallet, asset), (_, amount_today) in today.items():
                wallets.set(self.anchor_ms, api_key, wallet, asset, amount_today, cause="opening")
        for api_key, opening in openings.items():
            keep = {("SPOT", "USDT"): Decimal(SPOT_USDT)}
            for asset in self.world.ledger.assets(api_key):
                if asset != "USDT":
                    keep[("SPOT", asset)] = (
                        Decimal(SPOT_DOLLARS) / Decimal(str(asset_of(asset).usd))
                    ).quantize(EIGHT)
            for (wallet, asset), (_, today) in opening.balances(keep).items():
                wallets.set(self.anchor_ms, api_key, wallet, asset, today, cause="opening")

    def apply_scenario(self, scenario: Scenario) -> None:
        """All but its market section, which needs the market (listed after the scenario's rows)."""
        if scenario.clock is not None:
            self.set_clock(scenario.clock)
        if scenario.min_interval_ms is not None:
            self.world.pacer.reset(scenario.min_interval_ms)
        for i, (api_key, rows) in enumerate(scenario.transfers):
            try:
                account = self.account_key(api_key)
            except ValueError as exc:
                raise ValueError(f"{scenario.source}: transfers[{i}]: {exc}") from None
            self.world.ledger.add(account, rows)
        for i, rule in enumerate(scenario.faults):
            try:
                self.world.faults.add(rule)
            except ValueError as exc:
                raise ValueError(f"{scenario.source}: faults[{i}]: {exc}") from None
        for i, rule in enumerate(scenario.stream_faults):
            try:
                self.add_stream_fault(rule)
            except ValueError as exc:
                raise ValueError(f"{scenario.source}: streams.faults[{i}]: {exc}") from None
        for i, b in enumerate(scenario.balances):  # set after the opening balances (the history's)
            try:
                self.set_balance(b.get("wallet", "SPOT"), b["asset"], b["free"], b.get("apiKey"))
            except ValueError as exc:
                raise ValueError(f"{scenario.source}: balances[{i}]: {exc}") from None

    # --- accounts and what they hold ---

    def account_key(self, api_key: Any) -> str:
        """The account a control call names (the default one for None); ValueError otherwise."""
        if api_key is None:
            return self.default_api_key
        if not isinstance(api_key, str) or self.keys.get(api_key) is None:
            raise ValueError(not_an_account(api_key, (a.api_key for a in self.keys.accounts())))
        return api_key

    def account_named(self, name: Any) -> str:
        """The account a key names in full, or masked as the journal and /_mock/data show it
        (`vmPU...Eh8A`) when exactly one account's key masks to it; so a page, which never holds a
        full key, can address an account. ValueError (naming the key masked) otherwise."""
        if isinstance(name, str) and self.keys.get(name) is not None:
            return name
        keys = [a.api_key for a in self.keys.accounts()]
        listing = "GET /_mock/accounts lists them"
        if not isinstance(name, str):
            raise ValueError(f"{not_an_account(name, keys)}; {listing}")
        matches = [k for k in keys if mask_key(k) == name]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise ValueError(
                f"apiKey {name!r} is the masked key of {len(matches)} accounts of this mock; "
                f"give the full key ({listing})"
            )
        if "..." in name and mask_key(name) != name and len(name) <= 11:  # a mask of no account
            shown = ", ".join(mask_key(k) for k in keys)
            raise ValueError(f"apiKey {name!r} is no account's masked key; its accounts: {shown}; {listing}")
        raise ValueError(f"{not_an_account(name, keys)}; {listing}")

    def accounts(self) -> list[Account]:
        return self.keys.accounts()

    def account(self, api_key: str | None = None) -> Account:
        """The account of `api_key` (the default one for None); ValueError naming a stranger."""
        found = self.keys.get(self.account_key(api_key))
        assert found is not None
        return found

    def add_transfers(self, rows: Any, api_key: str | None = None) -> int:
        """Validated whole or nothing; raises ValueError naming the row and field."""
        account = self.account_key(api_key)
        parsed: list[Transfer] = parse_rows(rows, "rows")
        return self.world.ledger.add(account, parsed)

    def transfers(self, api_key: str | None = None) -> list[dict[str, Any]]:
        """Every margin transfer row of the account, newest first, as Binance shows it."""
        return self.world.ledger.rows(self.account_key(api_key))

    def transfer_count(self, api_key: str | None = None) -> int:
        return self.world.ledger.count(self.account_key(api_key))

    def clear_transfers(self, api_key: str | None = None) -> None:
        """Empty one account's rows, or every account's (no `api_key`)."""
        self.world.ledger.clear(self.account_key(api_key) if api_key is not None else None)

    def assets(self, api_key: str | None = None) -> list[str]:
        """The assets of an account's rows (of every account's for None), sorted."""
        return self.world.ledger.assets(self.account_key(api_key) if api_key is not None else None)

    def isolated_symbols(self, api_key: str | None = None) -> list[str]:
        """The isolated-margin symbols of an account's rows (of every account's for None), sorted."""
        return self.world.ledger.isolated_symbols(self.account_key(api_key) if api_key is not None else None)

    def balances(self, api_key: str | None = None) -> dict[str, dict[str, Balance]]:
        """wallet -> asset -> balance, of one account (the default one for None), with the
        interest of every hour the clock has passed charged."""
        key = self.account_key(api_key)
        with self.world.lock:
            self.world.settle()
            self.world.operations(key).accrue()
            return self.world.wallets.of(key)

    def orders(
        self, api_key: str | None = None, symbol: str | None = None, open_only: bool = False
    ) -> list[Order]:
        """An account's orders, oldest first, as the market has matched them by now."""
        key = self.account_key(api_key)
        with self.world.lock:
            self.world.settle()
            found = self.world.orders.of(key).values()
            return [o for o in found if symbol in (None, o.symbol) and (o.is_open or not open_only)]

    def account_trades(self, api_key: str | None = None, symbol: str | None = None) -> list[Fill]:
        """An account's fills, oldest first."""
        key = self.account_key(api_key)
        with self.world.lock:
            self.world.settle()
            return [f for f in self.world.orders.fills.get(key, []) if symbol in (None, f.symbol)]

    def set_balance(self, wallet: Any, asset: Any, free: Any, api_key: str | None = None) -> Balance:
        """Set one free balance; ValueError naming a bad wallet, asset or amount."""
        if not isinstance(asset, str) or not asset.isascii() or not asset.isalnum():
            raise ValueError(f'asset must be an asset\'s name such as "USDT"; got {asset!r}')
        ops = self.world.operations(self.account_key(api_key))
        return ops.set_balance(wallet_name(wallet), asset.upper(), amount(free, "free"))

    def operations(self, api_key: str | None = None) -> Operations:
        """The writer for one account, now: what an endpoint's write step gets."""
        return self.world.operations(self.account_key(api_key))

    # --- the market ---

    def market_pair(self, symbol: Any) -> Pair:
        """The spot pair of `symbol`; ValueError naming an unknown one."""
        pair = self.world.market.pair(symbol) if isinstance(symbol, str) else None
        if pair is None:
            raise ValueError(f"no symbol {symbol!r} in the market; GET /_mock/market lists them")
        return pair

    def prices(self) -> list[dict[str, Any]]:
        """Every symbol with its price now and whether it is steered."""
        with self.world.lock:
            return [self.price_entry(p.symbol) for p in self.world.market.pairs]

    def price_entry(self, symbol: str, minutes: int = 0) -> dict[str, Any]:
        """One symbol's price now, whether it is steered, the points still ahead of a move and,
        with `minutes`, the closes of that many last minutes (the current one up to now)."""
        pair, market = self.market_pair(symbol), self.world.market
        with self.world.lock:
            now = self.now_ms()
            steer = market.steered(pair, now)
            entry: dict[str, Any] = {
                "symbol": pair.symbol,
                "price": decimal(market.price(pair, now), pair.price_digits),
                "steered": steer is not None,
            }
            if minutes:
                entry["now_ms"] = now
                entry["points"] = [
                    {"at_ms": at, "price": decimal(p, pair.price_digits)}
                    for at, p in (steer.points if steer is not None else ())
                    if at > now
                ]
                entry["closes"] = self._closes(pair, now, minutes)
            return entry

    def _closes(self, pair: Pair, now: int, minutes: int) -> list[list[Any]]:
        market, last = self.world.market, now // MINUTE_MS
        c = market.candles(pair, last - minutes + 1, last)
        out = [
            [int(m) * MINUTE_MS, decimal(int(p), pair.price_digits)]
            for m, p in zip(c.minute, c.close, strict=True)
        ]
        return [*out, [last * MINUTE_MS, decimal(market.price(pair, now), pair.price_digits)]]

    def steer(self, symbol: Any, plan: Any) -> dict[str, Any]:
        """Steer a symbol from now on: a `Plan`, or the control API's shape (`{"price": ...}` or
        `{"path": [...]}`); None returns it to its seeded path. ValueError names what is wrong."""
        pair = self.market_pair(symbol)
        if plan is not None and not isinstance(plan, Plan):
            plan = parse_plan(plan)
        with self.world.lock:
            now = self.now_ms()
            self.world.settle(now)  # orders the market reached before the steer fill at its prices
            self.world.market.steer(pair, now, plan)
            self.world.settle(now, pair.symbol, at_price=True)  # a move of the market: orders it crosses fill
            return self.price_entry(pair.symbol)

    def set_price(self, symbol: Any, price: Any) -> dict[str, Any]:
        return self.steer(symbol, Plan(price=parse_price(price, "price")))

    def move_price(self, symbol: Any, price: Any, over_ms: Any) -> dict[str, Any]:
        return self.steer(symbol, {"path": [{"in_ms": over_ms, "price": price}]})

    def release_price(self, symbol: Any) -> dict[str, Any]:
        return self.steer(symbol, None)

    # --- faults ---

    def add_fault(self, rule: Any) -> FaultRule:
        """A fault rule in the control API's shape; ValueError naming what is wrong with it."""
        return self.world.faults.add(rule)

    def fault_rules(self) -> list[FaultRule]:
        return self.world.faults.rules()

    def remove_fault(self, rule_id: int) -> bool:
        return self.world.faults.remove(rule_id)

    def clear_faults(self) -> None:
        self.world.faults.clear()

    # --- the WebSocket connections (mock_server/streams/) ---

    def stream_connections(self) -> list[dict[str, Any]]:
        conns = self.streams.connections
        now = self.now_ms()
        return conns.on_loop(lambda: [c.view(now, mask_key) for c in conns.open.values()], [])

    def drop_streams(self, match: Any = None) -> int:
        """Close the matching connections now, without a close frame (all for no match); how
        many. ValueError naming what is wrong with `match`."""
        found = parse_match(self._stream_match(match), self._is_listen_key)
        conns = self.streams.connections
        return conns.on_loop(lambda: conns.drop(found), 0)

    def add_stream_fault(self, data: Any) -> dict[str, Any]:
        """A stream fault in the control API's shape (mock_server/streams/faults.py); an expire acts
        at once. ValueError naming what is wrong with it."""
        if isinstance(data, dict) and "match" in data:
            data = {**data, "match": self._stream_match(data["match"])}
        wall = self.streams.wall()
        rule = self.world.stream_faults.add(parse_fault(data, self._is_listen_key), wall)
        conns, acted = self.streams.connections, {}
        if rule.kind == "expire":
            rule.fired = conns.on_loop(lambda: conns.expire(rule.match, rule.times, rule.id), 0)
            acted = {"closed": rule.fired}
        elif rule.kind == "shutdown":
            now, ms = self.now_ms(), rule.ms if rule.ms is not None else SHUTDOWN_MS
            rule.fired = conns.on_loop(lambda: conns.shutdown(rule.match, rule.times, rule.id, now, ms), 0)
            acted = {"told": rule.fired}
        return {**rule.to_dict(wall, mask_key), **acted}

    def stream_fault_rules(self) -> list[dict[str, Any]]:
        wall = self.streams.wall()
        return [r.to_dict(wall, mask_key) for r in self.world.stream_faults.rules]

    def remove_stream_fault(self, rule_id: int) -> bool:
        return self.world.stream_faults.remove(rule_id)

    def clear_stream_faults(self) -> None:
        self.world.stream_faults.clear()

    def _stream_match(self, match: Any) -> Any:
        """`match` with its apiKey as the account's full key (a masked one names it too)."""
        if isinstance(match, dict) and match.get("apiKey") is not None:
            return {**match, "apiKey": self.account_named(match["apiKey"])}
        return match

    def _is_listen_key(self, key: str) -> bool:
        return key in self.world.listen_keys.keys

    def _listen_key_owner(self, name: str) -> str | None:
        found = self.world.listen_keys.keys.get(name)
        return found.api_key if found is not None else None

    def _journal_connection(
        self, what: str, conn: Connection, detail: str, code: int | None, rule_id: int | None
    ) -> None:
        """A connection's opening, subscriptions and end, as journal entries (method WS). Their
        status is the handshake's, 101, whatever the end: a status of 400 and above means a
        refused request everywhere in the journal, and a close code (1000 and up) is no HTTP
        status, so it goes in `msg`."""
        keys = sorted(set(conn.accounts()))
        if what in ("open", "subscribe", "unsubscribe"):
            query = urlencode({"streams": masked_listen_keys(detail)}).encode() if detail else b""
            msg = {"open": "connected", "subscribe": "SUBSCRIBE", "unsubscribe": "UNSUBSCRIBE"}[what]
        else:
            query, msg = b"", f"closed {code}: {detail}" if what == "close" else detail
        self.world.journal.record(
            self.now_ms(), "WS", masked_listen_keys(conn.path), query, mask_key(keys[0]) if keys else None,
            101, None, msg, what, rule_id, conn.ip, None,
        )  # fmt: skip

    def _journal_stream_fault(self, what: str, name: str, rule_id: int) -> None:
        owner = self._listen_key_owner(name)
        shown = mask_key(name) if owner is not None else name  # a listenKey is a credential
        msg = {
            "gap": f"gap: an event of {shown} was skipped",
            "pause": f"pause: {shown} holds its events",
            "delay": f"delay: {shown} sends its events late",
        }[what]
        self.world.journal.record(
            self.now_ms(), "WS", shown, b"", mask_key(owner) if owner else None, 101, None,
            f"{msg} (stream fault {rule_id})", "stream_fault", rule_id, "", None,
        )  # fmt: skip

    def _journal_refusal(self, endpoint: str, path: str, ip: str, rule_id: int) -> None:
        self.world.journal.record(
            self.now_ms(), "WS", path, b"", None, 403, None,
            f"connection refused (stream fault {rule_id})", "stream_fault", rule_id, ip, None,
        )  # fmt: skip

    # --- clock and pacing ---

    def now_ms(self) -> int:
        """The server clock, as /api/v3/time answers it."""
        return self.world.clock.now_ms()

    def clock_state(self) -> ClockState:
        return self.world.clock.state()

    def set_clock(self, data: Any) -> None:
        """`{"now_ms": N}` freezes, `{"offset_ms": N}` shifts (each may add `"strict": true`),
        `{"mode": "real"}` returns to real time; a bad shape raises ValueError saying so."""
        self.world.clock.apply(parse_clock_setting(data))

    def advance_clock(self, ms: Any) -> None:
        if isinstance(ms, bool) or not isinstance(ms, int) or not 0 <= ms <= MAX_MS:
            raise ValueError(f"advance_clock takes milliseconds (an integer from 0 to {MAX_MS}); got {ms!r}")
        self.world.clock.advance(ms)

    def real_clock(self) -> None:
        self.world.clock.real()

    @property
    def min_interval_ms(self) -> int:
        return self.world.pacer.min_interval_ms

    def set_pacing(self, min_interval_ms: Any) -> None:
        value = min_interval_ms
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"min_interval_ms must be a non-negative integer; got {value!r}")
        self.world.pacer.reset(value)

    # --- journal and weights ---

    def requests(self, since: int = 0) -> list[Entry]:
        """The journal, oldest first; with `since`, only the entries after that id."""
        return self.world.journal.entries(since)

    def request(self, entry_id: int) -> Entry | None:
        return self.world.journal.entry(entry_id)

    def clear_requests(self) -> None:
        self.world.journal.clear()

    @property
    def weights(self) -> Weights:
        """The per-minute weight counters (read them; the pipeline spends)."""
        return self.world.weights

    def reset_weights(self) -> None:
        self.world.weights.reset()

    def transfer_summary(self, api_key: str, now_ms: int, windows_ms: tuple[int, ...]) -> Summary:
        return self.world.ledger.summary(self.account_key(api_key), now_ms, windows_ms)

    # --- endpoints ---

    def tiers(self) -> dict[str, list[str]]:
        return self.registry.tiers()

    def endpoints(self) -> list[Endpoint]:
        return self.registry.endpoints()

    def history(self) -> Endpoint:
        """The endpoint that lists the margin transfer history (its paging says its windows)."""
        return self.registry.history()

    def endpoint(self, method: str, path: str) -> Endpoint:
        """The declaration serving a route; BinanceError -1099 when none does."""
        return self.registry.find(method, path)

    def replace_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Serve `endpoint` in place of the declaration of its route; returns the one replaced."""
        return self.registry.replace(endpoint)

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

    def handle(self, call: Call) -> Reply | Forward:
        """The answer to a call, journaled; or Forward, to be completed by `forwarded`."""
        reply = self.pipeline.run(call)
        if type(reply) is Forward:
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
        self.world.journal.record(
            self.world.clock.now_ms(), call.method, call.path, sent,
            mask_key(call.api_key) if call.api_key else None, reply.status, reply.code, reply.msg,
            reply.check, reply.rule_id, call.client_ip, reply.tier, reply.body, reply.changes,
        )  # fmt: skip


def _return_free_memory() -> None:
    """Generating a large ledger leaves freed heap behind; glibc keeps it unless asked
    (about 15 MB of 300 for a million rows). A no-op where there is no glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
