"""The WebSocket API's requests, without a socket: each method answered by the REST pipeline
(signed the WebSocket API's way, or by a logged-on session), and user data subscriptions that
carry the same events REST writes make."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from helpers import LIMIT, NOW, signed_call

from mock_server.exchange import Exchange, Settings
from mock_server.rules.signature import sign_hmac, sign_with_private_key
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock
from mock_server.wsapi.session import Session

ED_KEY = "EdKey" + "0" * 59


def _exchange(tmp_path: Path | None = None, ed: ed25519.Ed25519PrivateKey | None = None) -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    keys = None
    if tmp_path is not None and ed is not None:
        pem = ed.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (tmp_path / "ed.pem").write_bytes(pem)
        (tmp_path / "keys.json").write_text(json.dumps({"accounts": [
            {"apiKey": DEMO_API_KEY, "secret": DEMO_SECRET},
            {"apiKey": ED_KEY, "keyType": "ed25519", "publicKeyFile": "ed.pem"},
        ]}))  # fmt: skip
        keys = str(tmp_path / "keys.json")
    ex = Exchange(Settings(anchor_ms=NOW, rows=0, keys_path=keys), clock=clock)
    ex.set_balance("SPOT", "USDT", "10000")
    return ex


def _signed(params: dict[str, Any], api_key: str = DEMO_API_KEY, sign: Any = None) -> dict[str, Any]:
    """Params signed as Binance's WebSocket API documents: sorted by name, apiKey among them."""
    full = {**params, "apiKey": api_key, "timestamp": NOW}
    payload = "&".join(f"{k}={v}" for k, v in sorted(full.items())).encode()
    signature = sign(payload) if sign is not None else sign_hmac(DEMO_SECRET, payload)
    return {**full, "signature": signature}


def _ask(
    session: Session, method: str, params: dict[str, Any] | None = None, ident: Any = 1
) -> dict[str, Any]:
    request: dict[str, Any] = {"id": ident, "method": method}
    if params is not None:
        request["params"] = params
    return json.loads(session.handle(json.dumps(request)))


