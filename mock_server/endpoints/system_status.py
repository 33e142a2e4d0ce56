"""GET /sapi/v1/system/status: System status, always normal."""

from __future__ import annotations

from typing import Any

from mock_server.endpoints.declaration import Context, Endpoint
from mock_server.rules.fidelity import Profile


def respond(request: Any, ctx: Context) -> bytes:
    return b'{"status":0,"msg":"normal"}'


def schema(profile: Profile) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["status", "msg"],
        "properties": {"status": {"type": "integer", "enum": [0, 1]}, "msg": {"type": "string"}},
    }


ENDPOINT = Endpoint(
    "GET", "/sapi/v1/system/status", "System status", respond, schema, operation_id="systemStatus"
)
