"""Binance's market streams over WebSocket, on the REST API's port: plain ASGI for the scope
type "websocket". Everything Binance-specific is mock_server/streams/; this module accepts or
refuses the handshake, passes text frames to the connection's `Session` and writes what it puts
in its outbox. uvicorn sends the ping frames and drops a connection that does not answer them
(server.py: every 20 s, a minute to answer). A stream fault may refuse the handshake, and the
control API may drop the connection: the socket is then aborted, with no close frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from mock_server.streams import limits
from mock_server.streams.hub import Hub
from mock_server.streams.names import micro, route
from mock_server.streams.session import Session


class _Close:
    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class StreamEndpoint:
    def __init__(self, hub: Hub, now_ms: Any) -> None:
        self.hub = hub
        self.now_ms = now_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = route(scope["path"], scope.get("query_string", b""))
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        client = scope.get("client")
        ip = client[0] if client else ""
        # Not a stream path, a URL over the streams' limit, an IP over its connections, or a
        # stream fault refusing it: the handshake is refused (uvicorn answers 403), F72, F73.
        if (
            found is None
            or len(found.names) > limits.MAX_STREAMS
            or not self.hub.attempts.admit(ip, time.monotonic())
            or self.hub.refuses("streams", scope["path"], found.names, ip)
        ):
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept"})
        outbox: asyncio.Queue[str | _Close] = asyncio.Queue()

        def put(frame: str) -> None:
            if outbox.qsize() >= limits.MAX_PENDING:
                session.close(*limits.CLOSE_SLOW)
                return
            outbox.put_nowait(frame)

        def close(code: int, reason: str) -> None:
            outbox.put_nowait(_Close(code, reason))

        def drop() -> None:
            abort(send)
            outbox.put_nowait(_Close(1006, ""))  # the writer stops; nothing more is sent

        session = Session(
            self.hub, found, micro(scope.get("query_string", b"")), self.now_ms(), put, close, drop,
            scope["path"], ip,
        )  # fmt: skip
        writer = asyncio.get_running_loop().create_task(self._write(send, outbox))
        code = None
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.disconnect":
                    code = message.get("code")
                    break
                if kind == "websocket.receive":
                    session.receive(frame_text(message), time.monotonic())
        finally:
            session.ended(code)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    async def _write(self, send: Send, outbox: asyncio.Queue[str | _Close]) -> None:
        while True:
            item = await outbox.get()
            if isinstance(item, _Close):
                if item.code != 1006:  # a drop sends nothing: the socket is gone already
                    await send({"type": "websocket.close", "code": item.code, "reason": item.reason})
                return
            await send({"type": "websocket.send", "text": item})


def frame_text(message: Message) -> str:
    """A received frame as text: a binary frame is read as UTF-8, whatever it holds."""
    text = message.get("text")
    return text if text is not None else (message.get("bytes") or b"").decode("utf-8", "replace")


def abort(send: Send) -> None:
    """End the connection under `send` at once, without a close frame, as a failed network
    would. uvicorn's `send` is a method of its protocol, which holds the transport; where there
    is none (an in-process test client), nothing is aborted and the caller's close stands."""
    transport: Any = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.abort()
