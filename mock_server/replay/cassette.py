"""Cassettes: recorded Binance answers, their file format, matching on replay, import to a fixture.

A cassette is JSON (docs/cassettes.md has the full description and an example):

    {"format": "binance-mock/cassette", "version": 1, "recordedAt": "...", "upstream": "https://...",
     "interactions": [{"request": {"method": "GET", "path": "/sapi/v1/margin/transfer",
                                   "params": [["asset", "USDT"], ["size", "100"]]},
                       "response": {"status": 200, "headers": {"content-type": "application/json"},
                                    "body": "{\\"rows\\":[...],\\"total\\":1}"}}]}

Requests never hold `timestamp`, `recvWindow` or `signature`: they change on every call, so
a recording keyed on them would never match again (and a signature is a secret). Matching
is method + path + the sorted (name, value) pairs, duplicates kept.

Nothing here knows HTTP frameworks: the exchange asks `Cassette.answer` and builds its reply.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mock_server.rules import errors
from mock_server.state.data import FIXTURE_FORMAT, FIXTURE_VERSION, dump_fixture, parse_rows

CASSETTE_FORMAT = "binance-mock/cassette"
CASSETTE_VERSION = 1
REDACTED = "<redacted>"
# Parameters that differ on every call; never recorded, ignored when matching.
VOLATILE_PARAMS = frozenset({"timestamp", "recvWindow", "signature"})
# Response headers a client reads (rate-limit counters, Retry-After, the content type).
# Everything else (Date, Server, CDN ids, cookies) is dropped: noise at best, identifying at worst.
CLIENT_HEADER_PREFIXES = ("x-mbx-used-weight", "x-sapi-used-", "x-mbx-order-count-")
CLIENT_HEADERS = frozenset({"content-type", "retry-after"})
# Counters are the mock's own on replay (its weight accounting must stay true), so a
# recorded counter is kept in the file for the reader but not replayed.
_REPLAYED_HEADERS = frozenset({"retry-after"})
MISS_POLICIES = ("error", "ledger")
# Answered by the clock of whoever answers now, never from a recording (docs/cassettes.md,
# "The server time"): a client syncs its timestamps to /api/v3/time, so a recorded time makes
# every signed call after it -1021 on replay, and a replayed time in record mode `new` makes
# the upstream refuse them. Neither is recorded; a cassette that holds them (older ones do)
# keeps them in the file, but they never answer.
CLOCK_PATHS = frozenset({"/api/v3/time", "/api/v3/ping"})
MATCHERS = ("params", "sequence")
# `--match sequence` also ignores the time window: an app computes it from "now" (F40).
SEQUENCE_IGNORED = frozenset({"startTime", "endTime"})

# A miss is -1099 with 404: a Binance code clients already treat as a final, non-retryable
# client error (a 5xx would be retried by some clients and hide the mistake); the message
# names the nearest recording and what differs (F36; the message lives in errors.py).
CASSETTE_MISS = errors.CASSETTE_MISS

Pair = tuple[str, str]
Key = tuple[str, str, tuple[Pair, ...]]


def is_client_header(name: str) -> bool:
    low = name.lower()
    return low in CLIENT_HEADERS or low.startswith(CLIENT_HEADER_PREFIXES)


def canonical_key(
    method: str, path: str, params: Iterable[Pair], ignored: frozenset[str] = VOLATILE_PARAMS
) -> Key:
    """Order-independent identity of a request; HEAD is answered as GET, so it matches as GET."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    kept = sorted((n, v) for n, v in params if n not in ignored)
    return (method, path, tuple(kept))


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    params: tuple[Pair, ...]

    def wildcards(self) -> frozenset[str]:
        """Parameters whose value was scrubbed: any value sent matches them."""
        return frozenset(n for n, v in self.params if v == REDACTED)

    def show(self) -> str:
        query = "&".join(f"{n}={v}" for n, v in self.params)
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "params": [list(p) for p in self.params]}


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/json")

    def replayed_headers(self) -> dict[str, str]:
        return {k: v for k, v in self.headers.items() if k in _REPLAYED_HEADERS}

    def passed_on_headers(self) -> dict[str, str]:
        """Every kept header but the content type (a reply carries that apart): what a recording
        proxy passes on, from the upstream or from a recording, since it counts no weight itself."""
        return {k: v for k, v in self.headers.items() if k != "content-type"}

    def error(self) -> tuple[int | None, str | None]:
        """The Binance code and message of an error body, for the journal."""
        if self.status < 400:
            return None, None
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            return None, None
        if isinstance(data, dict) and isinstance(data.get("code"), int):
            msg = data.get("msg")
            return data["code"], msg if isinstance(msg, str) else None
        return None, None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "headers": dict(sorted(self.headers.items()))}
        try:
            out["body"] = self.body.decode("utf-8")
        except UnicodeDecodeError:
            out["bodyBase64"] = base64.b64encode(self.body).decode("ascii")
        return out


