"""Generated data is deterministic and realistic; fixtures load exactly or are refused."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from mock_server.rules.fidelity import DAY_MS
from mock_server.state.data import HISTORY_DAYS, generate, load_fixture

ANCHOR = 1_790_000_000_000
ROOT = Path(__file__).resolve().parent.parent


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    a = generate(7, ANCHOR, 500, "k")
    assert a == generate(7, ANCHOR, 500, "k")
    assert a != generate(8, ANCHOR, 500, "k")
    assert a != generate(7, ANCHOR + 1, 500, "k")
    assert a != generate(7, ANCHOR, 500, "other")


def test_rows_are_realistic() -> None:
    rows = generate(7, ANCHOR, 5000, "k")
    assert all(ANCHOR - HISTORY_DAYS * DAY_MS <= t.timestamp <= ANCHOR for t in rows)
    assert [t.tx_id for t in rows] == sorted({t.tx_id for t in rows})  # unique, increasing with time
    assert [t.timestamp for t in rows] == sorted(t.timestamp for t in rows)
    assert all(re.fullmatch(r"[0-9]+\.[0-9]{8}", t.amount) for t in rows)
    statuses = Counter(t.status for t in rows)
    assert statuses["CONFIRMED"] > 0.9 * len(rows) and statuses["FAILED"] > 0
    assert all(ANCHOR - t.timestamp < DAY_MS for t in rows if t.status == "PENDING")
    for t in rows:  # the wallets agree with the direction
        if t.type == "ROLL_IN":
            assert t.trans_to in ("CROSS_MARGIN", "ISOLATED_MARGIN")
        else:
            assert t.trans_from in ("CROSS_MARGIN", "ISOLATED_MARGIN")
        if "ISOLATED_MARGIN" in (t.trans_from, t.trans_to):
            (symbol,) = t.symbols()
            assert t.asset in symbol
    isolated = sum(1 for t in rows if t.symbols())
    assert 0.1 * len(rows) < isolated < 0.4 * len(rows)
    assert len({t.asset for t in rows}) >= 8
    btc = [float(t.amount) for t in rows if t.asset == "BTC"]
    usdt = [float(t.amount) for t in rows if t.asset == "USDT"]
    assert max(btc) < 10 < max(usdt)  # plausible magnitudes per asset


def test_doc_example_fixture_loads_the_pages_rows() -> None:
    loaded = load_fixture(ROOT / "fixtures" / "doc-example.json", "default")
    ((key, rows),) = loaded.items()
    assert key.startswith("vmPUZE")
    assert [t.tx_id for t in rows] == [5240372201, 5239810406, 5239808703]
    assert rows[1].from_symbol == "BNBUSDT" and rows[1].to_symbol == "BTCUSDT"


def test_fixture_shapes_and_errors(tmp_path: Path) -> None:
    row = {"amount": "1.00000000", "asset": "BNB", "timestamp": 5, "txId": 9, "type": "ROLL_IN"}
    for doc in ([row], {"rows": [row]}):
        (tmp_path / "f.json").write_text(json.dumps(doc))
        assert list(load_fixture(tmp_path / "f.json", "dflt")) == ["dflt"]
    cases = [
        ("{", "not valid JSON"),
        ('{"nothing": 1}', "expected 'accounts' or 'rows'"),
        ('{"accounts": [{"rows": []}]}', r"accounts\[0\]: needs an 'apiKey'"),
        ('{"format": "other", "accounts": []}', "is not one this mock reads"),
        (json.dumps({"rows": [row, row]}), r"rows\[1\]: txId 9 appears twice"),
        (json.dumps({"rows": [row, {**row, "txId": 10, "type": "X"}]}), r"rows\[1\]: field 'type'"),
    ]
    for text, message in cases:
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(ValueError, match=message):
            load_fixture(tmp_path / "bad.json", "dflt")


# --- fixtures that could never act, or would act wrongly, are refused ---


def _fixture(tmp_path: Path, data: object) -> str:
    path = tmp_path / "f.json"
    path.write_text(json.dumps(data))
    return str(path)


ROW = {"amount": "1.00000000", "asset": "BNB", "timestamp": ANCHOR - 1_000, "txId": 1, "type": "ROLL_IN"}


def test_a_fixture_row_for_an_unknown_account_is_refused(tmp_path: Path) -> None:
    from mock_server.exchange import Exchange, Settings

    path = _fixture(tmp_path, {"format": "binance-mock/transfers", "version": 1,
                               "accounts": [{"apiKey": "nosuchkey", "rows": [ROW]}]})  # fmt: skip
    with pytest.raises(
        ValueError,
        match=r"accounts\[0\]: apiKey 'no\.\.\.' \(9 characters; the accounts' keys have 64\) is not an account of this mock",
    ):
        Exchange(Settings(fixtures=[path]))


@pytest.mark.parametrize("doc", [{"version": 3, "rows": [ROW]}, {"format": "other", "rows": [ROW]},
                                 {"format": "binance-mock/transfers", "version": 3, "accounts": []}])  # fmt: skip
def test_a_fixture_of_another_format_or_version_is_refused(tmp_path: Path, doc: dict) -> None:
    with pytest.raises(ValueError, match="this mock reads format 'binance-mock/transfers' versions 1, 2"):
        load_fixture(_fixture(tmp_path, doc), "k")


def test_second_timestamps_are_refused_saying_why(tmp_path: Path) -> None:
    path = _fixture(tmp_path, {"rows": [{**ROW, "timestamp": 1_566_898_617}]})
    with pytest.raises(
        ValueError, match=r"rows\[0\]: field 'timestamp' is 1566898617, which looks like seconds"
    ):
        load_fixture(path, "k")
