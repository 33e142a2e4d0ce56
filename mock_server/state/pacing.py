"""Pacing (F23): Binance answers -21003 to an account that calls margin endpoints too often.

Off by default; `--min-interval-ms`, a scenario file or the control API turn it on.
"""

from __future__ import annotations

import threading

from mock_server.rules import errors
from mock_server.rules.errors import BinanceError


class Pacer:
    """F23: a call of one account closer than `min_interval_ms` to the last accepted call
    gets -21003, and does not start a new interval."""

    def __init__(self, min_interval_ms: int = 0, lock: threading.RLock | None = None) -> None:
        self.min_interval_ms = min_interval_ms
        self._lock = lock or threading.RLock()
        self._last: dict[str, int] = {}

    def check(self, api_key: str, now_ms: int) -> BinanceError | None:
        if self.min_interval_ms <= 0:
            return None
        with self._lock:
            last = self._last.get(api_key)
            if last is not None and now_ms - last < self.min_interval_ms:
                return BinanceError(errors.NET_ASSET_MUST_LTE_RATIO)
            self._last[api_key] = now_ms
        return None

    def reset(self, min_interval_ms: int | None = None) -> None:
        with self._lock:
            self._last.clear()
            if min_interval_ms is not None:
                self.min_interval_ms = min_interval_ms

    def snapshot(self) -> tuple[int, dict[str, int]]:
        with self._lock:
            return self.min_interval_ms, dict(self._last)

    def restore(self, snapshot: tuple[int, dict[str, int]]) -> None:
        with self._lock:
            self.min_interval_ms, last = snapshot
            self._last = dict(last)
