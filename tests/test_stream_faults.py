"""Stream faults over real sockets: a drop, the forced 24-hour end, a pause, a delay, a gap a client
can see, a refused handshake; from the control API, `MockBinance` and a scenario, each in the
journal. Under a frozen clock a steer's print is the only event, so each test knows what to expect."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from mock_server import MockBinance
from mock_server.streams import limits


@pytest.fixture()
def mock(mock: MockBinance) -> MockBinance:
    mock.freeze_clock(mock.now_ms())  # a steer's print is then the only event
    return mock


def _open(mock: MockBinance, path: str) -> ClientConnection:
    return connect(mock.stream_url + path, open_timeout=5, close_timeout=1)


def _trade(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    event = json.loads(ws.recv(timeout=timeout))
    return event.get("data", event)


def _closed(ws: ClientConnection) -> ConnectionClosed:
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(100):
            ws.recv(timeout=5)
    return closed.value


def _control(mock: MockBinance, method: str, path: str, body: Any = None) -> httpx.Response:
    return httpx.request(method, f"{mock.base_url}/_mock/{path}", json=body, timeout=10)


def _wait_connections(mock: MockBinance, count: int) -> None:
    """The server registers a connection just after the handshake the client saw."""
    deadline = time.monotonic() + 5
    while len(mock.connections()) != count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(mock.connections()) == count


def test_a_drop_ends_the_matching_connections_without_a_close_frame(mock: MockBinance) -> None:
    with _open(mock, "/ws/btcusdt@trade") as btc, _open(mock, "/ws/ethusdt@trade") as eth:
        _wait_connections(mock, 2)
        answer = _control(mock, "POST", "streams/drop", {"match": {"stream": "btcusdt@trade"}})
        assert answer.json() == {"dropped": 1}
        closed = _closed(btc)
        assert closed.rcvd is None  # no close frame: the client sees 1006, as on a failed network
        mock.set_price("ETHUSDT", "3001")
        assert _trade(eth)["p"] == "3001.00000000"  # the other connection lives on
        assert _control(mock, "POST", "streams/drop").json() == {"dropped": 1}  # empty body: all
        assert _closed(eth).rcvd is None
    entries = [e for e in mock.requests() if e["method"] == "WS"]
    assert [(e["check"], e["path"]) for e in entries] == [
        ("open", "/ws/btcusdt@trade"),
        ("open", "/ws/ethusdt@trade"),
        ("drop", "/ws/btcusdt@trade"),
        ("close", "/ws/btcusdt@trade"),
        ("drop", "/ws/ethusdt@trade"),
        ("close", "/ws/ethusdt@trade"),
    ]
    assert entries[0]["params"] == [["streams", "btcusdt@trade"]]
    # The handshake's status throughout (400 and up means refused); the close code is in msg.
    assert {e["status"] for e in entries} == {101}
    assert entries[3]["msg"] == "closed 1006: dropped"


def test_expire_ends_a_connection_as_binance_does_at_24_hours(mock: MockBinance) -> None:
    with _open(mock, "/stream?streams=btcusdt@trade") as ws:
        _wait_connections(mock, 1)
        answer = _control(mock, "POST", "streams/faults", {"kind": "expire"})
        assert answer.status_code == 201 and answer.json()["closed"] == 1
        closed = _closed(ws)
    assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == limits.CLOSE_AGE
    assert [(r["kind"], r["fired"], r["active"]) for r in mock.stream_faults()] == [("expire", 1, False)]
    assert any(e["check"] == "fault" and e["rule"] == answer.json()["id"] for e in mock.requests())


def test_a_pause_holds_a_stream_and_then_sends_what_it_held_in_order(mock: MockBinance) -> None:
    with _open(mock, "/ws/btcusdt@trade") as btc, _open(mock, "/ws/ethusdt@trade") as eth:
        _wait_connections(mock, 2)
        rule = mock.stream_fault("pause", stream="btcusdt@trade")
        mock.set_price("BTCUSDT", "61000")
        mock.set_price("BTCUSDT", "61001")
        mock.set_price("ETHUSDT", "3001")
        assert _trade(eth)["p"] == "3001.00000000"  # not paused
        with pytest.raises(TimeoutError):
            btc.recv(timeout=0.5)
        assert _control(mock, "DELETE", f"streams/faults/{rule}").status_code == 204
        assert [_trade(btc)["p"], _trade(btc)["p"]] == ["61000.00000000", "61001.00000000"]


def test_a_pause_for_some_ms_ends_by_itself() -> None:
    with MockBinance(rows=0) as mock, _open(mock, "/ws/btcusdt@trade") as ws:
        mock.freeze_clock(mock.now_ms())
        _wait_connections(mock, 1)
        mock.stream_fault("pause", ms=600, stream="btcusdt@trade")
        mock.set_price("BTCUSDT", "61000")
        started = time.monotonic()
        assert _trade(ws)["p"] == "61000.00000000"
        assert time.monotonic() - started >= 0.5  # held until the pause ended, never sooner


def test_a_delay_sends_each_event_late(mock: MockBinance) -> None:
    with _open(mock, "/ws/btcusdt@trade") as ws:
        _wait_connections(mock, 1)
        mock.stream_fault("delay", ms=400, times=1)
        mock.set_price("BTCUSDT", "61000")
        started = time.monotonic()
        assert _trade(ws)["p"] == "61000.00000000"
        assert time.monotonic() - started >= 0.35  # never before it is due
        mock.set_price("BTCUSDT", "61002")
        assert _trade(ws)["p"] == "61002.00000000"
    assert [(r["kind"], r["fired"], r["remaining"]) for r in mock.stream_faults()] == [("delay", 1, 0)]


def test_a_gap_skips_events_a_client_can_see_missing(mock: MockBinance) -> None:
    with _open(mock, "/ws/btcusdt@trade") as ws:
        _wait_connections(mock, 1)
        mock.set_price("BTCUSDT", "61000")
        first = _trade(ws)
        rule = mock.stream_fault("gap", times=2, stream="btcusdt@trade")
        for price in ("61001", "61002", "61003"):
            mock.set_price("BTCUSDT", price)
        after = _trade(ws)
    assert after["p"] == "61003.00000000"
    assert after["t"] == first["t"] + 3  # two trades never came
    gaps = [e for e in mock.requests() if e["check"] == "stream_fault"]
    assert [e["msg"] for e in gaps] == [
        f"gap: an event of btcusdt@trade was skipped (stream fault {rule})"
    ] * 2


def test_a_gap_in_diff_depth_breaks_the_u_chain(mock: MockBinance) -> None:
    mock.real_clock()
    with _open(mock, "/ws/btcusdt@depth@100ms") as ws:
        _wait_connections(mock, 1)
        before = [_trade(ws) for _ in range(3)]
        assert all(b["U"] == a["u"] + 1 for a, b in itertools.pairwise(before))
        mock.stream_fault("gap", stream="btcusdt@depth@100ms")
        last = before[-1]
        after = _trade(ws)
        skipped = [e for e in mock.requests() if e["check"] == "stream_fault"]
    assert len(skipped) == 1 and after["U"] > last["u"] + 1  # what a syncing client must detect


def test_shutdown_sends_binances_event_and_then_closes(mock: MockBinance) -> None:
    with (
        _open(mock, "/ws/btcusdt@trade") as raw,
        _open(mock, "/stream?streams=btcusdt@trade") as combined,
        _open(mock, "/ws-api/v3") as api,
    ):
        _wait_connections(mock, 3)
        answer = mock.exchange.add_stream_fault({"kind": "shutdown", "ms": 300})
        assert answer["told"] == 3
        now = mock.now_ms()
        assert json.loads(raw.recv(timeout=5)) == {"e": "serverShutdown", "E": now}
        assert json.loads(combined.recv(timeout=5)) == {
            "stream": "!serverShutdown",
            "data": {"e": "serverShutdown", "E": now},
        }
        assert json.loads(api.recv(timeout=5)) == {"event": {"e": "serverShutdown", "E": now}}
        for ws in (raw, combined, api):
            closed = _closed(ws)
            assert closed.rcvd is not None and closed.rcvd.code == 1001


def test_refuse_turns_new_connections_away_until_spent(mock: MockBinance) -> None:
    mock.stream_fault("refuse", times=2)
    for path in ("/ws/btcusdt@trade", "/ws-api/v3"):
        with pytest.raises(InvalidStatus) as refused:
            _open(mock, path)
        assert refused.value.response.status_code == 403
    with _open(mock, "/ws/btcusdt@trade"):
        pass
    entries = [e for e in mock.requests() if e["check"] == "stream_fault"]
    assert [(e["path"], e["status"]) for e in entries] == [("/ws/btcusdt@trade", 403), ("/ws-api/v3", 403)]


def test_refuse_for_the_websocket_api_alone(mock: MockBinance) -> None:
    mock.stream_fault("refuse", ms=60_000, endpoint="ws-api")
    with pytest.raises(InvalidStatus):
        _open(mock, "/ws-api/v3")
    with _open(mock, "/ws/btcusdt@trade"):
        pass


def test_a_websocket_api_connection_that_fails_inside_the_mock_is_closed_and_unlisted(
    mock: MockBinance, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug of ours while answering: the client gets 1011, the log the traceback, and the
    connection leaves the listing (a drop or an expire would otherwise act on a dead one)."""
    from mock_server.wsapi.session import Session

    def broken(self: Session, text: str) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Session, "handle", broken)
    with _open(mock, "/ws-api/v3") as ws:
        _wait_connections(mock, 1)
        ws.send(json.dumps({"id": 1, "method": "ping"}))
        closed = _closed(ws)
    assert closed.rcvd is not None and closed.rcvd.code == 1011
    _wait_connections(mock, 0)
    assert "the WebSocket API connection failed" in caplog.text
    close = [e for e in mock.requests() if e["check"] == "close"]
    assert [e["msg"] for e in close] == ["closed 1011: Internal error"]


