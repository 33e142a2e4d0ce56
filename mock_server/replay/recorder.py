"""Recording a cassette from an upstream (live Binance or any server that speaks like it).

Three promises, each kept in one place:
- pacing: at most 2 requests per second (`Throttle`), the -21003 advice, on every real run;
- scrubbing: the API key, the secret, every signature sent and every value the user names are
  replaced before anything is written or printed (`Scrubber`), and the bytes are checked once
  more just before they reach the disk;
- the file appears whole or not at all (`write_atomic`: temporary file, fsync, rename).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode, urlsplit

import requests

from mock_server.endpoints.declaration import Endpoint, Paging
from mock_server.endpoints.registry import history
from mock_server.replay.cassette import (
    REDACTED,
    VOLATILE_PARAMS,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    dumps,
    is_client_header,
)
from mock_server.rules.fidelity import DAY_MS
from mock_server.rules.signature import sign_hmac, sign_with_private_key
from mock_server.rules.units import seconds_mistake

# 2 requests per second at most, plus 50 ms so network jitter never brings two calls closer
# than 500 ms at the server (a mock with --min-interval-ms 500 would answer -21003).
MIN_INTERVAL_S = 0.55
HISTORY: Endpoint = history()  # what `record` walks, with its paging
TIMEOUT_S = 10.0
WRITE_CHUNK = 4_096
# Test hook: seconds to sleep between written chunks, so a test can SIGKILL mid-write.
WRITE_PAUSE_ENV = "BINANCE_MOCK_TEST_WRITE_PAUSE_S"

Pair = tuple[str, str]


class RecordError(Exception):
    """A recording that cannot go on; the message names the problem, never a secret value."""


# --- pacing ---


@dataclass
class Throttle:
    """Spaces request starts by `interval` seconds; clock and sleep are injectable for tests."""

    interval: float = MIN_INTERVAL_S
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _last: float | None = None

    def wait(self) -> None:
        if self._last is not None:
            gap = self.interval - (self.clock() - self._last)
            if gap > 0:
                self.sleep(gap)
        self._last = self.clock()

    def mark(self) -> None:
        """The request leaves now: spacing is measured from here, so signing time never eats into it."""
        self._last = self.clock()


# --- scrubbing ---


# Token-like secrets (API keys, hex and base64 signatures, their percent-encoded forms) are found
# in linear time: one C-speed scan for long runs of token characters, then a dictionary lookup of
# each 16-character prefix inside those (rare) runs. A regex alternation of every signature sent
# costs time per alternative at every position: minutes for a long recording.
_RUN = re.compile(r"[0-9A-Za-z%+/=_.~-]{16,}")
_PREFIX = 16


class Scrubber:
    """Replaces secrets, in every form a URL or body may carry them, by `<redacted>`.

    Matching ignores case: an HMAC signature is hex, which servers may echo in upper case.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, set[str]] = {}  # lower-case 16-char prefix -> lower-case forms
        self._plain: set[str] = set()  # other forms (short or unusual values), by regex
        self._patterns: tuple[re.Pattern[str] | None, re.Pattern[str] | None] = (None, None)
        self._dirty = False

    def add(self, value: str | None) -> None:
        if not value:
            return
        # As a JSON string shows it: escaped by a server that writes UTF-8 (control characters
        # only) and by one that writes ASCII (\u00e9, \u007f: most JSON libraries' default).
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]
        ascii_escaped = json.dumps(value)[1:-1]
        forms = {
            value,
            quote(value, safe=""),
            quote_plus(value, safe=""),
            quote(value),
            escaped,
            ascii_escaped,
        }
        for form in forms:
            low = form.lower()
            if len(low) >= _PREFIX and _RUN.fullmatch(low):
                self._tokens.setdefault(low[:_PREFIX], set()).add(low)
            else:
                # Matched ignoring case, but some letters change length when their case does
                # ("İ".lower() is two code points): keep every casing of the form.
                variants = {form, low, form.upper()} - self._plain
                if variants:
                    self._plain |= variants
                    self._dirty = True

    def text(self, s: str) -> str:
        """Every form of every secret replaced, wherever it stands (for what is written)."""
        if self._tokens:
            s = _RUN.sub(self._scrub_run, s)
        pattern = self._plain_pattern()[0]
        return s if pattern is None else pattern.sub(REDACTED, s)

    def message(self, s: str) -> str:
        """For a line a person reads: long secrets as in `text`; a short one only where it stands
        as a word of its own, so a secret "s" leaves "upstream" alone but not "key=s"."""
        if self._tokens:
            s = _RUN.sub(self._scrub_run, s)
        pattern = self._plain_pattern()[1]
        return s if pattern is None else pattern.sub(REDACTED, s)

    def _plain_pattern(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        if self._dirty:
            # Longest first, so a secret is never half-replaced by a shorter form of another.
            alternatives = "|".join(re.escape(v) for v in sorted(self._plain, key=len, reverse=True))
            self._patterns = (
                re.compile(alternatives, re.IGNORECASE),
                re.compile(f"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])", re.IGNORECASE),
            )
            self._dirty = False
        return self._patterns

    def _scrub_run(self, match: re.Match[str]) -> str:
        run = match.group()
        low = run.lower()
        out: list[str] = []
        i = kept = 0
        while i <= len(low) - _PREFIX:
            candidates = self._tokens.get(low[i : i + _PREFIX], ())
            found = max((f for f in candidates if low.startswith(f, i)), key=len, default=None)
            if found is None:
                i += 1
                continue
            out += [run[kept:i], REDACTED]
            i = kept = i + len(found)
        return run if not out else "".join(out) + run[kept:]

    def tree(self, data: Any) -> Any:
        """Every string of a JSON-like tree, keys included."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, list):
            return [self.tree(x) for x in data]
        if isinstance(data, dict):
            return {self.text(k): self.tree(v) for k, v in data.items()}
        return data

    def leaks(self, blob: bytes) -> bool:
        """True when any secret form is still in `blob` (also JSON-escaped forms)."""
        text = blob.decode("utf-8", "replace")
        return any(self.text(t) != t for t in (text, _unescape(text)))


def _unescape(text: str) -> str:
    # A secret with a quote, backslash or control character is escaped by json.dumps.
    return text.replace('\\"', '"').replace("\\\\", "\\").replace("\\/", "/")


# --- signing ---


Signer = Callable[[bytes], str]


def hmac_signer(secret: str) -> Signer:
    return lambda payload: sign_hmac(secret, payload)


def key_signer(private_key: Any) -> Signer:
    return lambda payload: sign_with_private_key(private_key, payload)


# --- what to ask ---


def parse_time(text: str, end: bool = False, name: str = "the time") -> int:
    """Milliseconds, or an ISO date/datetime (UTC unless it says otherwise).

    A bare date as an end bound means the end of that day, so `--end 2026-01-31` includes it.
    """
    if text.isdigit():
        mistake = seconds_mistake(name, int(text))
        if mistake is not None:
            raise ValueError(mistake)
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected milliseconds or an ISO date such as 2026-01-31") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ms = int(moment.timestamp() * 1000)
    if end and len(text) == 10:
        ms += DAY_MS - 1
    return ms


def windows(start_ms: int, end_ms: int, max_ms: int) -> list[tuple[int, int]]:
    """[start, end] cut into windows of at most `max_ms` (both bounds inclusive, as Binance's)."""
    if start_ms > end_ms:
        raise ValueError("--start is after --end")
    out: list[tuple[int, int]] = []
    lo = start_ms
    while lo <= end_ms:
        hi = min(lo + max_ms, end_ms)
        out.append((lo, hi))
        lo = hi + 1
    return out


@dataclass
class Plan:
    """What one `record` run asks for."""

    params: list[Pair] = field(default_factory=list)
    endpoint: Endpoint = HISTORY
    start_ms: int | None = None
    end_ms: int | None = None
    all_pages: bool = False
    recv_window: int | None = None
    record_errors: bool = False  # keep error answers; else the first one stops the run

    def check(self) -> None:
        names = {n for n, _ in self.params}
        if names & VOLATILE_PARAMS:
            raise ValueError(
                "timestamp, recvWindow and signature are added by the recorder; do not pass them"
            )
        paging = self.paging
        if self.start_ms is not None and names & {paging.start, paging.end}:
            raise ValueError("give the time range either with --start/--end or with --param, not both")
        if self.all_pages and names & {paging.page, paging.size}:
            raise ValueError(f"--all-pages sets {paging.page} and {paging.size} itself; do not pass them")

    @property
    def path(self) -> str:
        return self.endpoint.path

    @property
    def paging(self) -> Paging:
        assert self.endpoint.paging is not None
        return self.endpoint.paging

    def windows(self) -> list[tuple[int, int] | None]:
        if self.start_ms is None or self.end_ms is None:
            return [None]
        return list(windows(self.start_ms, self.end_ms, self.paging.max_window_ms))


# --- recording ---


def new_session() -> requests.Session:
    """The HTTP session of a recording run (a seam for tests that watch what is sent)."""
    return requests.Session()


@dataclass
class Credentials:
    api_key: str
    sign: Signer = field(repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False)  # scrubbed besides the key


@dataclass
class Recorder:
    upstream: str
    credentials: Credentials
    scrubber: Scrubber = field(default_factory=Scrubber)
    throttle: Throttle = field(default_factory=Throttle)
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    session: requests.Session = field(default_factory=new_session)
    log: Callable[[str], None] = lambda line: None

    offset_ms: int = 0  # upstream clock minus ours, once `sync_clock` has run

    def __post_init__(self) -> None:
        self.upstream = self.upstream.rstrip("/")
        self.scrubber.add(self.credentials.api_key)
        for secret in self.credentials.secrets:
            self.scrubber.add(secret)

    def call(self, path: str, params: Sequence[Pair], recv_window: int | None = None) -> Interaction:
        """One signed request; the interaction comes back already scrubbed."""
        return self._scrubbed(self._fetch(path, params, recv_window))

    def _fetch(self, path: str, params: Sequence[Pair], recv_window: int | None) -> Interaction:
        """One signed request, as answered: scrub it before it goes anywhere."""
        self.throttle.wait()  # before the timestamp, so the wait never ages it
        sent = list(params)
        signed = [*sent, ("timestamp", str(self.now_ms() + self.offset_ms))]
        if recv_window is not None:
            signed.append(("recvWindow", str(recv_window)))
        query = urlencode(signed)
        signature = self.credentials.sign(query.encode())
        self.scrubber.add(signature)  # before the request: an error message may carry the URL
        url = f"{self.upstream}{path}?{query}&{urlencode({'signature': signature})}"
        self.throttle.mark()
        try:
            r = self.session.get(url, headers={"X-MBX-APIKEY": self.credentials.api_key}, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            # requests' own text quotes the URL, signature included: give only the root cause.
            raise RecordError(f"upstream call failed: {type(exc).__name__} ({_root_cause(exc)})") from None
        headers = {k.lower(): v for k, v in r.headers.items() if is_client_header(k)}
        return Interaction(
            RecordedRequest("GET", path, tuple(sent)), RecordedResponse(r.status_code, headers, r.content)
        )

    def sync_clock(self) -> int:
        """Read the upstream's /api/v3/time, as Binance advises, so a skewed local clock is no -1021."""
        self.throttle.wait()
        self.throttle.mark()
        before = self.now_ms()
        try:
            r = self.session.get(f"{self.upstream}/api/v3/time", timeout=TIMEOUT_S)
            server = r.json()["serverTime"]
        except requests.RequestException as exc:
            raise RecordError(
                f"reading the upstream's time failed: {type(exc).__name__} ({_root_cause(exc)})"
            ) from None
        except (ValueError, KeyError, TypeError):
            raise RecordError('the upstream\'s /api/v3/time did not answer {"serverTime": N}') from None
        if not isinstance(server, int):
            raise RecordError('the upstream\'s /api/v3/time did not answer {"serverTime": N}')
        self.offset_ms = server - (before + self.now_ms()) // 2
        return self.offset_ms

    def _scrubbed(self, interaction: Interaction) -> Interaction:
        s = self.scrubber
        req, resp = interaction.request, interaction.response
        body = resp.body
        if s.leaks(body):
            body = s.text(body.decode("utf-8", "replace")).encode("utf-8")
        return Interaction(
            RecordedRequest(
                req.method, s.text(req.path), tuple((s.text(n), s.text(v)) for n, v in req.params)
            ),
            RecordedResponse(resp.status, {k: s.text(v) for k, v in resp.headers.items()}, body),
        )

    def record(self, plan: Plan) -> Cassette:
        plan.check()
        cassette = Cassette(upstream=self.scrubber.text(public_origin(self.upstream)), recorded_at=_utc_now())
        for window in plan.windows():
            base = list(plan.params)
            if window is not None:
                base += [(plan.paging.start, str(window[0])), (plan.paging.end, str(window[1]))]
            for answered in self._pages(plan, base):
                if answered.response.status >= 400 and not plan.record_errors:
                    raise RecordError(self.scrubber.message(_refusal(answered)))
                interaction = self._scrubbed(answered)
                cassette.add(interaction)
                self.log(describe(interaction))
        return cassette

    def _pages(self, plan: Plan, base: list[Pair]) -> Iterator[Interaction]:
        """The answers as received, unscrubbed: the caller scrubs each before keeping it."""
        if not plan.all_pages:
            yield self._fetch(plan.path, base, plan.recv_window)
            return
        paging, current = plan.paging, 1
        while True:
            interaction = self._fetch(
                plan.path,
                [*base, (paging.page, str(current)), (paging.size, str(paging.max_size))],
                plan.recv_window,
            )
            yield interaction
            total, rows = _page_counts(interaction)
            # Stop on an error, an empty page, or once the pages cover `total`.
            if total is None or rows == 0 or current * paging.max_size >= total:
                return
            current += 1


KEY_ENV = "BINANCE_API_KEY"
SECRET_ENV = "BINANCE_API_SECRET"
# The upstream refuses the key or the signature: every further call would too.
REJECTED_CREDENTIALS = (-1022, -2014, -2015)


def _refusal(interaction: Interaction) -> str:
    code, msg = interaction.response.error()
    answer = f"{code} {msg}" if code is not None else f"HTTP {interaction.response.status}"
    if code in REJECTED_CREDENTIALS:
        return (
            f"the upstream rejected the credentials ({answer}); nothing was written. "
            f"Check --api-key and --secret (or ${KEY_ENV} and ${SECRET_ENV}) and --key-type"
        )
    return f"the upstream answered {answer}; nothing was written. Pass --record-errors to keep error answers"


def _page_counts(interaction: Interaction) -> tuple[int | None, int]:
    if interaction.response.status != 200:
        return None, 0
    try:
        data = json.loads(interaction.response.body)
    except ValueError:
        return None, 0
    if not isinstance(data, dict) or not isinstance(data.get("total"), int):
        return None, 0
    rows = data.get("rows")
    return data["total"], len(rows) if isinstance(rows, list) else 0


def _root_cause(exc: BaseException) -> str:
    """The innermost OS error's text (e.g. "Connection refused"), never a message holding a URL."""
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        e = todo.pop(0)
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
    return "no further detail"


def describe(interaction: Interaction) -> str:
    """One progress line; built from the scrubbed interaction, so it is as safe as the file."""
    code, msg = interaction.response.error()
    outcome = f"{interaction.response.status}" + (f" {code} {msg}" if code is not None else "")
    return f"{interaction.request.show()} -> {outcome}"


def public_origin(url: str) -> str:
    """scheme://host[:port]/path of the upstream: user info and query never go to the file."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- writing ---


def render(cassette: Cassette, scrubber: Scrubber) -> bytes:
    """The file's bytes, scrubbed as a whole once more; refuses to return anything that leaks."""
    blob = dumps(scrubber.tree(cassette.to_dict()))
    if scrubber.leaks(blob):
        raise RecordError("a secret survived scrubbing; nothing was written")
    return blob


def write_atomic(path: str | Path, data: bytes, force: bool = False) -> None:
    """Write `data` to `path` whole or not at all; without `force` an existing file stays.

    A hidden temporary file in the same directory (so the rename cannot cross file systems)
    is written, fsynced, then renamed over the target (`force`) or hard-linked to it, which
    fails if the target appeared meanwhile. A crash leaves at most a `.NAME.*.tmp` file.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not force and target.exists():
        raise FileExistsError(f"{target} exists; pass --force to replace it")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            pause = float(os.environ.get(WRITE_PAUSE_ENV, "0") or 0)
            for start in range(0, len(data), WRITE_CHUNK):
                f.write(data[start : start + WRITE_CHUNK])
                if pause:
                    f.flush()
                    time.sleep(pause)
            f.flush()
            os.fsync(f.fileno())
        _publish(tmp, target, force)
        _fsync_dir(directory)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _publish(tmp: Path, target: Path, force: bool) -> None:
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # atomic "create if absent"
    except FileExistsError:
        raise FileExistsError(f"{target} exists; pass --force to replace it") from None
    except OSError:
        # A file system without hard links: a last check, then the plain rename.
        if target.exists():
            raise FileExistsError(f"{target} exists; pass --force to replace it") from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def _fsync_dir(directory: Path) -> None:
    # The rename itself is durable only once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
