"""The control API under /_mock: JSON in and out, thin over the exchange's own methods.

Open to loopback callers. With an admin token every route but /_mock/health needs
`Authorization: Bearer <token>` (compared in constant time); without one, callers from any
other address are refused. No response ever carries a secret: keys are masked.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_server.exchange import Exchange
from mock_server.http.openapi import openapi_document
from mock_server.state.accounts import mask_key
from mock_server.version import __version__

Handler = Callable[[Request], Awaitable[Response]]


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(host: str | None) -> bool:
    """A loopback address or name; also Starlette's in-process TestClient."""
    if host is None:
        return False
    if host in ("testclient", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _json(request: Request) -> Any:
    body = await request.body()
    if not body:
        raise ControlError(400, "expected a JSON body")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ControlError(400, f"body is not valid JSON: {exc}") from None


def control_routes(ex: Exchange, admin_token: str | None) -> list[Route]:
    def guarded(handler: Handler, open_route: bool = False) -> Handler:
        async def endpoint(request: Request) -> Response:
            if not open_route:
                # A web page the developer visits may POST here ("simple" requests need no
                # preflight): a call from another origin is refused.
                origin = request.headers.get("origin")
                if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
                    return JSONResponse({"error": "the control API does not answer pages of other origins"}, 403)
                if admin_token is not None:
                    given = request.headers.get("authorization", "")
                    expected = f"Bearer {admin_token}"
                    if not hmac.compare_digest(given.encode(), expected.encode()):
                        return JSONResponse({"error": "admin token required"}, 401)
                elif not is_loopback(request.client.host if request.client else None):
                    return JSONResponse({"error": "the control API answers loopback callers only"}, 403)
            try:
                return await handler(request)
            except ControlError as exc:
                return JSONResponse({"error": exc.message}, exc.status)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, 400)

        return endpoint

    async def health(request: Request) -> Response:
        # The profile lets a contract run expect this mock's own fidelity choices.
        return JSONResponse({"status": "ok", "version": __version__, "profile": ex.profile.to_dict()})

    async def add_fault(request: Request) -> Response:
        rule = ex.faults.add(await _json(request))
        return JSONResponse({"id": rule.id}, 201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [r.to_dict(mask_key) for r in ex.faults.rules()]})

    async def delete_fault(request: Request) -> Response:
        raw = request.path_params["rule_id"]
        if not raw.isdigit() or not ex.faults.remove(int(raw)):
            raise ControlError(404, f"no fault rule {raw}")
        return Response(status_code=204)

    async def clear_faults(request: Request) -> Response:
        ex.faults.clear()
        return Response(status_code=204)

    def clock_state() -> dict[str, Any]:
        state = ex.clock.state()
        return {"mode": state.mode, "now_ms": state.now_ms, "offset_ms": state.offset_ms}

    async def get_clock(request: Request) -> Response:
        return JSONResponse(clock_state())

    async def put_clock(request: Request) -> Response:
        ex.set_clock(await _json(request))
        return JSONResponse(clock_state())

    async def get_pacing(request: Request) -> Response:
        return JSONResponse({"min_interval_ms": ex.pacer.min_interval_ms})

    async def put_pacing(request: Request) -> Response:
        data = await _json(request)
        value = data.get("min_interval_ms") if isinstance(data, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ControlError(400, "min_interval_ms must be a non-negative integer")
        ex.pacer.reset(value)
        return JSONResponse({"min_interval_ms": value})

    def account_key(value: Any) -> str:
        if value is None:
            return ex.default_api_key
        if not isinstance(value, str) or ex.keys.get(value) is None:
            raise ControlError(400, "apiKey is not an account of this mock")
        return value

    async def add_transfers(request: Request) -> Response:
        data = await _json(request)
        if not isinstance(data, dict) or "rows" not in data:
            raise ControlError(400, 'expected {"apiKey": ..., "rows": [...]}')
        api_key = account_key(data.get("apiKey"))
        added = ex.add_transfers(data["rows"], api_key)
        return JSONResponse({"added": added, "total": ex.ledger.count(api_key)}, 201)

    def key_of(request: Request) -> str | None:
        # The header first: a key in a URL ends up in logs.
        return request.headers.get("x-mbx-apikey") or request.query_params.get("apiKey")

    async def list_transfers(request: Request) -> Response:
        api_key = account_key(key_of(request))
        return JSONResponse({"rows": ex.ledger.rows(api_key)})

    async def clear_transfers(request: Request) -> Response:
        key = key_of(request)
        ex.ledger.clear(account_key(key) if key is not None else None)
        return Response(status_code=204)

    async def list_requests(request: Request) -> Response:
        return JSONResponse({"requests": [e.to_dict() for e in ex.journal.entries()]})

    async def clear_requests(request: Request) -> Response:
        ex.journal.clear()
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        ex.reset()
        return JSONResponse({"status": "reset"})

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(ex.registry.endpoints(), ex.profile))

    table: list[tuple[str, str, Handler, bool]] = [
        ("/_mock/health", "GET", health, True),
        ("/_mock/openapi.json", "GET", openapi, True),
        ("/_mock/faults", "POST", add_fault, False),
        ("/_mock/faults", "GET", list_faults, False),
        ("/_mock/faults", "DELETE", clear_faults, False),
        ("/_mock/faults/{rule_id}", "DELETE", delete_fault, False),
        ("/_mock/clock", "GET", get_clock, False),
        ("/_mock/clock", "PUT", put_clock, False),
        ("/_mock/pacing", "GET", get_pacing, False),
        ("/_mock/pacing", "PUT", put_pacing, False),
        ("/_mock/transfers", "POST", add_transfers, False),
        ("/_mock/transfers", "GET", list_transfers, False),
        ("/_mock/transfers", "DELETE", clear_transfers, False),
        ("/_mock/requests", "GET", list_requests, False),
        ("/_mock/requests", "DELETE", clear_requests, False),
        ("/_mock/reset", "POST", reset, False),
    ]
    return [
        Route(path, guarded(handler, open_route), methods=[method])
        for path, method, handler, open_route in table
    ]
