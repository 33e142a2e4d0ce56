"""The mock's data: Faker-seeded transfers, and fixture files in a documented format.

Generation is deterministic for (seed, anchor_ms, rows, api key). Faker owns the seeded
random source; the bulk of the work uses that source directly, because Faker's provider
calls cost microseconds each and a million rows must build in seconds.

Fixture format (JSON), one of:
- `{"format": "binance-mock/transfers", "version": 1, "accounts": [{"apiKey": "...", "rows": [ROW, ...]}]}`
- version 2: the same, and an account may give its opening balances, the wallets' holdings
  before its rows: `"balances": {"SPOT": {"USDT": "1000"}, "MARGIN": {"BTC": "0.5"}}`
- `{"rows": [ROW, ...]}` or a bare `[ROW, ...]`: rows of the default (first) account.
A ROW is shaped exactly as Binance answers it, `timestamp` in milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from faker import Faker

from mock_server.rules.fidelity import DAY_MS
from mock_server.state.accounts import not_an_account
from mock_server.state.ledger import Transfer
from mock_server.state.wallets import amount, wallet_name

FIXTURE_FORMAT = "binance-mock/transfers"
FIXTURE_VERSION = 1  # what the mock writes: rows alone
FIXTURE_VERSIONS = (1, 2)  # what it reads: 2 adds opening balances
HISTORY_DAYS = 90
DEFAULT_ROWS = 2_000


@dataclass(frozen=True, slots=True)
class _Asset:
    code: str
    weight: float
    low: float  # typical amount range (log-uniform between low and high)
    high: float


_ASSETS = (
    _Asset("USDT", 30, 5, 50_000),
    _Asset("BTC", 14, 0.0001, 3),
    _Asset("ETH", 12, 0.002, 40),
    _Asset("BNB", 9, 0.01, 150),
    _Asset("USDC", 8, 5, 30_000),
    _Asset("FDUSD", 4, 10, 20_000),
    _Asset("SOL", 6, 0.05, 800),
    _Asset("XRP", 5, 10, 50_000),
    _Asset("ADA", 3, 20, 80_000),
    _Asset("DOGE", 4, 50, 500_000),
    _Asset("LINK", 2, 1, 3_000),
    _Asset("TRX", 2, 100, 300_000),
)
# Isolated pairs: (symbol, base, quote).
_PAIRS = (
    ("BTCUSDT", "BTC", "USDT"),
    ("ETHUSDT", "ETH", "USDT"),
    ("BNBUSDT", "BNB", "USDT"),
    ("SOLUSDT", "SOL", "USDT"),
    ("ETHBTC", "ETH", "BTC"),
    ("BNBBTC", "BNB", "BTC"),
)
_CROSS_PEERS = ("SPOT", "SPOT", "SPOT", "SPOT", "FUNDING", "FUTURES", "ISOLATED_MARGIN")
# Rows between spot and isolated margin. Cross rows whose peer is ISOLATED_MARGIN add about
# 9 points more, so about 24% of the rows carry a symbol (docs/serve.md; tests/test_docs.py).
ISOLATED_SHARE = 0.15
_TX_ID_BASE = 100_000_000_000


def _amount(rng: Any, asset: _Asset) -> str:
    lo, hi = asset.low, asset.high
    value = lo * (hi / lo) ** rng.random()
    units = max(1, int(value * 100_000_000))
    if value >= 10:
        units -= units % 1_000_000  # whole-ish numbers, as people type them
    return f"{units // 100_000_000}.{units % 100_000_000:08d}"


def generate(seed: int, anchor_ms: int, rows: int, api_key: str) -> list[Transfer]:
    """`rows` transfers spread over the HISTORY_DAYS days before `anchor_ms`, oldest first."""
    return [t for chunk in generate_chunks(seed, anchor_ms, rows, api_key) for t in chunk]


def generate_chunks(
    seed: int, anchor_ms: int, rows: int, api_key: str, chunk: int = 20_000
) -> Iterator[list[Transfer]]:
    """The same rows as `generate`, in time order, a chunk at a time: a million rows never
    exist as objects all at once, only in the ledger's compact form."""
    fake = Faker()
    fake.seed_instance(f"{seed}:{anchor_ms}:{api_key}")
    rng = fake.random
    rand = rng.random
    span = HISTORY_DAYS * DAY_MS
    start = anchor_ms - span
    stamps = sorted(start + int(rand() * (span + 1)) for _ in range(rows))
    assets = rng.choices(_ASSETS, weights=[a.weight for a in _ASSETS], k=rows)
    by_code = {a.code: a for a in _ASSETS}
    pairs_of = {a.code: [p[0] for p in _PAIRS if a.code in p[1:]] for a in _ASSETS}
    tx_id = _TX_ID_BASE + int(rand() * 10**9)
    out: list[Transfer] = []
    for ts, asset in zip(stamps, assets, strict=True):
        tx_id += 1 + int(rand() * 5_000)
        type_ = "ROLL_IN" if rand() < 0.55 else "ROLL_OUT"
        from_symbol = to_symbol = None
        if rand() < ISOLATED_SHARE:
            symbol, base, quote = _PAIRS[int(rand() * len(_PAIRS))]
            asset = by_code[base if rand() < 0.4 else quote]
            if type_ == "ROLL_IN":
                trans_from, trans_to, to_symbol = "SPOT", "ISOLATED_MARGIN", symbol
            else:
                trans_from, trans_to, from_symbol = "ISOLATED_MARGIN", "SPOT", symbol
        else:
            peer = _CROSS_PEERS[int(rand() * len(_CROSS_PEERS))]
            symbol = None
            if peer == "ISOLATED_MARGIN":
                pairs = pairs_of[asset.code]
                if pairs:
                    symbol = pairs[int(rand() * len(pairs))]
                else:
                    peer = "SPOT"
            if type_ == "ROLL_IN":
                trans_from, trans_to, from_symbol = peer, "CROSS_MARGIN", symbol
            else:
                trans_from, trans_to, to_symbol = "CROSS_MARGIN", peer, symbol
        status = "CONFIRMED"
        r = rand()
        if anchor_ms - ts < DAY_MS and r < 0.08:
            status = "PENDING"  # only recent transfers can still be pending
        elif r < 0.02:
            status = "FAILED"
        out.append(
            Transfer(tx_id, ts, asset.code, _amount(rng, asset), type_, status, trans_from, trans_to,
                     from_symbol, to_symbol)
        )  # fmt: skip
        if len(out) >= chunk:
            yield out
            out = []
    if out:
        yield out


