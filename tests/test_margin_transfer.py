"""GET /sapi/v1/margin/transfer over HTTP: every F-decision and error code, exact."""

from __future__ import annotations

import pytest
from helpers import NOW, Signer, assert_error
from starlette.testclient import TestClient

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.rules import errors
from mock_server.rules.fidelity import DAY_MS, Profile
from mock_server.state.clock import Clock
from mock_server.state.ledger import Transfer

HOUR = 3_600_000


def _row(tx: int, ts: int, asset: str = "BNB", type_: str = "ROLL_IN", **kw: str) -> Transfer:
    return Transfer(tx_id=tx, timestamp=ts, asset=asset, amount="1.00000000", type=type_, **kw)


def _make(profile: Profile | None = None, rows: list[Transfer] | None = None, **settings: object) -> Signer:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=0, profile=profile or Profile(), **settings), clock=clock)  # type: ignore[arg-type]
    ex.add_transfers([r.to_dict() for r in (rows if rows is not None else _known_rows())])
    return Signer(TestClient(create_app(exchange=ex)))


def _known_rows() -> list[Transfer]:
    """40 rows one hour apart ending at NOW, plus ties and older history."""
    rows = [
        _row(
            1000 + i, NOW - i * HOUR, asset=("BNB", "USDT")[i % 2], type_=("ROLL_IN", "ROLL_OUT")[i % 3 == 0]
        )
        for i in range(40)
    ]
    rows += [_row(5000, NOW - 100 * HOUR), _row(5001, NOW - 100 * HOUR)]  # a tie at one timestamp
    rows += [
        _row(
            7000,
            NOW - 20 * DAY_MS,
            asset="BTC",
            trans_from="SPOT",
            trans_to="ISOLATED_MARGIN",
            to_symbol="BTCUSDT",
        )
    ]
    return rows


@pytest.fixture
def s() -> Signer:
    return _make()


# --- success shape and order ---


def test_default_is_last_7_days_descending_with_true_total(s: Signer) -> None:
    r = s.get({"size": 100})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"  # F19
    body = r.json()
    assert body["total"] == 42  # 40 hourly + the tie pair; the 20-day-old row is outside
    stamps = [(row["timestamp"], row["txId"]) for row in body["rows"]]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0] == (NOW, 1000)


def test_ties_ordered_by_txid_descending(s: Signer) -> None:
    r = s.get({"startTime": NOW - 100 * HOUR, "endTime": NOW - 100 * HOUR})
    assert [row["txId"] for row in r.json()["rows"]] == [5001, 5000]  # F24


def test_window_bounds_inclusive(s: Signer) -> None:
    r = s.get({"startTime": NOW - 2 * HOUR, "endTime": NOW - HOUR})
    assert [row["txId"] for row in r.json()["rows"]] == [1001, 1002]  # F25


def test_row_shape_and_types(s: Signer) -> None:
    r = s.get({"startTime": NOW - 21 * DAY_MS, "endTime": NOW - 19 * DAY_MS})
    (row,) = r.json()["rows"]
    assert row == {
        "amount": "1.00000000",
        "asset": "BTC",
        "status": "CONFIRMED",
        "timestamp": NOW - 20 * DAY_MS,  # F1: milliseconds
        "txId": 7000,
        "type": "ROLL_IN",
        "transFrom": "SPOT",
        "transTo": "ISOLATED_MARGIN",
        "toSymbol": "BTCUSDT",
    }
    assert list(row) == [
        "amount",
        "asset",
        "status",
        "timestamp",
        "txId",
        "type",
        "transFrom",
        "transTo",
        "toSymbol",
    ]


def test_pagination_disjoint_pages_true_total_and_past_end(s: Signer) -> None:
    full = s.get({"size": 100}).json()["rows"]
    pages = [s.get({"size": 10, "current": c}).json() for c in range(1, 6)]
    assert all(p["total"] == 42 for p in pages)
    assert [len(p["rows"]) for p in pages] == [10, 10, 10, 10, 2]
    assert [r for p in pages for r in p["rows"]] == full
    past = s.get({"size": 10, "current": 6}).json()
    assert past == {"rows": [], "total": 42}  # F5


def test_filters(s: Signer) -> None:
    usdt = s.get({"asset": "USDT", "size": 100}).json()
    assert usdt["total"] == 20 and {r["asset"] for r in usdt["rows"]} == {"USDT"}
    out = s.get({"type": "ROLL_OUT", "size": 100}).json()
    assert {r["type"] for r in out["rows"]} == {"ROLL_OUT"} and out["total"] == 14
    both = s.get({"type": "ROLL_OUT", "asset": "BNB", "size": 100}).json()
    assert {(r["type"], r["asset"]) for r in both["rows"]} == {("ROLL_OUT", "BNB")} and both["total"] == 7
    iso = s.get(
        {"isolatedSymbol": "BTCUSDT", "startTime": NOW - 25 * DAY_MS, "endTime": NOW - 5 * DAY_MS}
    ).json()
    assert [r["txId"] for r in iso["rows"]] == [7000]