def test_the_websocket_api_is_dropped_expired_and_ends_at_24_hours(mock: MockBinance) -> None:
    with _open(mock, "/ws-api/v3") as ws:
        _wait_connections(mock, 1)
        assert mock.connections()[0]["endpoint"] == "ws-api"
        assert mock.drop_streams(endpoint="streams") == 0
        assert mock.drop_streams(endpoint="ws-api") == 1
        assert _closed(ws).rcvd is None
    with _open(mock, "/ws-api/v3") as ws:
        _wait_connections(mock, 1)
        mock.advance_clock(limits.MAX_AGE_MS)
        closed = _closed(ws)
    assert closed.rcvd is not None and (closed.rcvd.code, closed.rcvd.reason) == limits.CLOSE_AGE


def test_a_listen_key_connection_matches_by_its_key_and_account_and_the_journal_masks_it(
    mock: MockBinance,
) -> None:
    key = httpx.post(
        f"{mock.base_url}/api/v3/userDataStream", headers={"X-MBX-APIKEY": mock.api_key}, timeout=10
    ).json()["listenKey"]
    with _open(mock, f"/ws/{key}") as user, _open(mock, "/ws/btcusdt@trade") as market:
        _wait_connections(mock, 2)
        shown = [c for c in mock.connections() if c["apiKeys"]]
        assert len(shown) == 1 and key not in json.dumps(mock.connections())
        assert mock.drop_streams(api_key=mock.api_key) == 1
        assert _closed(user).rcvd is None
        mock.set_price("BTCUSDT", "61000")
        assert _trade(market)["p"] == "61000.00000000"
    assert key not in json.dumps(mock.requests())


