"""The ledger on its own: ordering, totals, paging, whole-or-nothing writes, every insert path."""

from __future__ import annotations

import json
import random

import pytest

from mock_server.state.ledger import Ledger, Query, Transfer

K = "acct"


def row(tx: int, ts: int, asset: str = "BNB", type_: str = "ROLL_IN", **kw: str | None) -> Transfer:
    return Transfer(tx_id=tx, timestamp=ts, asset=asset, amount=f"{tx}.00000000", type=type_, **kw)


def brute(rows: list[Transfer], q: Query) -> tuple[int, list[int]]:
    """The answer by definition: filter, sort descending by (timestamp, txId), slice."""
    hits = [
        t
        for t in rows
        if q.start_ms <= t.timestamp <= q.end_ms
        and (q.asset is None or t.asset == q.asset)
        and (q.type is None or t.type == q.type)
        and (q.symbol is None or q.symbol in (t.from_symbol, t.to_symbol))
    ]
    hits.sort(key=lambda t: (t.timestamp, t.tx_id), reverse=True)
    page = hits[(q.current - 1) * q.size : q.current * q.size]
    return len(hits), [t.tx_id for t in page]


def answer(ledger: Ledger, q: Query) -> tuple[int, list[int]]:
    page = ledger.query(K, q)
    return page.total, [r["txId"] for r in page.rows()]


def random_rows(rng: random.Random, n: int, start_tx: int = 1) -> list[Transfer]:
    out = []
    for i in range(n):
        sym = rng.choice([None, None, "BTCUSDT", "ETHUSDT"])
        out.append(
            row(
                start_tx + i,
                rng.randint(0, 500),  # a narrow range: many ties
                asset=rng.choice(["BNB", "USDT", "BTC"]),
                type_=rng.choice(["ROLL_IN", "ROLL_OUT"]),
                from_symbol=sym,
                to_symbol=rng.choice([None, sym]),
            )
        )
    return out


def random_queries(rng: random.Random, n: int) -> list[Query]:
    qs = []
    for _ in range(n):
        a, b = sorted((rng.randint(-10, 510), rng.randint(-10, 510)))
        qs.append(
            Query(a, b, rng.randint(1, 6), rng.choice([1, 3, 10, 100]), rng.choice([None, "BNB", "BTC"]),
                  rng.choice([None, "ROLL_OUT"]), rng.choice([None, None, "BTCUSDT", "XRPUSDT"]))
        )  # fmt: skip
    return qs


@pytest.mark.parametrize("batches", [[3000], [10, 10, 10], [500, 2000, 7, 1]])
def test_matches_brute_force_whatever_the_insert_path(batches: list[int]) -> None:
    # Shuffled batches hit the append, insert-in-place and rebuild paths.
    rng = random.Random(sum(batches))
    ledger = Ledger()
    everything: list[Transfer] = []
    for size in batches:
        rows = random_rows(rng, size, start_tx=len(everything) + 1)
        rng.shuffle(rows)
        ledger.add(K, rows)
        everything += rows
        for q in random_queries(rng, 60):
            assert answer(ledger, q) == brute(everything, q), q
    assert ledger.count(K) == len(everything)


def test_in_order_appends_stay_sorted() -> None:
    ledger = Ledger()
    ledger.add(K, [row(1, 100), row(2, 200)])
    ledger.add(K, [row(3, 300)])  # after the last: the append path
    ledger.add(K, [row(4, 150)])  # in the middle: the insert path
    assert answer(ledger, Query(0, 1000, 1, 10)) == (4, [3, 2, 4, 1])


@pytest.mark.parametrize("older", [1, 1_001])  # the insert-in-place and the rebuild paths
def test_an_older_write_ends_the_in_order_page_path(older: int) -> None:
    # In-order data pages by slicing the rows list; one older row must end that for good.
    ledger = Ledger()
    rows = [row(tx, 10_000 + tx) for tx in range(1, 301)]
    ledger.add(K, rows)
    q = Query(0, 10**6, 2, 100)
    assert answer(ledger, q) == brute(rows, q)
    late = [row(1_000 + i, 10_150 + i % 7) for i in range(older)]
    ledger.add(K, late)
    ledger.add(K, [row(5_000, 20_000)])  # after the last again: still not in order overall
    everything = rows + late + [row(5_000, 20_000)]
    for current in (1, 2, 3):
        q = Query(0, 10**6, current, 100)
        assert answer(ledger, q) == brute(everything, q)


