"""Size and time limits at the HTTP edge, answered the way Binance's edge (CloudFront) does.

Binance's API sits behind CloudFront, which refuses oversized requests before Binance's own
code sees them: with a bare HTTP status and an HTML page, never a `{"code", "msg"}` body. So
the mock answers these limits outside the exchange, with a clean status, a short HTML body and
`Connection: close`; a client that expects Binance JSON here would break on live too.

| limit                                    | value    | answer                        |
|------------------------------------------|----------|-------------------------------|
| request target (path + query)            | 8 KiB    | 414 URI Too Long              |
| request line + headers                   | 20 KiB   | 431 Request Header Fields ... |
| body of a Binance path                   | 64 KiB   | 413 Content Too Large         |
| body of a control API call (/_mock/...)  | 8 MiB    | 413                           |
| time from a request's first byte to the  | 10 s     | 408, then the connection is   |
| end of its headers (slowloris)           |          | closed                        |

8 KiB and 20 KiB are CloudFront's documented quotas (URL length; request line plus headers).
Without these, uvicorn's httptools parser buffers any header section whole (a 100 MB header
was accepted, and held in memory) and waits forever for a header that trickles in.

Wiring: `server.server_config` passes `http=LimitedHttpToolsProtocol` and `UVICORN_OPTIONS`;
the exchange's endpoint checks `MAX_BODY_BYTES` as it reads a body (the hot path takes no
extra middleware), and `BodyLimit` wraps the control API.
"""

from __future__ import annotations

import asyncio
import http
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_URL_BYTES = 8 * 1024
MAX_HEAD_BYTES = 20 * 1024
MAX_BODY_BYTES = 64 * 1024
MAX_CONTROL_BODY_BYTES = 8 * 1024 * 1024
HEAD_TIMEOUT_S = 10.0

# uvicorn settings chosen on purpose (docs/reliability.md): idle keep-alive connections are closed after
# 5 s (uvicorn's default, written down so a change is deliberate); SIGTERM waits at most 3 s
# for in-flight requests (a stuck client must not keep the process alive; the default, None,
# waits forever); no concurrency cap, since 503s would be a behaviour Binance never shows at
# a test suite's load (the process's file-descriptor limit is the bound).
UVICORN_OPTIONS: dict[str, Any] = {
    "timeout_keep_alive": 5,
    "timeout_graceful_shutdown": 3,
    "limit_concurrency": None,
    "server_header": False,  # Binance's edge sends its own; ours would only mislead
}


def edge_response(status: int, detail: str) -> bytes:
    """A whole HTTP/1.1 response in CloudFront's manner: status, a tiny HTML page, close."""
    phrase = http.HTTPStatus(status).phrase
    body = (
        f"<html><head><title>{status} {phrase}</title></head><body><h1>{status} ERROR</h1>"
        f"<p>The request could not be satisfied. {detail}</p></body></html>"
    ).encode()
    head = (
        f"HTTP/1.1 {status} {phrase}\r\ncontent-type: text/html\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode()
    return head + body


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; httptools re-raises it wrapped."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the request head and a header timeout."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refusal: tuple[int, str] | None = None
        self._head_bytes = 0
        self._in_head = True
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        counting = self._in_head
        if counting:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still inside the head after the parser took everything: every counted byte is head.
        # This bounds one huge header value, which httptools buffers before any callback.
        if counting and self._in_head and self._head_bytes > MAX_HEAD_BYTES and self._refusal is None:
            self._refuse(431, f"Request headers over {MAX_HEAD_BYTES} bytes.")

    # parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        if self._head_timer is None:
            self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self._refusal = (414, f"Request URI over {MAX_URL_BYTES} bytes.")
            raise _Refused

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > MAX_HEAD_BYTES:
            self._refusal = (431, f"Request headers over {MAX_HEAD_BYTES} bytes.")
            raise _Refused
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True
        self._head_bytes = 0

    # refusals

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this for any parser error, ours included: answer ours with its status."""
        if self._refusal is None:
            super().send_400_response(msg)
            return
        status, detail = self._refusal
        self._write_and_close(status, detail)

    def _refuse(self, status: int, detail: str) -> None:
        self._refusal = (status, detail)
        self.logger.info("Refused a request at the edge: %s %s", status, detail)
        self._write_and_close(status, detail)

    def _write_and_close(self, status: int, detail: str) -> None:
        self._cancel_head_timer()
        if not self.transport.is_closing():
            self.transport.write(edge_response(status, detail))
            self.transport.close()

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        # Only a connection that started a request gets a 408; an idle keep-alive connection
        # is uvicorn's keep-alive timeout's business, and a silent one is simply closed.
        if self._in_head and self._refusal is None:
            if self._head_bytes:
                self._refuse(408, f"Request headers not complete within {HEAD_TIMEOUT_S:g} s.")
            elif not self.transport.is_closing():
                self.transport.close()


class BodyLimit:
    """Refuses a request body over the limit with 413, before the app reads any of it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await too_large(send, limit)
            return
        # Read the body here, up to the limit, and hand the app a replay of it.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # disconnected: the app will see it on its own receive
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def too_large(send: Send, limit: int) -> None:
    body = edge_response(413, f"Request body over {limit} bytes.").partition(b"\r\n\r\n")[2]
    headers = [
        (b"content-type", b"text/html"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is not worth reading
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