def test_empty_result_shape_f2(s: Signer) -> None:
    assert s.get({"asset": "DOGE"}).json() == {"rows": [], "total": 0}
    alt = _make(Profile(empty_rows="absent"))
    assert alt.get({"asset": "DOGE"}).json() == {"total": 0}


def test_seconds_profile_f1() -> None:
    alt = _make(Profile(row_timestamp_unit="s"))
    row = alt.get({"size": 1}).json()["rows"][0]
    assert row["timestamp"] == NOW // 1000


# --- size and current (F3, F4) ---


@pytest.mark.parametrize(("name", "value"), [("size", 101), ("size", 0), ("current", 0)])
def test_size_and_current_out_of_range(s: Signer, name: str, value: int) -> None:
    assert_error(s.get({name: value}), -1130, f"Data sent for parameter '{name}' is not valid.", 400)


def test_size_100_is_allowed(s: Signer) -> None:
    assert len(s.get({"size": 100}).json()["rows"]) == 42


def test_size_clamp_and_default_profiles() -> None:
    clamp = _make(Profile(size_over_max="clamp"))
    assert len(clamp.get({"size": 500}).json()["rows"]) == 42
    dflt = _make(Profile(below_min="default"))
    assert len(dflt.get({"size": 0, "current": 0}).json()["rows"]) == 10


# --- the window (F6, F7, F8) ---


def test_only_start_time_means_until_now(s: Signer) -> None:
    r = s.get({"startTime": NOW - 3 * HOUR, "size": 100}).json()
    assert [row["txId"] for row in r["rows"]] == [1000, 1001, 1002, 1003]


def test_only_end_time_means_7_days_before(s: Signer) -> None:
    r = s.get({"endTime": NOW - 10 * DAY_MS}).json()
    assert r["total"] == 0
    r = s.get({"endTime": NOW - 19 * DAY_MS}).json()
    assert [row["txId"] for row in r["rows"]] == [7000]


def test_missing_end_start_plus_7d_profile() -> None:
    alt = _make(Profile(missing_end="start_plus_7d"))
    r = alt.get({"startTime": NOW - 21 * DAY_MS}).json()
    assert [row["txId"] for row in r["rows"]] == [7000]


def test_window_of_exactly_30_days_passes_and_one_ms_more_fails(s: Signer) -> None:
    assert s.get({"startTime": NOW - 30 * DAY_MS, "endTime": NOW}).status_code == 200
    r = s.get({"startTime": NOW - 30 * DAY_MS - 1, "endTime": NOW})
    assert_error(r, -1127, "More than 720 hours between startTime and endTime.", 400)


def test_start_time_alone_too_old(s: Signer) -> None:
    r = s.get({"startTime": NOW - 31 * DAY_MS})
    assert_error(r, -1127, "More than 720 hours between startTime and endTime.", 400)


def test_window_too_long_alt_profile() -> None:
    alt = _make(Profile(window_too_long="-3011"))
    assert_error(alt.get({"startTime": 0, "endTime": NOW}), -3011, "Your input date is invalid.", 400)


def test_start_after_end(s: Signer) -> None:
    assert_error(s.get({"startTime": NOW, "endTime": NOW - 1}), -3011, "Your input date is invalid.", 400)
    alt = _make(Profile(start_after_end="empty"))
    assert alt.get({"startTime": NOW, "endTime": NOW - 1}).json() == {"rows": [], "total": 0}


# --- parameter types (F9, F10, F11, F12, F13) ---


def test_bad_type(s: Signer) -> None:
    assert_error(s.get({"type": "roll_in"}), -1130, "Data sent for parameter 'type' is not valid.", 400)
    alt = _make(Profile(bad_type="-1100"))
    assert_error(
        alt.get({"type": "SIDEWAYS"}),
        -1100,
        "Illegal characters found in parameter 'type'; legal range is '^(ROLL_IN|ROLL_OUT)$'.",
        400,
    )


@pytest.mark.parametrize("name", ["startTime", "endTime", "current", "size", "recvWindow"])
@pytest.mark.parametrize("value", ["abc", "5000.5", "-1", "123456789012345678901", "99999999999999999999"])
def test_long_parameters_must_be_whole_numbers(s: Signer, name: str, value: str) -> None:
    assert_error(
        s.get({name: value}),
        -1100,
        f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.",
        400,
    )


