"""Seeing and setting an account's wallets: GET /_mock/accounts (masked), GET /_mock/accounts/{apiKey}
and PUT .../balances by the full key or its mask, and MockBinance.set_balance / balances."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
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


# --- addressing an account by its masked key, as the journal and /_mock/data show it ---

TWIN_A = "abcd" + "1" * 56 + "wxyz"  # two accounts whose keys mask alike: abcd...wxyz
TWIN_B = "abcd" + "2" * 56 + "wxyz"
OTHER = "QRST" + "3" * 56 + "UVWX"


@pytest.fixture()
def three(tmp_path: Path) -> TestClient:
    keys = tmp_path / "keys.json"
    accounts = [{"apiKey": k, "secret": "s" * 64} for k in (TWIN_A, TWIN_B, OTHER)]
    keys.write_text(json.dumps({"accounts": accounts}))
    return TestClient(create_app(exchange=Exchange(Settings(anchor_ms=NOW, rows=5, keys_path=str(keys)))))


def test_accounts_are_listed_masked(three: TestClient) -> None:
    answer = three.get("/_mock/accounts")
    assert answer.json() == {
        "accounts": [{"apiKey": "abcd...wxyz"}, {"apiKey": "abcd...wxyz"}, {"apiKey": "QRST...UVWX"}]
    }
    assert all(k not in answer.text for k in (TWIN_A, TWIN_B, OTHER))


def test_the_masked_key_reads_and_sets_a_balance(control: TestClient) -> None:
    (listed,) = control.get("/_mock/accounts").json()["accounts"]
    masked = listed["apiKey"]
    assert masked == mask_key(DEMO_API_KEY) == control.get("/_mock/data").json()["accounts"][0]["apiKey"]
    put = control.put(
        f"/_mock/accounts/{masked}/balances", json={"wallet": "FUNDING", "asset": "BNB", "free": "7"}
    )
    assert put.status_code == 200 and put.json()["apiKey"] == masked and DEMO_API_KEY not in put.text
    by_mask = control.get(f"/_mock/accounts/{masked}").json()
    assert by_mask == control.get(f"/_mock/accounts/{DEMO_API_KEY}").json()
    assert by_mask["wallets"]["FUNDING"]["BNB"]["free"] == "7.00000000"


def test_a_unique_mask_among_several_accounts_names_its_own(three: TestClient) -> None:
    three.put("/_mock/accounts/QRST...UVWX/balances", json={"asset": "USDT", "free": "5"})
    assert three.get(f"/_mock/accounts/{OTHER}").json()["wallets"]["SPOT"]["USDT"]["free"] == "5.00000000"
    assert three.get(f"/_mock/accounts/{TWIN_A}").json()["wallets"]["SPOT"]["USDT"]["free"] != "5.00000000"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        (
            "abcd...wxyz",
            "apiKey 'abcd...wxyz' is the masked key of 2 accounts of this mock; give the full key",
        ),
        ("QRST...UVWY", "apiKey 'QRST...UVWY' is no account's masked key; its accounts: abcd...wxyz, abcd"),
        ("Z" * 64, "apiKey 'ZZZZ...ZZZZ' is not an account of this mock"),
    ],
)
def test_an_ambiguous_or_unknown_mask_is_a_404_saying_how_to_list(
    three: TestClient, name: str, words: str
) -> None:
    for answer in (
        three.get(f"/_mock/accounts/{name}"),
        three.put(f"/_mock/accounts/{name}/balances", json={"asset": "USDT", "free": "1"}),
    ):
        error = answer.json()["error"]
        assert answer.status_code == 404 and words in error and "GET /_mock/accounts lists them" in error
        assert all(k not in answer.text for k in (TWIN_A, TWIN_B, OTHER, "Z" * 64))
    assert all(
        three.get(f"/_mock/accounts/{k}").json()["wallets"]["SPOT"]["USDT"]["free"] != "1.00000000"
        for k in (TWIN_A, TWIN_B, OTHER)
    )


def test_the_exchange_resolves_a_mask_for_python_callers() -> None:
    ex = Exchange(Settings(anchor_ms=NOW, rows=5))
    assert ex.account_named(DEMO_API_KEY) == DEMO_API_KEY
    assert ex.account_named("vmPU...Eh8A") == DEMO_API_KEY
    with pytest.raises(ValueError, match="is no account's masked key"):
        ex.account_named("vmPU...Eh8B")
    with pytest.raises(ValueError, match="GET /_mock/accounts lists them"):
        ex.account_named(None)


def test_a_scenario_sets_balances_at_start_and_a_reset_returns_to_them(tmp_path: Any) -> None:
    import json

    from mock_server.injection.scenario import load_scenario

    path = tmp_path / "funds.json"
    path.write_text(json.dumps({"balances": [{"wallet": "MARGIN", "asset": "USDT", "free": "500"},
                                             {"asset": "DOT", "free": "7", "apiKey": DEMO_API_KEY}]}))  # fmt: skip
    ex = Exchange(Settings(anchor_ms=NOW, rows=20, scenario=load_scenario(path)))
    assert (ex.balances()["MARGIN"]["USDT"].free, ex.balances()["SPOT"]["DOT"].free) == (500, 7)
    ex.set_balance("MARGIN", "USDT", "1")
    ex.reset()
    assert ex.balances()["MARGIN"]["USDT"].free == 500


@pytest.mark.parametrize(
    ("balances", "words"),
    [
        (
            [{"asset": "USDT"}],
            'balances[0]: a balance is {"wallet": "SPOT", "asset": "USDT", "free": "1000"}',
        ),
        ([{"asset": "USDT", "free": "1", "wallet": "EARN"}], "balances[0]: wallet must be one of"),
        ([{"asset": "USDT", "free": 1.5}], 'balances[0]: free must be a decimal string such as "10.5"'),
        ({"asset": "USDT"}, "balances must be a list"),
    ],
)
def test_a_bad_scenario_balance_stops_the_start_naming_it(tmp_path: Any, balances: Any, words: str) -> None:
    import json

    from mock_server.injection.scenario import load_scenario

    path = tmp_path / "funds.json"
    path.write_text(json.dumps({"balances": balances}))
    with pytest.raises(ValueError) as caught:
        Exchange(Settings(anchor_ms=NOW, rows=20, scenario=load_scenario(path)))
    assert "funds.json" in str(caught.value) and words in str(caught.value), str(caught.value)


def test_a_scenario_balance_for_a_stranger_is_refused_at_start(tmp_path: Any) -> None:
    import json

    from mock_server.injection.scenario import load_scenario

    path = tmp_path / "funds.json"
    path.write_text(json.dumps({"balances": [{"asset": "USDT", "free": "1", "apiKey": "z" * 64}]}))
    with pytest.raises(ValueError, match=r"funds\.json: balances\[0\]: .*zzzz\.\.\.zzzz"):
        Exchange(Settings(anchor_ms=NOW, rows=20, scenario=load_scenario(path)))
