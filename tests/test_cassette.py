"""Cassettes: the file format, canonical matching, the explained miss, replay through the
exchange's signed checks, and import of recorded rows into a ledger fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers import NOW, PATH, Signer
from starlette.testclient import TestClient

from mock_server.cli import main
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.replay.cassette import (
    CASSETTE_FORMAT,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    canonical_key,
    dumps,
    load_cassette,
    parse_cassette,
    to_fixture,
)
from mock_server.state.accounts import DEMO_API_KEY
from mock_server.state.clock import Clock
from mock_server.state.data import load_fixture

ROWS_BODY = (
    b'{"rows":[{"amount":"0.10000000","asset":"BNB","status":"CONFIRMED","timestamp":1566898617000,'
    b'"txId":5240372201,"type":"ROLL_IN","transFrom":"SPOT","transTo":"ISOLATED_MARGIN"}],"total":1}'
)
ERROR_BODY = b'{"code":-1130,"msg":"Data sent for parameter \'size\' is not valid."}'
BUSY_BODY = b'{"code":-3044,"msg":"System busy."}'


def interaction(
    params: list[tuple[str, str]], status: int = 200, body: bytes = ROWS_BODY, **headers: str
) -> Interaction:
    hdrs = {"content-type": "application/json", "x-sapi-used-ip-weight-1m": "7", **headers}
    return Interaction(RecordedRequest("GET", PATH, tuple(params)), RecordedResponse(status, hdrs, body))


def document(*interactions: Interaction) -> dict[str, Any]:
    return Cassette(list(interactions), upstream="https://api.binance.com").to_dict()


# --- format ---


def test_round_trip_keeps_bytes_order_and_duplicates(tmp_path: Path) -> None:
    odd = b'{"rows":[],"total":0,"note":"caf\xc3\xa9 \\u00e9 \\/"}'  # escapes stay escapes
    binary = b"\xff\xfe not utf-8"
    original = Cassette(
        [
            interaction([("asset", "BNB"), ("asset", "BNB"), ("size", "5")], body=odd),
            interaction([], 502, binary),
        ]
    )
    path = tmp_path / "c.json"
    path.write_text(json.dumps(original.to_dict()))
    loaded = load_cassette(path)
    assert loaded.interactions == original.interactions
    assert loaded.interactions[0].request.params == (("asset", "BNB"), ("asset", "BNB"), ("size", "5"))
    assert "bodyBase64" in loaded.to_dict()["interactions"][1]["response"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(format="vcr"), "'format' must be 'binance-mock/cassette'"),
        (lambda d: d.update(version=2), "unsupported version 2"),
        (lambda d: d.update(interactions={}), "'interactions' must be a list"),
        (
            lambda d: d["interactions"][0]["request"]["params"].append(["signature", "x"]),
            "'signature' must not",
        ),
        (lambda d: d["interactions"][0]["request"]["params"].append(["size"]), "[name, value] string pairs"),
        (lambda d: d["interactions"][0]["response"].update(status=99), "'status' must be an HTTP status"),
        (lambda d: d["interactions"][0]["response"].update(bodyBase64="AA=="), "exactly one of 'body'"),
        (lambda d: d["interactions"][0]["request"].update(path="sapi"), "'path' must start with /"),
    ],
)
def test_a_bad_cassette_is_refused_naming_the_place(mutate: Any, message: str) -> None:
    data = document(interaction([("asset", "BNB")]))
    mutate(data)
    with pytest.raises(ValueError) as err:
        parse_cassette(data, "my.json")
    assert str(err.value).startswith("my.json") and message in str(err.value)


def test_serve_refuses_a_bad_cassette_at_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": CASSETTE_FORMAT, "version": 9, "interactions": []}))
    assert main(["serve", "--port", "1", "--cassette", str(bad)]) == 2
    assert "unsupported version 9" in capsys.readouterr().err


# --- matching ---


def test_canonical_key_ignores_order_and_volatile_params_but_keeps_duplicates() -> None:
    a = canonical_key("GET", PATH, [("size", "5"), ("asset", "BNB"), ("timestamp", "1"), ("signature", "ab")])
    b = canonical_key("HEAD", PATH, [("recvWindow", "9"), ("asset", "BNB"), ("size", "5")])
    assert a == b == ("GET", PATH, (("asset", "BNB"), ("size", "5")))
    assert canonical_key("GET", PATH, [("asset", "BNB"), ("asset", "BNB")]) != canonical_key(
        "GET", PATH, [("asset", "BNB")]
    )


def test_first_recording_of_a_request_wins_and_redacted_values_match_any_value() -> None:
    c = Cassette(
        [
            interaction([("asset", "BNB")], body=b'{"n":1}'),
            interaction([("asset", "BNB")], body=b'{"n":2}'),
            interaction([("asset", "<redacted>"), ("size", "5")], body=b'{"n":3}'),
        ]
    )
    assert c.find("GET", PATH, [("asset", "BNB")]).response.body == b'{"n":1}'  # type: ignore[union-attr]
    hit = c.find("GET", PATH, [("size", "5"), ("asset", "ANYTHING")])
    assert hit is not None and hit.response.body == b'{"n":3}'
    assert c.find("GET", PATH, [("size", "6"), ("asset", "X")]) is None


def test_miss_explains_the_nearest_recording_and_every_difference() -> None:
    c = Cassette(
        [
            interaction([("asset", "BTC"), ("type", "ROLL_OUT"), ("size", "10")]),
            interaction([("asset", "USDT"), ("size", "100"), ("current", "2")]),
        ],
        source="rec.json",
    )
    replay = c.answer(
        "GET", PATH, [("asset", "USDT"), ("size", "50"), ("timestamp", "1"), ("signature", "s")]
    )
    assert replay is not None and (replay.status, replay.code, replay.check) == (404, -1099, "cassette")
    assert replay.msg == (
        "No recorded response for GET /sapi/v1/margin/transfer?asset=USDT&size=50; nearest recording #2 is "
        "GET /sapi/v1/margin/transfer?asset=USDT&size=100&current=2, which differs: "
        "current: not sent, recorded '2'; size: sent '50', recorded '100'"
    )
    assert json.loads(replay.body) == {"code": -1099, "msg": replay.msg}
    assert "signature" not in replay.msg and "timestamp" not in replay.msg
    assert c.answer("GET", PATH, [("asset", "X")], on_miss="ledger") is None
    assert "holds no recordings" in (Cassette(source="e.json").answer("GET", PATH, []).msg or "")  # type: ignore[union-attr]


def test_sequence_serves_recordings_in_order_ignoring_the_window_and_repeats_the_last() -> None:
    c = Cassette(
        [
            interaction([("asset", "BTC"), ("startTime", "1"), ("endTime", "2")], body=b'{"n":1}'),
            interaction([("asset", "ETH"), ("startTime", "1"), ("endTime", "2")], body=b'{"n":9}'),
            interaction([("asset", "BTC"), ("startTime", "3"), ("endTime", "4")], body=b'{"n":2}'),
        ],
        match="sequence",
    )

    def body(asset: str, start: str) -> bytes | None:
        hit = c.find("GET", PATH, [("asset", asset), ("startTime", start), ("endTime", "99")])
        return None if hit is None else hit.response.body

    assert [body("BTC", "7"), body("ETH", "7"), body("BTC", "8"), body("BTC", "9")] == [
        b'{"n":1}', b'{"n":9}', b'{"n":2}', b'{"n":2}',
    ]  # fmt: skip
    assert c.find("GET", PATH, [("asset", "BTC")], repeat_last=False) is None  # used up: a proxy forwards
    c.rewind()
    assert body("BTC", "0") == b'{"n":1}'
    assert body("DOGE", "0") is None
    assert (
        Cassette(c.interactions).find("GET", PATH, [("asset", "BTC"), ("startTime", "3"), ("endTime", "4")])
        == (c.interactions[2])
    )  # the params matcher still tells windows apart


def test_a_sequence_miss_names_the_nearest_recording_without_the_window() -> None:
    c = Cassette([interaction([("asset", "BTC"), ("startTime", "1"), ("size", "10")])], match="sequence")
    replay = c.answer("GET", PATH, [("asset", "BTC"), ("startTime", "5"), ("size", "50")])
    assert replay is not None and replay.code == -1099
    assert replay.msg is not None and replay.msg.endswith(
        "which differs: size: sent '50', recorded '10' (--match sequence compares neither startTime nor endTime)"
    )


def test_re_recording_replaces_the_earlier_recordings_of_a_request_only() -> None:
    old_btc, old_eth = interaction([("asset", "BTC")], body=b'{"n":1}'), interaction([("asset", "ETH")])
    c = Cassette([old_btc, interaction([("asset", "BTC")], body=b'{"n":2}'), old_eth], match="sequence")
    new_btc = [interaction([("asset", "BTC")], body=b'{"n":%d}' % n) for n in (3, 4)]
    for i in new_btc:
        c.record(i, replace_earlier=True)
    assert c.interactions == [old_eth, *new_btc]  # both new ones kept: one run's sequence
    c.rewind()
    assert c.find("GET", PATH, [("asset", "BTC")]) is new_btc[0]


def test_a_reset_starts_every_sequence_over() -> None:
    cassette = Cassette(
        [interaction([("asset", "BNB"), ("size", "5")], body=b'{"rows":[],"total":%d}' % n) for n in (1, 2)],
        match="sequence",
    )
    clock = Clock()
    clock.freeze(NOW)
    exchange = Exchange(Settings(anchor_ms=NOW, rows=5, cassette=cassette), clock=clock)
    signer = Signer(TestClient(create_app(exchange=exchange)))
    totals = [signer.get({"asset": "BNB", "size": 5}).json()["total"] for _ in range(3)]
    exchange.reset()
    assert [*totals, signer.get({"asset": "BNB", "size": 5}).json()["total"]] == [1, 2, 2, 1]


# --- replay through the exchange ---


@pytest.fixture
def replay() -> tuple[Exchange, Signer]:
    cassette = Cassette(
        [
            interaction(
                [("asset", "BNB"), ("size", "5")], **{"content-type": "application/json;charset=UTF-8"}
            ),
            interaction([("size", "500")], 400, ERROR_BODY),
            interaction([("asset", "LUNA")], 400, BUSY_BODY),
        ]
    )
    clock = Clock()
    clock.freeze(NOW)
    exchange = Exchange(Settings(anchor_ms=NOW, rows=50, cassette=cassette), clock=clock)
    return exchange, Signer(TestClient(create_app(exchange=exchange)))


def test_a_recorded_request_replays_its_bytes_whatever_the_order_timestamp_or_recvwindow(
    replay: tuple[Exchange, Signer],
) -> None:
    exchange, signer = replay
    for params, ts in (
        ([("asset", "BNB"), ("size", "5")], NOW),
        ([("size", "5"), ("recvWindow", "10000"), ("asset", "BNB")], NOW - 3_000),
    ):
        r = signer.get(params, ts=ts)
        assert r.status_code == 200 and r.content == ROWS_BODY
        assert r.headers["content-type"] == "application/json;charset=UTF-8"  # as recorded
    # The weight counter is the mock's own (2 calls), never the recorded "7".
    assert r.headers["x-sapi-used-ip-weight-1m"] == "2"
    assert [e.check for e in exchange.requests()] == ["replay", "replay"]


def test_a_recorded_error_replays_the_error(replay: tuple[Exchange, Signer]) -> None:
    exchange, signer = replay
    r = signer.get({"asset": "LUNA"})
    assert r.status_code == 400 and r.content == BUSY_BODY
    entry = exchange.requests()[-1]
    assert (entry.code, entry.check) == (-3044, "replay")


def test_the_mocks_own_parameter_rules_answer_before_a_recording(replay: tuple[Exchange, Signer]) -> None:
    # size=500 is on file, but parameters are checked before any source answers (F16).
    exchange, signer = replay
    r = signer.get({"size": 500})
    assert r.status_code == 400 and r.content == ERROR_BODY
    assert exchange.requests()[-1].check == "parameter"


def test_paths_the_cassette_never_recorded_are_answered_by_the_mock(replay: tuple[Exchange, Signer]) -> None:
    exchange, signer = replay
    r = signer.client.get("/api/v3/time")
    assert r.status_code == 200 and r.json() == {"serverTime": NOW}
    assert exchange.requests()[-1].check == "ok"


def test_injected_faults_and_pacing_apply_to_replayed_answers(replay: tuple[Exchange, Signer]) -> None:
    exchange, signer = replay
    exchange.add_fault({"code": -21003, "times": 1})
    assert signer.get([("asset", "BNB"), ("size", "5")]).json()["code"] == -21003
    assert signer.get([("asset", "BNB"), ("size", "5")]).content == ROWS_BODY
    exchange.set_pacing(500)
    assert signer.get([("asset", "BNB"), ("size", "5")]).content == ROWS_BODY
    assert signer.get([("asset", "BNB"), ("size", "5")]).json()["code"] == -21003  # same instant


@pytest.mark.parametrize(
    ("how", "code"),
    [("signature", -1022), ("timestamp", -1021), ("key", -2015)],
)
def test_replay_still_checks_key_timestamp_and_signature(
    replay: tuple[Exchange, Signer], how: str, code: int
) -> None:
    _, signer = replay
    query = signer.query({"asset": "BNB", "size": 5}, ts=NOW - 60_000 if how == "timestamp" else NOW)
    signed = signer.sign(query)
    if how == "signature":
        signed = f"{query}&signature={'0' * 64}"
    r = signer.raw(signed, api_key="SomeoneElse1" if how == "key" else "")
    assert r.json()["code"] == code and r.content != ROWS_BODY


def test_a_miss_is_an_explained_error_or_falls_back_to_the_ledger() -> None:
    cassette = Cassette([interaction([("asset", "BNB"), ("size", "5")])])
    clock = Clock()
    clock.freeze(NOW)
    for on_miss, status in (("error", 404), ("ledger", 200)):
        exchange = Exchange(Settings(anchor_ms=NOW, rows=50, cassette=cassette, on_miss=on_miss), clock=clock)
        r = Signer(TestClient(create_app(exchange=exchange))).get({"asset": "BTC", "size": 5})
        assert r.status_code == status
        if on_miss == "error":
            assert r.json()["code"] == -1099 and "asset: sent 'BTC', recorded 'BNB'" in r.json()["msg"]
        else:
            assert all(row["asset"] == "BTC" for row in r.json()["rows"])


# --- import ---


def _row(tx_id: int, ts: int, asset: str = "BNB") -> dict[str, Any]:
    return {"amount": "1.00000000", "asset": asset, "status": "CONFIRMED", "timestamp": ts, "txId": tx_id,
            "type": "ROLL_IN", "transFrom": "SPOT", "transTo": "CROSS_MARGIN"}  # fmt: skip


def _page(*rows: dict[str, Any]) -> bytes:
    return json.dumps({"rows": list(rows), "total": len(rows)}, separators=(",", ":")).encode()


def test_import_collects_rows_once_and_skips_errors_and_other_paths() -> None:
    c = Cassette(
        [
            interaction([("current", "1")], body=_page(_row(3, 30), _row(2, 20))),
            interaction([("current", "2")], body=_page(_row(2, 20), _row(1, 10))),  # a repeat across pages
            interaction([("size", "500")], 400, ERROR_BODY),
            Interaction(
                RecordedRequest("GET", "/api/v3/time", ()), RecordedResponse(200, {}, b'{"serverTime":1}')
            ),
        ]
    )
    fixture = to_fixture(c, PATH)
    assert [r["txId"] for r in fixture["rows"]] == [3, 2, 1]
    assert to_fixture(c, PATH, api_key="abc")["accounts"] == [{"apiKey": "abc", "rows": fixture["rows"]}]


def test_import_refuses_rows_the_mock_could_not_load() -> None:
    bad = _row(1, 10) | {"amount": "1.5"}
    with pytest.raises(ValueError, match=r"rows\[0\]: field 'amount' is not valid"):
        to_fixture(Cassette([interaction([], body=_page(bad))]), PATH)


def test_cassette_import_command_writes_a_fixture_the_mock_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "c.json"
    cassette.write_text(json.dumps(document(interaction([], body=_page(_row(7, NOW - 1_000, "ETH"))))))
    out = tmp_path / "f.json"
    assert main(["cassette", "import", str(cassette), "--out", str(out)]) == 0
    assert load_fixture(out, DEMO_API_KEY)[DEMO_API_KEY][0].tx_id == 7
    assert "wrote 1 row(s)" in capsys.readouterr().out
    assert main(["cassette", "import", str(cassette), "--out", str(out)]) == 1  # no --force
    assert "exists; pass --force" in capsys.readouterr().err
    assert main(["cassette", "import", str(tmp_path / "none.json"), "--out", str(out), "--force"]) == 1


def test_the_documented_example_cassette_loads_and_replays() -> None:
    example = Path(__file__).parent.parent / "fixtures" / "doc-example.cassette.json"
    cassette = load_cassette(example)
    clock = Clock()
    clock.freeze(NOW)
    exchange = Exchange(Settings(anchor_ms=NOW, rows=5, cassette=cassette), clock=clock)
    signer = Signer(TestClient(create_app(exchange=exchange)))
    ok = signer.get([("endTime", 1566950399999), ("asset", "BNB"), ("startTime", 1564617600000)])
    assert ok.status_code == 200 and ok.json()["rows"][0]["txId"] == 5240372201
    assert signer.get({"size": 500}).json()["code"] == -1130
    assert example.read_bytes() == dumps(cassette.to_dict())  # the file is in the canonical layout


def test_serve_flags_reach_the_settings() -> None:
    import argparse

    from mock_server import cli

    parser = argparse.ArgumentParser()
    cli._serve_parser(parser.add_subparsers())
    example = str(Path(__file__).parent.parent / "fixtures" / "doc-example.cassette.json")
    settings = cli.build_settings(parser.parse_args(["serve", "--cassette", example, "--on-miss", "ledger"]))
    assert settings.on_miss == "ledger" and settings.cassette is not None
    assert len(settings.cassette.interactions) == 2
    plain = cli.build_settings(parser.parse_args(["serve"]))
    assert plain.cassette is None and plain.on_miss == "error"