@pytest.mark.parametrize("value", ["", "abc", "1.5", "-1"])
def test_malformed_or_empty_timestamp(s: Signer, value: str) -> None:
    r = s.get({"timestamp": value}, ts=None)
    assert_error(r, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.", 400)


def test_missing_timestamp_and_signature(s: Signer) -> None:
    assert_error(
        s.raw("size=1"),
        -1102,
        "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        400,
    )
    assert_error(
        s.raw(f"timestamp={NOW}"),
        -1102,
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        400,
    )
    assert_error(
        s.raw(f"timestamp={NOW}&signature="),
        -1102,
        "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        400,
    )


def test_duplicate_parameter(s: Signer) -> None:
    assert_error(
        s.get([("asset", "BNB"), ("asset", "USDT")]), -1101, "Duplicate values for a parameter detected.", 400
    )
    q = s.sign(s.query({}))
    assert_error(s.raw(f"{q}&timestamp={NOW}"), -1101, "Duplicate values for a parameter detected.", 400)


def test_unknown_parameter_ignored_or_refused(s: Signer) -> None:
    assert s.get({"archived": "true"}).status_code == 200  # F12
    alt = _make(Profile(unknown_param="error"))
    assert_error(
        alt.get({"archived": "true"}),
        -1104,
        "Not all sent parameters were read; read '2' parameter(s) but was sent '3'.",
        400,
    )


def test_empty_optional_value_counts_as_not_sent(s: Signer) -> None:
    assert s.get({"asset": "", "size": ""}).json()["total"] == 42


def test_unknown_isolated_symbol(s: Signer) -> None:
    assert s.get({"isolatedSymbol": "XYZUSDT"}).json() == {"rows": [], "total": 0}  # F13
    alt = _make(Profile(unknown_isolated_symbol="error"))
    assert_error(
        alt.get({"isolatedSymbol": "XYZUSDT"}), -11001, "Isolated margin account does not exist.", 400
    )


# --- keys and signatures over HTTP ---


def test_api_key_missing_or_malformed(s: Signer) -> None:
    assert_error(s.get(api_key=None), -2014, "API-key format invalid.", 401)
    assert_error(s.get(api_key="not a key"), -2014, "API-key format invalid.", 401)


def test_unknown_api_key(s: Signer) -> None:
    assert_error(s.get(api_key="A" * 64), -2015, "Invalid API-key, IP, or permissions for action.", 401)


def test_bad_signature(s: Signer) -> None:
    q = s.query({"size": 5})
    assert_error(s.raw(f"{q}&signature={'0' * 64}"), -1022, "Signature for this request is not valid.", 400)
    tampered = s.sign(q).replace("size=5", "size=6")
    assert_error(s.raw(tampered), -1022, "Signature for this request is not valid.", 400)


def test_uppercase_hex_signature_accepted(s: Signer) -> None:
    q = s.query({"size": 1})
    signed = s.sign(q)
    head, sig = signed.rsplit("=", 1)
    assert s.raw(f"{head}={sig.upper()}").status_code == 200


def test_timestamp_errors_over_http(s: Signer) -> None:
    assert_error(s.get(ts=NOW - 5001), -1021, "Timestamp for this request is outside of the recvWindow.", 400)
    assert_error(
        s.get(ts=NOW + 1000), -1021, "Timestamp for this request was 1000ms ahead of the server's time.", 400
    )
    assert s.get({"recvWindow": 10000}, ts=NOW - 9000).status_code == 200
    assert_error(s.get({"recvWindow": 60001}), -1131, "recvWindow must be less than 60000", 400)


def test_account_without_permission_or_margin_account(tmp_path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(
        '{"accounts": [{"apiKey": "reader1", "secret": "s1", "permissions": ["reading"]},'
        ' {"apiKey": "nomargin1", "secret": "s2", "marginAccount": false}]}'
    )
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=5, keys_path=str(keys)), clock=clock)
    client = TestClient(create_app(exchange=ex))
    assert_error(
        Signer(client, "reader1", "s1").get(), -2015, "Invalid API-key, IP, or permissions for action.", 401
    )
    assert_error(Signer(client, "nomargin1", "s2").get(), -3003, "Margin account does not exist.", 400)  # F21


# --- F16: the order of checks, each pair of broken rules ---


def test_order_key_format_before_everything(s: Signer) -> None:
    r = s.raw("timestamp=abc&recvWindow=99999&signature=bad", api_key="bad key")
    assert r.json()["code"] == -2014


def test_order_unknown_key_before_missing_timestamp(s: Signer) -> None:
    assert s.raw("size=1", api_key="B" * 64).json()["code"] == -2015


