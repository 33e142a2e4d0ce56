"""The edge fixes found by the reliability runs (docs/reliability.md, changes
P1-P6), each kept by a test: exit status, shutdown, size limits, routing, origin, keys in URLs.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import time

import requests
from reliability_helpers import asgi_call, connect, read_response
from test_reliability import start_server

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


# P1 (cli.py): exit status 0 after a SIGTERM.
def test_sigterm_exits_0() -> None:
    proc, _ = start_server()
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


# P2 (cli.py + testing.py: timeout_graceful_shutdown): a stuck client cannot hold SIGTERM up.
def test_sigterm_exits_within_5s_despite_a_request_whose_body_never_comes() -> None:
    proc, base = start_server()
    try:
        s = socket.create_connection(("127.0.0.1", _port(base)))
        s.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")  # no body
        time.sleep(0.3)
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=8)
        finally:
            s.close()
        assert time.monotonic() - signalled < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# P3 (cli.py + testing.py: LimitedHttpToolsProtocol): the served mock refuses a 30 KB header
# section with 431 (today: accepted, and a 100 MB header is buffered whole).
def test_served_mock_refuses_oversized_headers() -> None:
    proc, base = start_server()
    try:
        with connect(("127.0.0.1", _port(base))) as s:
            with contextlib.suppress(OSError):
                s.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 30_000 + b"\r\n\r\n")
            assert read_response(s)[0] == 431
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# P3: a header that trickles in is cut off (today: held open for as long as the client likes).
# The behaviour is tested in-process with a short timeout (test_reliability_limits.py:
# test_slow_header_gets_408_and_close); here, that `serve` and MockBinance run that protocol.
def test_every_way_of_serving_uses_the_limited_protocol() -> None:
    from mock_server.http.edge import LimitedHttpToolsProtocol
    from mock_server.http.server import server_config

    config = server_config(create_app(exchange=Exchange(Settings(rows=1))))
    assert config.http is LimitedHttpToolsProtocol
    assert config.timeout_keep_alive == 5 and config.access_log is False


# P4 (app.py: router.default, redirect_slashes): every path gets Binance JSON, even ones the
# catch-all route's regex cannot match: a decoded newline (`/a%0Ab`) or `OPTIONS *` (today:
# text/plain 404), and `/a%0A/` (today: a 307 to `/a%0A`; with a non-UTF-8 query, an exception).
def test_paths_the_catch_all_cannot_match_get_binance_json() -> None:
    app = create_app(exchange=Exchange(Settings(rows=5)))
    for path, query in [("/a\nb", b""), ("*", b""), ("/sapi/v1/margin/transfer\n", b""),
                        ("/a\n/", b"x=1"), ("/a\n/", b"\xff")]:  # fmt: skip
        out = asgi_call(app, "GET", path, query)
        assert out["status"] == 404
        assert dict(out["headers"])[b"content-type"] == b"application/json", path


# P5 (control.py): a web page cannot drive the control API from the developer's browser.
# Without CORS headers a browser hides the answer, but a "simple" cross-origin POST (text/plain
# body, no preflight) is still *executed*: any page visited can reset the mock or add faults.
def test_control_api_refuses_cross_origin_browser_requests() -> None:
    app = create_app(exchange=Exchange(Settings(rows=5)))
    out = asgi_call(
        app,
        "POST",
        "/_mock/faults",
        headers=[(b"origin", b"https://evil.example"), (b"content-type", b"text/plain")],
        body=b'{"code": -3020, "times": null}',
    )
    assert out["status"] == 403
    assert app.state.exchange.fault_rules() == []


def test_control_api_still_serves_scripts_and_same_origin_tools() -> None:
    app = create_app(exchange=Exchange(Settings(rows=5)))
    out = asgi_call(app, "POST", "/_mock/faults", headers=[(b"content-type", b"application/json")],
                    body=b'{"code": -3020}')  # fmt: skip
    assert out["status"] == 201


def test_requests_module_sends_no_origin() -> None:
    # What P5 relies on: non-browser clients (requests, httpx, curl) send no Origin header.
    assert "Origin" not in requests.Session().headers


# P6 (control.py): the account of `GET/DELETE /_mock/transfers` comes from the X-MBX-APIKEY
# header, as on Binance, not from `?apiKey=`: a key in a URL is printed by any access log or
# proxy (uvicorn's trace log prints the query string; test_secrets found the canary there).
def test_control_api_takes_the_account_from_the_header(tmp_path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(
        '{"accounts": [{"apiKey": "first1", "secret": "a"}, {"apiKey": "second2", "secret": "b"}]}'
    )
    ex = Exchange(Settings(rows=5, keys_path=str(keys)))
    app = create_app(exchange=ex)
    out = asgi_call(app, "GET", "/_mock/transfers", headers=[(b"x-mbx-apikey", b"second2")])
    assert out["status"] == 200
    assert json.loads(out["body"])["rows"] == ex.transfers("second2") != ex.transfers("first1")
