"""The HTTP layer: routes only. Each Binance request becomes a `Call` for the exchange."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mock_server.exchange import Exchange, Settings
from mock_server.wire import Call


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
        reply = self.exchange.handle(call)
        response = Response(reply.body, reply.status, headers=reply.headers, media_type=reply.content_type)
        await response(scope, receive, send)


def create_app(settings: Settings | None = None, exchange: Exchange | None = None) -> Starlette:
    ex = exchange or Exchange(settings)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/_mock/health", health, methods=["GET"]),
        Route("/{path:path}", BinanceEndpoint(ex)),
    ]
    app = Starlette(routes=routes)
    app.state.exchange = ex
    return app