def test_duplicate_tx_refuses_the_whole_batch() -> None:
    ledger = Ledger()
    ledger.add(K, [row(1, 100)])
    with pytest.raises(ValueError, match=r"rows\[1\]: txId 1 is already"):
        ledger.add(K, [row(2, 50), row(1, 60)])
    with pytest.raises(ValueError, match="txId 5"):
        ledger.add(K, [row(5, 50), row(5, 60)])
    assert answer(ledger, Query(0, 1000, 1, 10)) == (1, [1])


def test_rows_round_trip_exactly() -> None:
    original = {"amount": "5.00000000", "asset": "USDT", "status": "CONFIRMED", "timestamp": 1566888436000,
                "txId": 5239810406, "type": "ROLL_OUT", "transFrom": "ISOLATED_MARGIN",
                "transTo": "ISOLATED_MARGIN", "fromSymbol": "BNBUSDT", "toSymbol": "BTCUSDT"}  # fmt: skip
    t = Transfer.from_dict(original)
    assert json.loads(t.to_json()) == original
    assert list(json.loads(t.to_json())) == list(original)  # the page's field order
    ledger = Ledger()
    ledger.add(K, [t])
    assert ledger.rows(K) == [original]
    assert ledger.query(K, Query(0, 2 * 10**12, 1, 10)).body == t.to_json()


def test_accounts_are_separate_and_clear() -> None:
    ledger = Ledger()
    ledger.add("a", [row(1, 1)])
    ledger.add("b", [row(1, 1), row(2, 2)])
    assert (ledger.count("a"), ledger.count("b"), ledger.count("c")) == (1, 2, 0)
    ledger.clear("b")
    assert ledger.count("b") == 0 and ledger.count("a") == 1
    ledger.clear()
    assert ledger.count("a") == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount", "1.0", "'amount' is not valid"),
        ("amount", 1.5, "'amount' must be a string"),
        ("txId", -1, "'txId' must be a non-negative 64-bit integer"),
        ("txId", 2**63, "'txId' must be a non-negative"),
        ("timestamp", "1", "'timestamp' must be"),
        ("type", "SIDEWAYS", "'type' must be one of"),
        ("status", "DONE", "'status' must be one of"),
        ("transFrom", "MOON", "'transFrom' must be one of"),
        ("asset", "BN B", "'asset' is not valid"),
        ("fromSymbol", "btc-usdt", "'fromSymbol' is not valid"),
        ("extra", 1, "unknown field"),
    ],
)
def test_row_validation_names_the_field(field: str, value: object, message: str) -> None:
    data = {
        "amount": "1.00000000",
        "asset": "BNB",
        "timestamp": 1,
        "txId": 1,
        "type": "ROLL_IN",
        field: value,
    }
    with pytest.raises(ValueError, match=message):
        Transfer.from_dict(data, "rows[3]")


def test_snapshot_and_restore_are_independent_copies() -> None:
    ledger = Ledger()
    ledger.add(K, [row(1, 100, asset="BTC"), row(2, 200)])
    q = Query(0, 1000, 1, 10, asset="BTC")
    assert answer(ledger, q) == (1, [1])  # builds the BTC index before the snapshot
    snap = ledger.snapshot()
    ledger.add(K, [row(3, 150, asset="BTC"), row(4, 50)])
    assert answer(ledger, q) == (2, [3, 1])
    ledger.restore(snap)
    assert answer(ledger, q) == (1, [1]) and ledger.count(K) == 2
    ledger.add(K, [row(5, 300, asset="BTC")])  # writing after a restore leaves the snapshot alone
    ledger.restore(snap)
    assert answer(ledger, q) == (1, [1]) and answer(ledger, Query(0, 1000, 1, 10)) == (2, [2, 1])