def test_the_control_api_names_what_is_wrong(mock: MockBinance) -> None:
    cases = [
        ({"kind": "stall"}, "'kind' must be one of pause, delay, gap, expire, refuse, shutdown"),
        ({"kind": "gap", "ms": 5}, "'ms' does not go with kind 'gap'"),
        ({"kind": "delay"}, "a delay needs 'ms'"),
        (
            {"kind": "pause", "match": {"stream": "btcusdt@trades"}},
            "'match.stream' 'btcusdt@trades' is no stream",
        ),
        ({"kind": "pause", "match": {"listenKey": "x" * 64}}, "is not a listenKey this mock gave"),
        ({"kind": "pause", "match": {"apiKey": "nobody"}}, "is not an account of this mock"),
        (
            {"kind": "pause", "match": {"endpoint": "ws-api"}},
            "for the WebSocket API use drop, expire, shutdown or refuse",
        ),
        ({"kind": "pause", "ms": 0}, "'ms' must be an integer from 1"),
        ({"kind": "pause", "every": 1}, "unknown field(s) every"),
    ]
    for body, message in cases:
        answer = _control(mock, "POST", "streams/faults", body)
        assert answer.status_code == 400 and message in answer.json()["error"], (body, answer.text)
    assert _control(mock, "POST", "streams/drop", {"stream": "btcusdt@trade"}).status_code == 400
    assert _control(mock, "DELETE", "streams/faults/99").status_code == 404
    assert mock.stream_faults() == []


def test_a_scenario_starts_with_stream_faults_and_a_reset_brings_them_back(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"streams": {"faults": [{"kind": "gap", "times": 3}]}}))
    with MockBinance(rows=0, scenario=str(path)) as mock:
        mock.clear_stream_faults()
        mock.reset()
        assert [(r["kind"], r["times"]) for r in mock.stream_faults()] == [("gap", 3)]
    path.write_text(json.dumps({"streams": {"faults": [{"kind": "expire"}]}}))
    with pytest.raises(ValueError, match=r"streams.faults\[0\]: expire acts on the connections open"):
        MockBinance(rows=0, scenario=str(path))
