"""Transfer storage per account, with indexes so a query costs O(log n + page size).

Every row is kept once, pre-serialised as the JSON object Binance sends. Each filter
combination a query asks for (asset, type, isolated symbol, each optional) has an index:
row ids sorted by (timestamp, txId) ascending, built on the first query that uses it and
kept current by every write after. A query bisects the window's bounds (total = hi - lo,
no scan) and slices one page off the top, which is the descending order Binance answers
in (F24: ties by txId descending).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from mock_server.rules.fidelity import DAY_MS

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
        timestamp = integer("timestamp")
        if 10**9 <= timestamp < 10**10:  # a 10-digit number is a Unix time in seconds
            raise ValueError(
                f"{where}: field 'timestamp' is {timestamp}, which looks like seconds; rows take "
                f"milliseconds since the epoch (13 digits), e.g. {timestamp * 1000}"
            )
        return cls(
            tx_id=integer("txId"),
            timestamp=timestamp,
            asset=text("asset", _ASSET, None) or "",
            amount=amount,
            type=text("type", None, TYPES) or "",
            status=text("status", None, STATUSES) or "CONFIRMED",
            trans_from=text("transFrom", None, WALLETS),
            trans_to=text("transTo", None, WALLETS),
            from_symbol=text("fromSymbol", _SYMBOL, None),
            to_symbol=text("toSymbol", _SYMBOL, None),
        )


# Every row's JSON starts and ends alike; rows are stored without this frame (AccountLedger._store).
_ROW_HEAD = b'{"amount":"'
_ROW_TAIL = b'"}'
_ROW_JOIN = _ROW_TAIL + b"," + _ROW_HEAD
_HEAD, _TAIL = len(_ROW_HEAD), len(_ROW_TAIL)


class Query(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    start_ms: int
    end_ms: int  # inclusive (F25)
    current: int
    size: int
    asset: str | None = None
    type: str | None = None
    symbol: str | None = None


class Page(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    total: int
    parts: Sequence[bytes] = ()  # the page's rows, newest first, each without its frame

    @property
    def count(self) -> int:
        return len(self.parts)

    @property
    def body(self) -> bytes:
        """The page's row objects, comma-separated, ready for `{"rows":[...]}`."""
        return self.framed(b"", b"")

    def framed(self, prefix: bytes, suffix: bytes) -> bytes:
        """`prefix + body + suffix`: the rows are joined, then framed (two copies of them; a
        page used to take five). Riding the frame on the first and last rows to save one was
        measured slower: unpacking the rows into a new tuple costs more than the 17 KB copy."""
        if not self.parts:
            return prefix + suffix
        return b"".join((prefix, _ROW_HEAD, _ROW_JOIN.join(self.parts), _ROW_TAIL, suffix))

    def rows(self) -> list[dict[str, Any]]:
        return json.loads(b"[" + self.body + b"]") if self.parts else []


IndexKey = tuple[str | None, str | None, str | None]
ALL: IndexKey = (None, None, None)


def _index_keys(asset_: str, type_: str, symbols: tuple[str, ...]) -> Iterator[IndexKey]:
    for asset in (asset_, None):
        for typ in (type_, None):
            yield (asset, typ, None)
            for sym in symbols:
                yield (asset, typ, sym)


