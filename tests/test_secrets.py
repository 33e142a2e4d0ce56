"""docs/reliability.md, section 5: no secret anywhere.

A canary API key and secret go through a whole run (serve at debug log level, valid and
refused calls, injected faults, the journal, the control API, the contract suite) and must
never appear in any response, log line, report or file written. Signature and admin-token
comparisons are constant-time; the control API refuses non-loopback callers without the
token and sends no CORS headers.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from helpers import NOW
from reliability_helpers import asgi_call
from test_reliability import ROOT, start_server

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.rules import signature
from mock_server.rules.signature import sign_hmac
from mock_server.state import accounts
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock

PATH = "/sapi/v1/margin/transfer"
_ALNUM = string.ascii_letters + string.digits


def _canary(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length - len(prefix)))


def _dump(r: requests.Response) -> str:
    head = "\n".join(f"{k}: {v}" for k, v in r.headers.items())
    return f"{r.status_code}\n{head}\n\n{r.text}"  # the answer only: the URL is what we sent


def test_canary_key_and_secret_appear_nowhere(tmp_path: Path) -> None:
    key, secret = _canary("CanaryKey", 64), _canary("CanarySecret", 64)
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"accounts": [{"apiKey": key, "secret": secret}]}))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    log = out_dir / "server.log"
    started = time.time()
    # trace: uvicorn's most verbose level, a superset of debug (it logs every ASGI message).
    proc, base = start_server("--keys", str(keys_file), "--log-level", "trace", log_path=log)
    seen: list[str] = []
    try:
        s = requests.Session()

        def call(
            params: dict[str, Any], api_key: str | None = key, sign_with: str = secret, ts: int = 0
        ) -> None:
            query = urlencode({**params, "timestamp": ts or int(time.time() * 1000)})
            target = f"{base}{PATH}?{query}&signature={sign_hmac(sign_with, query.encode())}"
            seen.append(
                _dump(s.get(target, headers={"X-MBX-APIKEY": api_key} if api_key else {}, timeout=10))
            )

        call({"size": 3})  # 200
        call({"size": 3}, sign_with="wrong")  # -1022
        call({"size": 3}, ts=1_000)  # -1021
        call({"size": 500})  # -1130
        call({"size": 3}, api_key=key + "X")  # -2014? no: 65 chars is well-formed -> -2015
        call({"size": 3}, api_key=key.lower())  # -2015
        call({"size": 3}, api_key=None)  # -2014
        ctl = f"{base}/_mock"
        for method, url, body in [
            ("POST", f"{ctl}/faults", {"code": -3020, "match": {"apiKey": key}}),
            ("GET", f"{ctl}/faults", None),
            (
                "POST",
                f"{ctl}/transfers",
                {
                    "apiKey": key,
                    "rows": [
                        {
                            "amount": "1.00000000",
                            "asset": "BNB",
                            "timestamp": NOW,
                            "txId": 1,
                            "type": "ROLL_IN",
                        }
                    ],
                },
            ),
            ("POST", f"{ctl}/transfers", {"apiKey": key, "rows": [{"amount": "1"}]}),  # refused
            ("POST", f"{ctl}/transfers", {"apiKey": secret, "rows": []}),  # not an account
            # Not `GET /_mock/transfers?apiKey=KEY`: a key in a URL lands in logs (change P6 of docs/reliability.md).
            ("GET", f"{ctl}/transfers", None),
            ("PUT", f"{ctl}/clock", {"offset_ms": 0}),
        ]:
            seen.append(_dump(s.request(method, url, json=body, timeout=10)))
        call({"size": 3})  # answered by the injected -3020
        seen.append(_dump(s.get(f"{ctl}/requests", timeout=10)))
        journal = s.get(f"{ctl}/requests", timeout=10).json()["requests"]
        assert journal[0]["apiKey"] == f"{key[:4]}...{key[-4:]}"  # masked: the check can see
        contract = subprocess.run(
            [sys.executable, "-m", "mock_server", "contract", "--base-url", base, "--api-key", key,
             "--secret", secret, "--junit-xml", str(out_dir / "junit.xml")],
            capture_output=True, text=True, timeout=300, cwd=ROOT,
        )  # fmt: skip
        seen += [contract.stdout, contract.stderr]
        assert contract.returncode in (0, 1), contract.stderr[-2000:]  # ran to the end either way
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    written = [p for p in out_dir.rglob("*") if p.is_file()]
    # Anything this run wrote into the work tree (a cassette, a report, a cache) counts too.
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules")]
        for name in files:
            path = Path(folder, name)
            with contextlib.suppress(OSError):  # others work in this tree at the same time
                if path.stat().st_mtime >= started and path.stat().st_size < 5_000_000:
                    written.append(path)
    seen += [p.read_text("utf-8", "replace") for p in written if p.exists()]
    assert "TRACE" in log.read_text() and "ASGI" in log.read_text()  # the verbose log was on
    leaks = [text[:200] for text in seen if key in text or secret in text]
    assert not leaks, f"{len(leaks)} outputs carry the canary: {leaks[:3]}"


# --- constant-time comparisons ---


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    account = accounts.demo_account()
    payload = b"size=1&timestamp=1"
    good = sign_hmac(DEMO_SECRET, payload)
    assert account.verify(payload, good) and not account.verify(payload, "0" * 64)
    assert not account.verify(payload, good[:-1])  # a shorter guess goes through it too
    assert len(calls) == 3


def _token_app(token: str | None) -> Any:
    clock = Clock()
    clock.freeze(NOW)
    return create_app(exchange=Exchange(Settings(anchor_ms=NOW, rows=5), clock=clock), admin_token=token)


def test_admin_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    app = _token_app("t0ken")
    assert (
        asgi_call(app, "GET", "/_mock/faults", headers=[(b"authorization", b"Bearer nope")])["status"] == 401
    )
    assert (
        asgi_call(app, "GET", "/_mock/faults", headers=[(b"authorization", b"Bearer t0ken")])["status"] == 200
    )
    assert len(calls) == 2


# --- who may call the control API ---

OUTSIDE = ("203.0.113.7", 40000)


@pytest.mark.parametrize(
    "route", [("GET", "/_mock/requests"), ("POST", "/_mock/reset"), ("DELETE", "/_mock/faults")]
)
def test_control_api_refuses_non_loopback_callers_without_a_token(route: tuple[str, str]) -> None:
    app = _token_app(None)
    out = asgi_call(app, *route, client=OUTSIDE)
    assert out["status"] == 403
    assert asgi_call(app, *route, client=None)["status"] == 403  # no peer address: not loopback either
    assert asgi_call(app, *route)["status"] in (200, 204)  # loopback


def test_with_a_token_every_caller_needs_it() -> None:
    app = _token_app("s3cret-token")
    for client in [OUTSIDE, ("127.0.0.1", 1)]:
        assert asgi_call(app, "GET", "/_mock/requests", client=client)["status"] == 401
        wrong = [(b"authorization", b"Bearer s3cret-tokeN")]
        assert asgi_call(app, "GET", "/_mock/requests", headers=wrong, client=client)["status"] == 401
        right = [(b"authorization", b"Bearer s3cret-token")]
        assert asgi_call(app, "GET", "/_mock/requests", headers=right, client=client)["status"] == 200
    refused = asgi_call(app, "GET", "/_mock/requests", client=OUTSIDE)
    assert b"s3cret" not in refused["body"]


def test_no_cors_headers_anywhere() -> None:
    app = _token_app(None)
    origin = [(b"origin", b"https://evil.example")]
    preflight = [*origin, (b"access-control-request-method", b"POST")]
    answers = [
        asgi_call(app, "OPTIONS", "/_mock/faults", headers=preflight),
        asgi_call(app, "OPTIONS", "/_mock/reset", headers=preflight),
        asgi_call(app, "GET", "/_mock/requests", headers=origin),
        asgi_call(app, "GET", "/_mock/health", headers=origin),
        asgi_call(app, "GET", PATH, headers=[*origin, (b"x-mbx-apikey", DEMO_API_KEY.encode())]),
    ]
    for out in answers:
        names = {name.lower() for name, _ in out["headers"]}
        assert not {n for n in names if n.startswith(b"access-control-")}, names
    assert 400 <= answers[0]["status"] < 500 and 400 <= answers[1]["status"] < 500


def test_the_cache_of_masked_keys_is_bounded_in_count_and_length() -> None:
    from mock_server.state import accounts

    for n in range(3 * accounts._MASKED_MAX):
        assert accounts.mask_key(f"K{n:063d}") == f"K000...{n % 10000:04d}"
    huge = "x" * 20_000  # any header a client sends reaches the journal's mask
    assert accounts.mask_key(huge) == "xxxx...xxxx"
    assert len(accounts._MASKED) <= accounts._MASKED_MAX and huge not in accounts._MASKED
