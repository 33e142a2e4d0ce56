"""Transfer storage per account, with indexes so a query costs O(log n + page size).

Every row is kept once, pre-serialised as the JSON object Binance sends. Each filter
combination a query can ask for (asset, type, isolated symbol, each optional) has an
index: parallel arrays sorted by (timestamp, txId) ascending. A query bisects the
window's bounds (total = hi - lo, no scan) and slices one page off the top, which is
the descending order Binance answers in (F24: ties by txId descending).
"""

from __future__ import annotations

import json
import re
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

TYPES = ("ROLL_IN", "ROLL_OUT")
STATUSES = ("CONFIRMED", "PENDING", "FAILED")
WALLETS = (
    "SPOT", "FUTURES", "FIAT", "DELIVERY", "MINING", "ISOLATED_MARGIN", "FUNDING",
    "MOTHER_SPOT", "OPTION", "SUB_SPOT", "SUB_MARGIN", "CROSS_MARGIN",
)  # fmt: skip
_AMOUNT = re.compile(r"[0-9]{1,20}\.[0-9]{8}")  # F26
_SYMBOL = re.compile(r"[A-Z0-9]{2,20}")
_ASSET = re.compile(r"[A-Za-z0-9]{1,20}")
_INT64_MAX = 2**63 - 1

# Field order as on Binance's page.
_FIELDS = ("amount", "asset", "status", "timestamp", "txId", "type", "transFrom", "transTo",
           "fromSymbol", "toSymbol")  # fmt: skip
_OPTIONAL = frozenset({"transFrom", "transTo", "fromSymbol", "toSymbol"})


