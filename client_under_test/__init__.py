"""A reference client for Binance's GET /sapi/v1/margin/transfer: copy it, or read it as the
documentation of how to use the endpoint well.

    from binance_mock.client_under_test import MarginClient, HmacSigner
    with MarginClient(API_KEY, HmacSigner(SECRET), pace_ms=500, sync_time=True) as client:
        for transfer in client.history(start, end, asset="BTC"):
            ...

Modules: `client` (HTTP, signing, retries), `history` (windows, paging, repair), `models`
(typed rows), `signing` (HMAC/RSA/Ed25519), `timing` (clock, pacer, retry policy),
`errors` (typed exceptions), `cli` (`python -m binance_mock.client_under_test history ...`).
"""

from __future__ import annotations

from binance_mock.client_under_test.client import DEFAULT_BASE_URL, MarginClient, Stats
from binance_mock.client_under_test.errors import (
    BinanceAPIError,
    ClientError,
    HistoryUnstable,
    InvalidRequest,
    InvalidSignature,
    InvalidTimestamp,
    IPBanned,
    MarginBusy,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
)
from binance_mock.client_under_test.history import HistoryReader, Progress, split_windows
from binance_mock.client_under_test.models import Transfer, TransferPage
from binance_mock.client_under_test.signing import (
    Ed25519Signer,
    HmacSigner,
    RsaSigner,
    load_private_key,
    signer_from_pem,
)
from binance_mock.client_under_test.timing import Clock, Pacer, RetryPolicy, SystemClock

__all__ = [
    "DEFAULT_BASE_URL",
    "BinanceAPIError",
    "ClientError",
    "Clock",
    "Ed25519Signer",
    "HistoryReader",
    "HistoryUnstable",
    "HmacSigner",
    "IPBanned",
    "InvalidRequest",
    "InvalidSignature",
    "InvalidTimestamp",
    "MarginBusy",
    "MarginClient",
    "Pacer",
    "Progress",
    "RateLimited",
    "RetryPolicy",
    "RsaSigner",
    "ServerError",
    "Stats",
    "SystemClock",
    "Transfer",
    "TransferPage",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "load_private_key",
    "signer_from_pem",
    "split_windows",
]
