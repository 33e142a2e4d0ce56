"""Fault rules: an injected error without `args` answers the
message the mock would give itself, never a literal `%s`; a rule that could never answer
sensibly (an unknown code without `msg`, args of the wrong count, a mistyped path) is refused
with a short message saying what to do."""

from __future__ import annotations

import pytest
from helpers import NOW, Signer
from starlette.testclient import TestClient

from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app


@pytest.fixture
def signer() -> Signer:
    exchange = Exchange(Settings(rows=5, sapi_weight_limit=3_000))
    exchange.set_clock({"now_ms": NOW})
    return Signer(TestClient(create_app(exchange=exchange)))


def _inject(signer: Signer, rule: dict) -> None:
    r = signer.client.post("/_mock/faults", json=rule)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("code", "msg"),
    [
        (-1003, "Too much request weight used; current limit is 3000 request weight per 1 MINUTE. "
                "Please use WebSocket Streams for live updates to avoid polling the API."),
        (-1130, "Data sent for parameter 'asset' is not valid."),
        (-1127, "More than 720 hours between startTime and endTime."),
        (-3065, "BNB has been scheduled for delisting. You may only transfer up to 0 BNB, "
                "which is the amount of liabilities less any collateral already available."),
        (-1102, "Mandatory parameter 'asset' was not sent, was empty/null, or malformed."),
        (-1104, "Not all sent parameters were read; read '3' parameter(s) but was sent '4'."),
    ],
)  # fmt: skip
def test_an_injected_error_without_args_fills_its_placeholders(signer: Signer, code: int, msg: str) -> None:
    _inject(signer, {"code": code})
    r = signer.get({"asset": "BNB", "size": 10})
    assert r.json() == {"code": code, "msg": msg}
    assert "%s" not in r.text


def test_the_weight_limit_named_is_the_counter_of_the_path() -> None:
    exchange = Exchange(Settings(rows=5))
    client = TestClient(create_app(exchange=exchange))
    client.post("/_mock/faults", json={"code": -1003, "match": {"path": "/api/v3/time"}})
    r = client.get("/api/v3/time")
    assert r.status_code == 429 and "current limit is 6000 request weight per 1 MINUTE." in r.json()["msg"]


def test_given_args_still_win(signer: Signer) -> None:
    _inject(signer, {"code": -1003, "args": ["12", "1 SECOND"]})
    assert "current limit is 12 request weight per 1 SECOND." in signer.get({"asset": "BNB"}).json()["msg"]


def test_the_python_api_fills_them_too() -> None:
    from binance.error import ClientError
    from binance.spot import Spot

    with MockBinance(rows=5) as mock:
        mock.inject(-1003)
        with pytest.raises(ClientError) as caught:
            Spot(
                api_key=mock.api_key, api_secret=mock.secret, base_url=mock.base_url
            ).margin_transfer_history(asset="ETH")
    assert "current limit is 12000 request weight per 1 MINUTE." in caught.value.error_message


@pytest.mark.parametrize(
    ("rule", "wanted"),
    [
        ({"code": -99999}, "code -99999 is not in the mock's catalog of Binance errors, so it has no message: "
                           "add 'msg'"),
        ({"code": -3065, "args": ["LUNA"]}, "'args' for code -3065 fill its message's 3 placeholder(s)"),
    ],
)  # fmt: skip
def test_a_rule_without_a_message_to_give_is_refused(signer: Signer, rule: dict, wanted: str) -> None:
    r = signer.client.post("/_mock/faults", json=rule)
    assert r.status_code == 400 and wanted in r.json()["error"], r.text
    assert signer.client.get("/_mock/faults").json()["faults"] == []


def test_a_mistyped_path_gets_the_nearest_and_how_to_list_them(signer: Signer) -> None:
    r = signer.client.post(
        "/_mock/faults", json={"code": -3020, "match": {"path": "/sapi/v1/margin/transfers"}}
    )
    error = r.json()["error"]
    assert r.status_code == 400
    assert error.startswith(
        "'match.path' '/sapi/v1/margin/transfers' is not served by this mock; "
        "did you mean /sapi/v1/margin/transfer"
    )
    assert "GET /_mock/openapi.json or /_mock/health lists the" in error
    assert len(error) < 400  # not the list of 340 paths
