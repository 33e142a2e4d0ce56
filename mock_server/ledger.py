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
        # Hand-formatted: every string field is validated to letters, digits, `.` and `_`,
        # so nothing needs escaping, and this is several times faster than json.dumps.
        out = (
            f'{{"amount":"{self.amount}","asset":"{self.asset}","status":"{self.status}",'
            f'"timestamp":{self.timestamp},"txId":{self.tx_id},"type":"{self.type}"'
        )
        if self.trans_from is not None:
            out += f',"transFrom":"{self.trans_from}"'
        if self.trans_to is not None:
            out += f',"transTo":"{self.trans_to}"'
        if self.from_symbol is not None:
            out += f',"fromSymbol":"{self.from_symbol}"'
        if self.to_symbol is not None:
            out += f',"toSymbol":"{self.to_symbol}"'
        return (out + "}").encode()

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
    body: bytes = b""  # the page's row objects, comma-separated, ready for `{"rows":[...]}`
    count: int = 0

    def rows(self) -> list[dict[str, Any]]:
        return json.loads(b"[" + self.body + b"]") if self.count else []


IndexKey = tuple[str | None, str | None, str | None]


def _index_keys(asset_: str, type_: str, symbols: tuple[str, ...]) -> Iterator[IndexKey]:
    for asset in (asset_, None):
        for typ in (type_, None):
            yield (asset, typ, None)
            for sym in symbols:
                yield (asset, typ, sym)


