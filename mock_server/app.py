"""The HTTP layer: routes only. Each Binance request becomes a `Call` for the exchange."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server import errors
from mock_server.control import control_routes
from mock_server.exchange import Exchange, Settings, error_body
from mock_server.wire import Call, Reply

_RAW_SEND = "binance_mock.raw_send"
log = logging.getLogger("binance_mock")


class ConnectionDropped(Exception):
    """Raised where no real socket is there to break (in-process test clients)."""


async def drop_connection(scope: Scope, kind: str) -> None:
    """Break the connection without a reply: a clean close, or a TCP reset.

    uvicorn's `send` is a method of its request cycle, which holds the transport; we keep
    the server's own `send` in the scope before any middleware wraps it.
    """
    raw_send = scope.get(_RAW_SEND)
    transport: Any = getattr(getattr(raw_send, "__self__", None), "transport", None)
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
    """Every method and path outside /_mock goes to the exchange, which answers each
    (unknown ones with Binance's JSON error, not Starlette's plain-text 404/405)."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        client = request.client
        call = Call(
            method=request.method,
            path=scope["path"],
            query=scope["query_string"],
            body=body,
            api_key=request.headers.get("x-mbx-apikey"),
            client_ip=client.host if client else "",
        )
        try:
            reply = self.exchange.handle(call)
        except Exception:
            # A bug of ours must still look like Binance to the client under test; the
            # log gets the traceback (never the query string, which carries the signature).
            log.exception("internal error on %s %s", call.method, call.path)
            reply = Reply(500, error_body(errors.UNKNOWN.code, errors.UNKNOWN.template), check="internal")
        if reply.delay_ms:
            await asyncio.sleep(reply.delay_ms / 1000)
        if reply.drop is not None:
            await drop_connection(scope, reply.drop)
            return
        response = Response(reply.body, reply.status, headers=reply.headers, media_type=reply.content_type)
        await response(scope, receive, send)


class _KeepRawSend:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[_RAW_SEND] = send
        await self.app(scope, receive, send)


def create_app(
    settings: Settings | None = None, exchange: Exchange | None = None, admin_token: str | None = None
) -> ASGIApp:
    ex = exchange or Exchange(settings)
    routes = [*control_routes(ex, admin_token), Route("/{path:path}", BinanceEndpoint(ex))]
    app = Starlette(routes=routes)
    app.state.exchange = ex
    wrapped = _KeepRawSend(app)
    wrapped.state = app.state  # type: ignore[attr-defined]
    return wrapped
