"""Typed rows. Amounts are `Decimal` (never float: 0.1 BTC must stay 0.1), times are aware
UTC datetimes, and the row exactly as Binance sent it stays in `raw`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from binance_mock.client_under_test.errors import UnexpectedResponse

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms_to_datetime(ms: int) -> datetime:
    # timedelta arithmetic is exact for milliseconds; fromtimestamp() goes through a float.
    return _EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (e.g. tzinfo=UTC)")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Transfer:
    """One row of GET /sapi/v1/margin/transfer."""

    tx_id: int
    timestamp_ms: int
    timestamp: datetime
    asset: str
    amount: Decimal
    type: str  # ROLL_IN or ROLL_OUT
    status: str  # CONFIRMED, PENDING, FAILED
    trans_from: str | None = None
    trans_to: str | None = None
    from_symbol: str | None = None
    to_symbol: str | None = None
    # Kept for export and for fields Binance may add later; not part of equality.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def sort_key(self) -> tuple[int, int]:
        """The order `history()` yields: oldest first, ties by txId ascending."""
        return (self.timestamp_ms, self.tx_id)

    @classmethod
    def from_api(cls, row: Any) -> Transfer:
        if not isinstance(row, Mapping):
            raise UnexpectedResponse(f"a row is not an object: {row!r}")
        try:
            tx_id, ts = row["txId"], row["timestamp"]
            if type(tx_id) is not int or type(ts) is not int:  # bool is an int subclass: refuse it
                raise TypeError("txId and timestamp must be integers")
            amount = Decimal(str(row["amount"]))
            if not amount.is_finite():
                raise ValueError("amount is not a finite number")
            return cls(
                tx_id=tx_id,
                timestamp_ms=ts,
                timestamp=ms_to_datetime(ts),
                asset=str(row["asset"]),
                amount=amount,
                type=str(row["type"]),
                status=str(row.get("status", "CONFIRMED")),
                trans_from=row.get("transFrom"),
                trans_to=row.get("transTo"),
                from_symbol=row.get("fromSymbol"),
                to_symbol=row.get("toSymbol"),
                raw=dict(row),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
            raise UnexpectedResponse(f"bad transfer row {row!r}: {exc}") from None


@dataclass(frozen=True, slots=True)
class TransferPage:
    """One answer: the rows of page `current` and the `total` of the whole window."""

    total: int
    rows: tuple[Transfer, ...]
