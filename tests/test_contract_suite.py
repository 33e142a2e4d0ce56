"""`binance-mock contract` against `binance-mock serve`: any seed, profile and key type; live mode
at 2 requests per second with no secret in its output; profile discovery; live safety stops."""

from __future__ import annotations

import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from helpers import serve_process as serve

from binance_mock.contracts.checks import all_checks
from binance_mock.contracts.facts import Profile
from binance_mock.contracts.runner import FAILED, NOT_RUN, Config, run
from binance_mock.contracts.target import Credentials, Redactor, Safety
from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app

ROOT = Path(__file__).resolve().parent.parent
ALTERNATIVES = {name: Profile.choices(name)[1] for name in Profile.names()}


def contract(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server", "contract", *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=ROOT,
    )  # fmt: skip


def _keypair(kind: str, tmp: Path) -> tuple[str, Path, Path]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" \
        else ed25519.Ed25519PrivateKey.generate()  # fmt: skip
    pem = tmp / f"{kind}.pem"
    pem.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()  # fmt: skip
    api_key = ("R" if kind == "rsa" else "E") * 64
    keys = tmp / f"{kind}-keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": api_key, "keyType": kind, "publicKey": public}]}))
    return api_key, keys, pem


# --- the suite passes against the real mock, whatever it was started with ---


