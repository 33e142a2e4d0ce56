"""Recording the app's own traffic: the mock as a proxy in front of an upstream (docs/cassettes.md).

`serve --cassette PATH --record-mode new|all --upstream URL`. The pipeline decides what goes
upstream (in `new` what the cassette lacks, in `all` everything); the HTTP layer sends it with
`Upstream.forward` in a worker thread, the one blocking call of the mock; `Recording.keep`
then scrubs the answer, adds it to the cassette and rewrites the file atomically. `keep` runs
on the event loop's thread, so concurrent requests are recorded one at a time, whole.

The request goes upstream as the app sent it: its query bytes (the signature covers them),
its body and headers, the app's own API key. The mock never sees a secret, so the cassette
gets the answer with the key and every `--redact` value scrubbed, and no signature at all.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

from mock_server.replay.cassette import (
    CLOCK_PATHS,
    MATCHERS,
    VOLATILE_PARAMS,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    is_client_header,
    load_cassette,
)
from mock_server.replay.recorder import (
    RecordError,
    Scrubber,
    _root_cause,
    _utc_now,
    public_origin,
    render,
    write_atomic,
)
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError, ErrorSpec
from mock_server.rules.params import request_params

log = logging.getLogger("binance_mock")

RECORD_MODES = ("none", "new", "all")
DEFAULT_TIMEOUT_S = 10.0
# Hop-by-hop headers (RFC 9110, 7.6.1) and those the HTTP client computes for itself; the rest
# of the app's headers go upstream as sent. Accept-Encoding is the client's own: the answer is
# decoded before it reaches the app and the cassette.
_NOT_FORWARDED = frozenset(
    {
        b"host", b"content-length", b"connection", b"keep-alive", b"transfer-encoding", b"te",
        b"trailer", b"upgrade", b"proxy-authorization", b"proxy-connection", b"accept-encoding",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Upstreamed:
    """The upstream's answer (the headers a client reads), or the mock's error when there was none."""

    response: RecordedResponse
    failed: bool = False  # timeout or unreachable: the mock's own answer, never recorded


def check_upstream(url: str) -> str:
    """The URL without a trailing slash; ValueError naming it unless it is http(s)://host[:port][/path]."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"--upstream {url!r}: expected http(s)://host[:port], e.g. https://api.binance.com")
    try:
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        raise ValueError(f"--upstream {url!r}: the port is not a number from 0 to 65535") from None
    return url.rstrip("/")


