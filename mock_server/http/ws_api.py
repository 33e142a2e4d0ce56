"""The WebSocket API at `/ws-api/v3`, on the REST API's port: plain ASGI for its WebSocket. The
requests and the user data subscriptions are mock_server/wsapi/session.py's; this module moves
text frames, and sends a subscription's events as they come (polled every POLL_S, and at once
after each answer, so that an unsubscribe's eventStreamTerminated follows its answer). The
connection is one of the hub's `connections` (listed, dropped and expired by the control API) and
ends, as Binance ends one, once the mock's clock passes 24 hours from its opening.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.types import Receive, Scope, Send

from mock_server.exchange.exchange import Exchange
from mock_server.http.streams import abort, frame_text
from mock_server.streams import limits
from mock_server.streams.connections import Connection
from mock_server.wsapi.session import Session

PATH = "/ws-api/v3"
log = logging.getLogger("binance_mock")
POLL_S = 0.02


class WsApiEndpoint:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        client = scope.get("client")
        ip = client[0] if client else "127.0.0.1"
        hub = self.exchange.streams
        if hub.refuses("ws-api", PATH, (), ip):  # a stream fault (uvicorn answers 403)
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept"})
        session = Session(self.exchange, ip)
        lock = asyncio.Lock()  # one frame at a time on the socket
        ended: asyncio.Event = asyncio.Event()
        how: list[tuple[int, str, bool]] = []  # how the connection ended, once; whether by the client

        def end(code: int, reason: str, by_client: bool = False) -> bool:
            """The connection ends, once: the registry and the journal hear how."""
            if how:
                return False
            how.append((code, reason, by_client))
            hub.connections.closed(conn, code, reason)
            ended.set()
            return True

        def drop() -> None:
            if end(1006, "dropped"):
                abort(send)

        conn = hub.connections.opened(
            Connection("ws-api", PATH, ip, session.connected_ms, end, drop,
                       accounts=lambda: {*(s.api_key for s in session.subscriptions.values()),
                                         *filter(None, [session.api_key])},
                       announce=session.announce),
        )  # fmt: skip

        async def pump() -> None:
            try:
                await pumping()
            finally:
                ended.set()

        async def pumping() -> None:
            while not ended.is_set():
                await asyncio.sleep(POLL_S)
                if self.exchange.now_ms() - session.connected_ms >= limits.MAX_AGE_MS:
                    end(*limits.CLOSE_AGE)
                    break
                async with lock:  # taken and sent as one step: the order of the events stays
                    for frame in session.events():
                        await send({"type": "websocket.send", "text": frame})

        async def read() -> None:
            try:
                await reading()
            finally:  # whatever ended it, the connection ends
                ended.set()

        async def reading() -> None:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    end(message.get("code", 1005), "the client left", by_client=True)
                    return
                if message["type"] == "websocket.receive":
                    answer = session.handle(frame_text(message))
                    async with lock:  # the answer, then what it ended (eventStreamTerminated)
                        for frame in (answer, *session.events()):
                            await send({"type": "websocket.send", "text": frame})

        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(pump()), loop.create_task(read())]
        try:
            await ended.wait()
            for task in tasks:
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error("the WebSocket API connection failed", exc_info=task.exception())
                    end(1011, "Internal error")  # a bug of ours: nor may the registry keep it
            code, reason, by_client = how[0]
            if code != 1006 and not by_client:  # we end it: Binance's close frame
                async with lock:
                    await send({"type": "websocket.close", "code": code, "reason": reason})
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
