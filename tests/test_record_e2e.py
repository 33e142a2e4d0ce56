"""Recording end to end: record from a second mock with a canary key, find no secret anywhere,
replay byte for byte to a client signing with other keys and timestamps, survive SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

import pytest
import requests
from helpers import serve_process

from mock_server import MockBinance
from mock_server.cli import main
from mock_server.replay import recorder
from mock_server.replay.cassette import load_cassette
from mock_server.replay.recorder import WRITE_PAUSE_ENV
from mock_server.rules.fidelity import DAY_MS, MAX_WINDOW_MS
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET

ANCHOR = 1_700_000_000_000
KEY = "CANARYKEY" + "q7w8e9r0t1y2u3i4" * 3 + "CANARY1"
SECRET = "CANARYSECRET-" + "z9x8c7v6b5n4m3l2" * 2
PATH = "/sapi/v1/margin/transfer"
ROOT = Path(__file__).resolve().parent.parent


class SpySession(requests.Session):
    """What the recorder sent, and when: the test must know every signature to look for it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[float, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append((time.monotonic(), request.url or ""))
        return super().send(request, **kwargs)


def signatures(urls: list[str]) -> list[str]:
    return [v for url in urls for k, v in parse_qsl(urlsplit(url).query) if k == "signature"]


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), secret.upper()}


def assert_clean(where: str, text: str, secrets: list[str]) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"a secret ({secret[:6]}...) leaked into {where}"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockBinance]:
    keys = tmp_path_factory.mktemp("canary") / "keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": KEY, "secret": SECRET}]}))
    with MockBinance(rows=600, anchor_ms=ANCHOR, keys_path=str(keys)) as mock:
        yield mock


@contextmanager
def serve(log: Path, *args: str) -> Iterator[str]:
    """`binance-mock serve` as its own process, its output kept in `log` for the leak check."""
    with serve_process(*args, log=log) as base:
        yield base


def signed_get(
    base: str, params: list[tuple[str, str]], key: str, secret: str, **extra: str
) -> requests.Response:
    query = urlencode([*params, *extra.items(), ("timestamp", str(int(time.time() * 1000)))])
    sig = sign_hmac(secret, query.encode())
    return requests.get(f"{base}{PATH}?{query}&signature={sig}", headers={"X-MBX-APIKEY": key}, timeout=5)


