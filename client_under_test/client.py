"""`MarginClient`: signed calls to GET /sapi/v1/margin/transfer on a `requests.Session`.

Every call has a timeout. Every retry is re-signed with a fresh timestamp (a request that
waited 2 s must not arrive with a 2 s old timestamp). What is retried, and how long it waits:

- -21003 "Fail to retrieve margin assets." ... at least 500 ms (Binance's advice), more on repeats
- HTTP 429 / -1003 .......................... the `Retry-After` header (seconds), else backoff
- HTTP 5xx, connection refused/reset, a reply that never came or was cut off ... backoff with jitter
- -1021 (timestamp outside recvWindow) ...... resync with /api/v3/time once, then again at once

Everything else (-1022, -1127, -1130, 401, 418, ...) is raised at once as a typed
`BinanceAPIError`. A retry budget (`RetryPolicy.attempts`) bounds the rest; when it runs out the
last error is raised. All waiting goes through `clock.sleep`, so tests inject a fake clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import requests

from binance_mock.client_under_test.errors import (
    BinanceAPIError,
    ClientError,
    InvalidTimestamp,
    MarginBusy,
    RateLimited,
    ServerError,
    TransportError,
    UnexpectedResponse,
    api_error,
)
from binance_mock.client_under_test.history import PAGE_SIZE, HistoryReader, ProgressCallback
from binance_mock.client_under_test.models import Transfer, TransferPage
from binance_mock.client_under_test.signing import HmacSigner, Signer
from binance_mock.client_under_test.timing import Clock, Pacer, RetryPolicy, SystemClock

DEFAULT_BASE_URL = "https://api.binance.com"
TRANSFER_PATH = "/sapi/v1/margin/transfer"
TIME_PATH = "/api/v3/time"
# (connect, read) seconds. Binance itself gives up on a request after 10 s (-1007).
DEFAULT_TIMEOUT = (3.05, 15.0)
# Failures where the request may simply be sent again: a GET changes nothing on the server.
_RETRYABLE_TRANSPORT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


@dataclass
class Stats:
    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    resyncs: int = 0
    waited: float = 0.0  # seconds spent in retry waits (the pacer's waits are not counted)
    used_weight: int | None = None  # last X-SAPI-USED-IP-WEIGHT-1M seen


class MarginClient:
    def __init__(
        self,
        api_key: str,
        signer: Signer | str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        session: requests.Session | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        recv_window_ms: int = 5_000,
        retry: RetryPolicy | None = None,
        pace_ms: int = 0,
        sync_time: bool = False,
        resync_on_1021: bool = True,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """`signer`: an HMAC secret as a string, or a signer (`HmacSigner`, `RsaSigner`,
        `Ed25519Signer`, `load_private_key(path)`). `pace_ms=500` keeps every request at least
        500 ms after the previous answer (Binance's advice against -21003); `sync_time=True`
        measures the server clock offset now."""
        if isinstance(signer, str):
            signer = HmacSigner(signer)
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.recv_window_ms = recv_window_ms
        self.retry = retry or RetryPolicy()
        self.resync_on_1021 = resync_on_1021
        self.clock: Clock = clock or SystemClock()
        self.stats = Stats()
        self.time_offset_ms = 0
        self._signer = signer
        self._session = session or requests.Session()
        self._own_session = session is None
        self._pacer = Pacer(pace_ms / 1000, self.clock)
        self._rng = rng or random.Random()
        if sync_time:
            self.sync_time()

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def __enter__(self) -> MarginClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- time ---

    def now_ms(self) -> int:
        return self.clock.time_ms() + self.time_offset_ms

    def server_time_ms(self) -> int:
        body = self._get(TIME_PATH, [], signed=False)
        if not isinstance(body, dict) or type(body.get("serverTime")) is not int:
            raise UnexpectedResponse(f"no serverTime in {body!r}")
        return body["serverTime"]

    def sync_time(self) -> int:
        """Offset (ms) to add to the local clock, assuming the server read its clock halfway
        through the round trip."""
        before = self.clock.time_ms()
        server = self.server_time_ms()
        after = self.clock.time_ms()
        self.time_offset_ms = server - (before + after) // 2
        return self.time_offset_ms

    # --- the endpoint ---

    def transfers(
        self,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        current: int = 1,
        size: int = PAGE_SIZE,
        asset: str | None = None,
        type: str | None = None,
        isolated_symbol: str | None = None,
    ) -> TransferPage:
        """One page, sent as asked (Binance validates; its errors come back typed)."""
        params = [
            ("asset", asset),
            ("type", type),
            ("startTime", start_ms),
            ("endTime", end_ms),
            ("current", current),
            ("size", size),
            ("isolatedSymbol", isolated_symbol),
        ]
        body = self._get(TRANSFER_PATH, params, signed=True)
        if not isinstance(body, dict) or _int_or_none(body.get("total")) is None:
            raise UnexpectedResponse(f"not a transfer page: {str(body)[:200]}")
        rows = body.get("rows") or []  # facts F2: an empty page may come without "rows"
        if not isinstance(rows, list):
            raise UnexpectedResponse(f"'rows' is not a list: {str(rows)[:200]}")
        return TransferPage(total=body["total"], rows=tuple(Transfer.from_api(r) for r in rows))

    def history(
        self,
        start: datetime | int,
        end: datetime | int,
        asset: str | None = None,
        type: str | None = None,
        isolated_symbol: str | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> Iterator[Transfer]:
        """Every transfer with start <= timestamp <= end (ms ints or aware datetimes), each once,
        oldest first (ties by txId). See `binance_mock.client_under_test.history` for how paging stays
        correct while rows arrive."""
        reader = HistoryReader(
            self, asset=asset, type=type, isolated_symbol=isolated_symbol, progress=progress
        )
        return reader.read(start, end)

    # --- HTTP ---

    def _url(self, path: str, params: Sequence[tuple[str, Any]], signed: bool) -> str:
        items = [(k, v) for k, v in params if v is not None]
        if signed:
            items += [("recvWindow", self.recv_window_ms), ("timestamp", self.now_ms())]
        # urlencode percent-encodes anything non-ASCII as UTF-8: Binance signs the encoded form.
        query = urlencode(items)
        if signed:
            # We sign exactly the bytes we send; base64 signatures need %2B %2F %3D.
            query += "&signature=" + quote(self._signer.sign(query.encode()), safe="")
        return f"{self.base_url}{path}?{query}" if query else f"{self.base_url}{path}"

    def _get(self, path: str, params: Sequence[tuple[str, Any]], *, signed: bool) -> Any:
        headers = {"X-MBX-APIKEY": self.api_key} if signed else {}
        failures = 0
        resynced = False
        while True:
            url = self._url(path, params, signed)  # a fresh timestamp on every try
            error: ClientError
            self._pacer.before()
            self.stats.requests += 1
            try:
                resp = self._session.get(url, headers=headers, timeout=self.timeout)
            except _RETRYABLE_TRANSPORT as exc:
                self._pacer.after()
                error = TransportError(f"GET {path}: {type(exc).__name__}: {exc}")
                error.__cause__ = exc
                wait: float | None = self.retry.backoff(failures, self._rng)
            else:
                self._pacer.after()
                self._note_weight(resp)
                if resp.status_code == 200:
                    try:
                        return resp.json()
                    except ValueError:
                        # A 200 with a cut-off body: the transport failed, not Binance.
                        error = UnexpectedResponse(f"GET {path}: 200 with a body that is not JSON")
                        wait = self.retry.backoff(failures, self._rng)
                else:
                    error = _error_from(resp)
                    if isinstance(error, InvalidTimestamp) and self.resync_on_1021 and not resynced:
                        resynced = True
                        self.stats.resyncs += 1
                        self.sync_time()
                        continue  # our clock was wrong, not the server: not a failure
                    wait = self._wait_for(error, failures)
            failures += 1
            if wait is None or failures >= self.retry.attempts:
                raise error
            self.stats.retries += 1
            self.stats.waited += wait
            self.clock.sleep(wait)

    def _wait_for(self, error: BinanceAPIError, failures: int) -> float | None:
        """Seconds to wait before trying again, or None: not worth retrying."""
        policy = self.retry
        if isinstance(error, MarginBusy):
            return max(policy.margin_busy_wait, policy.backoff(failures, self._rng))
        if isinstance(error, RateLimited):
            wait = error.retry_after
            if wait is None:
                wait = max(policy.rate_limit_wait, policy.backoff(failures, self._rng))
            return wait if wait <= policy.max_wait else None  # a ban-length wait: let the caller decide
        if isinstance(error, ServerError):
            return policy.backoff(failures, self._rng)
        return None

    def _note_weight(self, resp: requests.Response) -> None:
        used = resp.headers.get("X-SAPI-USED-IP-WEIGHT-1M")
        if used is not None and used.isdigit():
            self.stats.used_weight = int(used)


def _int_or_none(value: object) -> int | None:
    return value if type(value) is int else None


def _error_from(resp: requests.Response) -> BinanceAPIError:
    code: int | None = None
    msg = resp.text[:300]
    if resp.headers.get("Content-Type", "").startswith("application/json"):
        try:
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and type(body.get("code")) is int:
            code, msg = body["code"], str(body.get("msg", ""))
    return api_error(resp.status_code, code, msg, resp.headers)