@dataclass(frozen=True, slots=True)
class Interaction:
    request: RecordedRequest
    response: RecordedResponse

    def to_dict(self) -> dict[str, Any]:
        return {"request": self.request.to_dict(), "response": self.response.to_dict()}


@dataclass(frozen=True, slots=True)
class Replay:
    """What the exchange answers for a request the cassette knows (or a miss it explains)."""

    status: int
    body: bytes
    headers: dict[str, str]
    content_type: str
    code: int | None = None
    msg: str | None = None
    check: str = "replay"


@dataclass
class Cassette:
    """Recorded interactions and how a request finds its own (docs/cassettes.md, "Matching").

    `match="params"`: the first recording with the same method, path and parameters (all but
    the volatile ones) answers, every time. `match="sequence"`: `startTime` and `endTime` are
    ignored too, and the recordings of one such key answer in recorded order, the last one
    repeating; `rewind` starts every sequence over (a reset does).
    """

    interactions: list[Interaction] = field(default_factory=list)
    upstream: str | None = None
    recorded_at: str | None = None
    source: str = "cassette"
    match: str = "params"
    _ignored: frozenset[str] = field(default=VOLATILE_PARAMS, init=False, repr=False)
    _groups: dict[Key, list[Interaction]] = field(default_factory=dict, init=False, repr=False)
    _wild: list[Key] = field(default_factory=list, init=False, repr=False)
    _cursors: dict[Key, int] = field(default_factory=dict, init=False, repr=False)
    _routes: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)
    _recorded_now: set[Key] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.match not in MATCHERS:
            raise ValueError(f"match must be one of {', '.join(MATCHERS)}; got {self.match!r}")
        self._ignored = VOLATILE_PARAMS | (SEQUENCE_IGNORED if self.match == "sequence" else frozenset())
        for i in self.interactions:
            self._add_to_index(i)

    def _add_to_index(self, interaction: Interaction) -> Key:
        req = interaction.request
        if req.path in CLOCK_PATHS:
            return canonical_key(req.method, req.path, req.params, self._ignored)
        self._routes.add(canonical_key(req.method, req.path, ())[:2])
        key = canonical_key(req.method, req.path, req.params, self._ignored)
        group = self._groups.setdefault(key, [])
        if not group and req.wildcards():
            self._wild.append(key)
        group.append(interaction)
        return key

    def add(self, interaction: Interaction) -> None:
        self.interactions.append(interaction)
        self._add_to_index(interaction)

    def record(self, interaction: Interaction, replace_earlier: bool = False) -> None:
        """Add what a recording proxy just forwarded and answered: a sequence moves past it.
        `replace_earlier` (record mode `all`, VCR's re-record): the recordings of the same
        request made before this run go; recordings of other requests stay."""
        req = interaction.request
        key = canonical_key(req.method, req.path, req.params, self._ignored)
        if replace_earlier and key not in self._recorded_now:
            earlier = {id(i) for i in self._groups.pop(key, [])}
            if earlier:
                self.interactions = [i for i in self.interactions if id(i) not in earlier]
                if key in self._wild:
                    self._wild.remove(key)
        self._recorded_now.add(key)
        self.add(interaction)
        self._cursors[key] = len(self._groups[key])

    def rewind(self) -> None:
        self._cursors.clear()

    # --- replay ---

    def records(self, method: str, path: str) -> bool:
        """Whether any recording has this method and path: the mock answers the others itself."""
        return canonical_key(method, path, ())[:2] in self._routes

    def find(
        self, method: str, path: str, params: Sequence[Pair], repeat_last: bool = True
    ) -> Interaction | None:
        """The recording that answers, and (sequence) the sequence moves on. Without
        `repeat_last` a used-up sequence is a miss: a recording proxy then asks the upstream."""
        key = canonical_key(method, path, params, self._ignored)
        if key not in self._groups:
            key = next((k for k in self._wild if _wild_match(k, key)), key)
        group = self._groups.get(key)
        if not group:
            return None
        if self.match == "params":
            return group[0]  # the first recording wins: a re-recorded duplicate never changes a replay
        n = self._cursors.get(key, 0)
        if n >= len(group) and not repeat_last:
            return None
        self._cursors[key] = n + 1
        return group[min(n, len(group) - 1)]

    def answer(self, method: str, path: str, params: Sequence[Pair], on_miss: str = "error") -> Replay | None:
        """The recorded answer; on a miss an explained error, or None to let the ledger answer."""
        hit = self.find(method, path, params)
        if hit is not None:
            return replay_of(hit.response)
        if on_miss == "ledger":
            return None
        sent = RecordedRequest(method, path, tuple((n, v) for n, v in params if n not in VOLATILE_PARAMS))
        msg = CASSETTE_MISS.format(sent.show(), self.explain_miss(sent))
        return Replay(
            CASSETTE_MISS.status,
            errors.error_body(CASSETTE_MISS.code, msg),
            {},
            "application/json",
            CASSETTE_MISS.code,
            msg,
            "cassette",
        )

    def explain_miss(self, sent: RecordedRequest) -> str:
        """Which recording is nearest, and every way it differs from what was sent."""
        if not self.interactions:
            return f"the cassette {self.source} holds no recordings"
        ignored = self._ignored
        scored = [(_distance(i.request, sent, ignored), n) for n, i in enumerate(self.interactions)]
        _, best = min(scored)
        near = self.interactions[best].request
        differs = "; ".join(_differences(near, sent, ignored))
        note = (
            " (--match sequence compares neither startTime nor endTime)" if self.match == "sequence" else ""
        )
        return f"nearest recording #{best + 1} is {near.show()}, which differs: {differs}{note}"

    # --- import ---

    def transfer_rows(self, path: str) -> list[dict[str, Any]]:
        """Every row of every 200 answer on `path`, once per txId, in recording order."""
        rows: dict[int, dict[str, Any]] = {}
        for n, i in enumerate(self.interactions):
            if i.request.path != path or i.response.status != 200:
                continue
            try:
                data = json.loads(i.response.body)
            except (ValueError, UnicodeDecodeError):
                raise ValueError(f"{self.source}: interactions[{n}]: body is not JSON") from None
            page = data.get("rows", []) if isinstance(data, dict) else None
            if not isinstance(page, list):
                raise ValueError(f"{self.source}: interactions[{n}]: body has no 'rows' list")
            for row in page:
                tx_id = row.get("txId") if isinstance(row, dict) else None
                if not isinstance(tx_id, int):
                    raise ValueError(f"{self.source}: interactions[{n}]: a row without an integer txId")
                # Overlapping windows or pages that moved while recording repeat a row.
                rows.setdefault(tx_id, row)
        return list(rows.values())

    # --- the file ---

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": CASSETTE_FORMAT, "version": CASSETTE_VERSION}
        if self.recorded_at is not None:
            out["recordedAt"] = self.recorded_at
        if self.upstream is not None:
            out["upstream"] = self.upstream
        out["interactions"] = [i.to_dict() for i in self.interactions]
        return out


