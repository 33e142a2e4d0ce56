"""No request, however malformed, gets a 500 or a traceback: always a Binance-shaped error."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from helpers import NOW, asgi_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock

PATH = "/sapi/v1/margin/transfer"
TS = b"timestamp=%d" % NOW
KEY = [(b"x-mbx-apikey", DEMO_API_KEY.encode())]


@pytest.fixture(scope="module")
def app():
    clock = Clock()
    clock.freeze(NOW)
    # A huge weight limit: the fuzzer sends far more than 12,000 requests a "minute".
    return create_app(
        exchange=Exchange(Settings(anchor_ms=NOW, rows=300, sapi_weight_limit=10**12), clock=clock)
    )


def _check(out: dict) -> dict:
    status = out["status"]
    assert 200 <= status < 500, out
    body = json.loads(out["body"])
    if status != 200:
        assert set(body) == {"code", "msg"} and isinstance(body["code"], int) and body["code"] < 0
        assert isinstance(body["msg"], str) and "Traceback" not in body["msg"]
    headers = dict(out["headers"])
    assert headers[b"content-type"].startswith(b"application/json")
    return body


def _signed(query: bytes) -> bytes:
    return query + b"&signature=" + sign_hmac(DEMO_SECRET, query).encode()


@pytest.mark.parametrize(
    "query",
    [
        b"asset=%zz&" + TS,  # bad percent-encoding
        b"asset=%ff%fe&" + TS,  # not UTF-8 once decoded
        b"asset=\xff\xfe&" + TS,  # raw non-UTF-8 bytes
        b"startTime=99999999999999999999&" + TS,  # 20 digits, over int64
        b"startTime=12345678901234567890123&" + TS,
        b"asset=" + b"A" * 16_000 + b"&" + TS,  # 16 KB query string
        b"&".join(b"p%d=%d" % (i, i) for i in range(1000)) + b"&" + TS,  # 1,000 parameters
        b"asset=&type=&startTime=&endTime=&current=&size=&isolatedSymbol=&recvWindow=&" + TS,
        b"=&==&&&=x&" + TS,
        TS + b"&timestamp=",
        b"type=%00&" + TS,
        b"asset=" + quote("资产").encode() + b"&" + TS,
    ],
)
def test_malformed_queries_signed_or_not(app, query: bytes) -> None:
    _check(asgi_request(app, "GET", PATH, query, KEY))
    _check(asgi_request(app, "GET", PATH, _signed(query), KEY))


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"x-mbx-apikey", b"")],
        [(b"x-mbx-apikey", b"\xff\xfe")],
        [(b"x-mbx-apikey", b"A" * 10_000)],
        [(b"x-mbx-apikey", DEMO_API_KEY.encode()), (b"x-mbx-apikey", b"other")],
        [(b"content-type", b"application/json"), *KEY],
    ],
)
def test_hostile_headers(app, headers) -> None:
    _check(asgi_request(app, "GET", PATH, _signed(TS), headers))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"])
def test_other_methods(app, method: str) -> None:
    out = asgi_request(app, method, PATH, b"", KEY, body=b"\x00" * 100)
    assert out["status"] == 405
    _check(out)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.binary(max_size=300),
    body=st.binary(max_size=64),
    key=st.one_of(st.none(), st.binary(max_size=80), st.just(DEMO_API_KEY.encode())),
    sign=st.booleans(),
)
def test_any_bytes_get_a_binance_answer(app, query: bytes, body: bytes, key, sign: bool) -> None:
    headers = [] if key is None else [(b"x-mbx-apikey", key)]
    if sign:
        query = _signed(query + b"&" + TS)
    _check(asgi_request(app, "GET", PATH, query, headers, body))


_names = st.sampled_from(
    [
        "asset",
        "type",
        "startTime",
        "endTime",
        "current",
        "size",
        "isolatedSymbol",
        "recvWindow",
        "timestamp",
        "x",
    ]
)
_values = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.text(max_size=30),
    st.sampled_from(["ROLL_IN", "ROLL_OUT", "", "BNB", "1e3", "0x10", " 5", "5 ", "+5", "٣"]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(_names, _values), max_size=12))
def test_any_parameters_correctly_signed(app, pairs) -> None:
    from urllib.parse import urlencode

    query = urlencode([*pairs, ("timestamp", NOW)]).encode()
    _check(asgi_request(app, "GET", PATH, _signed(query), KEY))


def test_a_bug_of_ours_still_answers_binance_json(monkeypatch, caplog) -> None:
    from starlette.testclient import TestClient

    from mock_server.exchange import Exchange

    ex = Exchange(Settings(rows=1))

    def boom(call):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(ex, "handle", boom)
    client = TestClient(create_app(exchange=ex))
    r = client.get(f"{PATH}?timestamp=1&signature=secret-signature")
    assert r.status_code == 500
    assert r.json() == {"code": -1000, "msg": "An unknown error occurred while processing the request."}
    assert "simulated bug" in caplog.text and "secret-signature" not in caplog.text
