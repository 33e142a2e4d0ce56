"""The reference client's HTTP layer, offline: a scripted `requests` adapter stands in for the
network and a fake clock for time, so every wait is observed and none is slept."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from itertools import pairwise
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from binance_mock.client_under_test import (
    BinanceAPIError,
    Ed25519Signer,
    HmacSigner,
    InvalidRequest,
    InvalidSignature,
    InvalidTimestamp,
    IPBanned,
    MarginBusy,
    MarginClient,
    RateLimited,
    RetryPolicy,
    RsaSigner,
    ServerError,
    TransportError,
    Unauthorized,
    UnexpectedResponse,
    signer_from_pem,
)
from binance_mock.client_under_test.fakes import FakeClock

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
BASE = "https://fake.binance.test"
ROW = {"amount": "0.10000000", "asset": "BNB", "status": "CONFIRMED", "timestamp": 1566898617000,
       "txId": 5240372201, "type": "ROLL_IN", "transFrom": "SPOT", "transTo": "ISOLATED_MARGIN"}  # fmt: skip
OK_PAGE = (200, {"rows": [ROW], "total": 1})

Answer = tuple[int, Any] | tuple[int, Any, dict[str, str]] | Exception


class Script(BaseAdapter):
    """Answers requests from a list (the last answer repeats) and records what was sent."""

    def __init__(self, clock: FakeClock, answers: list[Answer]) -> None:
        super().__init__()
        self.clock = clock
        self.answers = answers
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []
        self.sent_at: list[float] = []

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:  # fmt: skip
        self.sent.append(request)
        self.timeouts.append(timeout)
        self.sent_at.append(self.clock.monotonic())
        self.clock.advance(0.01)  # every request takes 10 ms
        answer = self.answers[min(len(self.sent), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        status, body, *rest = answer
        resp = requests.Response()
        resp.status_code = status
        is_json = not isinstance(body, bytes)
        resp._content = json.dumps(body).encode() if is_json else body
        headers = {
            "Content-Type": "application/json" if is_json else "text/html",
            **(rest[0] if rest else {}),
        }
        resp.headers = CaseInsensitiveDict(headers)
        resp.url = request.url or ""
        resp.request = request
        resp.encoding = "utf-8"
        return resp

    def close(self) -> None:
        pass

    def query(self, i: int = -1) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.sent[i].url).query))

    def paths(self) -> list[str]:
        return [urlsplit(r.url).path for r in self.sent]


def make(answers: list[Answer], signer: Any = None, **kwargs: Any) -> tuple[MarginClient, Script, FakeClock]:
    clock = FakeClock(start_ms=1_499_827_319_559)
    script = Script(clock, answers)
    session = requests.Session()
    session.mount(BASE, script)
    client = MarginClient(KEY, signer or HmacSigner(SECRET), BASE, session=session, clock=clock,
                          **kwargs)  # fmt: skip
    return client, script, clock


def error(code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None) -> Answer:
    return (status, {"code": code, "msg": msg}, headers or {})


# --- signing and the wire format ---


def test_hmac_request_is_byte_exact_with_the_endpoint_vector() -> None:
    # docs/fidelity.md §9 H5: the endpoint-shaped vector, recomputed with openssl.
    client, script, _ = make([OK_PAGE], recv_window_ms=5000)
    client.transfers(asset="BNB", type="ROLL_IN", current=1, size=10)
    url = script.sent[0].url
    assert url == (
        f"{BASE}/sapi/v1/margin/transfer?asset=BNB&type=ROLL_IN&current=1&size=10&recvWindow=5000"
        "&timestamp=1499827319559&signature=8aea33594822556977336c872d3eec3631028e7bc3b49359a598787613bbf514"
    )
    assert script.sent[0].headers["X-MBX-APIKEY"] == KEY
    assert script.sent[0].body is None  # a GET: everything in the query string


def test_hmac_matches_binance_documented_vector() -> None:
    payload = b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    assert (
        HmacSigner(SECRET).sign(payload) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )
    assert "NhqP" not in repr(HmacSigner(SECRET))


def _signed_parts(url: str) -> tuple[bytes, bytes]:
    query = urlsplit(url).query
    payload, _, sig = query.rpartition("&signature=")
    return payload.encode(), base64.b64decode(unquote(sig))


def test_rsa_signature_is_pkcs1v15_sha256_base64_and_percent_encoded() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    signer = signer_from_pem(pem)
    assert isinstance(signer, RsaSigner)
    client, script, _ = make([OK_PAGE] * 40, signer)
    raw_sigs = []
    for _ in range(40):  # enough signatures that some base64 holds '+' or '/'
        client.transfers(start_ms=1, end_ms=2)
        raw_sigs.append(urlsplit(script.sent[-1].url).query.rpartition("&signature=")[2])
        payload, sig = _signed_parts(script.sent[-1].url)
        key.public_key().verify(sig, payload, padding.PKCS1v15(), SHA256())  # raises if wrong
    assert all("+" not in s and "/" not in s and "=" not in s for s in raw_sigs)
    assert any("%2B" in s or "%2F" in s for s in raw_sigs)
    assert all(s.endswith("%3D%3D") for s in raw_sigs)  # 256 bytes -> base64 with "==" padding


def test_ed25519_signature_verifies_and_is_deterministic() -> None:
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    signer = signer_from_pem(pem)
    assert isinstance(signer, Ed25519Signer)
    client, script, _ = make([OK_PAGE], signer)
    client.transfers(start_ms=1, end_ms=2)
    payload, sig = _signed_parts(script.sent[0].url)
    key.public_key().verify(sig, payload)
    assert len(sig) == 64 and signer.sign(payload) == signer.sign(payload)
    assert "%3D%3D" in script.sent[0].url  # 64 bytes -> 88 base64 chars ending "==", percent-encoded


def test_other_private_keys_are_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="RSA or Ed25519"):
        signer_from_pem(pem)


def test_rows_are_typed_and_raw_is_kept() -> None:
    client, _, _ = make([(200, {"rows": [ROW], "total": 7})])
    page = client.transfers()
    assert page.total == 7
    (t,) = page.rows
    assert t.amount == Decimal("0.10000000") and str(t.amount) == "0.10000000"
    assert t.timestamp.isoformat() == "2019-08-27T09:36:57+00:00" and t.timestamp.utcoffset() is not None
    assert (t.tx_id, t.asset, t.type, t.trans_from, t.to_symbol) == (
        5240372201,
        "BNB",
        "ROLL_IN",
        "SPOT",
        None,
    )
    assert t.raw == ROW
    with pytest.raises(AttributeError):
        t.asset = "BTC"  # type: ignore[misc]


def test_empty_page_without_rows_and_bad_shapes() -> None:
    client, _, _ = make(
        [(200, {"total": 0}), (200, {"rows": []}), (200, {"rows": [{"txId": 1}], "total": 1})]
    )
    assert client.transfers().rows == ()  # F2 alternative: no "rows" on an empty page
    with pytest.raises(UnexpectedResponse):
        client.transfers()  # no total
    with pytest.raises(UnexpectedResponse):
        client.transfers()  # a row without its fields


def test_every_request_has_a_timeout() -> None:
    client, script, _ = make([error(-21003, "Fail to retrieve margin assets."), OK_PAGE], timeout=(1.5, 4.0))
    client.transfers()
    assert script.timeouts == [(1.5, 4.0), (1.5, 4.0)]


# --- errors ---


@pytest.mark.parametrize(
    ("answer", "exc_type"),
    [
        (error(-1022, "Signature for this request is not valid."), InvalidSignature),
        (error(-2015, "Invalid API-key, IP, or permissions for action.", 401), Unauthorized),
        (error(-1127, "More than 720 hours between startTime and endTime."), InvalidRequest),
        (error(-1130, "Data sent for parameter 'size' is not valid."), InvalidRequest),
        (error(-1003, "Way too much request weight used; IP banned until 1.", 418), IPBanned),
    ],
)
def test_errors_that_are_not_retried_are_raised_typed_at_once(answer: Answer, exc_type: type) -> None:
    client, script, clock = make([answer, OK_PAGE])
    with pytest.raises(exc_type) as caught:
        client.transfers()
    err = caught.value
    assert isinstance(err, BinanceAPIError)
    assert (err.status, err.code, err.msg) == (answer[0], answer[1]["code"], answer[1]["msg"])  # type: ignore[index]
    assert len(script.sent) == 1 and clock.sleeps == []


# --- retries and waits ---


def test_minus_21003_waits_at_least_500ms_and_resigns() -> None:
    busy = error(-21003, "Fail to retrieve margin assets.")
    client, script, clock = make([busy, busy, busy, OK_PAGE])
    assert client.transfers().total == 1
    assert len(clock.sleeps) == 3 and all(s >= 0.5 for s in clock.sleeps)
    stamps = [int(script.query(i)["timestamp"]) for i in range(4)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4  # a fresh timestamp per try
    sigs = {script.query(i)["signature"] for i in range(4)}
    assert len(sigs) == 4
    assert client.stats.retries == 3


def test_minus_21003_gives_up_after_the_budget() -> None:
    busy = error(-21003, "Fail to retrieve margin assets.")
    client, script, clock = make([busy], retry=RetryPolicy(attempts=3))
    with pytest.raises(MarginBusy) as caught:
        client.transfers()
    assert caught.value.code == -21003 and caught.value.status == 400
    assert len(script.sent) == 3 and len(clock.sleeps) == 2


def test_429_waits_retry_after() -> None:
    limited = error(-1003, "Too much request weight used; ...", 429, {"Retry-After": "7"})
    client, _, clock = make([limited, OK_PAGE])
    client.transfers()
    assert clock.sleeps == [7.0]


def test_429_without_retry_after_backs_off_at_least_a_second() -> None:
    client, _, clock = make([error(-1003, "Too many requests queued.", 429), OK_PAGE])
    client.transfers()
    assert clock.sleeps and clock.sleeps[0] >= 1.0


def test_429_with_a_ban_length_retry_after_is_raised_not_slept() -> None:
    limited = error(-1003, "Too much request weight used; ...", 429, {"Retry-After": "3600"})
    client, _, clock = make([limited, OK_PAGE])
    with pytest.raises(RateLimited) as caught:
        client.transfers()
    assert caught.value.retry_after == 3600.0 and clock.sleeps == []


def test_5xx_and_connection_errors_back_off_exponentially_with_jitter() -> None:
    import random

    answers: list[Answer] = [
        (502, b"<html>Bad Gateway</html>"),
        requests.ConnectionError("reset by peer"),
        error(-1001, "Internal error; unable to process your request. Please try again.", 503),
        requests.exceptions.ChunkedEncodingError("cut off"),
        OK_PAGE,
    ]
    policy = RetryPolicy(attempts=6, backoff_base=0.2, backoff_cap=10)
    client, _, clock = make(answers, retry=policy, rng=random.Random(3))
    assert client.transfers().total == 1
    assert len(clock.sleeps) == 4
    for n, wait in enumerate(clock.sleeps):
        ceiling = 0.2 * 2**n
        assert ceiling / 2 <= wait <= ceiling
    # jitter: not exactly the midpoint/ceiling pattern
    assert len({round(w / (0.2 * 2**n), 6) for n, w in enumerate(clock.sleeps)}) > 1


def test_transport_failure_after_the_budget_is_a_transport_error() -> None:
    client, script, _ = make([requests.ConnectionError("refused")], retry=RetryPolicy(attempts=2))
    with pytest.raises(TransportError) as caught:
        client.transfers()
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert len(script.sent) == 2


def test_server_error_without_binance_json_keeps_status() -> None:
    client, _, _ = make([(504, b"gateway timeout")], retry=RetryPolicy(attempts=1))
    with pytest.raises(ServerError) as caught:
        client.transfers()
    assert (caught.value.status, caught.value.code) == (504, None)


def test_minus_1021_resyncs_once_through_api_v3_time() -> None:
    stale = error(-1021, "Timestamp for this request is outside of the recvWindow.")
    server_now = 1_499_827_319_559 + 3_600_000  # the server is an hour ahead of us
    client, script, _ = make([stale, (200, {"serverTime": server_now}), OK_PAGE])
    client.transfers()
    assert script.paths() == ["/sapi/v1/margin/transfer", "/api/v3/time", "/sapi/v1/margin/transfer"]
    assert "X-MBX-APIKEY" not in script.sent[1].headers  # /api/v3/time is public
    assert abs(int(script.query(2)["timestamp"]) - server_now) < 100
    assert client.stats.resyncs == 1


def test_minus_1021_again_after_the_resync_is_raised() -> None:
    stale = error(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    client, script, _ = make([stale, (200, {"serverTime": 1_499_827_319_559}), stale, OK_PAGE])
    with pytest.raises(InvalidTimestamp):
        client.transfers()
    assert len(script.sent) == 3


def test_sync_time_at_start_and_offset_is_used() -> None:
    client, script, _ = make([(200, {"serverTime": 1_499_827_319_559 - 2_000}), OK_PAGE], sync_time=True)
    assert client.time_offset_ms == -2_005  # the server read its clock halfway through our 10 ms call
    client.transfers()
    assert int(script.query()["timestamp"]) == 1_499_827_319_559 + 10 - 2_005


def test_pacer_keeps_500ms_between_an_answer_and_the_next_request() -> None:
    client, script, _ = make([OK_PAGE], pace_ms=500)
    for _ in range(5):
        client.transfers()
    gaps = [b - a for a, b in pairwise(script.sent_at)]
    # each request lasts 10 ms; the next leaves 500 ms after the answer
    assert all(g >= 0.51 - 1e-9 for g in gaps), gaps
    unpaced, _, clock2 = make([OK_PAGE])
    for _ in range(5):
        unpaced.transfers()
    assert clock2.sleeps == []


def test_pacer_does_not_wait_when_the_caller_was_slow_anyway() -> None:
    client, _, clock = make([OK_PAGE], pace_ms=500)
    client.transfers()
    clock.advance(2.0)
    client.transfers()
    assert clock.sleeps == []
