"""The mock records the app's own traffic through a proxy (record modes new and all),
and replays it the next day with --match sequence. The upstream is a second mock throughout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import pytest
import requests
from binance.error import ClientError
from binance.spot import Spot
from helpers import free_port, serve_process

from mock_server import MockBinance
from mock_server.cli import main
from mock_server.replay.cassette import load_cassette
from mock_server.replay.recorder import WRITE_PAUSE_ENV
from mock_server.rules.fidelity import DAY_MS, MAX_WINDOW_MS
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET

PATH = "/sapi/v1/margin/transfer"
ANCHOR = int(time.time() * 1000) - DAY_MS  # the upstream's newest row: a day ago
KEY = "CANARYKEY" + "p0o9i8u7y6t5r4e3" * 3 + "CANARY2"
SECRET = "CANARYSECRET-" + "m1n2b3v4c5x6z7l8" * 2


def export(spot: Spot, asset: str, now_ms: int, days: int) -> str:
    """The app under test: every transfer of `asset` in the `days` before `now_ms`, as an
    accounting tool exports them: 30-day windows back from now, each paged by 100."""
    rows: list[dict[str, Any]] = []
    start, end = now_ms - days * DAY_MS, now_ms
    while end > start:
        begin = max(start, end - MAX_WINDOW_MS)
        current = 1
        while True:
            page = spot.margin_transfer_history(
                asset=asset, startTime=begin, endTime=end, current=current, size=100
            )
            rows += page["rows"]
            if len(page["rows"]) < 100 or current * 100 >= page["total"]:
                break
            current += 1
        end = begin - 1
    return json.dumps(rows, sort_keys=True)


def spot(base_url: str, key: str = DEMO_API_KEY, secret: str = DEMO_SECRET) -> Spot:
    return Spot(api_key=key, api_secret=secret, base_url=base_url)


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockBinance]:
    with MockBinance(rows=3000, anchor_ms=ANCHOR) as mock:
        yield mock


def margin_calls(mock: MockBinance) -> int:
    return len(mock.requests(PATH))


def test_record_the_app_then_replay_it_a_day_later_with_sequence_matching(
    upstream: MockBinance, tmp_path: Path
) -> None:
    cassette = tmp_path / "app.cassette.json"
    direct = export(spot(upstream.base_url), "BTC", ANCHOR, days=60)
    assert len(json.loads(direct)) > 100  # pages and two windows, or the test proves little
    with MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy:
        recorded = export(spot(proxy.base_url), "BTC", ANCHOR, days=60)
        assert {e["check"] for e in proxy.requests()} == {"upstream"}
    assert recorded == direct  # exactly what the upstream gives
    with MockBinance(cassette=str(cassette), match="sequence") as replay:
        tomorrow = export(spot(replay.base_url), "BTC", ANCHOR + DAY_MS, days=60)
        journal = replay.requests(PATH)
    assert [e["code"] for e in journal if e["code"] is not None] == []  # 0 misses
    assert {e["check"] for e in journal} == {"replay"}
    assert tomorrow == direct  # the same export, byte for byte


def test_a_params_cassette_misses_the_next_day_and_names_what_differs(
    upstream: MockBinance, tmp_path: Path
) -> None:
    cassette = tmp_path / "app.cassette.json"
    with MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy:
        export(spot(proxy.base_url), "BTC", ANCHOR, days=10)
    with MockBinance(cassette=str(cassette)) as replay, pytest.raises(ClientError) as caught:
        export(spot(replay.base_url), "BTC", ANCHOR + DAY_MS, days=10)
    assert caught.value.error_code == -1099 and "endTime: sent" in caught.value.error_message


def test_new_mode_forwards_only_what_the_cassette_lacks(upstream: MockBinance, tmp_path: Path) -> None:
    cassette = tmp_path / "app.cassette.json"
    with MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy:
        before = margin_calls(upstream)
        export(spot(proxy.base_url), "BTC", ANCHOR, days=30)
        first_run = margin_calls(upstream) - before
    with MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy:
        before = margin_calls(upstream)
        wider = export(spot(proxy.base_url), "BTC", ANCHOR, days=60)
        forwarded = margin_calls(upstream) - before
        checks = [e["check"] for e in proxy.requests(PATH)]
    assert checks.count("replay") == first_run  # the first 30 days come from the cassette
    assert forwarded == checks.count("upstream") >= 1  # only the older window went upstream
    assert wider == export(spot(upstream.base_url), "BTC", ANCHOR, days=60)
    assert len(load_cassette(cassette).interactions) == first_run + forwarded


def test_every_operation_records_and_replays(upstream: MockBinance, tmp_path: Path) -> None:
    cassette = tmp_path / "spec.cassette.json"
    with MockBinance(cassette=str(cassette), record_mode="all", upstream=upstream.base_url) as proxy:
        client = spot(proxy.base_url)
        recorded = [client.account(), client.margin_account(), client.time(), client.ping()]
    paths = [i.request.path for i in load_cassette(cassette).interactions]
    assert paths == ["/api/v3/account", "/sapi/v1/margin/account"]  # the clock is never recorded
    with MockBinance(cassette=str(cassette), rows=5, seed=99) as replay:  # its own data differs
        client = spot(replay.base_url)
        replay.freeze_clock(ANCHOR)
        assert [client.account(), client.margin_account(), client.ping()] == [*recorded[:2], {}]
        assert client.time() == {"serverTime": ANCHOR}  # the replaying mock's own clock


def test_a_client_that_syncs_its_clock_replays_a_recording_made_a_day_earlier(tmp_path: Path) -> None:
    """The server time is the mock's own on replay, never the recorded one."""
    from binance_mock.client_under_test import HmacSigner, MarginClient

    cassette = tmp_path / "synced.cassette.json"
    window = {"asset": "BTC", "start_ms": ANCHOR - 20 * DAY_MS, "end_ms": ANCHOR, "size": 10}
    # Recorded "yesterday": the upstream's clock runs a day behind this machine's.
    with MockBinance(rows=500, anchor_ms=ANCHOR) as yesterday:
        yesterday.shift_clock(-DAY_MS)
        with MockBinance(cassette=str(cassette), record_mode="new", upstream=yesterday.base_url) as proxy:
            with MarginClient(DEMO_API_KEY, HmacSigner(DEMO_SECRET), proxy.base_url, sync_time=True) as app:
                assert abs(app.time_offset_ms + DAY_MS) < 60_000  # synced to the upstream
                recorded = app.transfers(**window)
            assert [e["path"] for e in proxy.requests()] == ["/api/v3/time", PATH]
    assert len(recorded.rows) == 10
    with MockBinance(cassette=str(cassette), match="sequence") as replay:
        with MarginClient(DEMO_API_KEY, HmacSigner(DEMO_SECRET), replay.base_url, sync_time=True) as app:
            assert abs(app.time_offset_ms) < 60_000  # synced to the replaying mock
            assert app.transfers(**window) == recorded
        checks = [(e["path"], e["check"]) for e in replay.requests()]
    assert checks == [("/api/v3/time", "ok"), (PATH, "replay")]
    assert [i.request.path for i in load_cassette(cassette).interactions] == [PATH]  # time not recorded


