"""Time, waiting and retry policy. Every wait of the client goes through a `Clock`, so tests
swap in a fake one and run without sleeping."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    def time_ms(self) -> int:
        """Wall-clock milliseconds since the epoch: the source of request timestamps."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back: the source of the pacer's intervals."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time_ms(self) -> int:
        return time.time_ns() // 1_000_000  # integer maths: no float rounding in timestamps

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class Pacer:
    """Keeps at least `interval` seconds between the end of one request and the start of the
    next. Measuring from the end (not the start) keeps the gap the server sees between two
    arrivals at least `interval` whatever the network latency: Binance answers -21003 to
    calls closer than 500 ms."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self._clock = clock
        self._last_done: float | None = None

    def before(self) -> None:
        if self.interval <= 0 or self._last_done is None:
            return
        wait = self._last_done + self.interval - self._clock.monotonic()
        if wait > 0:
            self._clock.sleep(wait)

    def after(self) -> None:
        self._last_done = self._clock.monotonic()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. `attempts` counts every try of one request, the first included."""

    attempts: int = 5
    backoff_base: float = 0.25  # seconds before the first retry of a 5xx or connection error
    backoff_cap: float = 8.0
    margin_busy_wait: float = 0.5  # -21003: Binance's "at least 500 milliseconds"
    rate_limit_wait: float = 1.0  # a 429 without a usable Retry-After
    max_wait: float = 120.0  # never wait longer than this for one retry, whatever the server says

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, so many clients
        that failed together do not come back together, and no wait is ever near zero."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2**retry)
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


NO_RETRY = RetryPolicy(attempts=1)