@dataclass(frozen=True, slots=True)
class Transfer:
    """One row, exactly as Binance shows it; `timestamp` in milliseconds."""

    tx_id: int
    timestamp: int
    asset: str
    amount: str
    type: str
    status: str = "CONFIRMED"
    trans_from: str | None = None
    trans_to: str | None = None
    from_symbol: str | None = None
    to_symbol: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "amount": self.amount,
            "asset": self.asset,
            "status": self.status,
            "timestamp": self.timestamp,
            "txId": self.tx_id,
            "type": self.type,
        }
        for key, value in (
            ("transFrom", self.trans_from),
            ("transTo", self.trans_to),
            ("fromSymbol", self.from_symbol),
            ("toSymbol", self.to_symbol),
        ):
            if value is not None:
                d[key] = value
        return d

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    def symbols(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for s in (self.from_symbol, self.to_symbol) if s))

    @classmethod
    def from_dict(cls, data: Any, where: str = "row") -> Transfer:
        """Validate a row in Binance's shape; the error names the row and the field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: a row must be a JSON object")
        unknown = set(data) - set(_FIELDS)
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for name in _FIELDS:
            if name not in _OPTIONAL and name not in data:
                default_ok = name == "status"
                if not default_ok:
                    raise ValueError(f"{where}: field '{name}' is missing")

        def integer(name: str) -> int:
            v = data[name]
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _INT64_MAX:
                raise ValueError(f"{where}: field '{name}' must be a non-negative 64-bit integer")
            return v

        def text(name: str, pattern: re.Pattern[str] | None, choices: tuple[str, ...] | None) -> str | None:
            if name not in data or (name in _OPTIONAL and data[name] is None):
                return None
            v = data[name]
            if not isinstance(v, str):
                raise ValueError(f"{where}: field '{name}' must be a string")
            if choices is not None and v not in choices:
                raise ValueError(f"{where}: field '{name}' must be one of {', '.join(choices)}; got {v!r}")
            if pattern is not None and not pattern.fullmatch(v):
                raise ValueError(f"{where}: field '{name}' is not valid: {v!r}")
            return v

        amount = text("amount", _AMOUNT, None)
        if amount is None:
            raise ValueError(f"{where}: field 'amount' is missing")
        return cls(
            tx_id=integer("txId"),
            timestamp=integer("timestamp"),
            asset=text("asset", _ASSET, None) or "",
            amount=amount,
            type=text("type", None, TYPES) or "",
            status=text("status", None, STATUSES) or "CONFIRMED",
            trans_from=text("transFrom", None, WALLETS),
            trans_to=text("transTo", None, WALLETS),
            from_symbol=text("fromSymbol", _SYMBOL, None),
            to_symbol=text("toSymbol", _SYMBOL, None),
        )


@dataclass(frozen=True, slots=True)
class Query:
    start_ms: int
    end_ms: int  # inclusive (F25)
    current: int
    size: int
    asset: str | None = None
    type: str | None = None
    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    rows: list[bytes]


IndexKey = tuple[str | None, str | None, str | None]


class _Index:
    """Row ids sorted by (timestamp, txId) ascending, with the timestamps beside them."""

    __slots__ = ("ids", "ts")

    def __init__(self) -> None:
        self.ts = array("q")
        self.ids = array("q")

    def insert(self, ts: int, tx_id: int, row_id: int, tx_of: array) -> None:
        pos = bisect_right(self.ts, ts)
        # Among equal timestamps keep txId ascending (F24); such runs are short.
        while pos > 0 and self.ts[pos - 1] == ts and tx_of[self.ids[pos - 1]] > tx_id:
            pos -= 1
        self.ts.insert(pos, ts)
        self.ids.insert(pos, row_id)

    def append(self, ts: int, row_id: int) -> None:
        self.ts.append(ts)
        self.ids.append(row_id)


def _index_keys(t: Transfer) -> Iterator[IndexKey]:
    for asset in (t.asset, None):
        for typ in (t.type, None):
            yield (asset, typ, None)
            for sym in t.symbols():
                yield (asset, typ, sym)


class AccountLedger:
    def __init__(self) -> None:
        self._json: list[bytes] = []
        self._tx = array("q")  # txId by row id
        self._tx_ids: set[int] = set()
        self._indexes: dict[IndexKey, _Index] = {}
        self._symbols: set[str] = set()

    def __len__(self) -> int:
        return len(self._json)

    def add(self, rows: list[Transfer]) -> None:
        """Whole or nothing: a txId already present (or twice in `rows`) refuses all."""
        new_ids: set[int] = set()
        for i, t in enumerate(rows):
            if t.tx_id in self._tx_ids or t.tx_id in new_ids:
                raise ValueError(f"rows[{i}]: txId {t.tx_id} is already in the ledger")
            new_ids.add(t.tx_id)
        bulk = len(rows) > 64 or not self._json
        ordered = sorted(rows, key=lambda t: (t.timestamp, t.tx_id)) if bulk else rows
        if bulk and self._json:
            # Merge by rebuilding: cheaper than many O(n) inserts.
            existing = [Transfer.from_dict(json.loads(b)) for b in self._json]
            self._reset()
            ordered = sorted([*existing, *rows], key=lambda t: (t.timestamp, t.tx_id))
            new_ids |= {t.tx_id for t in existing}
        for t in ordered:
            row_id = len(self._json)
            self._json.append(t.to_json())
            self._tx.append(t.tx_id)
            self._symbols.update(t.symbols())
            for key in _index_keys(t):
                index = self._indexes.get(key)
                if index is None:
                    index = self._indexes[key] = _Index()
                if bulk:
                    index.append(t.timestamp, row_id)
                else:
                    index.insert(t.timestamp, t.tx_id, row_id, self._tx)
        self._tx_ids |= new_ids

    def _reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def query(self, q: Query) -> Page:
        index = self._indexes.get((q.asset, q.type, q.symbol))
        if index is None or q.start_ms > q.end_ms:
            return Page(0, [])
        lo = bisect_left(index.ts, q.start_ms)
        hi = bisect_right(index.ts, q.end_ms)
        total = hi - lo
        top = hi - (q.current - 1) * q.size
        if top <= lo:
            return Page(total, [])
        bottom = max(lo, top - q.size)
        ids = index.ids[bottom:top]
        rows = self._json
        return Page(total, [rows[i] for i in reversed(ids)])

    def has_symbol(self, symbol: str) -> bool:
        return symbol in self._symbols

    def rows(self) -> list[dict[str, Any]]:
        """Every row, newest first, as Binance shows it."""
        index = self._indexes.get((None, None, None))
        if index is None:
            return []
        return [json.loads(self._json[i]) for i in reversed(index.ids)]


class Ledger:
    """All accounts' transfers. Thread-safe: the control API and the Python API write
    from other threads while the server reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, AccountLedger] = {}

    def add(self, api_key: str, rows: Iterable[Transfer]) -> int:
        batch = list(rows)
        with self._lock:
            acct = self._accounts.get(api_key)
            if acct is None:
                acct = self._accounts[api_key] = AccountLedger()
            acct.add(batch)
        return len(batch)

    def query(self, api_key: str, q: Query) -> Page:
        with self._lock:
            acct = self._accounts.get(api_key)
            return acct.query(q) if acct is not None else Page(0, [])

    def has_symbol(self, api_key: str, symbol: str) -> bool:
        with self._lock:
            acct = self._accounts.get(api_key)
            return acct is not None and acct.has_symbol(symbol)

    def count(self, api_key: str) -> int:
        with self._lock:
            acct = self._accounts.get(api_key)
            return len(acct) if acct is not None else 0

    def rows(self, api_key: str) -> list[dict[str, Any]]:
        with self._lock:
            acct = self._accounts.get(api_key)
            return acct.rows() if acct is not None else []

    def clear(self, api_key: str | None = None) -> None:
        with self._lock:
            if api_key is None:
                self._accounts.clear()
            else:
                self._accounts.pop(api_key, None)