def test_a_time_recorded_by_an_older_version_is_never_replayed(tmp_path: Path) -> None:
    stale = {"serverTime": ANCHOR - 400 * DAY_MS}
    cassette = tmp_path / "old.cassette.json"
    cassette.write_text(json.dumps({"format": "binance-mock/cassette", "version": 1, "interactions": [
        {"request": {"method": "GET", "path": "/api/v3/time", "params": []},
         "response": {"status": 200, "headers": {}, "body": json.dumps(stale)}},
        {"request": {"method": "GET", "path": "/api/v3/ping", "params": []},
         "response": {"status": 418, "headers": {}, "body": '{"code":-1003,"msg":"banned"}'}},
    ]}))  # fmt: skip
    for match in ("params", "sequence"):
        with MockBinance(cassette=str(cassette), match=match) as mock:
            mock.freeze_clock(ANCHOR)
            assert requests.get(f"{mock.base_url}/api/v3/time", timeout=10).json() == {"serverTime": ANCHOR}
            assert requests.get(f"{mock.base_url}/api/v3/ping", timeout=10).json() == {}
    # Recording: the app's signed calls go upstream, so its clock is the upstream's.
    with (
        MockBinance(rows=5) as upstream,
        MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy,
    ):
        upstream.freeze_clock(ANCHOR + 1)
        assert requests.get(f"{proxy.base_url}/api/v3/time", timeout=10).json() == {"serverTime": ANCHOR + 1}
        assert [e["check"] for e in proxy.requests()] == ["upstream"]
    assert len(load_cassette(cassette).interactions) == 2  # kept in the file as they were


def test_all_mode_re_records_and_keeps_other_recordings(upstream: MockBinance, tmp_path: Path) -> None:
    cassette = tmp_path / "app.cassette.json"
    with MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy:
        spot(proxy.base_url).margin_transfer_history(asset="BTC", size=3)
        spot(proxy.base_url).margin_transfer_history(asset="ETH", size=3)
    old = load_cassette(cassette).interactions
    upstream.add_transfers([{"amount": "1.00000000", "asset": "BTC", "status": "CONFIRMED",
                             "timestamp": upstream.now_ms(), "txId": 999_000_001, "type": "ROLL_IN"}])  # fmt: skip
    try:
        with MockBinance(cassette=str(cassette), record_mode="all", upstream=upstream.base_url) as proxy:
            fresh = spot(proxy.base_url).margin_transfer_history(asset="BTC", size=3)
            assert fresh["rows"][0]["txId"] == 999_000_001  # forwarded, not replayed
    finally:
        upstream.exchange.reset()
    now = load_cassette(cassette).interactions
    assert [i.request.params for i in now] == [old[1].request.params, old[0].request.params]
    assert now[0] == old[1]  # the ETH recording is untouched
    assert json.loads(now[1].response.body) == fresh  # the BTC one re-recorded