def test_order_timestamp_before_recv_window(s: Signer) -> None:
    assert s.raw("recvWindow=99999&signature=x").json()["code"] == -1102


def test_order_recv_window_before_timestamp_window(s: Signer) -> None:
    assert s.get({"recvWindow": 99999}, ts=NOW - 10**9).json()["code"] == -1131


def test_order_timestamp_window_before_signature(s: Signer) -> None:
    assert s.raw(f"timestamp={NOW - 10**9}&signature=bad").json()["code"] == -1021


def test_order_signature_before_parameters(s: Signer) -> None:
    assert s.raw(f"size=1000&type=X&timestamp={NOW}&signature=bad").json()["code"] == -1022


def test_order_parameters_before_window(s: Signer) -> None:
    assert s.get({"size": 1000, "startTime": 0}).json()["code"] == -1130


def test_order_duplicates_before_other_parameter_rules(s: Signer) -> None:
    assert s.get([("type", "BAD"), ("size", 1), ("size", 2)]).json()["code"] == -1101


def test_order_parameters_in_page_order(s: Signer) -> None:
    assert s.get({"size": 0, "type": "X"}).json()["msg"] == errors.INVALID_PARAMETER.format("type")
    assert s.get({"size": 0, "startTime": "x"}).json()["code"] == -1100


def test_order_window_before_margin_account(tmp_path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text('{"accounts": [{"apiKey": "nomargin1", "secret": "s2", "marginAccount": false}]}')
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, keys_path=str(keys)), clock=clock)
    r = Signer(TestClient(create_app(exchange=ex)), "nomargin1", "s2").get({"startTime": 0})
    assert r.json()["code"] == -1127


# --- weight and headers (F18) ---


def test_weight_header_counts_every_answer_including_errors(s: Signer) -> None:
    assert s.get().headers["X-SAPI-USED-IP-WEIGHT-1M"] == "1"
    assert s.get(api_key=None).headers["X-SAPI-USED-IP-WEIGHT-1M"] == "2"
    assert s.get().headers["x-sapi-used-ip-weight-1m"] == "3"


def test_weight_limit_429_with_retry_after() -> None:
    s = _make(sapi_weight_limit=3)
    for _ in range(3):
        assert s.get().status_code == 200
    r = s.get()
    assert_error(
        r,
        -1003,
        "Too much request weight used; current limit is 3 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        429,
    )
    assert r.headers["X-SAPI-USED-IP-WEIGHT-1M"] == "4"
    # NOW is 20 s into its minute: 40 s to wait.
    assert r.headers["Retry-After"] == str(60 - (NOW // 1000) % 60)


def test_retry_after_is_exactly_the_wait_until_the_weight_resets() -> None:
    s = _make(sapi_weight_limit=1)
    assert s.get().status_code == 200
    refused = s.get()
    assert_error(
        refused,
        -1003,
        "Too much request weight used; current limit is 1 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
        429,
    )
    wait_ms = int(refused.headers["Retry-After"]) * 1000
    assert wait_ms == 60_000 - NOW % 60_000  # the rest of the minute NOW is in: 40 s
    ex: Exchange = s.client.app.state.exchange  # type: ignore[attr-defined]
    # A client that waits a millisecond less is still refused, and told to wait one more second.
    ex.advance_clock(wait_ms - 1)
    early = s.get(ts=NOW + wait_ms - 1)
    assert (early.status_code, early.json()["code"], early.headers["Retry-After"]) == (429, -1003, "1")
    # One that waits as told gets through, in a new minute with its weight spent once.
    ex.advance_clock(1)
    served = s.get(ts=NOW + wait_ms)
    assert (served.status_code, served.headers["X-SAPI-USED-IP-WEIGHT-1M"]) == (200, "1")


# --- other endpoints, unknown paths and methods ---


def test_ping_time_status(s: Signer) -> None:
    ping = s.client.get("/api/v3/ping")
    assert ping.status_code == 200 and ping.json() == {}
    assert ping.headers["content-type"] == "application/json;charset=UTF-8"
    assert ping.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    assert s.client.get("/api/v3/time").json() == {"serverTime": NOW}
    assert s.client.get("/sapi/v1/system/status").json() == {"status": 0, "msg": "normal"}


def test_unknown_path_and_wrong_method(s: Signer) -> None:
    assert_error(s.client.get("/sapi/v1/nope"), -1099, "Not found, authenticated, or authorized", 404)
    assert_error(
        s.client.post("/sapi/v1/margin/transfer"), -1099, "Not found, authenticated, or authorized", 405
    )


def test_head_answers_like_get_without_body(s: Signer) -> None:
    r = s.client.head("/api/v3/ping")
    assert r.status_code == 200 and r.content == b""
