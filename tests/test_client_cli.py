"""`python -m binance_mock.client_under_test history`: the export equals what the API gives, in CSV and
JSONL, and the progress bar shows only on a terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance_mock.client_under_test import HmacSigner, MarginClient
from binance_mock.client_under_test.cli import main, parse_moment
from mock_server import MockBinance

D0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
END = 1_782_863_999_999  # 2026-06-30T23:59:59.999Z
DAY = 86_400_000


def row(tx: int, ts: int, asset: str = "BTC") -> dict[str, Any]:
    return {"amount": f"{tx % 97}.{tx % 10**8:08d}", "asset": asset, "status": "CONFIRMED", "timestamp": ts,
            "txId": tx, "type": "ROLL_IN" if tx % 3 else "ROLL_OUT"}  # fmt: skip


# Half a year, plus rows on the very first and last millisecond and just outside them.
ROWS = [row(10_000 + i, D0 + i * 7_207_211 % (END - D0), "BTC" if i % 4 else "ETH") for i in range(2_400)]
ROWS += [row(1, D0), row(2, END), row(3, D0 - 1), row(4, END + 1)]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def mock(binance_mock: MockBinance) -> MockBinance:
    binance_mock.clear_transfers()
    binance_mock.add_transfers(ROWS)
    return binance_mock


def env(mock: MockBinance) -> dict[str, str]:
    assert mock.secret is not None
    return {"BINANCE_API_KEY": mock.api_key, "BINANCE_API_SECRET": mock.secret}


def run(mock: MockBinance, *extra: str, stderr: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    argv = ["history", "--start", "2026-01-01", "--end", "2026-06-30", "--base-url", mock.base_url,
            "--pace-ms", "0", *extra]  # fmt: skip
    code = main(argv, env=env(mock), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def api_rows(mock: MockBinance, **filters: Any) -> list[dict[str, Any]]:
    assert mock.secret is not None
    with MarginClient(mock.api_key, HmacSigner(mock.secret), mock.base_url) as client:
        return [dict(t.raw) for t in client.history(D0, END, **filters)]


def test_jsonl_export_equals_the_api(mock: MockBinance) -> None:
    code, out, err = run(mock, "--format", "jsonl")
    assert code == 0, err
    exported = [json.loads(line) for line in out.splitlines()]
    want = api_rows(mock)
    assert exported == want and len(want) == 2_402  # both edge days included, neighbours not
    assert {r["txId"] for r in exported} >= {1, 2} and not {3, 4} & {r["txId"] for r in exported}
    assert out.splitlines()[0] == json.dumps(want[0], separators=(",", ":"))
    assert "2402 rows" in err and "\r" not in err  # the summary, and no progress bar: not a terminal


def test_csv_export_equals_the_api_with_a_filter(mock: MockBinance) -> None:
    code, out, _ = run(mock, "--asset", "ETH")
    assert code == 0
    records = list(csv.DictReader(io.StringIO(out)))
    want = api_rows(mock, asset="ETH")
    assert [int(r["txId"]) for r in records] == [w["txId"] for w in want] and len(want) == 600
    for rec, w in zip(records, want, strict=True):
        assert (rec["amount"], rec["asset"], int(rec["timestamp"]), rec["type"]) == (
            w["amount"], w["asset"], w["timestamp"], w["type"])  # fmt: skip
        iso = datetime.fromtimestamp(w["timestamp"] / 1000, UTC).isoformat(timespec="milliseconds")
        assert rec["time"] == iso.replace("+00:00", "Z")


def test_progress_bar_only_on_a_terminal(mock: MockBinance) -> None:
    tty = Terminal()
    code, _, err = run(mock, "--format", "jsonl", stderr=tty)
    assert code == 0
    assert "window" in err and "\r" in err  # tqdm drew its bar
    tty2 = Terminal()
    _, _, quiet = run(mock, "--format", "jsonl", "--no-progress", stderr=tty2)
    assert "window" not in quiet and "\r" not in quiet


def test_output_file_and_subprocess_without_a_terminal(mock: MockBinance, tmp_path: Path) -> None:
    target = tmp_path / "history.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "binance_mock.client_under_test", "history", "--start", "2026-01-01", "--end", "2026-06-30",
         "--base-url", mock.base_url, "--pace-ms", "0", "--format", "jsonl", "-o", str(target)],
        env={**os.environ, **env(mock)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "\r" not in proc.stderr and "window" not in proc.stderr
    assert [json.loads(x) for x in target.read_text().splitlines()] == api_rows(mock)
    assert [p.name for p in tmp_path.iterdir()] == ["history.jsonl"]  # no partial file left


def test_failures_are_one_line_and_leave_no_file(mock: MockBinance, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    mock.inject(-2015, times=None)
    code, _, err = run(mock, "-o", str(target))
    assert code == 1 and err.startswith("error: HTTP 401 code -2015") and "Traceback" not in err
    assert not target.exists() and list(tmp_path.iterdir()) == []
    secret = env(mock)["BINANCE_API_SECRET"]
    assert secret not in err
    assert (
        main(["history", "--start", "2026-01-01", "--end", "2026-01-02"], env={}, stderr=io.StringIO()) == 1
    )


def test_ed25519_private_key_file(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    pem = tmp_path / "ed.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))  # fmt: skip
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": "edKey1", "keyType": "ed25519",
                                              "publicKey": public.decode()}]}))  # fmt: skip
    with MockBinance(rows=10, keys_path=str(keys)) as mock:
        mock.clear_transfers()
        mock.add_transfers(ROWS[:300])
        out, err = io.StringIO(), io.StringIO()
        argv = ["history", "--start", "2026-01-01", "--end", "2026-06-30", "--base-url", mock.base_url,
                "--pace-ms", "0", "--private-key", str(pem), "--format", "jsonl"]  # fmt: skip
        assert main(argv, env={"BINANCE_API_KEY": "edKey1"}, stdout=out, stderr=err) == 0, err.getvalue()
    got = [json.loads(x)["txId"] for x in out.getvalue().splitlines()]
    assert sorted(got) == sorted(r["txId"] for r in ROWS[:300] if D0 <= r["timestamp"] <= END)


@pytest.mark.parametrize(
    ("text", "end_of_day", "ms"),
    [
        ("2026-01-01", False, D0),
        ("2026-06-30", True, END),
        ("2026-01-01T12:00:00", False, D0 + DAY // 2),
        ("2026-01-01T13:00:00+01:00", False, D0 + DAY // 2),
        ("1767225600000", True, D0),
    ],
)
def test_dates(text: str, end_of_day: bool, ms: int) -> None:
    assert parse_moment(text, end_of_day=end_of_day) == ms


def test_bad_date_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["history", "--start", "January", "--end", "2026-01-02"], env={}, stderr=io.StringIO())
    assert caught.value.code == 2