def test_concurrent_requests_are_all_recorded_whole(upstream: MockBinance, tmp_path: Path) -> None:
    cassette = tmp_path / "busy.cassette.json"
    with MockBinance(cassette=str(cassette), record_mode="all", upstream=upstream.base_url) as proxy:
        client = spot(proxy.base_url)
        # A fixed 30-day window: the default 7 days ending now hold a count of rows that shrinks
        # as the clock moves (near 20 BTC rows here), which a size could outgrow.
        window = {"startTime": ANCHOR - MAX_WINDOW_MS, "endTime": ANCHOR}
        with ThreadPoolExecutor(8) as pool:
            pages = list(
                pool.map(
                    lambda n: client.margin_transfer_history(asset="BTC", size=n, **window), range(1, 25)
                )
            )
    assert [len(p["rows"]) for p in pages] == list(range(1, 25))
    recorded = load_cassette(cassette).interactions
    assert len(recorded) == 24
    for i in recorded:  # each answer beside its own request
        assert len(json.loads(i.response.body)["rows"]) == int(dict(i.request.params)["size"])


def test_upstream_errors_reach_the_app_as_given_and_are_recorded(
    upstream: MockBinance, tmp_path: Path
) -> None:
    cassette = tmp_path / "errors.cassette.json"
    with MockBinance(cassette=str(cassette), record_mode="new", upstream=upstream.base_url) as proxy:
        upstream.inject(-1003, times=1, retry_after=17)
        query = signed_query([("asset", "BTC")])
        r = requests.get(
            f"{proxy.base_url}{PATH}?{query}", headers={"X-MBX-APIKEY": DEMO_API_KEY}, timeout=10
        )
    assert r.status_code == 429 and r.headers["Retry-After"] == "17" and r.json()["code"] == -1003
    (kept,) = load_cassette(cassette).interactions
    assert kept.response.status == 429 and kept.response.headers["retry-after"] == "17"


def test_an_unreachable_upstream_is_a_clear_error_naming_it_and_nothing_is_recorded(tmp_path: Path) -> None:
    cassette = tmp_path / "none.cassette.json"
    gone = f"http://127.0.0.1:{free_port()}"
    with MockBinance(cassette=str(cassette), record_mode="all", upstream=gone) as proxy:
        r = requests.get(f"{proxy.base_url}/api/v3/time", timeout=10)
        entry = proxy.requests()[-1]
        health = requests.get(f"{proxy.base_url}/_mock/health", timeout=10).json()
    assert health["cassette"] == {
        "source": str(cassette), "match": "params", "recordMode": "all", "upstream": gone, "interactions": 0,
    }  # fmt: skip
    assert r.status_code == 502 and r.json()["code"] == -1001
    assert gone in r.json()["msg"] and "unreachable" in r.json()["msg"]
    assert entry["check"] == "upstream" and entry["code"] == -1001
    assert load_cassette(cassette).interactions == []


def test_a_slow_upstream_times_out_with_a_clear_error(upstream: MockBinance, tmp_path: Path) -> None:
    cassette = tmp_path / "slow.cassette.json"
    with MockBinance(
        cassette=str(cassette), record_mode="all", upstream=upstream.base_url, upstream_timeout_s=0.3
    ) as proxy:
        upstream.inject(delay_ms=2_000, times=1, match={"path": "/api/v3/time"})
        try:
            r = requests.get(f"{proxy.base_url}/api/v3/time", timeout=4)  # a hang fails here
        finally:
            upstream.clear_faults()
    assert r.status_code == 504 and r.json()["code"] == -1007
    assert upstream.base_url in r.json()["msg"] and "0.3 s" in r.json()["msg"]
    assert load_cassette(cassette).interactions == []


def signed_query(params: list[tuple[str, str]], secret: str = DEMO_SECRET) -> str:
    query = urlencode([*params, ("timestamp", str(int(time.time() * 1000)))])
    return f"{query}&signature={sign_hmac(secret, query.encode())}"


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), secret.lower(), secret.upper()}


