"""The OpenAPI document of everything the mock serves (GET /_mock/openapi.json).

The Binance half is generated from the endpoints' declarations (their parameters, security,
weight and 200 schema), so a new endpoint appears here without an edit; the control API's
half is a table below. A test validates real responses against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mock_server.endpoints.declaration import Endpoint, Security
from mock_server.rules.fidelity import MAX_RECV_WINDOW_MS, Profile
from mock_server.version import __version__

_ERROR = {
    "type": "object",
    "required": ["code", "msg"],
    "properties": {"code": {"type": "integer", "maximum": -1}, "msg": {"type": "string"}},
    "additionalProperties": False,
}
_INT_HEADER = {"schema": {"type": "string", "pattern": "^[0-9]+$"}}
_SIGNED_PARAMS = [
    {"in": "query", "name": "recvWindow", "required": False, "description": "ms",
     "schema": {"type": "integer", "format": "int64", "minimum": 0, "maximum": MAX_RECV_WINDOW_MS}},
    {"in": "query", "name": "timestamp", "required": True, "description": "UTC ms of the request",
     "schema": {"type": "integer", "format": "int64", "minimum": 0}},
    {"in": "query", "name": "signature", "required": True, "schema": {"type": "string"},
     "description": "HMAC-SHA256 hex, or RSA / Ed25519 base64 of the query string"},
]  # fmt: skip


def weight_header(endpoint: Endpoint) -> str:
    if not endpoint.sapi:
        return "X-MBX-USED-WEIGHT-1M"
    return f"X-SAPI-USED-{endpoint.weight_kind}-WEIGHT-1M"


def _error_responses(endpoint: Endpoint) -> dict[str, Any]:
    headers = {weight_header(endpoint): _INT_HEADER}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    out: dict[str, Any] = {
        "400": {"description": "Binance error (parameters, timestamp, signature)", "headers": headers,
                "content": content},
        "429": {"description": "Request weight over the limit (-1003)",
                "headers": {**headers, "Retry-After": _INT_HEADER}, "content": content},
        "default": {"description": "An injected fault: any Binance error with its status", "content": content},
    }  # fmt: skip
    if endpoint.security is not Security.NONE:
        out["401"] = {"description": "API key missing, malformed, unknown or not permitted",
                      "headers": headers, "content": content}  # fmt: skip
    return dict(sorted(out.items()))


def operation(endpoint: Endpoint, profile: Profile) -> dict[str, Any]:
    """One endpoint's OpenAPI operation, from its declaration alone."""
    params: list[dict[str, Any]] = []
    for rule in endpoint.params:
        p: dict[str, Any] = {
            "in": "query",
            "name": rule.name,
            "required": rule.required,
            "schema": rule.schema(),
        }
        if rule.description:
            p["description"] = rule.description
        params.append(p)
    if endpoint.security is Security.SIGNED:
        params += _SIGNED_PARAMS
    op: dict[str, Any] = {
        "summary": endpoint.summary,
        "operationId": endpoint.operation_id or None,
        "x-tier": endpoint.tier,
        "x-weight": {"value": endpoint.weight, "kind": endpoint.weight_kind},
        "parameters": params,
        "responses": {
            "200": {
                "description": "OK",
                "headers": {weight_header(endpoint): _INT_HEADER},
                "content": {"application/json": {"schema": endpoint.schema(profile)}},
            },
            **_error_responses(endpoint),
        },
    }
    if endpoint.security is not Security.NONE:
        op["security"] = [{"ApiKeyAuth": []}]
    return {k: v for k, v in op.items() if v is not None and v != []}