def parse_rows(rows: Any, where: str) -> list[Transfer]:
    if not isinstance(rows, list):
        raise ValueError(f"{where}: 'rows' must be a list")
    parsed = [Transfer.from_dict(r, f"{where}[{i}]") for i, r in enumerate(rows)]
    seen: set[int] = set()
    for i, t in enumerate(parsed):
        if t.tx_id in seen:
            raise ValueError(f"{where}[{i}]: txId {t.tx_id} appears twice")
        seen.add(t.tx_id)
    return parsed


Holdings = dict[tuple[str, str], Decimal]  # (wallet, asset) -> amount


@dataclass(frozen=True)
class Fixture:
    rows: dict[str, list[Transfer]]  # per API key
    balances: dict[str, Holdings]  # per API key, the opening balances a version 2 file gives
    source: str


def read_fixture(
    data: Any, source: str, default_key: str, accounts: Collection[str] | None = None
) -> Fixture:
    """Rows and opening balances per API key from a fixture document (see the module's doc);
    errors name the file, row and field. With `accounts`, rows for a key that is none of them
    (which no call could see) are refused."""
    if isinstance(data, list):
        return Fixture({default_key: parse_rows(data, f"{source}: rows")}, {}, source)
    if not isinstance(data, dict):
        raise ValueError(f"{source}: a fixture is a JSON object or a list of rows")
    fmt, version = data.get("format", FIXTURE_FORMAT), data.get("version", FIXTURE_VERSION)
    if fmt != FIXTURE_FORMAT or version not in FIXTURE_VERSIONS:
        raise ValueError(
            f"{source}: format {fmt!r} version {version!r} is not one this mock reads; "
            f"this mock reads format {FIXTURE_FORMAT!r} versions {', '.join(map(str, FIXTURE_VERSIONS))}"
        )
    if "accounts" not in data:
        if "rows" not in data:
            raise ValueError(f"{source}: expected 'accounts' or 'rows'")
        return Fixture({default_key: parse_rows(data["rows"], f"{source}: rows")}, {}, source)
    blocks = data["accounts"]
    if not isinstance(blocks, list):
        raise ValueError(f"{source}: 'accounts' must be a list")
    rows: dict[str, list[Transfer]] = {}
    balances: dict[str, Holdings] = {}
    for i, acct in enumerate(blocks):
        where = f"{source}: accounts[{i}]"
        if not isinstance(acct, dict) or not isinstance(acct.get("apiKey"), str):
            raise ValueError(f"{where}: needs an 'apiKey' string")
        if accounts is not None and acct["apiKey"] not in accounts:
            raise ValueError(f"{where}: {not_an_account(acct['apiKey'], accounts)}")
        rows.setdefault(acct["apiKey"], []).extend(parse_rows(acct.get("rows", []), f"{where}.rows"))
        if "balances" in acct:
            if version < 2:
                raise ValueError(f"{where}: 'balances' needs \"version\": 2 (version 1 holds rows alone)")
            balances.setdefault(acct["apiKey"], {}).update(_holdings(acct["balances"], f"{where}.balances"))
    return Fixture(rows, balances, source)


def _holdings(data: Any, where: str) -> Holdings:
    """`{"SPOT": {"USDT": "1000"}, ...}`: wallets, assets and amounts, each checked."""
    if not isinstance(data, dict):
        raise ValueError(f'{where}: expected {{"SPOT": {{"USDT": "1000"}}, ...}}')
    out: Holdings = {}
    for wallet, assets in data.items():
        try:
            name = wallet_name(wallet)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if not isinstance(assets, dict):
            raise ValueError(f'{where}.{wallet}: expected {{"USDT": "1000"}}, an amount per asset')
        for asset, value in assets.items():
            if not (isinstance(asset, str) and asset.isascii() and asset.isalnum()):
                raise ValueError(f"{where}.{wallet}: {asset!r} is not an asset's name")
            try:
                out[(name, asset.upper())] = amount(value, "balance")
            except ValueError as exc:
                raise ValueError(f"{where}.{wallet}.{asset}: {exc}") from None
    return out


def load_fixture(
    path: str | Path, default_key: str, accounts: Collection[str] | None = None
) -> dict[str, list[Transfer]]:
    return open_fixture(path, default_key, accounts).rows


def open_fixture(path: str | Path, default_key: str, accounts: Collection[str] | None = None) -> Fixture:
    p = Path(path)
    try:
        data = json.loads(p.read_bytes())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not valid JSON ({exc})") from None
    return read_fixture(data, str(p), default_key, accounts)


def dump_fixture(rows_by_key: dict[str, Sequence[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "format": FIXTURE_FORMAT,
        "version": FIXTURE_VERSION,
        "accounts": [{"apiKey": k, "rows": list(v)} for k, v in rows_by_key.items()],
    }