def test_a_canary_key_and_secret_reach_no_cassette_log_or_journal(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": KEY, "secret": SECRET}]}))
    cassette, log = tmp_path / "canary.cassette.json", tmp_path / "proxy.log"
    with MockBinance(rows=300, anchor_ms=ANCHOR, keys_path=str(keys)) as canary_upstream:
        args = ["--cassette", str(cassette), "--record-mode", "new", "--upstream", canary_upstream.base_url]
        with serve_process(*args, "--log-level", "debug", log=log) as proxy:
            app = spot(proxy, KEY, SECRET)
            rows = json.loads(export(app, "BTC", ANCHOR, days=40))
            app.account()
            with pytest.raises(ClientError) as refused:  # an error answer is recorded too
                spot(proxy, KEY, "not-the-secret").margin_account()
            assert refused.value.error_code == -1022
            proxy_journal = requests.get(f"{proxy}/_mock/requests", timeout=5).text
        upstream_journal = json.dumps(canary_upstream.requests())
    assert rows and len(load_cassette(cassette).interactions) >= 4
    for where, text in {
        "cassette": cassette.read_text(),
        "proxy log": log.read_text(errors="replace"),
        "proxy journal": proxy_journal,
        "upstream journal": upstream_journal,
    }.items():
        for secret in (KEY, SECRET):
            assert not any(form in text for form in forms(secret)), f"{secret[:9]} leaked into the {where}"
    assert "recording (new) into" in log.read_text()


def test_sigkill_while_recording_leaves_a_valid_cassette(upstream: MockBinance, tmp_path: Path) -> None:
    cassette = tmp_path / "killed.cassette.json"
    port = free_port()
    env = {**os.environ, WRITE_PAUSE_ENV: "0.02"}  # every 4 KiB written waits: a kill lands mid-write
    args = [
        "--port",
        str(port),
        "--cassette",
        str(cassette),
        "--record-mode",
        "all",
        "--upstream",
        upstream.base_url,
    ]
    proc = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not cassette.exists() or not _up(base):
            assert proc.poll() is None and time.monotonic() < deadline, "the proxy did not start"
            time.sleep(0.05)
        client = spot(base)
        with ThreadPoolExecutor(4) as pool:
            pending = [
                pool.submit(
                    client.margin_transfer_history,
                    asset="BTC",
                    size=100,
                    current=n,
                    startTime=ANCHOR - MAX_WINDOW_MS,
                    endTime=ANCHOR,
                )  # full pages: long writes
                for n in range(1, 9)
            ]
            while len(load_cassette(cassette).interactions) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            for f in pending:
                f.exception(timeout=30)  # the rest fail with the connection: the point is the file
    finally:
        if proc.poll() is None:
            proc.kill()
    survived = load_cassette(cassette).interactions  # valid JSON, every interaction whole
    assert 2 <= len(survived) <= 8
    for i in survived:
        assert json.loads(i.response.body)["total"] >= 0


def _up(base: str) -> bool:
    try:
        return requests.get(f"{base}/_mock/health", timeout=0.5).ok
    except requests.ConnectionError:
        return False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--record-mode", "new"], "--record-mode new records into a cassette: add --cassette PATH"),
        (["--record-mode", "all", "--cassette", "{c}"], "--record-mode all forwards to an upstream: add --upstream URL"),
        (["--upstream", "http://127.0.0.1:1"], "--upstream URL is used only when recording"),
        (["--redact", "x", "--cassette", "{c}"], "--redact is used only when recording"),
        (["--match", "sequence"], "--match chooses how a cassette matches: add --cassette PATH"),
        (["--record-mode", "new", "--cassette", "{c}", "--upstream", "ftp://x"], "--upstream 'ftp://x': expected http(s)://host[:port]"),
        (["--record-mode", "new", "--cassette", "{c}", "--upstream", "http://h", "--on-miss", "ledger"], "--on-miss applies to replay only"),
        (["--record-mode", "new", "--cassette", "{c}", "--upstream", "http://127.0.0.1:{port}"], "is this mock itself"),
        (["--record-mode", "new", "--cassette", "{c}.d/no/c.json", "--upstream", "http://h"],
         "no/c.json: cannot record into this file (No such file or directory)"),
    ],
)  # fmt: skip
def test_serve_refuses_recording_options_that_could_never_act(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    cassette = tmp_path / "c.json"
    cassette.write_text(json.dumps({"format": "binance-mock/cassette", "version": 1, "interactions": []}))
    argv = [a.format(c=cassette, port=port) for a in argv]
    assert main(["serve", "--port", str(port), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_the_python_api_names_its_own_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"record_mode='new' forwards to an upstream: add upstream=URL"):
        MockBinance(cassette=str(tmp_path / "c.json"), record_mode="new")
    with pytest.raises(
        ValueError, match=r"record_mode='sometimes': the record mode is one of none, new, all"
    ):
        MockBinance(cassette=str(tmp_path / "c.json"), record_mode="sometimes")
    with pytest.raises(ValueError, match=r"match must be one of params, sequence; got 'fuzzy'"):
        MockBinance(cassette=str(tmp_path / "c.json"), match="fuzzy")