@pytest.mark.parametrize("seed", ["3", "19"])
def test_contract_passes_against_serve_with_any_seed(seed: str, tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    with serve("--seed", seed, "--rows", "500") as base:
        out = contract("--base-url", base, "--junit-xml", str(junit))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "(control API)" in out.stdout
    assert junit.read_text().count("<testcase ") == len(all_checks())


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_contract_passes_with_asymmetric_keys(kind: str, tmp_path: Path) -> None:
    api_key, keys, pem = _keypair(kind, tmp_path)
    with serve("--keys", str(keys), "--rows", "300") as base:
        out = contract(
            "--base-url", base, "--key-type", kind, "--api-key", api_key, "--private-key", str(pem)
        )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"PASSED   sig.valid_{kind}" in out.stdout
    assert "PASSED   sig.asym_case_sensitive" in out.stdout
    assert api_key not in out.stdout


def test_every_alternative_is_discovered_written_and_loadable(tmp_path: Path) -> None:
    profile = tmp_path / "alternatives.json"
    profile.write_text(json.dumps(ALTERNATIVES))
    seen = tmp_path / "seen.toml"
    defaults = tmp_path / "defaults.json"
    defaults.write_text("{}")
    with serve("--profile", str(profile), "--rows", "300") as base:
        strict = contract("--base-url", base, "--profile", str(defaults), "--write-profile", str(seen))
        told = contract("--base-url", base, "--profile", str(profile))
        declared = contract("--base-url", base)  # the mock's /_mock/health declares its profile
    # Expecting the default profile, each decision check fails and names the matching alternative.
    assert strict.returncode == 1
    assert declared.returncode == 0, declared.stdout
    for name, value in ALTERNATIVES.items():
        assert f"Matching profile: --fidelity {name}={value}" in strict.stdout, name
    assert told.returncode == 0, told.stdout
    # The written profile is what the target showed, and `serve --profile` loads it.
    with serve("--profile", str(seen), "--rows", "300") as base:
        again = contract("--base-url", base, "--profile", str(seen))
    assert again.returncode == 0, again.stdout


# --- live mode: no control API, 2 requests per second, nothing secret printed or written ---


class _Recorder:
    """ASGI wrapper that keeps every request's arrival time and raw query string."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[float, str, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((time.monotonic(), scope["path"], scope["query_string"]))
        await self.app(scope, receive, send)


@contextmanager
def _threaded(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_live_mode_is_paced_and_prints_no_secret(tmp_path: Path) -> None:
    api_key, secret = "L1ve" * 16, "s3cretL1veS3cret" * 4
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"accounts": [{"apiKey": api_key, "secret": secret}]}))
    recorder = _Recorder(create_app(exchange=Exchange(Settings(keys_path=str(keys), rows=2_000))))
    junit = tmp_path / "live.xml"
    env = {"BINANCE_API_KEY": api_key, "BINANCE_API_SECRET": secret, "PATH": "/usr/bin:/bin"}
    # A subset (signatures, recvWindow, one control-only check) proves the pacing and the
    # redaction as well as the whole suite would, in a fifth of the time.
    subset = ("--check", "sig.*", "--check", "rw.*", "--check", "fault.pacing")
    with _threaded(recorder) as base:
        out = contract("--base-url", base, "--live", "--junit-xml", str(junit), *subset, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"binance-mock contract: {base} (live, no control API)\n" in out.stdout
    assert "target has no control API" in junit.read_text()
    times = [t for t, _p, _q in recorder.seen]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.5, f"two requests {min(gaps):.3f} s apart"
    assert not any(p.startswith("/_mock") and p != "/_mock/health" for _t, p, _q in recorder.seen)
    signatures = {
        part.split(b"=", 1)[1].decode() for _t, _p, q in recorder.seen for part in q.split(b"&")
        if part.startswith(b"signature=") and len(part) > 20
    }  # fmt: skip
    assert len(signatures) >= 8
    written = out.stdout + out.stderr + junit.read_text()
    for secret_text in (api_key, secret, *signatures, *(s.upper() for s in signatures)):
        assert secret_text not in written


# --- live safety ---


def test_stops_at_the_first_429() -> None:
    with MockBinance(rows=100, ip_weight_limit=6) as mock:
        creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
        report = run(
            Config(mock.base_url, creds, live=True, safety=Safety(min_interval_s=0.0), pace_fixed=True)
        )
        statuses = [e["status"] for e in mock.requests()]
    assert report.exit_code == 2 and "429" in (report.aborted or "")
    assert statuses.count(429) == 1 and statuses[-1] == 429
    assert report.results[-1].status == NOT_RUN


def test_request_budget_and_weight_watermark() -> None:
    with MockBinance(rows=100) as mock:
        creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
        budget = run(Config(mock.base_url, creds, live=True, pace_fixed=True,
                            safety=Safety(min_interval_s=0.0, max_requests=10)))  # fmt: skip
        assert budget.exit_code == 2 and "budget of 10" in (budget.aborted or "")
        assert budget.ctx.target.requests_sent == 10
        weight = run(Config(mock.base_url, creds, live=True, pace_fixed=True,
                            safety=Safety(min_interval_s=0.0, max_weight=5)))  # fmt: skip
        assert weight.exit_code == 2 and "watermark 5" in (weight.aborted or "")


def test_a_failing_target_exits_1_and_names_the_check() -> None:
    with MockBinance(rows=100, profile={"size_over_max": "clamp"}) as mock:
        creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
        report = run(Config(mock.base_url, creds, select=["param"], expected=Profile()))
    assert report.exit_code == 1
    assert [r.check.id for r in report.results if r.status == FAILED] == ["param.size_over_max"]
    assert report.observed_profile()["size_over_max"] == "clamp"


def test_redactor_removes_keys_secrets_and_signatures() -> None:
    redact = Redactor(["KEY123456", "SECRET789"])
    redact.add("AbCdEf0123")
    text = "GET /x?a=1&signature=deadbeef&b=2 key KEY123456 secret SECRET789 sig AbCdEf0123"
    shown = redact(text)
    assert "deadbeef" not in shown and "KEY123456" not in shown and "SECRET789" not in shown
    assert "AbCdEf0123" not in shown and "signature=<redacted>&b=2" in shown


def test_pytest_runs_the_same_checks(tmp_path: Path) -> None:
    with MockBinance(rows=300) as mock:
        out = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "binance_mock.contracts.plugin", "--pyargs", "binance_mock.contracts", "-q",
             "-p", "no:cacheprovider", "--base-url", mock.base_url],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:]
    assert f"{len(all_checks()) - 4} passed, 4 skipped" in out.stdout  # one is wallet.round_trip


# --- the command line's own mistakes: one line and exit 2, never a traceback ---


@pytest.mark.parametrize("base_url", ["localhost:8900", "127.0.0.1:8900", "ftp://127.0.0.1:8900", "http://"])
def test_a_base_url_without_a_scheme_is_a_usage_error(base_url: str) -> None:
    out = contract("--base-url", base_url)
    assert (
        out.returncode == 2 and "--base-url must be http://" in out.stderr and "Traceback" not in out.stderr
    )


def test_an_unreachable_target_is_named_in_one_line() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        out = contract("--base-url", f"http://127.0.0.1:{port}")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"cannot reach http://127.0.0.1:{port}" in out.stderr and out.stdout == ""


def test_a_check_or_skip_that_matches_nothing_lists_the_ids() -> None:
    out = contract("--base-url", "http://127.0.0.1:1", "--check", "nosuch.check")
    assert out.returncode == 2 and "--check 'nosuch.check' matches no check" in out.stderr
    assert "sig.wrong_key" in out.stderr
    assert contract("--base-url", "http://127.0.0.1:1", "--skip", "sig.typo").returncode == 2


def test_a_wrong_secret_is_said_in_one_line_and_nothing_else_runs() -> None:
    with serve("--rows", "50") as base:
        out = contract("--base-url", base, "--secret", "wrong-secret-value")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "rejected the credentials (-1022" in out.stderr
    assert "wrong-secret-value" not in out.stderr and "signature_position" not in out.stderr


def test_the_writing_check_runs_only_with_allow_writes_and_says_what_it_does_first() -> None:
    """Without the flag the check is skipped, and the target cannot write at all (below); with
    it the round trip passes, which it does only when both transfers are in the margin history."""
    with serve("--rows", "300") as base:
        reading = contract("--base-url", base, "--check", "wallet.*")
        writing = contract("--base-url", base, "--check", "wallet.round_trip", "--allow-writes")
    assert reading.returncode == 0 and "run with --allow-writes" in reading.stdout, reading.stdout
    assert "moving 1 USDT" not in reading.stderr
    assert writing.returncode == 0 and "1 passed" in writing.stdout, writing.stdout
    assert "moving 1 USDT SPOT -> cross margin -> SPOT" in writing.stderr


def test_the_target_refuses_a_write_without_the_flag() -> None:
    from binance_mock.contracts.target import Credentials, Safety, Target

    target = Target("http://127.0.0.1:1", Credentials("k", secret="s"), Safety())
    with pytest.raises(ValueError, match="only reads unless run with --allow-writes"):
        target.signed_post("/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN")], 0)
