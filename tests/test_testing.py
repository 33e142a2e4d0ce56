"""MockBinance (a real server in a thread) and the binance_mock fixture."""

from __future__ import annotations

import http.client
import re
import socket
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import uvicorn

from mock_server import MockBinance
from mock_server.rules.signature import sign_hmac


def signed_get(mock: MockBinance, **params: object) -> requests.Response:
    query = urlencode({**params, "timestamp": mock.now_ms()})
    sig = sign_hmac(mock.secret or "", query.encode())
    return requests.get(
        f"{mock.base_url}/sapi/v1/margin/transfer?{query}&signature={sig}",
        headers={"X-MBX-APIKEY": mock.api_key},
        timeout=5,
    )


def test_two_instances_share_nothing() -> None:
    with MockBinance(seed=1, rows=50) as a, MockBinance(seed=2, rows=50) as b:
        assert a.base_url != b.base_url
        a.inject(-3020, times=None)
        a.freeze_clock(1_000)
        a.add_transfers(
            [{"amount": "1.00000000", "asset": "BNB", "timestamp": 900, "txId": 1, "type": "ROLL_IN"}]
        )
        assert b.faults() == [] and b.now_ms() > 1_000_000
        assert len(b.transfers()) == 50 and len(a.transfers()) == 51
        assert signed_get(b).status_code == 200
        assert signed_get(a).json()["code"] == -3020
        assert b.requests()[0]["status"] == 200 and len(a.requests()) == 1
        assert a.transfers() != b.transfers()


def test_stop_frees_the_port() -> None:
    mock = MockBinance(rows=1).start()
    url = mock.base_url
    mock.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/api/v3/ping", timeout=2)


def test_empty_reply_and_reset_break_the_connection(binance_mock: MockBinance) -> None:
    binance_mock.inject(fault="empty_reply")
    with pytest.raises(requests.ConnectionError) as e:
        signed_get(binance_mock)
    assert isinstance(e.value.__context__ or e.value.args[0], Exception)
    binance_mock.inject(fault="reset")
    with pytest.raises(requests.ConnectionError):
        signed_get(binance_mock)
    assert signed_get(binance_mock).status_code == 200  # both were oneshots


def test_empty_reply_is_a_clean_close_and_reset_is_rst(binance_mock: MockBinance) -> None:
    host, port = binance_mock.base_url.removeprefix("http://").split(":")
    binance_mock.inject(fault="empty_reply", match={"path": "/api/v3/ping"})
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/api/v3/ping")
    with pytest.raises(http.client.RemoteDisconnected):
        conn.getresponse()
    conn.close()
    binance_mock.inject(fault="reset", match={"path": "/api/v3/ping"})
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request("GET", "/api/v3/ping")
    with pytest.raises(ConnectionResetError):
        conn.getresponse()
    conn.close()


def test_latency_rule(binance_mock: MockBinance) -> None:
    binance_mock.inject(delay_ms=300)
    started = time.monotonic()
    assert signed_get(binance_mock).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fixture_state_is_fresh_per_test_part_1(binance_mock: MockBinance) -> None:
    binance_mock.inject(-3020, times=None)
    binance_mock.clear_transfers()
    assert signed_get(binance_mock).json()["code"] == -3020


def test_fixture_state_is_fresh_per_test_part_2(binance_mock: MockBinance) -> None:
    assert binance_mock.faults() == []
    assert signed_get(binance_mock).json()["total"] > 0


def test_assert_request_made_explains_a_miss(binance_mock: MockBinance) -> None:
    signed_get(binance_mock, asset="BNB")
    assert binance_mock.assert_request_made(params={"asset": "BNB"})["status"] == 200
    requests.get(
        f"{binance_mock.base_url}/sapi/v1/margin/transfer?asset=ETH&timestamp={binance_mock.now_ms()}&signature=00",
        headers={"X-MBX-APIKEY": binance_mock.api_key},
        timeout=5,
    )
    with pytest.raises(AssertionError) as e:
        binance_mock.assert_request_made(params={"asset": "ETH"})
    text = str(e.value)
    assert "refused by the signature check: -1022" in text
    assert "differs: asset='BNB'" in text


def test_times_n_fires_exactly_n_over_http_with_64_threads(binance_mock: MockBinance) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for round_ in range(3):
        binance_mock.clear_faults()
        rule = binance_mock.inject(-3020, times=10)
        with ThreadPoolExecutor(64) as pool:
            codes = list(pool.map(lambda _: signed_get(binance_mock).json().get("code"), range(64)))
        assert codes.count(-3020) == 10, (round_, codes)
        assert codes.count(None) == 54
        (listed,) = [f for f in binance_mock.faults() if f["id"] == rule]
        assert listed["fired"] == 10


# --- every input checked when it is given, with the control API's message ---

ROW = {"amount": "1.00000000", "asset": "BNB", "timestamp": 1_790_000_000_000, "txId": 1, "type": "ROLL_IN"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.freeze_clock("now"), "clock takes one of"),
        (lambda m: m.shift_clock(1.5), "clock takes one of"),
        (lambda m: m.advance_clock("1s"), "advance_clock takes milliseconds"),
        (lambda m: m.set_pacing(-1), "min_interval_ms must be a non-negative integer"),
        (
            lambda m: m.add_transfers([ROW], api_key="nosuch"),
            "apiKey '******' (6 characters; the accounts' keys have 64) is not an account of this mock",
        ),
        (
            lambda m: m.clear_transfers(api_key="nosuch"),
            "apiKey '******' (6 characters; the accounts' keys have 64) is not an account of this mock",
        ),
        (
            lambda m: m.transfers(api_key="nosuch"),
            "apiKey '******' (6 characters; the accounts' keys have 64) is not an account of this mock",
        ),
        (lambda m: m.inject(-3020, match={"path": "/sapi/v1/margin/transfers"}), "not served"),
        (lambda m: m.inject("-3020"), "'code' must be an integer"),
    ],
)
def test_python_api_refuses_bad_input_when_given(call: Any, message: str) -> None:
    mock = MockBinance(rows=10)
    with pytest.raises(ValueError, match=re.escape(message)):
        call(mock)
    assert mock.faults() == [] and mock.exchange.transfer_count(mock.api_key) == 10


def test_a_failed_start_leaves_nothing_behind_and_a_second_start_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mock = MockBinance(rows=1)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)  # never starts
    with pytest.raises(RuntimeError, match="did not start"):
        mock.start()
    with pytest.raises(RuntimeError, match="not running"):
        _ = mock.base_url
    monkeypatch.undo()
    with mock:
        assert requests.get(f"{mock.base_url}/api/v3/ping", timeout=5).status_code == 200


def test_a_port_in_use_is_named_and_nothing_is_left_open() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        mock = MockBinance(rows=1, port=port)
        with pytest.raises(OSError, match=f"127.0.0.1:{port}"):
            mock.start()
        assert mock._sock is None and mock._server is None
