"""The WebSocket API at `/ws-api/v3`, on the REST API's port: plain ASGI for its WebSocket. The
requests and the user data subscriptions are mock_server/wsapi/session.py's; this module moves
text frames, and sends a subscription's events as they come (polled every POLL_S, and at once
after each answer, so that an unsubscribe's eventStreamTerminated follows its answer)."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.types import Receive, Scope, Send

from mock_server.exchange.exchange import Exchange
from mock_server.wsapi.session import Session

PATH = "/ws-api/v3"
POLL_S = 0.02


class WsApiEndpoint:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        client = scope.get("client")
        session = Session(self.exchange, client[0] if client else "127.0.0.1")
        lock = asyncio.Lock()  # one frame at a time on the socket

        async def pump() -> None:
            while True:
                await asyncio.sleep(POLL_S)
                for frame in session.events():
                    async with lock:
                        await send({"type": "websocket.send", "text": frame})

        events = asyncio.get_running_loop().create_task(pump())
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message["type"] == "websocket.receive":
                    text = message.get("text")
                    if text is None:
                        text = (message.get("bytes") or b"").decode("utf-8", "replace")
                    answer = session.handle(text)
                    async with lock:  # the answer, then what it ended (eventStreamTerminated)
                        for frame in (answer, *session.events()):
                            await send({"type": "websocket.send", "text": frame})
        finally:
            events.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await events
