"""Universal transfers (POST /sapi/v1/asset/transfer): what each type moves, and their history.

A type names a source and a target wallet. The types served are those between wallets the mock
holds (SPOT is MAIN, the cross MARGIN wallet, FUNDING, ISOLATED:<SYMBOL>); a margin one also
writes a row of the margin transfer history (GET /sapi/v1/margin/transfer) with the same id:
into cross margin a ROLL_IN, out of it a ROLL_OUT, the history's wallet names in transFrom and
transTo, and the isolated symbols in fromSymbol and toSymbol (docs/wallets.md).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from mock_server.state.wallets import ISOLATED, eight_decimals

HISTORY_MS = 183 * 86_400_000  # the docs: only the last six months can be queried


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    source: str  # the mock's wallet; ISOLATED: is completed by fromSymbol
    target: str  # ...by toSymbol
    row_type: str | None  # the margin history row it writes (None: not a margin transfer)
    trans_from: str | None = None
    trans_to: str | None = None

    @property
    def from_isolated(self) -> bool:
        return self.source == ISOLATED

    @property
    def to_isolated(self) -> bool:
        return self.target == ISOLATED

    @property
    def out_of_margin(self) -> bool:
        """Out of a margin wallet: limited by maxTransferable (-3020) before the free balance."""
        return self.source in ("MARGIN", ISOLATED)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("MAIN_MARGIN", "SPOT", "MARGIN", "ROLL_IN", "SPOT", "CROSS_MARGIN"),
        Kind("MARGIN_MAIN", "MARGIN", "SPOT", "ROLL_OUT", "CROSS_MARGIN", "SPOT"),
        Kind("FUNDING_MARGIN", "FUNDING", "MARGIN", "ROLL_IN", "FUNDING", "CROSS_MARGIN"),
        Kind("MARGIN_FUNDING", "MARGIN", "FUNDING", "ROLL_OUT", "CROSS_MARGIN", "FUNDING"),
        Kind("MARGIN_ISOLATEDMARGIN", "MARGIN", ISOLATED, "ROLL_OUT", "CROSS_MARGIN", "ISOLATED_MARGIN"),
        Kind("ISOLATEDMARGIN_MARGIN", ISOLATED, "MARGIN", "ROLL_IN", "ISOLATED_MARGIN", "CROSS_MARGIN"),
        Kind(
            "ISOLATEDMARGIN_ISOLATEDMARGIN",
            ISOLATED,
            ISOLATED,
            "ROLL_OUT",
            "ISOLATED_MARGIN",
            "ISOLATED_MARGIN",
        ),
        Kind("MAIN_FUNDING", "SPOT", "FUNDING", None),
        Kind("FUNDING_MAIN", "FUNDING", "SPOT", None),
    )
}
# Types Binance's docs list whose other wallet (futures, options, portfolio margin) the mock
# does not hold: refused as not served (F50), never silently taken.
UNHELD = (
    "MAIN_UMFUTURE", "UMFUTURE_MAIN", "MAIN_CMFUTURE", "CMFUTURE_MAIN", "UMFUTURE_MARGIN", "MARGIN_UMFUTURE",
    "CMFUTURE_MARGIN", "MARGIN_CMFUTURE", "MAIN_OPTION", "OPTION_MAIN", "MARGIN_OPTION", "OPTION_MARGIN",
    "UMFUTURE_FUNDING", "FUNDING_UMFUTURE", "CMFUTURE_FUNDING", "FUNDING_CMFUTURE", "OPTION_FUNDING",
    "FUNDING_OPTION", "MAIN_PORTFOLIO_MARGIN", "PORTFOLIO_MARGIN_MAIN",
)  # fmt: skip


class Made(NamedTuple):
    """One universal transfer as its history shows it."""

    tran_id: int
    timestamp: int
    type: str
    asset: str
    amount: Decimal
    from_symbol: str | None
    to_symbol: str | None

    def to_json(self) -> dict[str, object]:
        row: dict[str, object] = {
            "asset": self.asset, "amount": eight_decimals(self.amount), "type": self.type,
            "status": "CONFIRMED", "tranId": self.tran_id, "timestamp": self.timestamp,
        }  # fmt: skip
        if self.from_symbol:
            row["fromSymbol"] = self.from_symbol
        if self.to_symbol:
            row["toSymbol"] = self.to_symbol
        return row


class UniversalBook:
    """Every account's universal transfers, oldest first. Changed under the world's lock."""

    def __init__(self) -> None:
        self._rows: dict[str, list[Made]] = {}

    def add(self, api_key: str, made: Made) -> None:
        rows = self._rows.setdefault(api_key, [])
        at = bisect.bisect_right([(r.timestamp, r.tran_id) for r in rows], (made.timestamp, made.tran_id))
        rows.insert(at, made)

    def max_id(self) -> int:
        return max((m.tran_id for rows in self._rows.values() for m in rows), default=0)

    def rows(
        self, api_key: str, type_: str, start_ms: int, end_ms: int, from_symbol: str | None = None,
        to_symbol: str | None = None,
    ) -> list[Made]:  # fmt: skip
        """Rows of one type in start..end (inclusive), newest first."""
        return [
            r for r in reversed(self._rows.get(api_key, []))
            if r.type == type_ and start_ms <= r.timestamp <= end_ms
            and (from_symbol is None or r.from_symbol == from_symbol)
            and (to_symbol is None or r.to_symbol == to_symbol)
        ]  # fmt: skip

    def snapshot(self) -> dict[str, list[Made]]:
        return {k: list(v) for k, v in self._rows.items()}

    def restore(self, snapshot: dict[str, list[Made]]) -> None:
        self._rows = {k: list(v) for k, v in snapshot.items()}
