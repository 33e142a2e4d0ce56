"""The HTTP layer: routes only. Each Binance request becomes a `Call` for the exchange."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call, Forward, Reply
from mock_server.http.control import control_routes, no_route
from mock_server.http.edge import MAX_BODY_BYTES, MAX_CONTROL_BODY_BYTES, BodyLimit, too_large
from mock_server.http.streams import StreamEndpoint
from mock_server.http.ws_api import PATH as WS_API_PATH
from mock_server.http.ws_api import WsApiEndpoint
from mock_server.rules import errors
from mock_server.rules.errors import error_body

log = logging.getLogger("binance_mock")


class ConnectionDropped(Exception):
    """Raised where no real socket is there to break (in-process test clients)."""


async def drop_connection(send: Send, kind: str) -> None:
    """Break the connection without a reply: a clean close, or a TCP reset.

    uvicorn's `send` is a method of its request cycle, which holds the transport; the app
    that calls this must be the outermost one, so that `send` is still the server's own.
    """
    transport: Any = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionDropped(kind)
    if kind == "reset":
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger on with a zero timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let the server see the connection lost, so it does not try to answer a 500.
    for _ in range(3):
        await asyncio.sleep(0)


class BinanceEndpoint:
    """Every request outside /_mock goes to the exchange, which answers each (unknown paths
    and methods with Binance's JSON error). Plain ASGI, not a Starlette route: this is the
    hot path, and a router, a Request and a Response object would cost more than the
    exchange's own work."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        api_key = None
        declared = 0
        for name, value in scope["headers"]:
            if name == b"x-mbx-apikey" and api_key is None:
                api_key = value.decode("latin-1")
            elif name == b"content-length" and value.isdigit():
                declared = int(value)
        if declared > MAX_BODY_BYTES:  # refused before a byte of it is read
            await too_large(send, MAX_BODY_BYTES)
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its request
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                await too_large(send, MAX_BODY_BYTES)
                return
            if not message.get("more_body", False):
                break
        client = scope.get("client")
        call = Call(
            scope["method"], scope["path"], scope["query_string"], body, api_key, client[0] if client else ""
        )
        try:
            reply = self.exchange.handle(call)
            if type(reply) is Forward:
                reply = await self._forward(call, scope, reply.tier)
        except Exception:
            # A bug of ours must still look like Binance to the client under test; the
            # log gets the traceback (never the query string, which carries the signature).
            log.exception("internal error on %s %s", call.method, call.path)
            reply = Reply(500, error_body(errors.UNKNOWN.code, errors.UNKNOWN.template), check="internal")
        if reply.delay_ms:
            await asyncio.sleep(reply.delay_ms / 1000)
        if reply.drop is not None:
            await drop_connection(send, reply.drop)
            return
        headers = [
            (b"content-type", reply.content_type.encode("latin-1")),
            (b"content-length", b"%d" % len(reply.body)),
        ]
        for name, value in reply.headers.items():  # a loop: a generator costs more for one or two
            headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if call.method == "HEAD" else reply.body})

    async def _forward(self, call: Call, scope: Scope, tier: str | None) -> Reply:
        """A recording proxy's call: sent upstream from a worker thread (the loop keeps serving),
        recorded back on the loop's thread, one at a time."""
        upstream = self.exchange.upstream
        assert upstream is not None
        answer = await run_in_threadpool(
            upstream.forward, call.method, call.path, call.query, call.body, scope["headers"]
        )
        return self.exchange.forwarded(call, answer, tier)


class MockApp:
    """The whole mock as one ASGI app: /_mock goes to the control API (Starlette), a WebSocket
    to the market streams, anything else straight to the exchange. Being outermost, it also
    receives the server's own `send`, which `drop_connection` needs."""

    def __init__(self, exchange: Exchange, admin_token: str | None) -> None:
        self.exchange = exchange
        self.binance = BinanceEndpoint(exchange)
        self.streams = StreamEndpoint(exchange.streams, exchange.now_ms)
        self.ws_api = WsApiEndpoint(exchange)
        control = Starlette(
            routes=control_routes(exchange, admin_token), exception_handlers={404: no_route, 405: no_route}
        )
        # Binance never redirects; a trailing slash is just another unknown path.
        control.router.redirect_slashes = False
        control.state.exchange = exchange
        self.state = control.state
        self.control = BodyLimit(control, limit=MAX_CONTROL_BODY_BYTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_mock/"):
            await self.binance(scope, receive, send)
        elif scope["type"] == "websocket" and scope["path"] == WS_API_PATH:
            await self.ws_api(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.streams(scope, receive, send)
        else:
            await self.control(scope, receive, send)


def create_app(
    settings: Settings | None = None, exchange: Exchange | None = None, admin_token: str | None = None
) -> MockApp:
    return MockApp(exchange or Exchange(settings), admin_token)
