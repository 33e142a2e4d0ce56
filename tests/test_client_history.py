"""`history()`'s algorithm (windows, paging, change detection, repair) against an in-memory
model of the endpoint: fast enough to let hypothesis throw thousands of schedules of rows
arriving mid-paging at it. The same algorithm against the real mock: test_client_mock.py."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_mock.client_under_test import (
    HistoryReader,
    HistoryUnstable,
    InvalidRequest,
    UnexpectedResponse,
    split_windows,
)
from binance_mock.client_under_test.history import DAY_MS, MAX_WINDOW_MS, WINDOW_SPAN_MS
from binance_mock.client_under_test.models import Transfer, TransferPage

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def row(tx: int, ts: int) -> Transfer:
    return Transfer.from_api(
        {
            "amount": "1.00000000",
            "asset": "USDT",
            "status": "CONFIRMED",
            "timestamp": ts,
            "txId": tx,
            "type": "ROLL_IN",
        }
    )


class FakeEndpoint:
    """Binance's rules for this endpoint as the mock states them: newest first, ties by txId
    descending, both bounds inclusive, size <= 100, window <= 30 days, `total` of the window."""

    def __init__(self, rows: list[Transfer] = ()) -> None:  # type: ignore[assignment]
        self.rows = {r.tx_id: r for r in rows}
        self.calls: list[dict[str, int]] = []
        self.before: Callable[[FakeEndpoint, dict[str, int]], None] | None = None
        self.next_tx = 10**9

    def add(self, ts: int) -> Transfer:
        self.next_tx += 1
        t = self.rows[self.next_tx] = row(self.next_tx, ts)
        return t

    def transfers(
        self, *, start_ms: int, end_ms: int, current: int = 1, size: int = 100, **_: Any
    ) -> TransferPage:
        call = {"start": start_ms, "end": end_ms, "current": current, "size": size}
        self.calls.append(call)
        if self.before is not None:
            self.before(self, call)
        if not 1 <= size <= 100:
            raise InvalidRequest(400, -1130, "Data sent for parameter 'size' is not valid.")
        if end_ms - start_ms > MAX_WINDOW_MS:
            raise InvalidRequest(400, -1127, "More than 720 hours between startTime and endTime.")
        hits = sorted((r for r in self.rows.values() if start_ms <= r.timestamp_ms <= end_ms),
                      key=lambda r: r.sort_key, reverse=True)  # fmt: skip
        return TransferPage(len(hits), tuple(hits[(current - 1) * size : current * size]))

    def expected(self, lo: int, hi: int) -> list[Transfer]:
        return sorted((r for r in self.rows.values() if lo <= r.timestamp_ms <= hi), key=lambda r: r.sort_key)


def ids(rows: list[Transfer]) -> list[int]:
    return [r.tx_id for r in rows]


# --- windows ---


def test_windows_are_adjacent_inclusive_and_at_most_30_days() -> None:
    lo, hi = T0, T0 + 365 * DAY_MS - 1
    windows = split_windows(lo, hi)
    assert windows[0][0] == lo and windows[-1][1] == hi
    assert all(b - a <= MAX_WINDOW_MS - 1 for a, b in windows)
    assert all(nxt[0] == prev[1] + 1 for prev, nxt in pairwise(windows))
    assert len(windows) == 13
    assert split_windows(5, 5) == [(5, 5)]
    assert split_windows(0, WINDOW_SPAN_MS) == [(0, WINDOW_SPAN_MS)]
    assert split_windows(0, WINDOW_SPAN_MS + 1) == [
        (0, WINDOW_SPAN_MS),
        (WINDOW_SPAN_MS + 1, WINDOW_SPAN_MS + 1),
    ]
    with pytest.raises(ValueError):
        split_windows(2, 1)


# --- a still ledger ---


def test_static_history_is_exact_in_chronological_order_with_no_wasted_requests() -> None:
    hi = T0 + 100 * DAY_MS
    windows = split_windows(T0, hi)
    rows = [row(i, T0 + (i * 7_919_993) % (100 * DAY_MS)) for i in range(1, 1200)]
    tx = 5000
    for a, b in windows:  # rows exactly on every window bound: inclusive ends, no overlap
        rows += [row(tx, a), row(tx + 1, b)]
        tx += 2
    rows += [row(tx + i, T0 + 50 * DAY_MS) for i in range(250)]  # 250 ties across page bounds
    api = FakeEndpoint(rows)
    reader = HistoryReader(api)
    got = list(reader.read(T0, hi))
    assert ids(got) == ids(api.expected(T0, hi))
    assert len(got) == len(rows) == len({r.tx_id for r in got})
    # one request per page and nothing else: ceil(total / 100) per window
    per_window = [len(api.expected(a, b)) for a, b in windows]
    assert reader.requests == sum(max(1, -(-n // 100)) for n in per_window)
    assert all(c["size"] == 100 for c in api.calls)
    assert reader.narrowings == reader.repairs == 0


def test_range_bounds_are_inclusive() -> None:
    api = FakeEndpoint([row(1, T0 - 1), row(2, T0), row(3, T0 + 10), row(4, T0 + 11)])
    assert ids(list(HistoryReader(api).read(T0, T0 + 10))) == [2, 3]


def test_progress_reports_every_page() -> None:
    api = FakeEndpoint([row(i, T0 + i * DAY_MS // 10) for i in range(600)])  # 60 days
    seen: list[Any] = []
    rows = list(HistoryReader(api, progress=seen.append).read(T0, T0 + 60 * DAY_MS))
    assert len(seen) == len(api.calls)
    assert [p.requests for p in seen] == list(range(1, len(api.calls) + 1))
    assert seen[-1].window == seen[-1].windows == 3
    assert seen[-1].rows + seen[-1].window_rows == len(rows) == 600


# --- rows arriving while paging ---


def test_row_newer_than_everything_read_shifts_pages_and_is_narrowed_around() -> None:
    api = FakeEndpoint([row(i, T0 + i * 1000) for i in range(1, 501)])
    hi = T0 + DAY_MS

    def insert_on_page_3(ep: FakeEndpoint, call: dict[str, int]) -> None:
        if call["current"] == 3 and len(ep.calls) == 3:
            ep.add(T0 + 600_000)  # newest of all: every later page shifts by one
            ep.add(T0 + 600_001)

    api.before = insert_on_page_3
    reader = HistoryReader(api)
    got = list(reader.read(T0, hi))
    assert ids(got) == ids(api.expected(T0, hi)) and len(got) == 502
    assert reader.narrowings == 1
    narrowed = api.calls[3]
    assert narrowed["current"] == 1 and narrowed["end"] == T0 + 301_000  # oldest row of pages 1-2


def test_back_dated_row_inside_what_was_read_is_found_by_counting() -> None:
    api = FakeEndpoint([row(i, T0 + i * 1000) for i in range(1, 2001)])
    hi = T0 + DAY_MS
    late: list[Transfer] = []

    def insert_on_page_5(ep: FakeEndpoint, call: dict[str, int]) -> None:
        if len(ep.calls) == 5:
            late.append(ep.add(T0 + 1_950_500))  # among the newest rows, read on page 1

    api.before = insert_on_page_5
    reader = HistoryReader(api)
    got = list(reader.read(T0, hi))
    assert ids(got) == ids(api.expected(T0, hi)) and late[0] in got
    assert reader.repairs == 1
    # the repair re-read a small slice, not the window: fewer requests than a second full pass
    assert reader.requests <= 21 + 10


def test_deleted_and_changed_rows_are_repaired() -> None:
    api = FakeEndpoint([row(i, T0 + i * 1000) for i in range(1, 1001)])
    hi = T0 + DAY_MS

    def mutate(ep: FakeEndpoint, call: dict[str, int]) -> None:
        if len(ep.calls) == 4:
            del ep.rows[990]  # read on page 1
            del ep.rows[100]  # not read yet: pages shift up
            ep.rows[995] = Transfer.from_api({**ep.rows[995].raw, "status": "FAILED"})

    api.before = mutate
    got = list(HistoryReader(api).read(T0, hi))
    assert ids(got) == ids(api.expected(T0, hi)) and len(got) == 998
    assert {t.tx_id: t.status for t in got}[995] == "FAILED"


def test_a_window_that_never_settles_raises() -> None:
    api = FakeEndpoint([row(i, T0 + i * 1000) for i in range(1, 400)])
    api.before = lambda ep, call: ep.add(T0 + 500_000)  # a new row before every answer
    with pytest.raises(HistoryUnstable):
        list(HistoryReader(api, max_repairs=4).read(T0, T0 + DAY_MS))


def test_a_row_outside_the_asked_window_is_refused() -> None:
    class Liar(FakeEndpoint):
        def transfers(self, **kw: Any) -> TransferPage:
            page = super().transfers(**kw)
            return TransferPage(page.total, (*page.rows, row(77, kw["end_ms"] + 1)))

    with pytest.raises(UnexpectedResponse, match="outside"):
        list(HistoryReader(Liar([row(1, T0)])).read(T0, T0 + 10))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stamps=st.lists(st.integers(0, 70 * DAY_MS), max_size=700),
    clustered=st.integers(0, 260),
    inserts=st.dictionaries(
        st.integers(1, 60), st.lists(st.floats(0, 1), min_size=1, max_size=3), max_size=8
    ),
)
def test_any_schedule_of_arrivals_gives_exactly_the_final_ledger(
    stamps: list[int], clustered: int, inserts: dict[int, list[float]]
) -> None:
    """Rows arrive before arbitrary requests, anywhere from the window being read to the range's
    end (a row cannot arrive in a window that was already yielded: see the module docstring)."""
    lo, hi = T0, T0 + 70 * DAY_MS
    rows = [row(i + 1, lo + ts) for i, ts in enumerate(stamps)]
    rows += [row(100_000 + i, lo + 35 * DAY_MS) for i in range(clustered)]  # ties over many pages
    api = FakeEndpoint(rows)
    windows = split_windows(lo, hi)

    def arrive(ep: FakeEndpoint, call: dict[str, int]) -> None:
        for fraction in inserts.get(len(ep.calls), ()):
            first = next(a for a, b in windows if a <= call["start"] <= b)
            ep.add(first + int(fraction * (hi - first)))

    api.before = arrive
    got = list(HistoryReader(api).read(lo, hi))
    assert ids(got) == ids(api.expected(lo, hi))
