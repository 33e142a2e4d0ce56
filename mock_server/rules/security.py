"""Binance's rules for keys and signed requests, one function a step of F16.

The pipeline (`mock_server/exchange/pipeline.py`) calls them in Binance's order; each raises
the BinanceError of its own rule and nothing else:

1. key: present and well-formed ............ -2014; known and permitted ....... -2015
2. mandatory: timestamp and signature sent . -1102 (either sent twice: -1101)
3. recvWindow: a LONG, at most 60000 ....... -1100 / -1131
4. timestamp: inside the window ............ -1021 (two messages)
5. signature: valid for the payload ........ -1022

What is signed, and the maths of signing and verifying, are in signature.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple, Protocol, TypeVar

from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import (
    DEFAULT_RECV_WINDOW_MS,
    FUTURE_TOLERANCE_MS,
    MAX_RECV_WINDOW_MS,
    Profile,
)
from mock_server.rules.params import Params, parse_long
from mock_server.rules.signature import signature_is_last, signed_payload

SECURITY_PARAMS = frozenset({"timestamp", "signature", "recvWindow"})
# F27: what "well-formed" means for -2014. Real keys are 64 alphanumerics; we accept
# 1..128 so that users' own test keys of other lengths work.
API_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{1,128}")


class KeyHolder(Protocol):
    """What the checks need of an account (the mock's are state/accounts.py's Account)."""

    @property
    def permissions(self) -> frozenset[str]: ...

    def verify(self, payload: bytes, signature: str) -> bool: ...


Holder = TypeVar("Holder", bound=KeyHolder)


class Signed(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    timestamp: int
    signature: str


def check_key(api_key: str | None, find: Callable[[str], Holder | None], permission: str | None) -> Holder:
    """Step 1: the X-MBX-APIKEY header; `find` looks the key up among the accounts."""
    if api_key is None or not API_KEY_FORMAT.fullmatch(api_key):
        raise BinanceError(errors.BAD_API_KEY_FMT)
    account = find(api_key)
    if account is None or (permission is not None and permission not in account.permissions):
        raise BinanceError(errors.REJECTED_MBX_KEY)
    return account


def require_signed(params: Params, need_signature: bool = True) -> Signed:
    """Step 2: timestamp and signature present (F15, F10 for a malformed timestamp, F28); a call
    whose signature was checked elsewhere (the WebSocket API's) needs the timestamp only."""
    if params.duplicates and not SECURITY_PARAMS.isdisjoint(params.duplicates):
        raise BinanceError(errors.DUPLICATE_PARAM)
    ts_text = params.get("timestamp")
    if not ts_text or not ts_text.isascii() or not ts_text.isdigit() or len(ts_text) > 20:
        raise BinanceError(errors.MANDATORY_PARAM, "timestamp")
    signature = params.get("signature") or ""
    if not signature and need_signature:
        raise BinanceError(errors.MANDATORY_PARAM, "signature")
    return Signed(int(ts_text), signature)


def recv_window(params: Params) -> int:
    """Step 3: recvWindow, 5000 when absent."""
    text = params.get("recvWindow")
    if not text:
        return DEFAULT_RECV_WINDOW_MS
    value = parse_long("recvWindow", text)
    if value > MAX_RECV_WINDOW_MS:
        raise BinanceError(errors.BAD_RECV_WINDOW)
    return value


def check_timestamp(
    timestamp: int, window_ms: int, now_ms: int, profile: Profile, lenient_ms: int | None = None
) -> int:
    """Step 4: the timestamp window (F20 for microseconds); returns the timestamp in ms.

    `lenient_ms`, the wall clock while the mock's clock is frozen or shifted, is a second time
    the timestamp may be valid against (docs/pipeline.md); the mock's own time decides the error.
    """
    ts_ms = timestamp
    if profile.microsecond_timestamp == "accept" and timestamp >= 10**15:
        ts_ms = timestamp // 1000
    refusal = _outside(ts_ms, window_ms, now_ms)
    if refusal is not None and (lenient_ms is None or _outside(ts_ms, window_ms, lenient_ms) is not None):
        raise BinanceError(refusal)
    return ts_ms


def _outside(ts_ms: int, window_ms: int, now_ms: int) -> errors.ErrorSpec | None:
    if ts_ms >= now_ms + FUTURE_TOLERANCE_MS:
        return errors.TIMESTAMP_AHEAD
    if now_ms - ts_ms > window_ms:
        return errors.TIMESTAMP_OUTSIDE_WINDOW
    return None


def check_signature(
    account: KeyHolder, raw_query: bytes, body: bytes, signature: str, profile: Profile
) -> None:
    """Step 5: the signature over the raw query and body (F14)."""
    if profile.signature_position == "last" and not signature_is_last(raw_query, body):
        raise BinanceError(errors.INVALID_SIGNATURE)
    if not account.verify(signed_payload(raw_query, body), signature):
        raise BinanceError(errors.INVALID_SIGNATURE)
