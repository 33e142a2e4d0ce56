"""The streams over a real socket: the handshake, the combined property switched live, Binance's
connection rules as closes a client sees, and a steer's print under a frozen clock."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from mock_server import MockBinance
from mock_server.http.server import server_config
from mock_server.streams import limits


def _open(mock: MockBinance, path: str) -> ClientConnection:
    return connect(mock.stream_url + path, open_timeout=5, close_timeout=1)


def _ask(ws: ClientConnection, message: dict[str, Any]) -> Any:
    ws.send(json.dumps(message))
    while True:
        got = json.loads(ws.recv(timeout=5))
        if isinstance(got, dict) and "id" in got:
            return got


def test_a_path_that_is_no_stream_url_is_refused_at_the_handshake(mock: MockBinance) -> None:
    with pytest.raises(InvalidStatus) as refused:
        _open(mock, "/api/v3/ping")
    assert refused.value.response.status_code == 403


def test_ccxt_s_url_waits_for_a_subscribe_and_combined_switches_live(mock: MockBinance) -> None:
    mock.freeze_clock(mock.now_ms())
    with _open(mock, "/ws/0") as ws:
        assert _ask(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 1}) == {"result": [], "id": 1}
        assert _ask(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 2}) == {
            "result": None,
            "id": 2,
        }
        mock.set_price("BTCUSDT", "61000.5")  # under a frozen clock: the print alone is sent
        raw = json.loads(ws.recv(timeout=5))
        assert (raw["e"], raw["p"], raw["T"]) == ("trade", "61000.50000000", mock.now_ms())
        assert _ask(ws, {"method": "SET_PROPERTY", "params": ["combined", True], "id": 3}) == {
            "result": None,
            "id": 3,
        }
        mock.set_price("BTCUSDT", "61001")
        wrapped = json.loads(ws.recv(timeout=5))
        assert wrapped["stream"] == "btcusdt@trade" and wrapped["data"]["p"] == "61001.00000000"
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.5)  # nothing else: the clock is frozen


def test_the_sixth_message_in_a_second_closes_the_connection(mock: MockBinance) -> None:
    with _open(mock, "/ws") as ws:
        for i in range(6):
            ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}))
        answers = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                answers.append(json.loads(ws.recv(timeout=5)))
    assert [a["id"] for a in answers] == [0, 1, 2, 3, 4]
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == limits.CLOSE_TOO_MANY_MESSAGES


def test_a_connection_ends_when_the_mock_s_clock_passes_24_hours(mock: MockBinance) -> None:
    mock.freeze_clock(mock.now_ms())
    with _open(mock, "/stream?streams=btcusdt@kline_1h") as ws:
        assert _ask(ws, {"method": "GET_PROPERTY", "params": ["combined"], "id": 7}) == {
            "result": True,
            "id": 7,
        }
        mock.advance_clock(limits.MAX_AGE_MS)
        with pytest.raises(ConnectionClosed) as closed:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                ws.recv(timeout=5)  # the kline's closing events first, then the close
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == limits.CLOSE_AGE


def test_the_server_pings_every_20_s_and_waits_a_minute_for_the_pong() -> None:
    config = server_config(object())  # type: ignore[arg-type]
    assert (config.ws_ping_interval, config.ws_ping_timeout) == (20.0, 60.0)


def test_the_control_api_lists_each_connection_with_its_streams(mock: MockBinance) -> None:
    """GET /_mock/streams: what a test reads to know an app subscribed (not only that it
    polled REST), its listenKeys masked as keys are."""
    key = requests.post(
        mock.base_url + "/api/v3/userDataStream", headers={"X-MBX-APIKEY": mock.api_key}, timeout=5
    ).json()["listenKey"]

    def connections() -> list[dict[str, Any]]:
        reply = requests.get(mock.base_url + "/_mock/streams", timeout=5)
        assert reply.status_code == 200, reply.text
        listed: list[dict[str, Any]] = reply.json()["connections"]
        return listed

    assert connections() == []
    with (
        _open(mock, "/ws/0") as ws,
        _open(mock, f"/stream?streams={key}/ethusdt@kline_1m") as combined,
    ):
        _ask(ws, {"method": "SUBSCRIBE", "params": ["btcusdt@kline_1m", "ethusdt@kline_1m"], "id": 1})
        _ask(combined, {"method": "LIST_SUBSCRIPTIONS", "id": 1})
        deadline = time.monotonic() + 5
        while (listed := connections())[0]["events"] < 2:  # a kline event a second a stream
            assert time.monotonic() < deadline, listed
            time.sleep(0.1)
        first, second = listed
        assert first["streams"] == ["btcusdt@kline_1m", "ethusdt@kline_1m"]
        assert not first["combined"] and abs(first["openedMs"] - mock.now_ms()) < 10_000
        assert second["streams"] == [f"{key[:4]}...{key[-4:]}", "ethusdt@kline_1m"]
        assert second["combined"] and key not in json.dumps(listed)
    deadline = time.monotonic() + 5
    while connections():  # gone once the server has seen each close
        assert time.monotonic() < deadline
        time.sleep(0.05)