class Upstream:
    def __init__(self, url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not 0 < timeout_s <= 3600:
            raise ValueError(f"the upstream timeout is seconds, above 0 and at most 3600; got {timeout_s!r}")
        self.url = check_upstream(url)
        self.origin = public_origin(self.url)  # no user info: this one goes into messages
        self.timeout_s = float(timeout_s)
        self._local = threading.local()  # a requests.Session is not promised to be thread-safe

    def forward(
        self, method: str, path: str, query: bytes, body: bytes, headers: Iterable[tuple[bytes, bytes]]
    ) -> Upstreamed:
        """The app's request, sent upstream unchanged; blocking (the HTTP layer runs it in a thread)."""
        sent = {
            n.decode("latin-1"): v.decode("latin-1") for n, v in headers if n.lower() not in _NOT_FORWARDED
        }
        prepared = requests.Request(method, f"{self.url}{path}", headers=sent, data=body or None).prepare()
        # requests re-quotes a URL it prepares; the signature covers the bytes the app sent.
        prepared.url = f"{self.url}{path}" + (f"?{query.decode('latin-1')}" if query else "")
        try:
            r = self._session().send(prepared, timeout=self.timeout_s, allow_redirects=False)
        except requests.Timeout:
            return _failure(errors.UPSTREAM_TIMEOUT, self.origin, f"{self.timeout_s:g}")
        except requests.RequestException as exc:
            # requests' own text quotes the URL, signature included: give only the root cause.
            return _failure(errors.UPSTREAM_UNREACHABLE, self.origin, _root_cause(exc))
        kept = {k.lower(): v for k, v in r.headers.items() if is_client_header(k)}
        return Upstreamed(RecordedResponse(r.status_code, kept, r.content))

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.trust_env = False  # a proxy or netrc from the environment must not reroute the app
        return session


def _failure(definition: ErrorSpec, *args: str) -> Upstreamed:
    err = BinanceError(definition, *args)
    body = errors.error_body(err.code, err.msg)
    headers = {"content-type": "application/json;charset=UTF-8"}
    return Upstreamed(RecordedResponse(err.status, headers, body), failed=True)


@dataclass
class Recording:
    """Where and how the app's traffic is recorded: the cassette file, the mode, the upstream."""

    path: Path
    mode: str
    upstream: Upstream
    redact: tuple[str, ...] = ()
    _keys: set[str] = field(default_factory=set, init=False, repr=False)
    _scrubber: Scrubber = field(default_factory=Scrubber, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("new", "all"):
            raise ValueError(f"record mode must be new or all to record; got {self.mode!r}")
        self.path = Path(self.path)
        for value in self.redact:
            self._scrubber.add(value)

    def open(self, match: str = "params") -> Cassette:
        """The cassette to record into: the file's recordings, or a new file written now
        (so a path that cannot be written fails at start, not at the first request)."""
        if self.path.exists():
            # Each recording rewrites the file by a rename in its folder: refuse now what would fail then.
            if not os.access(self.path.parent, os.W_OK):
                raise ValueError(f"{self.path}: cannot record into this file (its folder is not writable)")
            cassette = load_cassette(self.path, match)
            if cassette.upstream is None:
                cassette.upstream = self.upstream.origin
            return cassette
        cassette = Cassette(
            upstream=self.upstream.origin, recorded_at=_utc_now(), source=str(self.path), match=match
        )
        try:
            write_atomic(self.path, render(cassette, self._scrubber), force=True)
        except OSError as exc:
            raise ValueError(f"{self.path}: cannot record into this file ({exc.strerror or exc})") from None
        return cassette

    def keep(
        self,
        cassette: Cassette,
        method: str,
        path: str,
        query: bytes,
        body: bytes,
        api_key: str | None,
        answer: RecordedResponse,
    ) -> Interaction | None:
        """Scrub the answer, add it to the cassette and rewrite the file; None if it cannot be
        kept, or is not to be (the server time and ping: CLOCK_PATHS)."""
        if path in CLOCK_PATHS:
            return None
        try:
            params = request_params(method, query, body)
        except BinanceError:
            log.warning(
                "not recorded: %s %s has parameters that are not UTF-8 (never replayable)", method, path
            )
            return None
        if api_key and api_key not in self._keys:
            self._keys.add(api_key)
            self._scrubber.add(api_key)
        # The signature is never recorded (a volatile parameter); scrubbed from the answer all
        # the same, in case the upstream echoes the request back.
        scrub = Scrubber()
        for value in (*self.redact, *self._keys, params.get("signature")):
            scrub.add(value)
        answered = answer.body
        if scrub.leaks(answered):
            answered = scrub.text(answered.decode("utf-8", "replace")).encode("utf-8")
        interaction = Interaction(
            RecordedRequest(
                method.upper(),
                scrub.text(path),
                tuple(
                    (scrub.text(p.name), scrub.text(p.value))
                    for p in params.items
                    if p.name not in VOLATILE_PARAMS
                ),
            ),
            RecordedResponse(answer.status, {k: scrub.text(v) for k, v in answer.headers.items()}, answered),
        )
        cassette.record(interaction, replace_earlier=self.mode == "all")
        self._write(cassette)
        return interaction

    def _write(self, cassette: Cassette) -> None:
        try:
            write_atomic(self.path, render(cassette, self._scrubber), force=True)
        except (RecordError, OSError) as exc:
            # The app still gets its answer; the log says what the file lacks and why.
            log.error("%s: the cassette was not written: %s", self.path, exc)


@dataclass(frozen=True)
class OptionNames:
    """How the caller spells each option, so a message names what the user typed."""

    cassette: str  # the option and its value, as the user would add it
    upstream: str
    match: str  # the option's name alone
    on_miss: str
    redact: str
    mode: str  # a template for the option with a value


CLI_NAMES = OptionNames(
    "--cassette PATH", "--upstream URL", "--match", "--on-miss", "--redact", "--record-mode {}"
)
PYTHON_NAMES = OptionNames("cassette=PATH", "upstream=URL", "match", "on_miss", "redact", "record_mode={!r}")


def open_cassette(
    path: str | None, mode: str, match: str | None, upstream: str | None, timeout_s: float,
    redact: tuple[str, ...], on_miss: str, names: OptionNames,
) -> tuple[Cassette | None, Recording | None]:  # fmt: skip
    """The cassette to replay and, in record mode new or all, the recording into it.

    ValueError on a value or a combination that could never act, naming the option to add or drop.
    """
    if mode not in RECORD_MODES:
        raise ValueError(f"{names.mode.format(mode)}: the record mode is one of {', '.join(RECORD_MODES)}")
    if match is not None and match not in MATCHERS:
        raise ValueError(f"{names.match} must be one of {', '.join(MATCHERS)}; got {match!r}")
    recording_modes = f"{names.mode.format('new')} or {names.mode.format('all')}"
    if mode == "none":
        if upstream is not None:
            raise ValueError(f"{names.upstream} is used only when recording: add {recording_modes}")
        if redact:
            raise ValueError(f"{names.redact} is used only when recording: add {recording_modes}")
        if path is None:
            if match is not None:
                raise ValueError(f"{names.match} chooses how a cassette matches: add {names.cassette}")
            return None, None
        return load_cassette(path, match or "params"), None
    if path is None:
        raise ValueError(f"{names.mode.format(mode)} records into a cassette: add {names.cassette}")
    if upstream is None:
        raise ValueError(f"{names.mode.format(mode)} forwards to an upstream: add {names.upstream}")
    if on_miss != "error":
        raise ValueError(f"{names.on_miss} applies to replay only; {names.mode.format(mode)} forwards a miss")
    recording = Recording(Path(path), mode, Upstream(upstream, timeout_s), redact)
    return recording.open(match or "params"), recording
