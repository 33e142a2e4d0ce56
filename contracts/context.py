"""What a check sees: the target, the expected profile, the clock, and helpers that state rules."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

from binance_mock.contracts import dataset
from binance_mock.contracts.facts import (
    DECISION_REF,
    MAX_SIZE,
    MAX_WINDOW_MS,
    SAPI_MEDIA_TYPE,
    ErrorSpec,
    Profile,
)
from binance_mock.contracts.outcomes import Failed, Skipped, expect
from binance_mock.contracts.target import PATH, Answer, Control, Params, Target

NO_CONTROL = "target has no control API (live mode)"


@dataclass
class Observation:
    decision: str
    value: str | None  # None: the target showed none of the known alternatives
    detail: str


@dataclass
class Context:
    target: Target
    expected: Profile = field(default_factory=Profile)
    control: Control | None = None
    clock_offset_ms: int = 0
    frozen_ms: int | None = None
    data: dataset.Dataset | None = None
    observations: dict[str, Observation] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    _cache: dict[tuple[Any, ...], Answer] = field(default_factory=dict)

    # --- time ---

    def now_ms(self) -> int:
        if self.frozen_ms is not None:
            return self.frozen_ms
        return time.time_ns() // 1_000_000 + self.clock_offset_ms

    def sync_clock(self) -> None:
        """Estimate the target's clock from /api/v3/time (docs/fidelity.md §7), as careful clients do."""
        before = time.time_ns() // 1_000_000
        answer = self.target.public_get("/api/v3/time")
        after = time.time_ns() // 1_000_000
        server = (answer.json or {}).get("serverTime") if isinstance(answer.json, dict) else None
        if answer.status == 200 and isinstance(server, int):
            self.clock_offset_ms = server - (before + after) // 2

    def window30(self) -> list[tuple[str, str | int]]:
        """The widest legal window ending now, fixed once per run so listings can be compared."""
        if "window30" not in self.memo:
            end = self.now_ms()
            self.memo["window30"] = [("startTime", end - MAX_WINDOW_MS), ("endTime", end)]
        return list(self.memo["window30"])

    def reference(self) -> dict[str, Any]:
        """The 30-day listing at size 100: the yardstick of the listing checks."""
        return self.ok([*self.window30(), ("size", MAX_SIZE)])

    # --- requests ---

    def get(self, params: Params = (), ts: int | None = None, **kw: Any) -> Answer:
        """A signed GET with `timestamp=ts` (default now); `kw` as Target.signed_get takes them:
        path (default the margin transfer history), api_key, spoil, tamper."""
        return self.target.signed_get(params, self.now_ms() if ts is None else ts, **kw)

    def ok(self, params: Params = (), cached: bool = True) -> dict[str, Any]:
        """A 200 answer's JSON object; anything else fails the check. Cached per parameter set,
        so checks that look at the same listing spend one request between them."""
        answer = self.answer(params) if cached else self.get(params)
        expect(answer.status == 200, f"{self.show(params)} answered {answer.describe()}, expected 200")
        body = answer.json
        expect(isinstance(body, dict), f"{self.show(params)}: 200 body is not a JSON object")
        return body

    def answer(self, params: Params = ()) -> Answer:
        """The answer to a signed GET, sent once per run for each parameter set."""
        key = tuple((k, str(v)) for k, v in params)
        if key not in self._cache:
            self._cache[key] = self.get(params)
        return self._cache[key]

    @staticmethod
    def show(params: Params) -> str:
        return "GET " + PATH + "?" + "&".join(f"{k}={v}" for k, v in params)

    @staticmethod
    def rows(body: dict[str, Any]) -> list[dict[str, Any]]:
        rows = body.get("rows", [])
        expect(isinstance(rows, list), f"rows is not a list: {str(rows)[:100]}")
        return rows

    @staticmethod
    def row_ms(row: dict[str, Any]) -> int:
        """A row's time in ms whichever unit the target shows (F1 is checked elsewhere)."""
        ts = int(row["timestamp"])
        return ts * 1000 if ts < 100_000_000_000 else ts

    # --- rules ---

    def expect_error(self, answer: Answer, spec: ErrorSpec, *args: object, what: str = "") -> None:
        """The exact Binance error answer: HTTP status (F17), JSON media type, {code, msg}."""
        want = {"code": spec.code, "msg": spec.format(*args)}
        got = answer.json
        prefix = f"{what}: " if what else ""
        expect(
            got == want and answer.status == spec.status,
            f"{prefix}expected HTTP {spec.status} {want}, got {answer.describe()}",
        )
        expect(
            answer.media_type == SAPI_MEDIA_TYPE,
            f"{prefix}error Content-Type {answer.headers.get('Content-Type')!r}, expected {SAPI_MEDIA_TYPE}",
        )

    def expect_ok(self, answer: Answer, what: str) -> dict[str, Any]:
        expect(answer.status == 200, f"{what}: expected 200, got {answer.describe()}")
        body = answer.json
        expect(isinstance(body, dict), f"{what}: 200 body is not a JSON object")
        return body

    def announce(self, text: str) -> None:
        """Say now, before it happens, what a check is about to do to the target (stderr)."""
        print(f"binance-mock contract: {self.target.redact(text)}", file=sys.stderr, flush=True)

    def observe(self, decision: str, value: str | None, detail: str) -> None:
        """Profile discovery: record what the target shows, fail when it is not the expected value."""
        self.observations[decision] = Observation(decision, value, detail)
        ref = DECISION_REF.get(decision, "")
        wanted = getattr(self.expected, decision)
        if value is None:
            raise Failed(
                f"{decision} ({ref}): target shows {detail}, which matches none of "
                f"{', '.join(Profile.choices(decision))}"
            )
        if value != wanted:
            raise Failed(
                f"{decision} ({ref}): target shows the alternative {decision}={value} ({detail}); "
                f"expected {wanted}. Matching profile: --fidelity {decision}={value} "
                f"(or write it with --write-profile FILE)"
            )

    def observe_accepted_or_refused(
        self, answer: Answer, decision: str, accepted: str, refused: str, spec: ErrorSpec, what: str
    ) -> None:
        """Profile discovery for a request that one alternative accepts and the other refuses
        with `spec`: anything else matches no known alternative."""
        body = answer.json if isinstance(answer.json, dict) else {}
        if answer.status == 200:
            self.observe(decision, accepted, f"{what} was accepted")
        elif body.get("code") == spec.code:
            self.observe(decision, refused, f"{what} got {spec.code}")
            self.expect_error(answer, spec)
        else:
            self.observe(decision, None, answer.describe())

    # --- control API ---

    def need_control(self, what: str) -> Control:
        if self.control is None:
            raise Skipped(f"{NO_CONTROL}: cannot {what}")
        return self.control

    def seeded(self, what: str) -> dataset.Dataset:
        self.need_control(what)
        if self.data is None:
            raise Skipped(f"seeded data unavailable: cannot {what}")
        return self.data

    def seed(self) -> None:
        """Known rows and a frozen clock: the ledger is emptied for the run and reset afterwards."""
        control = self.need_control("seed rows")
        control.clear_faults()
        control.pacing(0)  # a mock started with --min-interval-ms would refuse the suite's pace
        control.clear_transfers()
        rows = dataset.build_rows()
        control.add_transfers(self.target.creds.api_key, rows)
        control.freeze(dataset.NOW)
        self.frozen_ms = dataset.NOW
        self.data = dataset.Dataset(tuple(rows), dataset.NOW, self.expected.row_timestamp_unit)
        self._cache.clear()
        self.memo.clear()
