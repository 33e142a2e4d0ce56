"""Parameters in a request body (docs/fidelity.md §1.5): a POST, PUT or DELETE may send them in an
x-www-form-urlencoded body, mixed with the query string, whose value wins for a name in both; the
signature covers the query string and then the body. A GET's body is not read."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from helpers import NOW, PATH
from starlette.testclient import TestClient

from mock_server import MockBinance
from mock_server.exchange import Exchange
from mock_server.rules.params import request_params
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET

ORDER_TEST = "/api/v3/order/test"
FORM = "application/x-www-form-urlencoded"
ORDER = [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "1")]


def send(client: TestClient, method: str, path: str, query: str, body: str) -> Any:
    """`query` and `body` as given, the signature (over both, no separator) added to the body."""
    body = body + ("&" if body else "") + f"signature={sign_hmac(DEMO_SECRET, (query + body).encode())}"
    url = f"{path}?{query}" if query else path
    headers = {"X-MBX-APIKEY": DEMO_API_KEY, "Content-Type": FORM}
    return client.request(method, url, content=body.encode(), headers=headers)


def test_a_post_may_send_every_parameter_in_its_body(client: TestClient, exchange: Exchange) -> None:
    r = send(client, "POST", ORDER_TEST, "", urlencode([*ORDER, ("timestamp", NOW)]))
    assert (r.status_code, r.json()) == (200, {})
    (entry,) = exchange.requests()
    assert dict(entry.params) == {**dict(ORDER), "timestamp": str(NOW), "signature": "<redacted>"}


def test_query_and_body_mix_and_the_query_string_wins_a_name_in_both(client: TestClient) -> None:
    query = urlencode([("symbol", "BTCUSDT"), ("side", "BUY")])
    body = urlencode([("side", "MAYBE"), ("type", "MARKET"), ("quantity", "1"), ("timestamp", NOW)])
    assert send(client, "POST", ORDER_TEST, query, body).status_code == 200  # the body's MAYBE unread
    query = urlencode([("symbol", "BTCUSDT"), ("side", "MAYBE")])
    body = urlencode([("side", "BUY"), ("type", "MARKET"), ("quantity", "1"), ("timestamp", NOW)])
    r = send(client, "POST", ORDER_TEST, query, body)
    assert r.json() == {"code": -1117, "msg": "Invalid side."}  # the query string's MAYBE was read


def test_the_signature_covers_the_query_then_the_body(client: TestClient) -> None:
    query, body = urlencode(ORDER[:2]), urlencode([*ORDER[2:], ("timestamp", NOW)])
    signature = sign_hmac(DEMO_SECRET, (query + body).encode())
    tampered = body.replace("quantity=1", "quantity=2") + f"&signature={signature}"
    headers = {"X-MBX-APIKEY": DEMO_API_KEY, "Content-Type": FORM}
    r = client.post(f"{ORDER_TEST}?{query}", content=tampered.encode(), headers=headers)
    assert r.json()["code"] == -1022
    assert send(client, "POST", ORDER_TEST, query, body).status_code == 200


def test_a_get_reads_its_query_string_alone(client: TestClient) -> None:
    r = send(client, "GET", PATH, "", urlencode([("asset", "BTC"), ("timestamp", NOW)]))
    assert r.json()["code"] == -1102 and "'timestamp'" in r.json()["msg"]


def test_request_params_keeps_the_query_order_then_the_body_s_new_names() -> None:
    p = request_params("DELETE", b"a=1&b=2", b"b=9&c=3&c=4")
    assert [tuple(x) for x in p.items] == [("a", "1"), ("b", "2"), ("c", "3"), ("c", "4")]
    assert p.first == {"a": "1", "b": "2", "c": "3"} and p.duplicates == ["c"]  # repeated in the body
    assert request_params("GET", b"a=1", b"b=2").first == {"a": "1"}


def test_python_binance_places_a_test_order_and_the_proxy_records_its_body(
    tmp_path: Path,
) -> None:
    from binance.client import Client

    def test_order(base_url: str) -> dict[str, object]:
        class MockClient(Client):  # python-binance takes its base URLs as class attributes
            API_URL = f"{base_url}/api"

        loop = asyncio.new_event_loop()  # python-binance takes the current loop, or makes one
        asyncio.set_event_loop(loop)
        try:
            client = MockClient(DEMO_API_KEY, DEMO_SECRET, ping=False)
            return client.create_test_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=1)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    cassette = tmp_path / "orders.cassette.json"
    with (
        MockBinance() as upstream,
        MockBinance(cassette=str(cassette), record_mode="all", upstream=upstream.base_url) as proxy,
    ):
        assert test_order(proxy.base_url) == {}  # python-binance sends a POST's parameters in its body
        assert upstream.requests()[-1]["status"] == 200
    with MockBinance(cassette=str(cassette)) as replay:
        assert test_order(replay.base_url) == {}
        assert replay.requests()[-1]["check"] == "replay"
