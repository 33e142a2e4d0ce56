"""N signed size-100 requests, for counting instructions (no sockets, no clock noise).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/instructions.py 3000
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/instructions.py 0

The difference of the two "Collected" figures divided by 3000 is the cost of one request,
the same from run to run whatever else the machine is doing (docs/performance.md).

`--http` (after N, in both runs) sends each request as HTTP/1.1 bytes through the server's
own stack instead: uvicorn's httptools protocol as the mock configures it, on uvloop, with
the whole ASGI app, into a transport that keeps nothing. That counts what `Exchange.handle`
alone leaves out: parsing the request, the ASGI adapter and writing the reply.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call
from mock_server.rules.signature import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET

PATH = "/sapi/v1/margin/transfer"


def signed_query(exchange: Exchange) -> bytes:
    payload = f"size=100&timestamp={exchange.now_ms()}&recvWindow=60000".encode()
    return payload + b"&signature=" + sign_hmac(DEMO_SECRET, payload).encode()


def exchange_only(n: int) -> None:
    exchange = Exchange(Settings(sapi_weight_limit=10**9))
    call = Call("GET", PATH, signed_query(exchange), b"", DEMO_API_KEY, "127.0.0.1")
    for _ in range(n):
        exchange.handle(call)


class _Sink(asyncio.Transport):
    """A connected socket that takes every write and keeps none."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: Any) -> None:
        self.written += len(data)

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def through_http(n: int) -> None:
    import uvloop
    from uvicorn.server import ServerState

    from mock_server.http.app import create_app
    from mock_server.http.server import server_config

    exchange = Exchange(Settings(sapi_weight_limit=10**9))
    config = server_config(create_app(exchange=exchange))
    config.load()
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    state = ServerState()
    # uvicorn's Server sets these (and refreshes the date every second); no Server runs here.
    state.default_headers = [(b"date", b"Sun, 29 Nov 2026 12:00:00 GMT"), *config.encoded_headers]
    protocol = config.http_protocol_class(config=config, server_state=state, app_state={}, _loop=loop)
    transport = _Sink()
    protocol.connection_made(transport)
    request = (
        b"GET " + PATH.encode() + b"?" + signed_query(exchange) + b" HTTP/1.1\r\n"
        b"Host: 127.0.0.1:8000\r\nX-MBX-APIKEY: " + DEMO_API_KEY.encode() + b"\r\n\r\n"
    )

    async def serve() -> None:  # one run of the loop: uvloop sets up signals on each run
        for _ in range(n):
            protocol.data_received(request)
            (task,) = state.tasks
            await task
        protocol.connection_lost(None)

    loop.run_until_complete(serve())
    if n and exchange.requests()[-1].check != "ok":
        raise SystemExit("the request was refused: the count would not be a full page's")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    if "--http" in sys.argv[2:]:
        through_http(n)
    else:
        exchange_only(n)


if __name__ == "__main__":
    main()