def replay_of(r: RecordedResponse) -> Replay:
    code, msg = r.error()
    return Replay(r.status, r.body, r.replayed_headers(), r.content_type, code, msg)


def _wild_match(recorded: Key, sent: Key) -> bool:
    """Whether `sent` matches a recorded key whose scrubbed values stand for any value."""
    if recorded[:2] != sent[:2]:
        return False
    wild = {n for n, v in recorded[2] if v == REDACTED}
    return tuple(sorted((n, REDACTED if n in wild else v) for n, v in sent[2])) == recorded[2]


def _multiset(params: Iterable[Pair]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n, v in params:
        out.setdefault(n, []).append(v)
    return out


def _distance(recorded: RecordedRequest, sent: RecordedRequest, ignored: frozenset[str]) -> tuple[int, int]:
    # Path and method outweigh any parameter; then the count of parameters that differ.
    far = (recorded.path != sent.path) * 2 + (recorded.method != sent.method)
    return far, len(_differences(recorded, sent, ignored))


def _differences(recorded: RecordedRequest, sent: RecordedRequest, ignored: frozenset[str]) -> list[str]:
    out: list[str] = []
    if recorded.method != sent.method:
        out.append(f"method: sent {sent.method}, recorded {recorded.method}")
    if recorded.path != sent.path:
        out.append(f"path: sent {sent.path}, recorded {recorded.path}")
    want = _multiset(p for p in recorded.params if p[0] not in ignored)
    got = _multiset(p for p in sent.params if p[0] not in ignored)
    for name in sorted(set(want) | set(got)):
        w, g = sorted(want.get(name, [])), sorted(got.get(name, []))
        if w == g or (w == [REDACTED] and len(g) == 1):
            continue
        if not g:
            out.append(f"{name}: not sent, recorded {_values(w)}")
        elif not w:
            out.append(f"{name}: sent {_values(g)}, not recorded")
        else:
            out.append(f"{name}: sent {_values(g)}, recorded {_values(w)}")
    return out or ["nothing but volatile parameters (a bug: please report it)"]


def _values(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values)


# --- reading and writing ---


def _str(data: Any, name: str, where: str) -> str:
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str):
        raise ValueError(f"{where}: '{name}' must be a string")
    return value