class AccountLedger:
    """One account's rows, stored compactly (a million rows in about 200 MB).

    Each row is one bytes object holding its JSON, so a page is a C-level gather
    (`itemgetter`) and one join: measured against a single buffer of rows sliced through a
    memoryview, five times faster per page, for about 40 MB more per million rows.
    `_ts` and `_tx` are columns by row id. Each index is an array of row ids in (timestamp, txId)
    order; bisection reads the timestamp column through `key=`, so no index repeats it.
    """

    def __init__(self) -> None:
        self._rows: list[bytes] = []
        self._ts = array("q")
        self._tx = array("q")
        self._max_tx = -1  # generated and live data only grow: checks duplicates in O(1)
        self._all = array("I")  # every row id in (timestamp, txId) order
        # True while every write arrived after the rows before it (generated data, live
        # appends): then `_all` is 0, 1, 2, ... and a page of it is a slice of `_rows`.
        self._in_order = True
        self._indexes: dict[IndexKey, array] = {ALL: self._all}
        # What the indexes are keyed by, as small columns (names interned in _names).
        self._asset = array("H")
        self._type = array("B")
        self._sym = array("I")  # fromSymbol id << 16 | toSymbol id; 0 is none
        self._names: list[str] = [""]
        self._name_ids: dict[str, int] = {}
        self._symbols: set[str] = set()

    def __len__(self) -> int:
        return len(self._ts)

    @property
    def max_tx_id(self) -> int:
        return max(self._max_tx, 0)

    def _present(self, tx_ids: set[int]) -> set[int]:
        """Which of `tx_ids` the ledger holds: nothing when all are newer than every row,
        else one C-level pass over the txId column (milliseconds for a million rows)."""
        if not tx_ids or min(tx_ids) > self._max_tx:
            return set()
        if tx_ids.isdisjoint(self._tx):
            return set()
        return tx_ids.intersection(self._tx)

    def _order_key(self, row_id: int) -> tuple[int, int]:
        return (self._ts[row_id], self._tx[row_id])

    def add(self, rows: list[Transfer]) -> None:
        """Whole or nothing: a txId already present (or twice in `rows`) refuses all."""
        seen: set[int] = set()
        for i, t in enumerate(rows):
            if t.tx_id in seen:
                raise ValueError(f"rows[{i}]: txId {t.tx_id} is already in the ledger")
            seen.add(t.tx_id)
        present = self._present(seen)
        if present:
            i = next(i for i, t in enumerate(rows) if t.tx_id in present)
            raise ValueError(f"rows[{i}]: txId {rows[i].tx_id} is already in the ledger")
        batch = sorted(rows, key=lambda t: (t.timestamp, t.tx_id))
        if not batch:
            return
        n = len(self._ts)
        in_order = n == 0 or (batch[0].timestamp, batch[0].tx_id) > self._order_key(self._all[-1])
        for t in batch:
            self._store(t)
        new_ids = range(n, n + len(batch))
        if in_order:  # the common case (generated data, new transfers): append everywhere
            indexes = self._indexes
            for row_id in new_ids:
                for key in self._keys(row_id):
                    ids = indexes.get(key)
                    if ids is not None:
                        ids.append(row_id)
        elif len(batch) <= 1_000:
            self._in_order = False
            for row_id in new_ids:
                self._insert_sorted(row_id)
        else:
            self._in_order = False
            self._rebuild_indexes()
        self._max_tx = max(self._max_tx, *seen)

    def _store(self, t: Transfer) -> None:
        asset_id = self._name_id(t.asset)
        sym = self._name_id(t.from_symbol) << 16 | self._name_id(t.to_symbol)
        row = t.to_json()
        # Every row starts `{"amount":"` and ends `"}` (its last field is a string): keep only
        # what lies between, and put the frame back when a page is joined (13 MB per million).
        self._rows.append(row[_HEAD:-_TAIL])
        self._ts.append(t.timestamp)
        self._tx.append(t.tx_id)
        self._asset.append(asset_id)
        self._type.append(TYPES.index(t.type))
        self._sym.append(sym)
        self._symbols.update(t.symbols())

    def _name_id(self, name: str | None) -> int:
        if name is None:
            return 0
        found = self._name_ids.get(name)
        if found is None:
            if len(self._names) > 0xFFFF:
                raise ValueError("more than 65,535 distinct assets and symbols in one account")
            found = self._name_ids[name] = len(self._names)
            self._names.append(name)
        return found

    def _keys(self, row_id: int) -> Iterator[IndexKey]:
        names = self._names
        sym = self._sym[row_id]
        symbols = tuple(dict.fromkeys(names[s] for s in (sym >> 16, sym & 0xFFFF) if s))
        return _index_keys(names[self._asset[row_id]], TYPES[self._type[row_id]], symbols)

    def _insert_sorted(self, row_id: int) -> None:
        where = self._order_key(row_id)
        for key in self._keys(row_id):
            ids = self._indexes.get(key)
            if ids is not None:
                ids.insert(bisect_right(ids, where, key=self._order_key), row_id)

    def _rebuild_indexes(self) -> None:
        self._all = array("I", sorted(range(len(self._ts)), key=self._order_key))
        self._indexes = {ALL: self._all}  # filtered ones come back on demand

    def _index(self, key: IndexKey) -> array | None:
        """The index for a filter, built on first use from the unfiltered one (one pass,
        once; later writes keep it current). A name the account never used has none."""
        ids = self._indexes.get(key)
        if ids is not None:
            return ids
        asset, type_, symbol = key
        name_ids = self._name_ids
        if (asset is not None and asset not in name_ids) or (symbol is not None and symbol not in name_ids):
            return None
        want_asset = name_ids[asset] if asset is not None else None
        want_type = TYPES.index(type_) if type_ is not None else None
        want_sym = name_ids[symbol] if symbol is not None else None
        col_asset, col_type, col_sym = self._asset, self._type, self._sym
        ids = array("I")
        for i in self._all:
            if want_asset is not None and col_asset[i] != want_asset:
                continue
            if want_type is not None and col_type[i] != want_type:
                continue
            if want_sym is not None and want_sym not in (col_sym[i] >> 16, col_sym[i] & 0xFFFF):
                continue
            ids.append(i)
        self._indexes[key] = ids
        return ids

    def query(self, q: Query) -> Page:
        if q.type is not None and q.type not in TYPES:
            return Page(0)
        ids = self._index((q.asset, q.type, q.symbol))
        if ids is None or q.start_ms > q.end_ms:
            return Page(0)
        identity = ids is self._all and self._in_order
        if identity:  # row id i is position i: bisect the timestamp column itself
            lo = bisect_left(self._ts, q.start_ms)
            hi = bisect_right(self._ts, q.end_ms)
        else:
            ts = self._ts.__getitem__
            lo = bisect_left(ids, q.start_ms, key=ts)
            hi = bisect_right(ids, q.end_ms, key=ts)
        total = hi - lo
        top = hi - (q.current - 1) * q.size
        if top <= lo:
            return Page(total)
        bottom = max(lo, top - q.size)
        if identity:  # the page is a run of the rows list, no id to look up
            return Page(total, self._rows[bottom:top][::-1])
        if top - bottom == 1:
            return Page(total, (self._rows[ids[bottom]],))
        # tolist() then a reversed copy: half the cost of iterating the array in reverse.
        return Page(total, itemgetter(*ids[bottom:top].tolist()[::-1])(self._rows))

    def set_status(self, tx_id: int, status: str) -> bool:
        """A row's status changes (a PENDING transfer is CONFIRMED, or FAILED): the row is
        rendered anew; its place in every index stays, as nothing they are keyed by changed."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}; got {status!r}")
        try:
            row_id = self._tx.index(tx_id)
        except ValueError:
            return False
        row = json.loads(_ROW_HEAD + self._rows[row_id] + _ROW_TAIL)
        self._rows[row_id] = Transfer.from_dict({**row, "status": status}).to_json()[_HEAD:-_TAIL]
        return True

    def has_symbol(self, symbol: str) -> bool:
        return symbol in self._symbols

    def assets(self) -> set[str]:
        return {self._names[i] for i in set(self._asset)}

    def isolated_symbols(self) -> set[str]:
        return set(self._symbols)

    def summary(self, now_ms: int, windows_ms: Iterable[int]) -> Summary:
        """Counts by asset and type, by UTC day, and in each window ending at `now_ms`: what a
        page needs to show the data without receiving every row."""
        names = self._names
        by_asset: dict[str, dict[str, int]] = {}
        for (asset_id, type_id), n in sorted(Counter(zip(self._asset, self._type, strict=True)).items()):
            by_asset.setdefault(names[asset_id], {})[TYPES[type_id]] = n
        days = sorted(Counter(ts // DAY_MS * DAY_MS for ts in self._ts).items())
        ts = self._ts.__getitem__
        end = bisect_right(self._all, now_ms, key=ts)
        in_window = {w: end - bisect_left(self._all, now_ms - w, key=ts) for w in windows_ms}
        return Summary(len(self._ts), by_asset, days, in_window)

    def copy(self) -> AccountLedger:
        """An independent copy: a row is replaced in its list when it changes, never edited, so
        copying the containers is enough."""
        other = AccountLedger.__new__(AccountLedger)
        for name, value in vars(self).items():
            setattr(other, name, copy.copy(value))
        other._indexes = {k: v if v is self._all else copy.copy(v) for k, v in self._indexes.items()}
        other._indexes[ALL] = other._all
        return other

    def rows(self) -> list[dict[str, Any]]:
        """Every row, newest first, as Binance shows it."""
        ids = self._all
        return [json.loads(_ROW_HEAD + self._rows[i] + _ROW_TAIL) for i in reversed(ids)]


class Summary(NamedTuple):
    rows: int
    by_asset: dict[str, dict[str, int]]  # asset -> type -> rows
    days: list[tuple[int, int]]  # (UTC day start, rows), days with rows only, oldest first
    in_window: dict[int, int]  # window length in ms -> rows in the window ending now


class Ledger:
    """All accounts' transfers. Thread-safe: the control API and the Python API write
    from other threads while the server reads."""

    def __init__(self, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
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

    def set_status(self, api_key: str, tx_id: int, status: str) -> bool:
        """Whether the account has the row; ValueError for a status Binance never shows."""
        with self._lock:
            acct = self._accounts.get(api_key)
            return acct is not None and acct.set_status(tx_id, status)

    def has_symbol(self, api_key: str, symbol: str) -> bool:
        with self._lock:
            acct = self._accounts.get(api_key)
            return acct is not None and acct.has_symbol(symbol)

    def assets(self, api_key: str | None = None) -> list[str]:
        """The assets of an account's rows (of every account's for None), sorted."""
        with self._lock:
            books = self._books(api_key)
            return sorted(set().union(*(b.assets() for b in books)))

    def isolated_symbols(self, api_key: str | None = None) -> list[str]:
        """The isolated-margin symbols of an account's rows (of every account's for None), sorted."""
        with self._lock:
            books = self._books(api_key)
            return sorted(set().union(*(b.isolated_symbols() for b in books)))

    def _books(self, api_key: str | None) -> list[AccountLedger]:
        if api_key is None:
            return list(self._accounts.values())
        acct = self._accounts.get(api_key)
        return [acct] if acct is not None else []

    def max_tx_id(self) -> int:
        """The largest txId of any account (0 without rows): a new transfer's id is above it."""
        with self._lock:
            return max((b.max_tx_id for b in self._accounts.values()), default=0)

    def count(self, api_key: str) -> int:
        with self._lock:
            acct = self._accounts.get(api_key)
            return len(acct) if acct is not None else 0

    def rows(self, api_key: str) -> list[dict[str, Any]]:
        with self._lock:
            acct = self._accounts.get(api_key)
            return acct.rows() if acct is not None else []

    def summary(self, api_key: str, now_ms: int, windows_ms: Iterable[int]) -> Summary:
        with self._lock:
            acct = self._accounts.get(api_key)
            return (acct or AccountLedger()).summary(now_ms, windows_ms)

    def snapshot(self) -> dict[str, AccountLedger]:
        with self._lock:
            return {k: v.copy() for k, v in self._accounts.items()}

    def restore(self, snapshot: dict[str, AccountLedger]) -> None:
        with self._lock:
            self._accounts = {k: v.copy() for k, v in snapshot.items()}

    def clear(self, api_key: str | None = None) -> None:
        with self._lock:
            if api_key is None:
                self._accounts.clear()
            else:
                self._accounts.pop(api_key, None)
