"""Request weight per IP per minute (F18), and the headers that report it.

Binance counts weight in fixed minutes; a /sapi IP-limited endpoint has its own
12,000 budget, /api/* shares 6,000. Over the limit /sapi answers 429 with -1003 and
never escalates to a 418 ban (docs/fidelity.md §4).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import NamedTuple

MINUTE_MS = 60_000


def retry_after_s(now_ms: int, window_ms: int = MINUTE_MS) -> int:
    """Retry-After of a 429: the whole seconds to the next window (minute), at least 1."""
    return max(1, -(-(window_ms - now_ms % window_ms) // 1000))


class Spend(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    used: int
    limit: int
    retry_after_s: int  # 0 unless over: only a refusal sends Retry-After
    over: bool


class WeightCounter:
    def __init__(self, limit: int, lock: threading.RLock | None = None, window_ms: int = MINUTE_MS) -> None:
        self.limit, self.window_ms = limit, window_ms
        self._lock = lock or threading.RLock()
        self._used: dict[str, tuple[int, int]] = {}  # bucket -> (minute, used)

    def spend(self, bucket: str, weight: int, now_ms: int) -> Spend:
        minute = now_ms // self.window_ms
        with self._lock:
            last_minute, used = self._used.get(bucket, (minute, 0))
            used = used + weight if last_minute == minute else weight
            self._used[bucket] = (minute, used)
            if len(self._used) > 10_000:  # many one-off clients: drop stale minutes
                self._used = {k: v for k, v in self._used.items() if v[0] == minute}
        if used <= self.limit:
            return Spend(used, self.limit, 0, False)
        return Spend(used, self.limit, retry_after_s(now_ms, self.window_ms), True)

    def used(self, bucket: str, now_ms: int) -> int:
        """What one bucket spent in the window of `now_ms`."""
        with self._lock:
            window, used = self._used.get(bucket, (-1, 0))
        return used if window == now_ms // self.window_ms else 0

    def usage(self, now_ms: int) -> list[tuple[str, int]]:
        """(bucket, weight used) of every bucket that spent in the minute of `now_ms`."""
        minute = now_ms // self.window_ms
        with self._lock:
            return sorted((b, used) for b, (m, used) in self._used.items() if m == minute)

    def reset(self) -> None:
        with self._lock:
            self._used.clear()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return dict(self._used)

    def restore(self, snapshot: dict[str, tuple[int, int]]) -> None:
        with self._lock:
            self._used = dict(snapshot)


ORDERS_10S, ORDERS_1D = 100, 200_000  # exchangeInfo's ORDERS rate limits, per account


@dataclass
class Weights:
    """Per-minute weight counters (F18): /api shares one per IP, each /sapi endpoint has its own;
    and each account's new orders per 10 seconds and per day (-1015)."""

    api_ip: WeightCounter
    sapi_ip: WeightCounter
    sapi_uid: WeightCounter
    orders_10s: WeightCounter = field(default_factory=lambda: WeightCounter(ORDERS_10S, window_ms=10_000))
    orders_1d: WeightCounter = field(default_factory=lambda: WeightCounter(ORDERS_1D, window_ms=86_400_000))

    def _all(self) -> tuple[WeightCounter, ...]:
        return (self.api_ip, self.sapi_ip, self.sapi_uid, self.orders_10s, self.orders_1d)

    def reset(self) -> None:
        for counter in self._all():
            counter.reset()

    def snapshot(self) -> tuple[dict[str, tuple[int, int]], ...]:
        return tuple(c.snapshot() for c in self._all())

    def restore(self, snapshot: tuple[dict[str, tuple[int, int]], ...]) -> None:
        for counter, used in zip(self._all(), snapshot, strict=True):
            counter.restore(used)
