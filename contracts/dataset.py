"""Rows with known answers, seeded through the control API, and the suite's own oracle.

The oracle is a list comprehension over the rows the suite wrote: the page's rules
(filters, inclusive window, newest first, ties by txId descending) stated directly,
independent of how the mock indexes its ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from binance_mock.contracts.facts import DAY_MS

# A frozen "now" far from any generated data (2030-03-17), so seeded rows are the only ones near it.
NOW = 1_900_000_000_000
HOUR = 3_600_000

PAGE_ASSET = "PGA"  # 23 rows one hour apart: pages of 10 are 10, 10, 3
TIE_ASSET = "TIE"  # 4 rows sharing one timestamp
BOUND_ASSET = "BND"  # rows just inside and just outside an explicit window
WINDOW_ASSET = "WIN"  # rows at the edges of the default 7-day window
ISO_ASSET = "ISO"
ISO_SYMBOL = "ISOUSDT"
OTHER_SYMBOL = "OTHUSDT"
OLD_ASSET = "OLD"  # older than 7 days, inside 30
BOUND_START = NOW - 3 * DAY_MS
BOUND_END = NOW - 2 * DAY_MS
TIE_TS = NOW - 30 * HOUR


def _row(tx: int, ts: int, asset: str, type_: str = "ROLL_IN", **extra: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "amount": f"{(tx % 997) + 1}.{tx % 100_000_000:08d}",
        "asset": asset,
        "status": "CONFIRMED",
        "timestamp": ts,
        "txId": tx,
        "type": type_,
    }
    row.update(extra)
    return row


def build_rows() -> list[dict[str, Any]]:
    rows = [
        _row(70_000_100 - i, NOW - i * HOUR, PAGE_ASSET, "ROLL_IN" if i % 3 else "ROLL_OUT",
             transFrom="SPOT", transTo="CROSS_MARGIN")
        for i in range(1, 24)
    ]  # fmt: skip
    rows += [_row(tx, TIE_TS, TIE_ASSET) for tx in (60_000_002, 60_000_004, 60_000_001, 60_000_003)]
    rows += [
        _row(50_000_001, BOUND_START - 1, BOUND_ASSET),
        _row(50_000_002, BOUND_START, BOUND_ASSET, "ROLL_OUT"),
        _row(50_000_003, BOUND_END, BOUND_ASSET),
        _row(50_000_004, BOUND_END + 1, BOUND_ASSET),
    ]
    rows += [
        _row(40_000_001, NOW - 7 * DAY_MS - 1, WINDOW_ASSET),
        _row(40_000_002, NOW - 7 * DAY_MS, WINDOW_ASSET),
        _row(40_000_003, NOW, WINDOW_ASSET),
        _row(40_000_004, NOW + 1, WINDOW_ASSET),
    ]
    rows += [
        _row(30_000_001, NOW - 5 * HOUR - 7, ISO_ASSET, "ROLL_IN", transFrom="SPOT",
             transTo="ISOLATED_MARGIN", toSymbol=ISO_SYMBOL),
        _row(30_000_002, NOW - 6 * HOUR - 7, ISO_ASSET, "ROLL_OUT", transFrom="ISOLATED_MARGIN",
             transTo="SPOT", fromSymbol=ISO_SYMBOL),
        _row(30_000_003, NOW - 7 * HOUR - 7, ISO_ASSET, "ROLL_OUT", transFrom="ISOLATED_MARGIN",
             transTo="ISOLATED_MARGIN", fromSymbol=OTHER_SYMBOL, toSymbol=ISO_SYMBOL),
        _row(30_000_004, NOW - 8 * HOUR - 7, ISO_ASSET, "ROLL_IN", transFrom="SPOT",
             transTo="ISOLATED_MARGIN", toSymbol=OTHER_SYMBOL),
    ]  # fmt: skip
    rows += [_row(20_000_001, NOW - 20 * DAY_MS, OLD_ASSET), _row(20_000_002, NOW - 25 * DAY_MS, OLD_ASSET)]
    return rows


@dataclass(frozen=True)
class Dataset:
    rows: tuple[dict[str, Any], ...]
    now_ms: int = NOW
    timestamp_unit: str = "ms"  # how the target is expected to show rows[].timestamp (F1)

    def select(
        self,
        start: int,
        end: int,
        asset: str | None = None,
        type_: str | None = None,
        symbol: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every matching row, newest first (ties: larger txId first), as the target shows it."""
        hits = [
            r
            for r in self.rows
            if start <= r["timestamp"] <= end
            and (asset is None or r["asset"] == asset)
            and (type_ is None or r["type"] == type_)
            and (symbol is None or symbol in (r.get("fromSymbol"), r.get("toSymbol")))
        ]
        hits.sort(key=lambda r: (r["timestamp"], r["txId"]), reverse=True)
        if self.timestamp_unit == "s":
            hits = [{**r, "timestamp": r["timestamp"] // 1000} for r in hits]
        return hits
