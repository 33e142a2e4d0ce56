"""The recorder's parts: pacing, 30-day windows, paging, signing, scrubbing and the atomic write."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mock_server import MockBinance
from mock_server.cli import main
from mock_server.replay import recorder
from mock_server.replay.cassette import Cassette, load_cassette
from mock_server.replay.recorder import (
    Credentials,
    Plan,
    Recorder,
    RecordError,
    Scrubber,
    Throttle,
    hmac_signer,
    key_signer,
    parse_time,
    render,
    windows,
    write_atomic,
)
from mock_server.rules.fidelity import DAY_MS, MAX_WINDOW_MS

ANCHOR = 1_700_000_000_000
KEY = "CANARYKEY" + "0123456789abcdef" * 3 + "ZZZZZZZ"
SECRET = "CANARYSECRET-s3cr3t/with+odd=chars"


class FakeTime:
    """A clock that only moves when the throttle sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class SpySession(requests.Session):
    """Keeps every URL the recorder sent, so tests know every signature that went out."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.urls.append(request.url or "")
        return super().send(request, **kwargs)

    def signatures(self) -> list[str]:
        return [v for url in self.urls for k, v in parse_qsl(urlsplit(url).query) if k == "signature"]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockBinance]:
    keys = tmp_path_factory.mktemp("keys") / "keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": KEY, "secret": SECRET}]}))
    with MockBinance(rows=600, anchor_ms=ANCHOR, keys_path=str(keys)) as mock:
        yield mock


def fast_recorder(
    base_url: str, session: requests.Session, credentials: Credentials | None = None
) -> Recorder:
    t = FakeTime()
    creds = credentials or Credentials(KEY, hmac_signer(SECRET), (SECRET,))
    return Recorder(base_url, creds, throttle=Throttle(clock=t.clock, sleep=t.sleep), session=session)


# --- pacing ---


def test_throttle_spaces_request_starts() -> None:
    t = FakeTime()
    throttle = Throttle(interval=0.55, clock=t.clock, sleep=t.sleep)
    starts = []
    for _ in range(5):
        throttle.wait()
        starts.append(t.now)
        t.now += 0.1  # the request itself took 100 ms
    assert [round(b - a, 9) for a, b in pairwise(starts)] == [0.55] * 4
    assert t.sleeps == pytest.approx([0.45] * 4)
    assert Throttle().interval >= 0.5  # the real default: 2 requests per second at most


def test_spacing_counts_from_the_send_not_from_the_end_of_the_wait() -> None:
    t = FakeTime()
    throttle = Throttle(interval=0.5, clock=t.clock, sleep=t.sleep)
    throttle.wait()
    t.now += 0.2  # signing took 200 ms
    throttle.mark()  # the first request leaves at 100.2
    throttle.wait()
    assert t.now == pytest.approx(100.7)


# --- windows and times ---


def test_windows_of_45_days_are_30_plus_15_with_inclusive_bounds() -> None:
    start, end = ANCHOR - 45 * DAY_MS, ANCHOR
    assert windows(start, end, MAX_WINDOW_MS) == [
        (start, start + MAX_WINDOW_MS),
        (start + MAX_WINDOW_MS + 1, end),
    ]
    assert windows(5, 5, MAX_WINDOW_MS) == [(5, 5)]
    with pytest.raises(ValueError):
        windows(6, 5, MAX_WINDOW_MS)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**42), st.integers(0, 200 * DAY_MS), st.integers(DAY_MS // 4, 40 * DAY_MS))
def test_windows_cover_the_range_exactly_without_gaps_or_overlap(
    start: int, length: int, max_ms: int
) -> None:
    ws = windows(start, start + length, max_ms)
    assert ws[0][0] == start and ws[-1][1] == start + length
    assert all(0 <= hi - lo <= max_ms for lo, hi in ws)
    assert all(b[0] == a[1] + 1 for a, b in pairwise(ws))


def test_parse_time_takes_ms_dates_and_datetimes() -> None:
    assert parse_time("1700000000000") == 1_700_000_000_000
    assert parse_time("2026-01-31") == 1_769_817_600_000
    assert parse_time("2026-01-31", end=True) == 1_769_817_600_000 + DAY_MS - 1
    assert parse_time("2026-01-31T01:00:00+01:00") == 1_769_817_600_000
    with pytest.raises(ValueError, match="milliseconds or an ISO date"):
        parse_time("yesterday")


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (Plan(params=[("timestamp", "1")]), "added by the recorder"),
        (Plan(params=[("startTime", "1")], start_ms=1, end_ms=2), "not both"),
        (Plan(params=[("size", "10")], all_pages=True), "sets current and size"),
    ],
)
def test_plan_refuses_parameters_the_recorder_owns(plan: Plan, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan.check()


# --- recording ---


def test_all_pages_over_windows_records_every_row_once(upstream: MockBinance) -> None:
    start, end = ANCHOR - 45 * DAY_MS, ANCHOR
    with SpySession() as session:
        cassette = fast_recorder(upstream.base_url, session).record(
            Plan(params=[("type", "ROLL_IN")], start_ms=start, end_ms=end, all_pages=True)
        )
    wanted = {
        r["txId"] for r in upstream.transfers() if r["type"] == "ROLL_IN" and start <= r["timestamp"] <= end
    }
    got = {r["txId"] for r in cassette.transfer_rows("/sapi/v1/margin/transfer")}
    assert got == wanted and len(wanted) > 100  # more than one page
    for i in cassette.interactions:
        p = dict(i.request.params)
        assert i.response.status == 200 and p["size"] == "100" and p["type"] == "ROLL_IN"
        assert int(p["endTime"]) - int(p["startTime"]) <= MAX_WINDOW_MS
        assert not {"timestamp", "signature", "recvWindow"} & set(p)
        assert set(i.response.headers) == {"content-type", "x-sapi-used-ip-weight-1m"}
    assert [dict(i.request.params)["current"] for i in cassette.interactions] == ["1", "2", "1"]
    assert len(session.urls) == len(cassette.interactions)


def test_an_upstream_error_is_recorded_and_ends_that_windows_paging(upstream: MockBinance) -> None:
    upstream.inject(-3044, times=1)
    with SpySession() as session:
        cassette = fast_recorder(upstream.base_url, session).record(Plan(all_pages=True, record_errors=True))
    (only,) = cassette.interactions
    assert only.response.status == 400 and only.response.error() == (-3044, "System busy.")


def test_without_record_errors_the_first_error_stops_the_run(upstream: MockBinance) -> None:
    upstream.inject(-3044, times=1)
    with SpySession() as session, pytest.raises(RecordError) as err:
        fast_recorder(upstream.base_url, session).record(Plan(all_pages=True, start_ms=0, end_ms=90 * DAY_MS))
    assert "-3044 System busy." in str(err.value) and "--record-errors" in str(err.value)
    assert len(session.urls) == 1  # no further window was asked


def test_record_with_a_wrong_secret_writes_nothing_and_says_why(
    upstream: MockBinance, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.json"
    code = main(["record", "--upstream", upstream.base_url, "--api-key", upstream.api_key,
                 "--secret", "s", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "rejected the credentials (-1022 Signature for this request is not valid.)" in err
    assert "upstream" in err and "<redacted>" not in err  # a one-letter secret leaves words whole


def test_a_short_secret_is_scrubbed_as_a_word_in_messages_and_everywhere_in_files() -> None:
    s = Scrubber()
    s.add("s")
    assert s.message("upstream call failed (key=s)") == "upstream call failed (key=<redacted>)"
    assert s.text("key=s") == "key=<redacted>"


def test_network_failure_names_the_problem_without_the_url_secrets() -> None:
    with SpySession() as session:
        rec = fast_recorder("http://127.0.0.1:9", session)  # discard port: connection refused
        with pytest.raises(RecordError) as err:
            rec.record(Plan())
    text = str(err.value)
    assert "ConnectionError" in text
    assert KEY not in text and SECRET not in text
    assert session.signatures() and all(s not in text for s in session.signatures())


@pytest.mark.parametrize("key_type", ["rsa", "ed25519"])
def test_records_with_rsa_and_ed25519_keys(tmp_path: Path, key_type: str) -> None:
    private = (
        rsa.generate_private_key(65537, 2048) if key_type == "rsa" else ed25519.Ed25519PrivateKey.generate()
    )
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keys = tmp_path / "keys.json"
    keys.write_text(
        json.dumps({"accounts": [{"apiKey": KEY, "keyType": key_type, "publicKey": pem.decode()}]})
    )
    with MockBinance(rows=20, keys_path=str(keys)) as mock, SpySession() as session:
        cassette = fast_recorder(mock.base_url, session, Credentials(KEY, key_signer(private))).record(Plan())
        assert cassette.interactions[0].response.status == 200
        blob = render(cassette, Scrubber())  # a fresh scrubber: only the recorder's own knew the signatures
    (sig,) = session.signatures()
    assert quote(sig, safe="") in session.urls[0]  # base64 sent percent-encoded (docs/fidelity.md §1.2)
    assert sig.encode() not in blob and quote(sig, safe="").encode() not in blob


# --- scrubbing ---


def test_scrubber_catches_plain_percent_encoded_upper_case_and_json_escaped_forms() -> None:
    s = Scrubber()
    sig = "ab+/cd=="
    for v in (KEY, sig, 'quo"te', "deadbeef"):
        s.add(v)
    text = f"k={KEY} sig={quote(sig, safe='')} plus={sig} hex=DEADBEEF"
    assert s.text(text) == "k=<redacted> sig=<redacted> plus=<redacted> hex=<redacted>"
    tree = s.tree({KEY: [f"x{KEY}y", 1, None, {"h": json.dumps('quo"te')}]})
    assert tree == {"<redacted>": ["x<redacted>y", 1, None, {"h": '"<redacted>"'}]}
    assert s.leaks(json.dumps({"m": 'a quo"te'}).encode())
    assert not s.leaks(b"nothing here")


def test_scrubber_stays_linear_with_thousands_of_signatures_and_prefers_the_longest_form() -> None:
    import time

    from mock_server.rules.signature import sign_hmac

    s = Scrubber()
    sigs = [sign_hmac("k", str(i).encode()) for i in range(3_000)]
    for sig in sigs:
        s.add(sig)
    s.add("0123456789abcdef")  # a prefix of a longer secret below
    s.add("0123456789abcdef0123")
    body = '{"rows":[{"asset":"DOGE","txId":100193309414,"type":"ROLL_IN"}],"total":1}' * 20_000
    probe = f"{body} x{sigs[1234].upper()}y 0123456789abcdef0123Z {sigs[-1]}"
    started = time.perf_counter()
    out = s.text(probe)
    assert time.perf_counter() - started < 5  # a regex alternation of 3,000 signatures takes minutes
    assert out.endswith(" x<redacted>y <redacted>Z <redacted>") and out.startswith(body)


_secret = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=6, max_size=40)


@settings(max_examples=150, deadline=None)
@given(_secret, st.lists(st.text(max_size=30), max_size=4))
@example(secret="00000\u0130", noise=[])  # "İ" lower-cases to two code points
@example(secret="\x7f00000", noise=[])  # an ASCII JSON writer escapes DEL as \u007f
def test_no_form_of_a_secret_survives_render(secret: str, noise: list[str]) -> None:
    from mock_server.replay.cassette import Interaction, RecordedRequest, RecordedResponse

    s = Scrubber()
    s.add(secret)
    body = json.dumps({"msg": "".join(noise) + secret, "url": quote(secret, safe="")}).encode()
    c = Cassette(
        [
            Interaction(
                RecordedRequest("GET", "/p", (("note", secret + "".join(noise)),)),
                RecordedResponse(400, {"x-echo": secret.upper()}, body),
            )
        ],
        upstream=f"https://h/{secret}",
    )
    blob = render(c, s)
    text = blob.decode()
    for form in (secret, quote(secret, safe=""), json.dumps(secret)[1:-1]):
        assert form.lower() not in text.lower()
    json.loads(blob)  # still a valid document


def test_render_refuses_to_return_bytes_that_still_leak(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.replay.cassette import Interaction, RecordedRequest, RecordedResponse

    s = Scrubber()
    s.add(SECRET)
    monkeypatch.setattr(s, "tree", lambda data: data)  # a scrubbing bug
    c = Cassette([Interaction(RecordedRequest("GET", "/p", ()), RecordedResponse(200, {}, SECRET.encode()))])
    with pytest.raises(RecordError, match="nothing was written"):
        render(c, s)


# --- the atomic write ---


def test_write_atomic_creates_refuses_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "c.json"
    write_atomic(target, b"one")
    with pytest.raises(FileExistsError, match="--force"):
        write_atomic(target, b"two")
    assert target.read_bytes() == b"one"
    write_atomic(target, b"three", force=True)
    assert target.read_bytes() == b"three"
    assert os.listdir(tmp_path) == ["c.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "c.json"
    target.write_bytes(b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(recorder.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"new" * 10_000, force=True)
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["c.json"]


# --- the command line ---


def test_record_command_refuses_bad_input_without_echoing_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BINANCE_API_KEY", raising=False)
    monkeypatch.delenv("BINANCE_API_SECRET", raising=False)
    out = tmp_path / "c.json"
    base = ["record", "--upstream", "http://127.0.0.1:9", "--out", str(out)]
    cases = [
        ([], 2, "an API key is required"),
        (["--api-key", KEY], 2, "needs its secret"),
        (["--api-key", KEY, "--secret", SECRET, "--param", "size"], 2, "--param #1: expected NAME=VALUE"),
        (["--api-key", KEY, "--secret", SECRET, "--param", "signature=x"], 2, "added by the recorder"),
        (["--api-key", KEY, "--secret", SECRET, "--end", "2026-01-01"], 2, "--end needs --start"),
        (["--api-key", KEY, "--key-type", "rsa"], 2, "needs --private-key"),
        (["--api-key", KEY, "--key-type", "rsa", "--private-key", __file__], 2, "not a PEM private key"),
    ]
    for extra, status, message in cases:
        assert main([*base, *extra]) == status
        err = capsys.readouterr().err
        assert message in err and KEY not in err and SECRET not in err
    out.write_text("keep me")
    assert main([*base, "--api-key", KEY, "--secret", SECRET]) == 1  # refused before any upstream call
    assert "exists; pass --force" in capsys.readouterr().err and out.read_text() == "keep me"


def test_record_command_loads_credentials_from_the_environment(
    upstream: MockBinance, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BINANCE_API_KEY", KEY)
    monkeypatch.setenv("BINANCE_API_SECRET", SECRET)
    out = tmp_path / "c.json"
    assert main(["record", "--upstream", upstream.base_url, "--out", str(out), "--param", "size=3"]) == 0
    assert len(load_cassette(out).interactions) == 1
    assert "wrote 1 recorded request(s)" in capsys.readouterr().out


def test_sync_clock_offsets_timestamps_by_the_upstream_time(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": KEY, "secret": SECRET}]}))
    with MockBinance(rows=20, keys_path=str(keys)) as mock, SpySession() as session:
        mock.shift_clock(
            -600_000, strict=True
        )  # the upstream is 10 minutes behind us: our timestamps look ahead
        rec = fast_recorder(mock.base_url, session)
        assert rec.record(Plan(record_errors=True)).interactions[0].response.error()[0] == -1021
        assert -601_000 < rec.sync_clock() < -599_000
        assert rec.record(Plan()).interactions[0].response.status == 200