def test_public_methods_answer_what_rest_answers_with_the_weight_used() -> None:
    ex = _exchange()
    session = Session(ex)
    assert _ask(session, "ping") == {"id": 1, "status": 200, "result": {},
                                      "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                                      "intervalNum": 1, "limit": 6000, "count": 1}]}  # fmt: skip
    assert _ask(session, "v3/time", ident="t")["result"] == {"serverTime": NOW}
    price = _ask(session, "ticker.price", {"symbol": "BTCUSDT"})["result"]
    assert price == signed_call(ex, "GET", "/api/v3/ticker/price", symbol="BTCUSDT")[1]
    both = _ask(session, "ticker.price", {"symbols": ["BTCUSDT", "ETHUSDT"]})[
        "result"
    ]  # a JSON array as sent
    assert [p["symbol"] for p in both] == ["BTCUSDT", "ETHUSDT"]
    assert _ask(session, "depth", {"symbol": "NOPE"})["error"] == {"code": -1121, "msg": "Invalid symbol."}


def test_a_signed_order_is_placed_by_the_rest_pipeline_and_read_back() -> None:
    ex = _exchange()
    session = Session(ex)
    placed = _ask(session, "order.place", _signed(LIMIT))
    assert placed["status"] == 200 and placed["result"]["status"] == "NEW"
    kinds = {r["rateLimitType"] + r["interval"]: r["count"] for r in placed["rateLimits"]}
    assert kinds["ORDERSSECOND"] == 1 and kinds["ORDERSDAY"] == 1
    order_id = placed["result"]["orderId"]
    status = _ask(session, "order.status", _signed({"symbol": "BTCUSDT", "orderId": order_id}))["result"]
    assert status == signed_call(ex, "GET", "/api/v3/order", symbol="BTCUSDT", orderId=order_id)[1]
    bad = _signed(LIMIT)
    bad["signature"] = "0" * 64
    assert _ask(session, "order.place", bad)["error"] == {
        "code": -1022,
        "msg": "Signature for this request is not valid.",
    }
    unsigned = {**LIMIT, "apiKey": DEMO_API_KEY, "timestamp": NOW}
    assert _ask(session, "order.place", unsigned)["error"]["code"] == -1102
    unknown = _signed(LIMIT, api_key="Unknown" + "x" * 20)
    assert _ask(session, "order.place", unknown)["error"]["code"] == -2015
    assert len(ex.orders()) == 1


def test_a_logged_on_session_signs_for_its_requests(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    ex = _exchange(tmp_path, key)
    ex.set_balance("SPOT", "USDT", "10000", api_key=ED_KEY)
    session = Session(ex)
    sign = lambda payload: sign_with_private_key(key, payload)  # noqa: E731
    wrong = _signed(
        {}, api_key=ED_KEY, sign=lambda p: sign_with_private_key(ed25519.Ed25519PrivateKey.generate(), p)
    )
    assert _ask(session, "session.logon", wrong)["error"]["code"] == -1022
    assert _ask(session, "session.logon", _signed({}))["error"]["code"] == -1022  # an HMAC key cannot log on
    logon = _ask(session, "session.logon", _signed({}, api_key=ED_KEY, sign=sign))
    assert logon["result"]["apiKey"] == ED_KEY and logon["result"]["authorizedSince"] == NOW
    placed = _ask(session, "order.place", {**LIMIT, "timestamp": NOW})  # no apiKey, no signature
    assert placed["status"] == 200 and ex.orders(api_key=ED_KEY)[0].order_id == placed["result"]["orderId"]
    stale = _ask(session, "order.place", {**LIMIT, "timestamp": NOW - 600_000})
    assert stale["error"]["code"] == -1021  # the session signs; the timestamp still counts
    _ask(session, "session.logout")
    assert _ask(session, "order.place", {**LIMIT, "timestamp": NOW})["error"]["code"] == -2014  # no key now


def test_a_session_method_takes_a_wall_clock_timestamp_as_rest_does() -> None:
    """A frozen clock that is not strict also takes a timestamp valid against the wall clock (a
    client that never syncs keeps working): the REST-backed methods did, and the session's own
    signed ones (`userDataStream.subscribe.signature`, `session.logon`) must too, or a client
    that subscribes again a second after the freeze is refused. A strict clock refuses both."""
    ex = _exchange()  # frozen at NOW, months before the wall clock
    session = Session(ex)
    wall = {"timestamp": int(time.time() * 1000)}
    sub = _ask(session, "userDataStream.subscribe.signature", _signed_at(wall))
    assert sub.get("result") == {"subscriptionId": 0}, sub
    assert _ask(session, "order.place", _signed_at({**LIMIT, **wall}))["status"] == 200
    ex.set_clock({"now_ms": NOW, "strict": True})
    strict = Session(ex)
    assert _ask(strict, "userDataStream.subscribe.signature", _signed_at(wall))["error"]["code"] == -1021
    assert _ask(strict, "order.place", _signed_at({**LIMIT, **wall}))["error"]["code"] == -1021


def _signed_at(params: dict[str, Any]) -> dict[str, Any]:
    """`_signed` keeping the params' own timestamp."""
    full = {**params, "apiKey": DEMO_API_KEY}
    payload = "&".join(f"{k}={v}" for k, v in sorted(full.items())).encode()
    return {**full, "signature": sign_hmac(DEMO_SECRET, payload)}


def test_a_subscription_carries_the_accounts_events_from_rest_writes() -> None:
    ex = _exchange()
    session = Session(ex)
    sub = _ask(session, "userDataStream.subscribe.signature", _signed({}))
    assert sub == {"id": 1, "status": 200, "result": {"subscriptionId": 0}}
    assert _ask(session, "userDataStream.subscribe.signature", _signed({}))["error"]["code"] == -2035
    assert _ask(session, "userDataStream.subscribe")["error"]["code"] == -1002  # not logged on
    _, body = signed_call(ex, "POST", "/api/v3/order", **LIMIT)
    frames = [json.loads(f) for f in session.events()]
    assert [f["subscriptionId"] for f in frames] == [0, 0]
    report, position = (f["event"] for f in frames)
    assert (report["e"], report["x"], report["i"]) == ("executionReport", "NEW", body["orderId"])
    assert position["e"] == "outboundAccountPosition" and session.events() == []
    signed_call(ex, "POST", "/sapi/v1/asset/transfer", type="MAIN_MARGIN", asset="USDT", amount="1")
    updates = [json.loads(f)["event"]["e"] for f in session.events()]
    assert updates == ["balanceUpdate", "outboundAccountPosition"]  # the spot side only
    assert _ask(session, "session.subscriptions")["result"] == [{"subscriptionId": 0}]
    assert _ask(session, "userDataStream.unsubscribe", {"subscriptionId": 0})["result"] == {}
    signed_call(ex, "DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=body["orderId"])
    assert _frames(session) == [(0, {"e": "eventStreamTerminated", "E": NOW})]  # and not the cancel
    assert session.events() == []


def _frames(session: Session) -> list[tuple[int, dict[str, Any]]]:
    return [(f["subscriptionId"], f["event"]) for f in map(json.loads, session.events())]


def test_unsubscribing_and_logging_out_end_subscriptions_with_event_stream_terminated(tmp_path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    ex = _exchange(tmp_path, key)
    session = Session(ex)
    signed = lambda payload: sign_with_private_key(key, payload)  # noqa: E731
    _ask(session, "session.logon", _signed({}, api_key=ED_KEY, sign=signed))
    assert _ask(session, "userDataStream.subscribe")["result"] == {"subscriptionId": 0}
    assert _ask(session, "userDataStream.subscribe.signature", _signed({}))["result"] == {"subscriptionId": 1}
    assert _ask(session, "session.logout")["result"]["userDataStream"] is True  # the signature's stays
    assert _frames(session) == [(0, {"e": "eventStreamTerminated", "E": NOW})]
    assert _ask(session, "session.subscriptions")["result"] == [{"subscriptionId": 1}]
    assert _ask(session, "userDataStream.unsubscribe", {"subscriptionId": 0})["error"]["code"] == -2036
    assert session.events() == []  # a refused unsubscribe ends nothing
    _ask(session, "userDataStream.subscribe.signature", _signed({}, api_key=ED_KEY, sign=signed))
    assert _ask(session, "userDataStream.unsubscribe")["result"] == {}  # every subscription
    assert _frames(session) == [(n, {"e": "eventStreamTerminated", "E": NOW}) for n in (1, 2)]
    assert _ask(session, "session.status")["result"]["userDataStream"] is False


def _token(ex: Exchange, **params: Any) -> dict[str, Any]:
    reply, body = signed_call(ex, "POST", "/sapi/v1/userListenToken", **params)
    assert reply.status == 200, body
    return body


def test_a_listen_token_subscription_carries_its_margin_wallets_events_until_it_expires() -> None:
    ex = _exchange()
    ex.set_balance("MARGIN", "USDT", "10000")
    session = Session(ex)
    token = _token(ex, validity=60_000)
    assert token["expirationTime"] == NOW + 60_000 and len(token["token"]) == 70
    sub = _ask(session, "userDataStream.subscribe.listenToken", {"listenToken": token["token"]})
    assert sub["result"] == {"subscriptionId": 0, "expirationTime": NOW + 60_000}
    signed_call(ex, "POST", "/api/v3/order", **LIMIT)  # the spot wallet's: not this stream's
    _, placed = signed_call(ex, "POST", "/sapi/v1/margin/order", **LIMIT)
    report, position = (e for _, e in _frames(session))
    assert (report["e"], report["x"], report["i"]) == ("executionReport", "NEW", placed["orderId"])
    assert position["B"] == [{"a": "USDT", "f": "9400.00000000", "l": "600.00000000"}]  # the margin wallet
    signed_call(ex, "POST", "/sapi/v1/asset/transfer", type="MARGIN_MAIN", asset="USDT", amount="1")
    assert [e["e"] for _, e in _frames(session)] == ["balanceUpdate", "outboundAccountPosition"]
    ex.set_clock({"now_ms": NOW + 30_000})
    renewed = _token(ex)  # a new token of the same wallet renews the subscription
    sub = _ask(session, "userDataStream.subscribe.listenToken", {"listenToken": renewed["token"]})
    assert sub["result"] == {"subscriptionId": 0, "expirationTime": NOW + 30_000 + 86_400_000}
    ex.set_clock({"now_ms": NOW + 60_000})
    assert session.events() == []  # the first token's expiry ends nothing now
    ex.set_clock({"now_ms": renewed["expirationTime"]})
    signed_call(ex, "DELETE", "/sapi/v1/margin/order", symbol="BTCUSDT", orderId=placed["orderId"])
    assert _frames(session) == [(0, {"e": "eventStreamTerminated", "E": renewed["expirationTime"]})]
    assert _ask(session, "session.subscriptions")["result"] == []
    for sent in (renewed["token"], "no-such-token"):  # expired, unknown
        answer = _ask(session, "userDataStream.subscribe.listenToken", {"listenToken": sent})
        assert answer["error"] == {"code": -1209, "msg": "Invalid listenToken."} and answer["status"] == 400
    missing = _ask(session, "userDataStream.subscribe.listenToken", {})
    assert (
        missing["error"]["msg"]
        == "Mandatory parameter 'listenToken' was not sent, was empty/null, or malformed."
    )


def test_an_isolated_listen_token_hears_that_pair_alone() -> None:
    ex = _exchange()
    ex.set_balance("MARGIN", "USDT", "10000")
    ex.set_balance("ISOLATED:BTCUSDT", "USDT", "10000")
    session = Session(ex)
    token = _token(ex, isIsolated="true", symbol="BTCUSDT")["token"]
    assert _ask(session, "userDataStream.subscribe.listenToken", {"listenToken": token})["status"] == 200
    signed_call(ex, "POST", "/sapi/v1/margin/order", **LIMIT)  # cross margin: not this stream's
    _, placed = signed_call(ex, "POST", "/sapi/v1/margin/order", isIsolated="TRUE", **LIMIT)
    assert [(e["e"], e.get("i")) for _, e in _frames(session)] == [
        ("executionReport", placed["orderId"]), ("outboundAccountPosition", None)]  # fmt: skip


def test_the_listen_token_endpoint_checks_what_binance_documents() -> None:
    ex = _exchange()
    cases = [({"isIsolated": "true"}, -1102), ({"validity": 86_400_001}, -1130), ({"validity": 0}, -1130),
             ({"isIsolated": "true", "symbol": "NOPE"}, -1121), ({"isIsolated": "maybe"}, -1130)]  # fmt: skip
    for params, code in cases:
        reply, body = signed_call(ex, "POST", "/sapi/v1/userListenToken", **params)
        assert (reply.status, body["code"]) == (400, code), params
    first, second = _token(ex)["token"], _token(ex)["token"]
    assert first != second  # a new token every time, as the page describes
    reply, _ = signed_call(ex, "POST", "/sapi/v1/userListenToken", isIsolated="TRUE", symbol="ETHUSDT")
    assert reply.status == 200 and reply.headers["X-SAPI-USED-UID-WEIGHT-1M"] == str(len(cases) + 3)


def test_the_listen_key_methods_answer_as_rest_does() -> None:
    """userDataStream.start, .ping and .stop (binance-connector's user_data_start and the rest)."""
    ex = _exchange()
    session = Session(ex)
    started = _ask(session, "userDataStream.start", {"apiKey": DEMO_API_KEY})
    key = started["result"]["listenKey"]
    assert started["status"] == 200 and len(key) == 64
    assert _ask(session, "userDataStream.ping", {"apiKey": DEMO_API_KEY, "listenKey": key})["result"] == {}
    assert _ask(session, "userDataStream.stop", {"apiKey": DEMO_API_KEY, "listenKey": key})["result"] == {}
    gone = _ask(session, "userDataStream.ping", {"apiKey": DEMO_API_KEY, "listenKey": key})
    assert gone["error"] == {"code": -1125, "msg": "This listenKey does not exist."}
    assert _ask(session, "userDataStream.start")["error"]["code"] == -2014  # no key


def test_a_frame_that_is_no_request_gets_an_error_naming_what_is_missing() -> None:
    session = Session(_exchange())
    assert json.loads(session.handle("not json")) == {
        "id": None, "status": 400,
        "error": {"code": -1102, "msg": "Mandatory parameter 'id' was not sent, was empty/null, or malformed."},
    }  # fmt: skip
    assert json.loads(session.handle('{"id": 7}'))["error"]["msg"].startswith("Mandatory parameter 'method'")
    assert _ask(session, "order.teleport")["error"] == {
        "code": -1130,
        "msg": "Data sent for parameter 'method' is not valid.",
    }
