"""Seeing and setting an account's wallets: GET /_mock/accounts/{apiKey}, PUT .../balances and
MockBinance.set_balance / balances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from helpers import NOW
from starlette.testclient import TestClient

from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.state.accounts import DEMO_API_KEY, mask_key


@pytest.fixture()
def control() -> TestClient:
    return TestClient(create_app(exchange=Exchange(Settings(anchor_ms=NOW, rows=20))))


def test_a_balance_set_is_shown_and_a_reset_forgets_it(control: TestClient) -> None:
    put = control.put(
        f"/_mock/accounts/{DEMO_API_KEY}/balances",
        json={"wallet": "margin", "asset": "USDT", "free": "250.5"},
    )
    assert put.status_code == 200
    control.put(
        f"/_mock/accounts/{DEMO_API_KEY}/balances", json={"asset": "BTC", "free": 1}
    )  # SPOT by default
    view = control.get(f"/_mock/accounts/{DEMO_API_KEY}").json()
    assert view["apiKey"] == mask_key(DEMO_API_KEY) and DEMO_API_KEY not in str(view)
    assert view["wallets"]["MARGIN"]["USDT"] == {
        "free": "250.50000000", "locked": "0.00000000", "borrowed": "0.00000000", "interest": "0.00000000"
    }  # fmt: skip
    assert view["wallets"]["SPOT"]["BTC"]["free"] == "1.00000000"
    control.post("/_mock/reset")
    assert (
        control.get(f"/_mock/accounts/{DEMO_API_KEY}").json()["wallets"]["MARGIN"]["USDT"]["free"]
        != "250.50000000"
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"wallet": "FUTURES", "asset": "USDT", "free": "1"}, "wallet must be one of SPOT, MARGIN, FUNDING"),
        ({"asset": "USDT", "free": 0.1}, 'free must be a decimal string such as "10.5"; got 0.1'),
        ({"asset": "USDT", "free": "-1"}, "free must be a non-negative decimal"),
        ({"asset": "US DT", "free": "1"}, "asset must be an asset's name"),
        ({"asset": "USDT"}, "a balance is"),
        ({"asset": "USDT", "free": "1", "locked": "2"}, "got ['asset', 'free', 'locked']"),
    ],
)
def test_a_bad_balance_is_refused_naming_it_and_changes_nothing(
    control: TestClient, body: Any, words: str
) -> None:
    before = control.get(f"/_mock/accounts/{DEMO_API_KEY}").json()
    answer = control.put(f"/_mock/accounts/{DEMO_API_KEY}/balances", json=body)
    assert answer.status_code == 400 and words in answer.json()["error"], answer.json()
    assert control.get(f"/_mock/accounts/{DEMO_API_KEY}").json() == before


def test_an_unknown_key_is_404_without_showing_it(control: TestClient) -> None:
    stranger = "x" * 64
    answer = control.get(f"/_mock/accounts/{stranger}")
    assert answer.status_code == 404 and stranger not in answer.text and "xxxx...xxxx" in answer.text


def test_mock_binance_sets_and_reads_balances() -> None:
    with MockBinance(rows=20) as mock:
        start = mock.balances()
        # SPOT keeps 10,000 USDT beyond what the seeded history moved into it (F51), never less.
        assert Decimal(start["SPOT"]["USDT"]["free"]) >= 10_000
        mock.set_balance("USDT", "1000")
        mock.set_balance("ETH", "2.5", wallet="FUNDING")
        assert mock.balances()["SPOT"]["USDT"]["free"] == "1000.00000000"
        assert mock.balances()["FUNDING"]["ETH"]["free"] == "2.50000000"
        with pytest.raises(ValueError, match="ISOLATED:<SYMBOL>"):
            mock.set_balance("USDT", "1", wallet="EARN")
        mock.reset()
        assert mock.balances() == start