class AccountLedger:
    """One account's rows, stored compactly (a million rows in about 200 MB).

    Rows live in one bytearray of JSON objects (`_off` marks where each starts); `_ts` and
    `_tx` are columns by row id. Each row's JSON is split where `"type"` starts: the head
    (amount ... txId) is stored, the tail (type, wallets, symbols) comes from a handful of
    distinct values and is stored once, by id, which saves a third of the memory. Each index is an array of row ids in (timestamp, txId)
    order; bisection reads the timestamp column through `key=`, so no index repeats it.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._off = array("Q", [0])
        self._tail = array("H")
        self._tails: list[bytes] = []
        self._tail_ids: dict[bytes, int] = {}
        self._ts = array("q")
        self._tx = array("q")
        self._tx_sorted = array("q")  # every txId, sorted: duplicate checks by bisection
        self._indexes: dict[IndexKey, array] = {}
        # What the indexes are keyed by, as small columns (names interned in _names).
        self._asset = array("I")
        self._type = array("B")
        self._sym = array("Q")  # fromSymbol id << 32 | toSymbol id; 0 is none
        self._names: list[str] = [""]
        self._name_ids: dict[str, int] = {}
        self._symbols: set[str] = set()

    def __len__(self) -> int:
        return len(self._ts)

    def _has_tx(self, tx_id: int) -> bool:
        i = bisect_left(self._tx_sorted, tx_id)
        return i < len(self._tx_sorted) and self._tx_sorted[i] == tx_id

    def _order_key(self, row_id: int) -> tuple[int, int]:
        return (self._ts[row_id], self._tx[row_id])

    def add(self, rows: list[Transfer]) -> None:
        """Whole or nothing: a txId already present (or twice in `rows`) refuses all."""
        seen: set[int] = set()
        for i, t in enumerate(rows):
            if t.tx_id in seen or self._has_tx(t.tx_id):
                raise ValueError(f"rows[{i}]: txId {t.tx_id} is already in the ledger")
            seen.add(t.tx_id)
        batch = sorted(rows, key=lambda t: (t.timestamp, t.tx_id))
        if not batch:
            return
        n = len(self._ts)
        in_order = n == 0 or (batch[0].timestamp, batch[0].tx_id) > self._order_key(
            self._indexes[(None, None, None)][-1]
        )
        for t in batch:
            self._store(t)
        new_ids = range(n, n + len(batch))
        if in_order:  # the common case (generated data, new transfers): append everywhere
            for row_id in new_ids:
                for key in self._keys(row_id):
                    self._indexes.setdefault(key, array("I")).append(row_id)
        elif len(batch) <= 1_000:
            for row_id in new_ids:
                self._insert_sorted(row_id)
        else:
            self._rebuild_indexes()
        self._merge_tx(sorted(seen))

    def _store(self, t: Transfer) -> None:
        row = t.to_json()
        cut = row.index(b',"type":"')
        tail = row[cut:]
        tail_id = self._tail_ids.get(tail)
        if tail_id is None:
            tail_id = self._tail_ids[tail] = len(self._tails)
            self._tails.append(tail)
        self._buf += row[:cut]
        self._off.append(len(self._buf))
        self._tail.append(tail_id)
        self._ts.append(t.timestamp)
        self._tx.append(t.tx_id)
        self._asset.append(self._name_id(t.asset))
        self._type.append(TYPES.index(t.type))
        self._sym.append(self._name_id(t.from_symbol) << 32 | self._name_id(t.to_symbol))
        self._symbols.update(t.symbols())

    def _name_id(self, name: str | None) -> int:
        if name is None:
            return 0
        found = self._name_ids.get(name)
        if found is None:
            found = self._name_ids[name] = len(self._names)
            self._names.append(name)
        return found

    def _keys(self, row_id: int) -> Iterator[IndexKey]:
        names = self._names
        sym = self._sym[row_id]
        symbols = tuple(dict.fromkeys(names[s] for s in (sym >> 32, sym & 0xFFFFFFFF) if s))
        return _index_keys(names[self._asset[row_id]], TYPES[self._type[row_id]], symbols)

    def _insert_sorted(self, row_id: int) -> None:
        where = self._order_key(row_id)
        for key in self._keys(row_id):
            ids = self._indexes.setdefault(key, array("I"))
            ids.insert(bisect_right(ids, where, key=self._order_key), row_id)

    def _rebuild_indexes(self) -> None:
        self._indexes = {}
        for row_id in sorted(range(len(self._ts)), key=self._order_key):
            for key in self._keys(row_id):
                self._indexes.setdefault(key, array("I")).append(row_id)

    def _merge_tx(self, new: list[int]) -> None:
        if not self._tx_sorted or new[0] > self._tx_sorted[-1]:
            self._tx_sorted.extend(new)
        else:
            self._tx_sorted = array("q", sorted([*self._tx_sorted, *new]))

    def _row(self, row_id: int) -> bytes:
        return bytes(self._buf[self._off[row_id] : self._off[row_id + 1]]) + self._tails[self._tail[row_id]]

    def query(self, q: Query) -> Page:
        ids = self._indexes.get((q.asset, q.type, q.symbol))
        if ids is None or q.start_ms > q.end_ms:
            return Page(0)
        ts = self._ts.__getitem__
        lo = bisect_left(ids, q.start_ms, key=ts)
        hi = bisect_right(ids, q.end_ms, key=ts)
        total = hi - lo
        top = hi - (q.current - 1) * q.size
        if top <= lo:
            return Page(total)
        bottom = max(lo, top - q.size)
        off, tail, tails = self._off, self._tail, self._tails
        parts: list[Any] = []
        add = parts.append
        # Views, not copies; joined here, under the caller's lock, since a live view of the
        # buffer would stop another thread from appending to it.
        with memoryview(self._buf) as buf:
            for i in reversed(ids[bottom:top]):
                add(buf[off[i] : off[i + 1]])
                add(tails[tail[i]])
                add(b",")
            parts.pop()
            body = b"".join(parts)
            parts.clear()
        return Page(total, body, top - bottom)

    def has_symbol(self, symbol: str) -> bool:
        return symbol in self._symbols

    def rows(self) -> list[dict[str, Any]]:
        """Every row, newest first, as Binance shows it."""
        ids = self._indexes.get((None, None, None), array("I"))
        return [json.loads(self._row(i)) for i in reversed(ids)]


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
            return acct.query(q) if acct is not None else Page(0)

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
