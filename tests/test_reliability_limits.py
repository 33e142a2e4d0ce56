"""docs/reliability.md, section 1 (limits): request line, headers and body over the edge's limits get a clean
414/431/413/408 and a closed connection (mock_server/http/edge.py), never a crash or a hang;
the server goes on answering others."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
from helpers import NOW
from reliability_helpers import connect, http_get, read_response, served

from mock_server.exchange import Exchange, Settings
from mock_server.http import edge
from mock_server.http.app import create_app
from mock_server.http.edge import MAX_BODY_BYTES, MAX_HEAD_BYTES, MAX_URL_BYTES
from mock_server.state.clock import Clock

Addr = tuple[str, int]


@pytest.fixture(scope="module")
def addr() -> Iterator[Addr]:
    clock = Clock()
    clock.freeze(NOW)
    app = create_app(exchange=Exchange(Settings(anchor_ms=NOW, rows=50), clock=clock))
    with served(app, http=edge.LimitedHttpToolsProtocol, timeout_keep_alive=5) as where:
        yield where


def _exchange(addr: Addr, raw: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    """Send raw bytes; the response, and whether the server then closed the connection."""
    with connect(addr) as s:
        # Refused before we finished sending: the answer is still there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(raw)
        status, headers, body = read_response(s)
        try:
            closed = s.recv(1) == b""
        except ConnectionResetError:
            closed = True
        return status, headers, body, closed


def _ping_ok(addr: Addr) -> None:
    assert http_get(addr, "/api/v3/ping") == (200, b"{}")


def test_url_at_the_limit_is_served_over_it_414(addr: Addr) -> None:
    base = "/api/v3/ping?x="
    ok = base + "a" * (MAX_URL_BYTES - len(base))
    assert http_get(addr, ok)[0] == 200
    status, headers, body, closed = _exchange(addr, f"GET {ok}a HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert (status, headers["content-type"], closed) == (414, "text/html", True)
    assert b"414 ERROR" in body
    _ping_ok(addr)


@pytest.mark.parametrize(
    "extra",
    [
        b"X-Big: " + b"a" * (MAX_HEAD_BYTES + 1) + b"\r\n",  # one big header
        b"".join(b"X-%d: %s\r\n" % (i, b"v" * 90) for i in range(400)),  # many small ones
        b"X-Huge: " + b"a" * 20_000_000 + b"\r\n",  # 20 MB: refused long before it is all read
    ],
    ids=["one-big", "many-small", "20MB"],
)
def test_header_section_over_the_limit_431(addr: Addr, extra: bytes) -> None:
    raw = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n"
    status, headers, _, closed = _exchange(addr, raw)
    assert (status, headers["content-type"], closed) == (431, "text/html", True)
    _ping_ok(addr)


def _head_of(size: int) -> bytes:
    """A request head of exactly `size` bytes, padded with small headers like a chatty client's."""
    start, end = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n", b"\r\n"
    pad = size - len(start) - len(end)
    headers = [b"X-%03d: %s\r\n" % (i, b"v" * 90) for i in range(pad // 99)]  # 99 bytes each
    rest = pad - 99 * len(headers)
    if rest:
        headers.append(b"X-Rest: " + b"v" * (rest - 10) + b"\r\n")
    head = start + b"".join(headers) + end
    assert len(head) == size
    return head


def test_a_head_of_exactly_the_limit_is_served_and_the_connection_kept(addr: Addr) -> None:
    with connect(addr) as s:
        for _ in range(2):  # served as any request: the same connection takes the next one
            s.sendall(_head_of(MAX_HEAD_BYTES))
            status, headers, body = read_response(s)
            assert (status, body) == (200, b"{}") and headers["content-type"].startswith("application/json")
            assert headers.get("connection") != "close"


def test_declared_body_over_the_limit_413_without_reading_it(addr: Addr) -> None:
    head = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n"
    status, headers, _, closed = _exchange(addr, head)
    assert (status, headers["content-type"], closed) == (413, "text/html", True)


def test_chunked_body_over_the_limit_413(addr: Addr) -> None:
    chunk = b"a" * 16_384
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MAX_BODY_BYTES // len(chunk) + 2))
    raw = b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"
    assert _exchange(addr, raw)[0] == 413
    _ping_ok(addr)


def test_control_api_takes_bodies_larger_than_binance_paths(addr: Addr) -> None:
    body = b'{"rows": [' + b" " * (MAX_BODY_BYTES * 2) + b"]}"
    raw = (
        b"POST /_mock/transfers HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    assert _exchange(addr, raw)[0] == 201


def test_slow_header_gets_408_and_close(addr: Addr, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge, "HEAD_TIMEOUT_S", 0.3)
    with connect(addr) as s:
        s.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        status, _, _ = read_response(s)
        assert status == 408 and s.recv(1) == b""
        assert time.monotonic() - started < 5


def test_silent_connection_is_closed_without_a_response(addr: Addr, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge, "HEAD_TIMEOUT_S", 0.3)
    with connect(addr) as s:
        assert s.recv(1) == b""  # closed by the server, nothing sent


def test_keep_alive_requests_are_each_timed_from_their_own_start(
    addr: Addr, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge, "HEAD_TIMEOUT_S", 0.5)
    with connect(addr) as s:
        for _ in range(3):  # 3 x 0.3 s > one timeout: the timer restarts per request
            time.sleep(0.3)
            s.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(s)[0] == 200


def test_edge_response_is_well_formed() -> None:
    raw = edge.edge_response(414, "Too long.")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414 ") and b"connection: close" in head
    assert f"content-length: {len(body)}".encode() in head
