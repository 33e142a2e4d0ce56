"""Stream faults: what a user asks the streams to get wrong, on purpose (`POST /_mock/streams/faults`,
`MockBinance.stream_fault`, a scenario's `streams.faults`, the page).

Five kinds, each a rule that matches streams or connections (`match`: `stream`, `listenKey`,
`apiKey`, `endpoint`; every field given must hold, none given: everything):

- `pause`: the matching streams send nothing for `ms` (until the rule is removed without it);
  what they made meanwhile goes out at once when the pause ends, as after a stalled connection.
- `delay`: each event of a matching stream goes out `ms` late; `times` events (until removed
  without it), order kept.
- `gap`: the next `times` events (1 without it) of a matching stream are never sent: on a diff
  depth stream, the gap in `U`/`u` a client must detect and resync from.
- `expire`: the matching connections open now end as Binance ends one at 24 hours (at most
  `times` of them); nothing is left to fire afterwards.
- `refuse`: new matching connections are refused at the handshake for `ms` (or the next `times`
  attempts; until removed with neither).
- `shutdown`: the matching connections open now get Binance's `serverShutdown` event, and the
  mock closes each `ms` later (SHUTDOWN_MS without it) unless the client left first.

Pauses and delays run on the wall clock, as a network's do: a test that freezes the mock's clock
must still see a paused stream come back. Rules are listed with how often each fired, like the
HTTP fault rules, and the caller holds the world's lock while changing them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mock_server.streams.names import parse

KINDS = ("pause", "delay", "gap", "expire", "refuse", "shutdown")
SHUTDOWN_MS = 10_000  # from serverShutdown to the close, when the rule gives no `ms` (F84)
ENDPOINTS = ("streams", "ws-api")
_FIELDS = frozenset({"kind", "match", "ms", "times"})
_MATCH_FIELDS = ("stream", "listenKey", "apiKey", "endpoint")
MAX_MS = 3_600_000  # an hour: a longer pause is a test that hangs, not a fault
# What each kind takes besides `match`, and what `times` counts.
_TAKES: dict[str, tuple[str, ...]] = {
    "pause": ("ms",),
    "delay": ("ms", "times"),
    "gap": ("times",),
    "expire": ("times",),
    "refuse": ("ms", "times"),
    "shutdown": ("ms", "times"),
}
ACTS_AT_ONCE = ("expire", "shutdown")  # on the connections open when added; then spent


@dataclass(frozen=True)
class Match:
    stream: str | None = None
    listen_key: str | None = None
    api_key: str | None = None  # the account whose user data the stream or connection carries
    endpoint: str | None = None  # "streams" (/ws, /stream) or "ws-api" (/ws-api/v3)

    def names(self, name: str, owner: str | None) -> bool:
        """A stream of the market streams' endpoint: `name`, of the account `owner` when it is a
        listenKey."""
        return (
            self.endpoint in (None, "streams")
            and self.stream in (None, name)
            and self.listen_key in (None, name)
            and self.api_key in (None, owner)
        )

    def connection(self, endpoint: str, names: Iterable[str], accounts: Iterable[str]) -> bool:
        """A connection at `endpoint` listening to `names`, carrying the user data of `accounts`."""
        if self.endpoint not in (None, endpoint):
            return False
        listened = set(names)
        return (
            self.stream in (None, *listened)
            and self.listen_key in (None, *listened)
            and self.api_key in (None, *accounts)
        )

    def to_dict(self, mask: Callable[[str], str]) -> dict[str, str]:
        shown = {"stream": self.stream, "listenKey": self.listen_key,
                 "apiKey": mask(self.api_key) if self.api_key else None, "endpoint": self.endpoint}  # fmt: skip
        return {k: v for k, v in shown.items() if v is not None}


@dataclass
class StreamFault:
    id: int
    kind: str
    match: Match
    ms: int | None = None
    times: int | None = None
    fired: int = 0
    added_s: float = 0.0  # wall clock (time.monotonic) when added: where `ms` counts from

    def active(self, wall_s: float) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.kind in ACTS_AT_ONCE:
            return False  # it acted when it was added
        if self.ms is not None and self.kind in ("pause", "refuse"):
            return wall_s < self.ends_s
        return True

    @property
    def ends_s(self) -> float:
        return self.added_s + (self.ms or 0) / 1000

    def to_dict(self, wall_s: float, mask: Callable[[str], str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "match": self.match.to_dict(mask),
            "ms": self.ms,
            "times": self.times,
            "fired": self.fired,
            "remaining": None if self.times is None else max(0, self.times - self.fired),
            "active": self.active(wall_s),
        }


def parse_fault(data: Any, is_listen_key: Callable[[str], bool] | None = None) -> StreamFault:
    """A rule in the control API's shape, validated; the errors name the field and what to send.
    `is_listen_key`, when given, says whether a listenKey is one the mock gave."""
    if not isinstance(data, Mapping):
        raise ValueError('a stream fault is a JSON object such as {"kind": "pause", "ms": 2000}')
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)}; a stream fault has {', '.join(sorted(_FIELDS))}"
        )
    kind = data.get("kind")
    if kind not in KINDS:
        raise ValueError(f"'kind' must be one of {', '.join(KINDS)}; got {kind!r}")
    takes = _TAKES[kind]
    for name in ("ms", "times"):
        if data.get(name) is not None and name not in takes:
            raise ValueError(f"'{name}' does not go with kind {kind!r}, which takes {', '.join(takes)}")
    ms = _int(data, "ms", 1, MAX_MS)
    times = _int(data, "times", 1, 10**9)
    if kind == "delay" and ms is None:
        raise ValueError("a delay needs 'ms': how late each event goes out")
    if kind == "gap" and times is None:
        times = 1
    match = parse_match(data.get("match"), is_listen_key)
    if kind in ("pause", "delay", "gap") and match.endpoint == "ws-api":
        raise ValueError(
            f"a {kind} acts on the market streams' events (/ws, /stream, a listenKey's); "
            "for the WebSocket API use drop, expire, shutdown or refuse"
        )
    if kind == "refuse" and match.api_key is not None and match.endpoint == "ws-api":
        raise ValueError(
            "a WebSocket API connection names no account at its handshake, so 'match.apiKey' could "
            "never refuse one: match by 'endpoint' alone"
        )
    return StreamFault(0, kind, match, ms, times)


def parse_match(value: Any, is_listen_key: Callable[[str], bool] | None = None) -> Match:
    if value is None:
        return Match()
    if not isinstance(value, Mapping) or set(value) - set(_MATCH_FIELDS):
        raise ValueError(f"'match' is an object with any of {', '.join(_MATCH_FIELDS)}")
    for name in _MATCH_FIELDS:
        if value.get(name) is not None and not isinstance(value[name], str):
            raise ValueError(f"'match.{name}' must be a string")
    stream, listen_key = value.get("stream"), value.get("listenKey")
    if stream is not None and parse(stream) is None:
        raise ValueError(
            f"'match.stream' {stream!r} is no stream name; names are as Binance spells them, such as "
            "btcusdt@trade, btcusdt@depth@100ms, btcusdt@kline_1m (docs/streams.md)"
        )
    if listen_key is not None:
        found = parse(listen_key)
        if found is None or found.kind != "userData" or (is_listen_key and not is_listen_key(listen_key)):
            raise ValueError(
                f"'match.listenKey' {listen_key!r} is not a listenKey this mock gave "
                "(POST /api/v3/userDataStream makes one)"
            )
    endpoint = value.get("endpoint")
    if endpoint is not None and endpoint not in ENDPOINTS:
        raise ValueError(f"'match.endpoint' must be one of {', '.join(ENDPOINTS)}; got {endpoint!r}")
    return Match(stream, listen_key, value.get("apiKey"), endpoint)


def _int(data: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"'{name}' must be an integer from {low} to {high}; got {value!r}")
    return value


class Verdict:
    SEND = "send"
    SKIP = "skip"
    HOLD = "hold"


@dataclass
class StreamFaults:
    """The rules, in the order added. Readers on the streams' loop take `rules` as it is (a list
    replaced, never changed in place), so a tick never waits for the lock."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    rules: tuple[StreamFault, ...] = ()
    _next_id: int = 1

    def add(self, rule: StreamFault, wall_s: float) -> StreamFault:
        with self.lock:
            added = replace(rule, id=self._next_id, added_s=wall_s)
            self._next_id += 1
            self.rules = (*self.rules, added)
            return added

    def remove(self, rule_id: int) -> bool:
        with self.lock:
            kept = tuple(r for r in self.rules if r.id != rule_id)
            found = len(kept) != len(self.rules)
            self.rules = kept
            return found

    def clear(self) -> None:
        with self.lock:
            self.rules = ()

    def event(self, name: str, owner: str | None, wall_s: float) -> tuple[str, float, StreamFault | None]:
        """What happens to one event of stream `name`: sent, skipped (a gap), or held (until a
        wall time for a delay; a pause holds it for as long as `paused` says). Counts the firing."""
        held_until, by = 0.0, None
        for rule in self.rules:
            if rule.kind not in ("gap", "pause", "delay") or not rule.match.names(name, owner):
                continue
            if not rule.active(wall_s):
                continue
            with self.lock:
                rule.fired += 1
            if rule.kind == "gap":
                return Verdict.SKIP, 0.0, rule
            until = wall_s + (rule.ms or 0) / 1000 if rule.kind == "delay" else 0.0
            if by is None or until > held_until:
                held_until, by = until, rule
        return (Verdict.HOLD, held_until, by) if by is not None else (Verdict.SEND, 0.0, None)

    def paused(self, name: str, owner: str | None, wall_s: float) -> bool:
        """Whether a pause holds `name` now (held events wait while it does)."""
        return any(r.kind == "pause" and r.active(wall_s) and r.match.names(name, owner) for r in self.rules)

    def refuses(
        self, endpoint: str, names: Iterable[str], accounts: Iterable[str], wall_s: float
    ) -> StreamFault | None:
        """The refuse rule that turns this new connection away, counted; None: let it in."""
        names, accounts = list(names), list(accounts)
        for rule in self.rules:
            if (
                rule.kind == "refuse"
                and rule.active(wall_s)
                and rule.match.connection(endpoint, names, accounts)
            ):
                with self.lock:
                    rule.fired += 1
                return rule
        return None

    def snapshot(self) -> tuple[tuple[StreamFault, ...], int]:
        with self.lock:
            return tuple(replace(r) for r in self.rules), self._next_id

    def restore(self, snapshot: tuple[tuple[StreamFault, ...], int]) -> None:
        with self.lock:
            self.rules = tuple(replace(r) for r in snapshot[0])
            self._next_id = max(self._next_id, snapshot[1])
