"""GET /api/v3/time: Check server time, from the mock's clock (clients sync to it)."""

from __future__ import annotations

from typing import Any

from mock_server.endpoints.declaration import Context, Endpoint
from mock_server.rules.fidelity import Profile


def respond(request: Any, ctx: Context) -> bytes:
    return b'{"serverTime":%d}' % ctx.now_ms


def schema(profile: Profile) -> dict[str, Any]:
    return {"type": "object", "required": ["serverTime"], "properties": {"serverTime": {"type": "integer"}}}


ENDPOINT = Endpoint("GET", "/api/v3/time", "Check server time", respond, schema, operation_id="time")
