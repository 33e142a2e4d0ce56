"""Server time: real, frozen, or real shifted by an offset.

Every time-dependent rule (timestamp window, the 7-day default, the weight minute,
pacing) reads this one clock, so a test that freezes it sees all of them move together.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Literal

Mode = Literal["real", "frozen", "offset"]


@dataclass(frozen=True, slots=True)
class ClockState:
    mode: Mode
    now_ms: int
    offset_ms: int


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen_ms: int | None = None
        self._offset_ms = 0

    def now_ms(self) -> int:
        frozen = self._frozen_ms
        if frozen is not None:
            return frozen
        return time.time_ns() // 1_000_000 + self._offset_ms

    def freeze(self, now_ms: int) -> None:
        with self._lock:
            self._frozen_ms = now_ms
            self._offset_ms = 0

    def shift(self, offset_ms: int) -> None:
        with self._lock:
            self._frozen_ms = None
            self._offset_ms = offset_ms

    def advance(self, ms: int) -> None:
        """Move a frozen clock forward (or add to the offset of a running one)."""
        with self._lock:
            if self._frozen_ms is not None:
                self._frozen_ms += ms
            else:
                self._offset_ms += ms

    def real(self) -> None:
        with self._lock:
            self._frozen_ms = None
            self._offset_ms = 0

    def state(self) -> ClockState:
        if self._frozen_ms is not None:
            return ClockState("frozen", self._frozen_ms, 0)
        mode: Mode = "offset" if self._offset_ms else "real"
        return ClockState(mode, self.now_ms(), self._offset_ms)
