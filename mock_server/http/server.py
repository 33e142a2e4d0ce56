"""The uvicorn settings every way of running the mock shares (CLI, MockBinance, benchmarks)."""

from __future__ import annotations

import socket
import sys

import uvicorn
from starlette.types import ASGIApp

from mock_server.http.edge import UVICORN_OPTIONS, LimitedHttpToolsProtocol
from mock_server.streams.limits import PING_INTERVAL_S, PONG_TIMEOUT_S


def server_config(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        # The access log prints the query string, and with it the signature; the journal
        # (GET /_mock/requests) is the request log, with secrets redacted.
        access_log=False,
        lifespan="off",
        # The edge's size and time limits (edge.py), answered as CloudFront would.
        http=LimitedHttpToolsProtocol,
        # The market streams (mock_server/http/streams.py): a ping frame every 20 s, and a
        # connection that does not answer one within a minute is closed, as Binance does.
        ws_ping_interval=PING_INTERVAL_S,
        ws_ping_timeout=PONG_TIMEOUT_S,
        **UVICORN_OPTIONS,
    )


class AnnouncingServer(uvicorn.Server):
    """Prints the address once the server is up: after the socket is bound and after uvicorn
    has taken over SIGTERM, so a signal sent on reading the line is handled, not lost."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and sockets:
            host, port = sockets[0].getsockname()[:2]
            shown = f"[{host}]" if ":" in host else host
            print(f"binance-mock serving on http://{shown}:{port}", file=sys.stderr, flush=True)