def openapi_document(endpoints: Iterable[Endpoint], profile: Profile | None = None) -> dict[str, Any]:
    profile = profile or Profile()
    paths: dict[str, Any] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation(endpoint, profile)
    return {
        "openapi": "3.0.3",
        "info": {"title": "binance-mock", "version": __version__,
                 "description": "Binance endpoints emulated by binance-mock, and its control API."},
        "paths": {**paths, **_control_paths()},
        "components": {
            "securitySchemes": {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"},
                                "AdminToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR, "ControlError": {
                "type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}},
        },
    }  # fmt: skip


def _control_paths() -> dict[str, Any]:
    def op(summary: str, status: str = "200", body: bool = False) -> dict[str, Any]:
        o: dict[str, Any] = {
            "summary": summary,
            "tags": ["control"],
            "security": [{}, {"AdminToken": []}],
            "responses": {
                status: {"description": "OK"},
                "400": {"description": "Invalid request",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ControlError"}}}},
            },
        }  # fmt: skip
        if body:
            o["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        return o

    key_parameter = {
        "in": "path",
        "name": "api_key",
        "required": True,
        "schema": {"type": "string"},
        "description": "the full API key, or its mask (vmPU...Eh8A) when one account has it",
    }
    symbol_parameter = {"in": "path", "name": "symbol", "required": True, "schema": {"type": "string"}}
    return {
        "/_mock/health": {"get": op("Readiness")},
        "/_mock/openapi.json": {"get": op("This document")},
        "/_mock/faults": {
            "post": op("Add a fault rule: {code, times, probability, match, args, http_status, delay_ms, fault}",
                       "201", body=True),
            "get": op("List rules with how often each fired"),
            "delete": op("Remove every rule", "204"),
        },
        "/_mock/faults/{rule_id}": {
            "delete": {**op("Remove one rule", "204"),
                       "parameters": [{"in": "path", "name": "rule_id", "required": True,
                                       "schema": {"type": "integer"}}]},
        },
        "/_mock/streams": {"get": op("The open WebSocket connections: endpoint, path, streams, age")},
        "/_mock/streams/drop": {"post": op('Close the matching connections now, without a close frame: '
                                           '{"match": {"stream", "listenKey", "apiKey", "endpoint"}}; '
                                           'an empty body: all')},
        "/_mock/streams/faults": {
            "post": op('Add a stream fault: {"kind": "pause"|"delay"|"gap"|"expire"|"refuse"|"shutdown", "match", "ms", '
                       '"times"}', "201", body=True),
            "get": op("List stream faults with how often each fired"),
            "delete": op("Remove every stream fault", "204"),
        },
        "/_mock/streams/faults/{rule_id}": {
            "delete": {**op("Remove one stream fault", "204"),
                       "parameters": [{"in": "path", "name": "rule_id", "required": True,
                                       "schema": {"type": "integer"}}]},
        },
        "/_mock/clock": {"get": op("Server clock"),
                         "put": op('{"now_ms": N} | {"offset_ms": N} | {"mode": "real"}', body=True)},
        "/_mock/pacing": {"get": op("Pacing interval (F23)"), "put": op('{"min_interval_ms": N}', body=True)},
        "/_mock/transfers": {"post": op('Add rows: {"apiKey": ..., "rows": [...]}', "201", body=True),
                             "get": op("Rows of an account, newest first"),
                             "delete": op("Empty the ledger", "204")},
        "/_mock/requests": {"get": op("The journal"), "delete": op("Clear the journal", "204")},
        "/_mock/accounts": {"get": op('Every account, its key masked: {"accounts": [{"apiKey": "vmPU...Eh8A"}]}')},
        "/_mock/accounts/{api_key}": {"get": {**op("An account's wallets, each asset's free, locked, borrowed and interest"),
                                              "parameters": [key_parameter]}},
        "/_mock/accounts/{api_key}/balances": {
            "put": {**op('Set one free balance: {"wallet": "SPOT", "asset": "USDT", "free": "1000"}', body=True),
                    "parameters": [key_parameter]},
        },
        "/_mock/market": {"get": op('Every symbol: {"symbols": [{"symbol", "price", "steered"}]}')},
        "/_mock/market/{symbol}": {
            "get": {**op("One symbol: its price, the points ahead and the closes of ?minutes=N (60)"),
                    "parameters": [symbol_parameter]},
            "put": {**op('Steer: {"price": "61000.5"} | {"path": [{"in_ms": N, "price": "P"}, ...]}', body=True),
                    "parameters": [symbol_parameter]},
            "delete": {**op("Back to the seeded path from now on"), "parameters": [symbol_parameter]},
        },
        "/_mock/reset": {"post": op("Back to the state at start")},
    }  # fmt: skip
