"""The listenKeys of user data streams: started, kept alive, closed and expired by the mock's
clock, one per account and wallet, as Binance documents (docs/fidelity.md, F80)."""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import pytest
from helpers import NOW

from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call, Reply
from mock_server.state.accounts import DEMO_API_KEY
from mock_server.state.clock import Clock

SPOT, MARGIN, ISOLATED = (
    "/api/v3/userDataStream",
    "/sapi/v1/userDataStream",
    "/sapi/v1/userDataStream/isolated",
)
MINUTE = 60_000


def _exchange() -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    return Exchange(Settings(anchor_ms=NOW, rows=0), clock=clock)


def _call(
    ex: Exchange, method: str, path: str, api_key: str | None = DEMO_API_KEY, **params: Any
) -> tuple[Reply, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items()).encode()
    reply = ex.handle(Call(method, path, query, b"", api_key))
    assert isinstance(reply, Reply)
    return reply, json.loads(reply.body)


@pytest.mark.parametrize(("path", "extra", "weight"), [(SPOT, {}, "2"), (MARGIN, {}, "1"),
                                                       (ISOLATED, {"symbol": "BTCUSDT"}, "1")])  # fmt: skip
def test_a_key_is_started_again_kept_alive_closed_and_then_unknown(
    path: str, extra: dict[str, str], weight: str
) -> None:
    ex = _exchange()
    reply, body = _call(ex, "POST", path, **extra)
    key = body["listenKey"]
    assert reply.status == 200 and len(key) == 64 and key.isalnum()
    weights = {k: v for k, v in reply.headers.items() if "WEIGHT" in k}
    assert weight in weights.values(), weights
    assert _call(ex, "POST", path, **extra)[1] == {"listenKey": key}  # the active key, extended
    assert _call(ex, "PUT", path, listenKey=key, **extra)[1] == {}
    assert _call(ex, "DELETE", path, listenKey=key, **extra)[1] == {}
    reply, body = _call(ex, "PUT", path, listenKey=key, **extra)
    assert (reply.status, body) == (400, {"code": -1125, "msg": "This listenKey does not exist."})
    assert _call(ex, "POST", path, **extra)[1]["listenKey"] != key  # a new one after a close


def test_a_key_lives_sixty_minutes_of_the_mocks_clock_from_its_last_keepalive() -> None:
    ex = _exchange()
    key = _call(ex, "POST", SPOT)[1]["listenKey"]
    ex.advance_clock(59 * MINUTE)
    assert _call(ex, "PUT", SPOT, listenKey=key)[1] == {}
    ex.advance_clock(59 * MINUTE)  # 118 minutes after the start, 59 after the keepalive
    assert _call(ex, "PUT", SPOT, listenKey=key)[1] == {}
    ex.advance_clock(60 * MINUTE)
    assert _call(ex, "PUT", SPOT, listenKey=key)[1]["code"] == -1125
    assert _call(ex, "POST", SPOT)[1]["listenKey"] != key


def test_each_wallet_has_its_own_key_and_one_wallets_key_is_no_others() -> None:
    ex = _exchange()
    spot = _call(ex, "POST", SPOT)[1]["listenKey"]
    margin = _call(ex, "POST", MARGIN)[1]["listenKey"]
    btc = _call(ex, "POST", ISOLATED, symbol="BTCUSDT")[1]["listenKey"]
    eth = _call(ex, "POST", ISOLATED, symbol="ETHUSDT")[1]["listenKey"]
    assert len({spot, margin, btc, eth}) == 4
    assert _call(ex, "PUT", MARGIN, listenKey=spot)[1]["code"] == -1125
    assert _call(ex, "DELETE", ISOLATED, listenKey=btc, symbol="ETHUSDT")[1]["code"] == -1125
    assert _call(ex, "POST", ISOLATED)[1] == {
        "code": -1102, "msg": "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
    }  # fmt: skip
    assert _call(ex, "POST", ISOLATED, symbol="NOSUCH")[1]["code"] == -1121
    reply, body = _call(ex, "POST", SPOT, api_key=None)
    assert (reply.status, body["code"]) == (401, -2014)
    snapshot = ex.snapshot()
    ex.restore(snapshot)
    assert _call(ex, "PUT", SPOT, listenKey=spot)[1] == {}  # a reset keeps what the snapshot held


def test_unmodified_clients_start_and_keep_their_streams() -> None:
    from binance.client import Client
    from binance.spot import Spot

    with MockBinance(rows=0) as mock:
        loop = asyncio.new_event_loop()  # python-binance takes the current loop, or makes one it never closes
        asyncio.set_event_loop(loop)
        try:
            pb = Client(mock.api_key, mock.secret, base_endpoint="", ping=False)
            pb.API_URL = f"{mock.base_url}/api"
            pb.MARGIN_API_URL = f"{mock.base_url}/sapi"
            with warnings.catch_warnings():  # python-binance warns that Binance is retiring listenKeys
                warnings.simplefilter("ignore", DeprecationWarning)
                margin = pb.margin_stream_get_listen_key()
                assert pb.margin_stream_keepalive(margin) == {}
                isolated = pb.isolated_margin_stream_get_listen_key("BTCUSDT")
            pb.close_connection()
        finally:
            asyncio.set_event_loop(None)
            loop.close()
        connector = Spot(api_key=mock.api_key, base_url=mock.base_url)
        spot = connector.new_listen_key()["listenKey"]
        assert connector.renew_listen_key(spot) == {} and connector.close_listen_key(spot) == {}
        assert len({margin, isolated, spot}) == 3
        paths = [(r["method"], r["path"], r["status"]) for r in mock.requests()]
        assert all(status == 200 for _, _, status in paths), paths
