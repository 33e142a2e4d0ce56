"""The whole transfer history over any time range, exactly once per row.

Binance answers `GET /sapi/v1/margin/transfer` newest first, 100 rows per page at most, over
a window of at most 30 days whose bounds are both inclusive, with `total` = the rows of the
whole window. `history()` turns that into one stream:

Windows
    The range is cut into windows of 30 days minus 1 ms (`end - start <= 2,591,999,999`,
    safe whichever way "more than 30 days" is counted), adjacent and never overlapping:
    the next starts 1 ms after the previous ends. They are read **oldest first**, so a
    transfer made while the export runs (it gets the current time, hence lands in the newest
    window) is still picked up when the export reaches that window.

Pages
    Each window is read with `size=100`, `current=1, 2, ...` until the pages cover `total`
    (`current * 100 >= total`) or a page comes back empty. Rows are keyed by `txId`, so a row
    seen twice counts once.

Detecting change
    `total` is re-read on every page. In descending order a row inserted anywhere newer than
    the rows still to come shifts every later page down by one (the next page starts with a
    row already seen); a deletion shifts them up (a row is skipped). So when `total` differs
    from the previous page, the client drops that page and **narrows**: it continues with
    `endTime` = the oldest timestamp already read, from `current=1`. Nothing older than that
    timestamp has been read yet, so nothing can be skipped; ties at that millisecond are read
    again and de-duplicated.

Repairing
    Narrowing protects the part not yet read. A row inserted into the part already read (a
    late or back-dated transfer) is found by counting: when the window is done, its `total`
    (one `size=1` request, skipped when `total` never moved during the scan) is compared with
    the number of distinct rows held. If they differ, the window is bisected at the median
    timestamp held (halving rows, not time); the newer half is counted (the older half's count
    is the difference) and only halves whose count differs from what is held are descended
    into, down to a range of at most 100 rows, which is read again and replaces what was held
    for it (this also drops deleted rows and refreshes a changed status). Then the window is
    counted again. A window still moving after `max_repairs` rounds raises `HistoryUnstable`.

Order
    Each window is yielded once it is verified, sorted **oldest first, ties by txId ascending**
    (`Transfer.sort_key`), so the whole stream is chronological. Memory is one window's rows.

What "exactly" means here: each window holds, when it is verified, the same set of txIds as
the server. Limits, stated rather than hidden: a row that appears in a window already yielded
belongs to the next export (new transfers get the current time, so this needs a back-dated
row); a count cannot see one row deleted and another inserted between the same two counts
(transfers are not deleted, as far as anyone has observed); a row's `status` is as it was
when the row was read (a PENDING row may be CONFIRMED by now: re-export recent days).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from binance_mock.client_under_test.errors import HistoryUnstable, UnexpectedResponse
from binance_mock.client_under_test.models import Transfer, TransferPage, datetime_to_ms

DAY_MS = 86_400_000
MAX_WINDOW_MS = 30 * DAY_MS  # Binance: "The max interval between startTime and endTime is 30 days"
WINDOW_SPAN_MS = MAX_WINDOW_MS - 1  # end - start of one window: 30 days of milliseconds, ends inclusive
PAGE_SIZE = 100  # Binance: "size ... Max:100"


class PageSource(Protocol):
    def transfers(
        self,
        *,
        start_ms: int,
        end_ms: int,
        current: int = 1,
        size: int = PAGE_SIZE,
        asset: str | None = None,
        type: str | None = None,
        isolated_symbol: str | None = None,
    ) -> TransferPage: ...


@dataclass(frozen=True, slots=True)
class Progress:
    window: int  # 1-based index of the window being read
    windows: int
    window_start_ms: int
    window_end_ms: int
    window_total: int  # `total` of the last page read
    window_rows: int  # distinct rows held for this window
    rows: int  # rows of the windows already yielded
    requests: int  # page and count requests so far


ProgressCallback = Callable[[Progress], None]


def to_ms(moment: datetime | int) -> int:
    return moment if isinstance(moment, int) else datetime_to_ms(moment)


def split_windows(start_ms: int, end_ms: int, span_ms: int = WINDOW_SPAN_MS) -> list[tuple[int, int]]:
    """Inclusive, adjacent, non-overlapping windows covering [start_ms, end_ms], oldest first."""
    if start_ms > end_ms:
        raise ValueError(f"start {start_ms} is after end {end_ms}")
    windows = []
    lo = start_ms
    while lo <= end_ms:
        hi = min(end_ms, lo + span_ms)
        windows.append((lo, hi))
        lo = hi + 1
    return windows


class HistoryReader:
    def __init__(
        self,
        source: PageSource,
        *,
        asset: str | None = None,
        type: str | None = None,
        isolated_symbol: str | None = None,
        progress: ProgressCallback | None = None,
        page_size: int = PAGE_SIZE,
        max_repairs: int = 10,
    ) -> None:
        self._source = source
        self._filters = {"asset": asset, "type": type, "isolated_symbol": isolated_symbol}
        self._progress = progress
        self._page_size = page_size
        self._max_repairs = max_repairs
        self.requests = 0
        self.narrowings = 0  # how often a scan saw `total` move and narrowed
        self.repairs = 0  # how often a finished window's count disagreed and was repaired
        self._rows_done = 0
        self._window: tuple[int, int, int] = (0, 0, 0)  # index, start, end (for progress)
        self._windows = 0

    def read(self, start: datetime | int, end: datetime | int) -> Iterator[Transfer]:
        windows = split_windows(to_ms(start), to_ms(end))
        self._windows = len(windows)
        for index, (lo, hi) in enumerate(windows, 1):
            self._window = (index, lo, hi)
            rows = self.read_window(lo, hi)
            self._rows_done += len(rows)
            yield from sorted(rows.values(), key=lambda t: t.sort_key)

    def read_window(self, lo: int, hi: int) -> dict[int, Transfer]:
        held: dict[int, Transfer] = {}
        total = self._scan(lo, hi, held)
        for _ in range(self._max_repairs):
            if total is None:
                total = self._count(lo, hi)
            if total == len(held):
                return held
            self.repairs += 1
            self._repair(lo, hi, total, held)
            total = None
        raise HistoryUnstable(f"window {lo}..{hi} still changing after {self._max_repairs} repairs")

    # --- reading ---

    def _page(self, lo: int, hi: int, current: int, size: int) -> TransferPage:
        page = self._source.transfers(start_ms=lo, end_ms=hi, current=current, size=size, **self._filters)
        self.requests += 1
        for row in page.rows:
            # A row outside the window means the server (or a proxy, or a seconds/ms mix-up)
            # is not answering what we asked: never merge such rows silently.
            if not lo <= row.timestamp_ms <= hi:
                raise UnexpectedResponse(f"row {row.tx_id} at {row.timestamp_ms} is outside {lo}..{hi}")
        return page

    def _count(self, lo: int, hi: int) -> int:
        return self._page(lo, hi, 1, 1).total

    def _scan(self, lo: int, hi: int, held: dict[int, Transfer]) -> int | None:
        """Read [lo, hi] into `held`. Returns the window's total when it never moved during the
        scan (then `held` is complete iff it has that many rows), else None."""
        end, current, previous_total = hi, 1, None
        oldest: int | None = None
        narrowed = 0
        while True:
            page = self._page(lo, end, current, self._page_size)
            if previous_total is not None and page.total != previous_total:
                # Later pages are shifted: drop this one, continue below what was read.
                narrowed += 1
                self.narrowings += 1
                if narrowed > self._max_repairs:
                    raise HistoryUnstable(f"window {lo}..{hi} kept changing while being paged")
                end = oldest if oldest is not None else end
                current, previous_total = 1, None
                continue
            previous_total = page.total
            for row in page.rows:
                held[row.tx_id] = row
                oldest = row.timestamp_ms if oldest is None else min(oldest, row.timestamp_ms)
            self._report(page.total, len(held))
            if not page.rows or current * self._page_size >= page.total:
                return page.total if not narrowed else None
            current += 1

    def _repair(self, lo: int, hi: int, server_total: int, held: dict[int, Transfer]) -> None:
        """Make the rows held for [lo, hi] equal the server's, reading as little as possible."""
        mine = [tx for tx, row in held.items() if lo <= row.timestamp_ms <= hi]
        if len(mine) == server_total:
            return
        if server_total <= self._page_size or lo == hi:
            fresh: dict[int, Transfer] = {}
            self._scan(lo, hi, fresh)
            for tx in mine:
                del held[tx]
            held.update(fresh)
            return
        # Split where the rows are (at the median row we hold), not at the middle of the time
        # range: transfers come in bursts, and halving time would count many empty halves.
        stamps = sorted(held[tx].timestamp_ms for tx in mine)
        mid = stamps[len(stamps) // 2] if stamps else lo + (hi - lo) // 2
        mid = min(max(mid, lo), hi - 1)  # both halves non-empty ranges, so this ends
        newer = self._count(mid + 1, hi)
        self._repair(mid + 1, hi, newer, held)
        # The older half's count follows from the two we have; if rows arrived in between,
        # the window's final count (read_window) notices and repairs again.
        self._repair(lo, mid, server_total - newer, held)

    def _report(self, window_total: int, window_rows: int) -> None:
        if self._progress is None:
            return
        index, lo, hi = self._window
        self._progress(
            Progress(
                window=index,
                windows=self._windows,
                window_start_ms=lo,
                window_end_ms=hi,
                window_total=window_total,
                window_rows=window_rows,
                rows=self._rows_done,
                requests=self.requests,
            )
        )
