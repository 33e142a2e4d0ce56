"""A fake clock for tests of code that uses this client: waits return at once and are recorded."""

from __future__ import annotations

import time


class FakeClock:
    """`sleep` only moves the clock. With `real_wall=True` the wall clock (request timestamps)
    stays real, so a real server accepts them, while waits and the pacer run on fake time."""

    def __init__(self, start_ms: int = 1_790_000_000_000, *, real_wall: bool = False) -> None:
        self._start_ms = start_ms
        self._elapsed = 0.0  # seconds slept
        self._real_wall = real_wall
        self.sleeps: list[float] = []

    def time_ms(self) -> int:
        if self._real_wall:
            # Not shifted by fake sleeps: the server's clock did not move either.
            return time.time_ns() // 1_000_000
        return self._start_ms + round(self._elapsed * 1000)

    def monotonic(self) -> float:
        return self._elapsed

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._elapsed += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        """Time passing without a sleep (e.g. a slow request)."""
        self._elapsed += seconds
