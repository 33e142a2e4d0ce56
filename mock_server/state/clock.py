"""Server time: real, frozen, or real shifted by an offset.

Every time-dependent rule (timestamp window, the 7-day default, the weight minute,
pacing) reads this one clock, so a test that freezes it sees all of them move together.

A frozen or shifted clock is for deterministic data and windows, not for breaking clients:
unless it is `strict`, a request timestamp valid against the wall clock is accepted too
(`lenient_ms`), so a client that never syncs its time keeps working. Strict mode checks
the mock's time alone, for a test that wants -1021.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from mock_server.rules.units import seconds_mistake

Mode = Literal["real", "frozen", "offset"]
MAX_MS = 10**14  # about the year 5138: anything larger is a unit mistake, not a date

_SHAPES = '{"now_ms": N}, {"offset_ms": N} (each may add "strict": true) or {"mode": "real"}'


@dataclass(frozen=True, slots=True)
class ClockState:
    mode: Mode
    now_ms: int
    offset_ms: int
    strict: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "now_ms": self.now_ms, "offset_ms": self.offset_ms, "strict": self.strict}


@dataclass(frozen=True, slots=True)
class ClockSetting:
    """One validated change of the clock, in the control API's shape."""

    mode: Literal["real", "frozen", "offset"]
    value: int = 0
    strict: bool = False


def parse_clock_setting(data: Any) -> ClockSetting:
    """`{"now_ms": N}` freezes, `{"offset_ms": N}` shifts, `{"mode": "real"}` returns to real time."""
    if not isinstance(data, dict):
        raise ValueError(f"clock takes one of {_SHAPES}; got {data!r}")
    strict = data.get("strict", False)
    if not isinstance(strict, bool):
        raise ValueError(f"clock: 'strict' must be true or false; got {strict!r}")
    rest = {k: v for k, v in data.items() if k != "strict"}
    if len(rest) != 1:
        raise ValueError(f"clock takes one of {_SHAPES}; got {data!r}")
    ((name, value),) = rest.items()
    if name == "mode" and value == "real" and "strict" not in data:
        return ClockSetting("real")
    if name in ("now_ms", "offset_ms") and isinstance(value, int) and not isinstance(value, bool):
        low = 0 if name == "now_ms" else -MAX_MS
        if not low <= value <= MAX_MS:
            raise ValueError(f"clock: {name} must be milliseconds from {low} to {MAX_MS}; got {value}")
        # An offset is a duration, so only the instant is checked for seconds.
        mistake = seconds_mistake(name, value) if name == "now_ms" else None
        if mistake is not None:
            raise ValueError(f"clock: {mistake}")
        return ClockSetting("frozen" if name == "now_ms" else "offset", value, strict)
    raise ValueError(f"clock takes one of {_SHAPES}; got {data!r}")


class Clock:
    def __init__(self, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._frozen_ms: int | None = None
        self._offset_ms = 0
        self._strict = False

    def now_ms(self) -> int:
        frozen = self._frozen_ms
        if frozen is not None:
            return frozen
        return time.time_ns() // 1_000_000 + self._offset_ms

    def lenient_ms(self) -> int | None:
        """The wall clock's now while this clock is frozen or shifted and not strict: a second
        time a request's timestamp may be valid against. None otherwise."""
        if self._strict or (self._frozen_ms is None and not self._offset_ms):
            return None
        return time.time_ns() // 1_000_000

    def freeze(self, now_ms: int, strict: bool = False) -> None:
        with self._lock:
            self._frozen_ms = now_ms
            self._offset_ms = 0
            self._strict = strict

    def shift(self, offset_ms: int, strict: bool = False) -> None:
        with self._lock:
            self._frozen_ms = None
            self._offset_ms = offset_ms
            self._strict = strict

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
            self._strict = False

    def apply(self, setting: ClockSetting) -> None:
        if setting.mode == "real":
            self.real()
        elif setting.mode == "frozen":
            self.freeze(setting.value, setting.strict)
        else:
            self.shift(setting.value, setting.strict)

    def bind(self, lock: threading.RLock) -> None:
        """Take the world's lock (a clock made before its world: tests pass their own)."""
        self._lock = lock

    def snapshot(self) -> tuple[int | None, int, bool]:
        return self._frozen_ms, self._offset_ms, self._strict

    def restore(self, snapshot: tuple[int | None, int, bool]) -> None:
        with self._lock:
            self._frozen_ms, self._offset_ms, self._strict = snapshot

    def state(self) -> ClockState:
        if self._frozen_ms is not None:
            return ClockState("frozen", self._frozen_ms, 0, self._strict)
        mode: Mode = "offset" if self._offset_ms else "real"
        return ClockState(mode, self.now_ms(), self._offset_ms, self._strict)