def test_canary_recording_leaks_nothing_and_replays_byte_identical_bodies(
    upstream: MockBinance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    spy = SpySession()
    monkeypatch.setattr(recorder, "new_session", lambda: spy)
    monkeypatch.setenv("BINANCE_API_KEY", KEY)  # credentials from the environment, not argv
    monkeypatch.setenv("BINANCE_API_SECRET", SECRET)
    cassette_path = tmp_path / "canary.json"
    start, end = ANCHOR - 40 * DAY_MS, ANCHOR
    argv = ["record", "--upstream", upstream.base_url, "--out", str(cassette_path), "--all-pages"]
    assert main([*argv, "--start", str(start), "--end", str(end), "--recv-window", "20000"]) == 0
    recorded_out, recorded_err = capfd.readouterr()

    # Windows of 30 + 10 days, each paged by 100 until its total is covered, 2 requests per second.
    stamps = [r["timestamp"] for r in upstream.transfers()]
    cut = start + MAX_WINDOW_MS
    in_windows = [sum(start <= t <= cut for t in stamps), sum(cut < t <= end for t in stamps)]
    pages = sum(max(1, -(-n // 100)) for n in in_windows)
    times = [t for t, _ in spy.sent]
    assert len(times) == pages >= 3 and all(b - a >= 0.5 for a, b in pairwise(times))
    sent_signatures = signatures([u for _, u in spy.sent])
    assert len(set(sent_signatures)) == pages

    cassette = load_cassette(cassette_path)
    replayer_log = tmp_path / "replayer.log"
    client_signatures: list[str] = []
    with serve(replayer_log, "--cassette", str(cassette_path)) as replayer:
        for n, interaction in enumerate(cassette.interactions):
            params = list(interaction.request.params)
            direct = signed_get(upstream.base_url, params, KEY, SECRET)
            # The client under test: the replayer's own demo key, a later timestamp, another order.
            extra = {"recvWindow": "7000"} if n % 2 else {}
            replayed = signed_get(replayer, params[::-1], DEMO_API_KEY, DEMO_SECRET, **extra)
            client_signatures += signatures([replayed.url])
            assert direct.status_code == replayed.status_code == 200
            assert replayed.content == direct.content == interaction.response.body
            assert replayed.headers["content-type"] == direct.headers["content-type"]
        miss = signed_get(replayer, [("asset", "NOPE")], DEMO_API_KEY, DEMO_SECRET)
        assert miss.status_code == 404 and miss.json()["code"] == -1099
        assert "asset: sent 'NOPE', not recorded" in miss.json()["msg"]
        bad = signed_get(replayer, list(cassette.interactions[0].request.params), KEY, SECRET)
        assert bad.json()["code"] == -2015  # the replayer does not know the canary key
        replayer_journal = requests.get(f"{replayer}/_mock/requests", timeout=5).text

    secrets = [KEY, SECRET, *sent_signatures, *client_signatures]
    assert_clean("the cassette", cassette_path.read_text(), secrets)
    assert_clean("the recorder's stdout", recorded_out, secrets)
    assert_clean("the recorder's stderr", recorded_err, secrets)
    assert_clean("the upstream's journal", json.dumps(upstream.requests()), secrets)
    assert_clean("the replayer's journal", replayer_journal, secrets)
    assert_clean("the replayer's log", replayer_log.read_text(errors="replace"), secrets)
    assert f"wrote {pages} recorded request(s)" in recorded_out and "-> 200" in recorded_err


def test_redacted_values_are_scrubbed_and_match_any_value_on_replay(
    upstream: MockBinance, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.json"
    argv = [
        "record",
        "--upstream",
        upstream.base_url,
        "--api-key",
        KEY,
        "--secret",
        SECRET,
        "--out",
        str(out),
    ]
    span = ["--param", f"startTime={ANCHOR - 20 * DAY_MS}", "--param", f"endTime={ANCHOR}"]
    assert main([*argv, "--param", "asset=BTC", *span, "--redact", "BTC"]) == 0
    text = out.read_text()
    assert "BTC" not in text and "BTC" not in capfd.readouterr().err
    assert ("asset", "<redacted>") in load_cassette(out).interactions[0].request.params
    with MockBinance(rows=5, cassette=str(out)) as replayer:
        params = [("asset", "ETH"), ("startTime", str(ANCHOR - 20 * DAY_MS)), ("endTime", str(ANCHOR))]
        r = signed_get(replayer.base_url, params, replayer.api_key, replayer.secret or "")
        assert r.status_code == 200 and r.content == load_cassette(out).interactions[0].response.body


@pytest.mark.parametrize("previous", [True, False], ids=["over-a-previous-file", "no-previous-file"])
def test_sigkill_mid_write_leaves_the_previous_file_or_none(
    upstream: MockBinance, tmp_path: Path, previous: bool
) -> None:
    target = tmp_path / "big.json"
    if previous:
        target.write_bytes(b'{"previous": true}\n')
    env = {**os.environ, "BINANCE_API_KEY": KEY, "BINANCE_API_SECRET": SECRET, WRITE_PAUSE_ENV: "0.3"}
    span = [f"startTime={ANCHOR - 30 * DAY_MS}", f"endTime={ANCHOR}", "size=100"]  # ~25 KB: several chunks
    cmd = [
        sys.executable,
        "-m",
        "mock_server",
        "record",
        "--upstream",
        upstream.base_url,
        "--out",
        str(target),
    ]
    cmd += ["--force", *(a for p in span for a in ("--param", p))]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not [p for p in tmp_path.glob(".big.json.*.tmp") if p.stat().st_size > 0]:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the recorder never started writing"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    if previous:
        assert target.read_bytes() == b'{"previous": true}\n'
    else:
        assert not target.exists()
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert leftovers and all(p.name.startswith(".big.json.") and p.suffix == ".tmp" for p in leftovers)
    with pytest.raises(ValueError):
        json.loads(leftovers[0].read_bytes())  # killed mid-write indeed: the temporary is partial
    assert_clean("the killed recorder's output", (out + err).decode(errors="replace"), [KEY, SECRET])
