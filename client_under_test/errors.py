"""Typed errors. Every Binance error answer becomes a `BinanceAPIError` carrying the code, the
message and the HTTP status, so callers branch on types or codes, never on message text."""

from __future__ import annotations

from collections.abc import Mapping


class ClientError(Exception):
    """Base of everything this client raises."""


class TransportError(ClientError):
    """The server could not be reached or hung up, and the retries ran out."""


class UnexpectedResponse(ClientError):
    """An answer this client cannot trust: not JSON, the wrong shape, rows outside the window."""


class HistoryUnstable(ClientError):
    """A window kept changing under the client for longer than its repair budget."""


class BinanceAPIError(ClientError):
    """`{"code": ..., "msg": ...}` from Binance (code is None when the body was not Binance JSON)."""

    def __init__(
        self, status: int, code: int | None, msg: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.msg = msg
        self.headers = dict(headers or {})
        super().__init__(f"HTTP {status} code {code}: {msg}")

    @property
    def retry_after(self) -> float | None:
        """Seconds from a `Retry-After` header (429/418), if the server sent a usable one."""
        value = next((v for k, v in self.headers.items() if k.lower() == "retry-after"), None)
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None  # an HTTP date: rare from Binance; the caller falls back to backoff


class InvalidTimestamp(BinanceAPIError):
    """-1021: our clock and the server's disagree by more than recvWindow."""


class InvalidSignature(BinanceAPIError):
    """-1022: wrong secret/key, or the signed bytes differ from the sent bytes."""


class Unauthorized(BinanceAPIError):
    """-2014/-2015 (HTTP 401): bad key, unknown key, wrong permissions or IP."""


class InvalidRequest(BinanceAPIError):
    """Any other 4xx: a parameter Binance refused (-1127 window, -1130 size, ...)."""


class MarginBusy(BinanceAPIError):
    """-21003 "Fail to retrieve margin assets.": Binance asks for >= 500 ms between calls."""


class RateLimited(BinanceAPIError):
    """HTTP 429 / -1003: too much request weight; `retry_after` says how long to back off."""


class IPBanned(BinanceAPIError):
    """HTTP 418: banned after ignoring 429s. Never retried automatically."""


class ServerError(BinanceAPIError):
    """HTTP 5xx: Binance's side; for a read the request is safe to repeat."""


def api_error(
    status: int, code: int | None, msg: str, headers: Mapping[str, str] | None = None
) -> BinanceAPIError:
    """The most specific exception type for an error answer."""
    cls: type[BinanceAPIError]
    if status == 418:
        cls = IPBanned
    elif status == 429 or code == -1003:
        cls = RateLimited
    elif code == -21003:
        cls = MarginBusy
    elif code == -1021:
        cls = InvalidTimestamp
    elif code == -1022:
        cls = InvalidSignature
    elif status == 401 or code in (-2014, -2015):
        cls = Unauthorized
    elif status >= 500:
        cls = ServerError
    else:
        cls = InvalidRequest
    return cls(status, code, msg, headers)