def parse_interaction(data: Any, where: str) -> Interaction:
    if not isinstance(data, dict) or not isinstance(data.get("request"), dict):
        raise ValueError(f"{where}: needs a 'request' object")
    req, resp = data["request"], data.get("response")
    method, path = _str(req, "method", f"{where}.request"), _str(req, "path", f"{where}.request")
    if not path.startswith("/"):
        raise ValueError(f"{where}.request: 'path' must start with /")
    raw_params = req.get("params", [])
    if not isinstance(raw_params, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in raw_params
    ):
        raise ValueError(f"{where}.request: 'params' must be a list of [name, value] string pairs")
    params = tuple((p[0], p[1]) for p in raw_params)
    volatile = sorted({n for n, _ in params} & VOLATILE_PARAMS)
    if volatile:
        raise ValueError(f"{where}.request: '{volatile[0]}' must not be recorded")
    if not isinstance(resp, dict):
        raise ValueError(f"{where}: needs a 'response' object")
    status = resp.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"{where}.response: 'status' must be an HTTP status code")
    headers = resp.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ValueError(f"{where}.response: 'headers' must map names to strings")
    if ("body" in resp) == ("bodyBase64" in resp):
        raise ValueError(f"{where}.response: needs exactly one of 'body' or 'bodyBase64'")
    if "body" in resp:
        body = _str(resp, "body", f"{where}.response").encode("utf-8")
    else:
        try:
            body = base64.b64decode(_str(resp, "bodyBase64", f"{where}.response"), validate=True)
        except binascii.Error:
            raise ValueError(f"{where}.response: 'bodyBase64' is not base64") from None
    return Interaction(
        RecordedRequest(method.upper(), path, params),
        RecordedResponse(status, {k.lower(): v for k, v in headers.items()}, body),
    )


def parse_cassette(data: Any, source: str = "cassette", match: str = "params") -> Cassette:
    """Validate a cassette document; errors name the file, the interaction and the field."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a cassette is a JSON object")
    if data.get("format") != CASSETTE_FORMAT:
        raise ValueError(f"{source}: 'format' must be {CASSETTE_FORMAT!r}")
    if data.get("version") != CASSETTE_VERSION:
        raise ValueError(
            f"{source}: unsupported version {data.get('version')!r} (this mock reads {CASSETTE_VERSION})"
        )
    items = data.get("interactions")
    if not isinstance(items, list):
        raise ValueError(f"{source}: 'interactions' must be a list")
    interactions = [parse_interaction(x, f"{source}: interactions[{n}]") for n, x in enumerate(items)]
    upstream, recorded_at = data.get("upstream"), data.get("recordedAt")
    return Cassette(
        interactions,
        upstream=upstream if isinstance(upstream, str) else None,
        recorded_at=recorded_at if isinstance(recorded_at, str) else None,
        source=source,
        match=match,
    )


def load_cassette(path: str | Path, match: str = "params") -> Cassette:
    p = Path(path)
    try:
        data = json.loads(p.read_bytes())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not valid JSON ({exc})") from None
    return parse_cassette(data, str(p), match)


# A [name, value] pair as json.dumps(indent=2) spreads it over four lines. No JSON string holds a
# raw newline (json.dumps escapes them), so this can only match the layout, never content.
_PAIR_LAYOUT = re.compile(r'\[\n\s*("(?:[^"\\\n]|\\.)*"),\n\s*("(?:[^"\\\n]|\\.)*")\n\s*\]')


def dumps(document: dict[str, Any]) -> bytes:
    """The bytes written to disk: indented, one parameter per line (cassettes are reviewed in diffs)."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return (_PAIR_LAYOUT.sub(r"[\1, \2]", text) + "\n").encode("utf-8")


def to_fixture(cassette: Cassette, path: str, api_key: str | None = None) -> dict[str, Any]:
    """A ledger fixture of the recorded rows, validated as the mock would load it.

    Without an API key the fixture uses the `rows` form, which belongs to whichever account
    the mock lists first, so a fixture recorded with a real key runs with any key set.
    """
    rows = cassette.transfer_rows(path)
    parse_rows(rows, f"{cassette.source}: rows")  # refuse now what `serve --fixture` would refuse
    if api_key is not None:
        return dump_fixture({api_key: rows})
    return {"format": FIXTURE_FORMAT, "version": FIXTURE_VERSION, "rows": rows}
