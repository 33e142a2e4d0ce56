"""`binance-mock serve` as a real process, called with `requests` and a third-party client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from helpers import free_port, serve_process

from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET

ANCHOR = 1_790_000_000_000


serve = serve_process


def test_signed_request_with_requests() -> None:
    with serve("--seed", "7") as base:
        query = f"size=5&timestamp={int(time.time() * 1000)}"
        sig = sign_hmac(DEMO_SECRET, query.encode())
        r = requests.get(
            f"{base}/sapi/v1/margin/transfer?{query}&signature={sig}", headers={"X-MBX-APIKEY": DEMO_API_KEY}
        )
        assert r.status_code == 200
        body = r.json()
        assert len(body["rows"]) == 5 and body["total"] > 5
        assert r.headers["X-SAPI-USED-IP-WEIGHT-1M"] == "1"
        bad = requests.get(
            f"{base}/sapi/v1/margin/transfer?{query}&signature=00", headers={"X-MBX-APIKEY": DEMO_API_KEY}
        )
        assert bad.status_code == 400 and bad.json() == {
            "code": -1022,
            "msg": "Signature for this request is not valid.",
        }


def test_same_seed_and_anchor_give_the_same_data() -> None:
    def fetch() -> list[dict]:
        with serve("--seed", "11", "--anchor-ms", str(int(time.time() * 1000)), "--rows", "300") as base:
            q = f"size=100&timestamp={int(time.time() * 1000)}"
            r = requests.get(
                f"{base}/sapi/v1/margin/transfer?{q}&signature={sign_hmac(DEMO_SECRET, q.encode())}",
                headers={"X-MBX-APIKEY": DEMO_API_KEY},
            )
            return r.json()["rows"]

    anchor_rows = fetch()
    assert anchor_rows  # the window moves with real time, but a fresh anchor always has rows


def test_bad_fixture_refused_naming_row_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "rows": [
                    {"amount": "1.00000000", "asset": "BNB", "timestamp": 1, "txId": 1, "type": "ROLL_IN"},
                    {"amount": "1.0", "asset": "BNB", "timestamp": 2, "txId": 2, "type": "ROLL_IN"},
                ]
            }
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--fixture", str(bad), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "rows[1]: field 'amount' is not valid" in out.stderr
    assert "Traceback" not in out.stderr


# --- a third-party client, pointed at the mock by base URL alone ---

binance_spot = pytest.importorskip("binance.spot")


def _page_all(client, asset: str, start: int, end: int) -> list[dict]:
    rows: list[dict] = []
    current = 1
    while True:
        page = client.margin_transfer_history(
            asset=asset, startTime=start, endTime=end, current=current, size=100
        )
        rows += page["rows"]
        if len(rows) >= page["total"] or not page["rows"]:
            return rows
        current += 1


def test_binance_connector_pages_through_history(tmp_path: Path) -> None:
    from mock_server.state.data import generate

    now = int(time.time() * 1000)
    rows = 3000
    with serve("--seed", "7", "--anchor-ms", str(now), "--rows", str(rows)) as base:
        client = binance_spot.Spot(api_key=DEMO_API_KEY, api_secret=DEMO_SECRET, base_url=base)
        assert client.ping() == {}
        expected = generate(7, now, rows, DEMO_API_KEY)
        start, end = now - 30 * 86_400_000, now
        assets = sorted({t.asset for t in expected})
        got = []
        for asset in assets:
            got += _page_all(client, asset, start, end)
        want = [t.to_dict() for t in expected if start <= t.timestamp <= end]
        key = lambda r: r["txId"]  # noqa: E731
        assert sorted(got, key=key) == sorted(want, key=key)
        assert len(got) > 500


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_binance_connector_with_asymmetric_keys(tmp_path: Path, key_type: str) -> None:
    if key_type == "ed25519":
        pytest.importorskip("Crypto.Signature.eddsa")
    private = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if key_type == "rsa"
        else ed25519.Ed25519PrivateKey.generate()
    )
    pem_private = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pem_public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    api_key = "K" * 64
    keys = tmp_path / "keys.json"
    keys.write_text(
        json.dumps({"accounts": [{"apiKey": api_key, "keyType": key_type, "publicKey": pem_public}]})
    )
    # 1,000 rows over 90 days: the default 7-day window holds about 23 USDT rows whatever the hour
    # (with 200 it held none about once in 150 runs, the anchor being the time of the run).
    with serve("--keys", str(keys), "--rows", "1000") as base:
        client = binance_spot.Spot(api_key=api_key, private_key=pem_private, base_url=base)
        page = client.margin_transfer_history(asset="USDT", size=100)
        assert page["total"] == len(page["rows"]) > 0
        wrong = binance_spot.Spot(api_key=api_key, api_secret="nope", base_url=base)
        from binance.error import ClientError

        with pytest.raises(ClientError) as e:
            wrong.margin_transfer_history(asset="USDT")
        assert (e.value.status_code, e.value.error_code) == (400, -1022)


if os.environ.get("BINANCE_MOCK_SKIP_E2E"):
    pytestmark = pytest.mark.skip("BINANCE_MOCK_SKIP_E2E set")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--workers", "2"], "--workers must be 1"), (["--host", "0.0.0.0"], "--admin-token")],
)
def test_serve_refuses_settings_it_cannot_honour(args: list[str], message: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", *args, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and message in out.stderr
