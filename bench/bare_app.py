"""The stack's own limit: a bare Starlette route on the same uvicorn settings, answering
precomputed bytes (the mock's own answers, captured first). Whatever this serves per second
is the ceiling the mock is measured against.

    python bench/bare_app.py RESPONSES.json PORT
"""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_server.http.server import server_config


def build(responses: dict[str, dict]) -> Starlette:
    def endpoint_for(spec: dict):
        body = spec["body"].encode("latin-1")
        headers = spec["headers"]
        status = spec["status"]
        media_type = spec["content_type"]

        async def endpoint(request: Request) -> Response:
            return Response(body, status, headers=headers, media_type=media_type)

        return endpoint

    return Starlette(routes=[Route(f"/{name}", endpoint_for(spec)) for name, spec in responses.items()])


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        app = build(json.load(f))
    uvicorn.Server(server_config(app, "127.0.0.1", int(sys.argv[2]))).run()
