"""GET /api/v3/ping: Test connectivity (clients call it on start-up)."""

from __future__ import annotations

from typing import Any

from mock_server.endpoints.declaration import Context, Endpoint
from mock_server.rules.fidelity import Profile


def respond(request: Any, ctx: Context) -> bytes:
    return b"{}"


def schema(profile: Profile) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False}


ENDPOINT = Endpoint("GET", "/api/v3/ping", "Test connectivity", respond, schema, operation_id="ping")
