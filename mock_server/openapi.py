"""The OpenAPI document of everything the mock serves (GET /_mock/openapi.json).

Written by hand rather than generated, because the Binance half must say what Binance
says (parameter types, the signed-request security, error bodies), not what our Python
types happen to be. A test validates real responses against it.
"""

from __future__ import annotations

from typing import Any

from mock_server import __version__
from mock_server.fidelity import MAX_RECV_WINDOW_MS, MAX_SIZE, Profile
from mock_server.ledger import STATUSES, TYPES, WALLETS

_ERROR = {
    "type": "object",
    "required": ["code", "msg"],
    "properties": {"code": {"type": "integer", "maximum": -1}, "msg": {"type": "string"}},
    "additionalProperties": False,
}
_INT_HEADER = {"schema": {"type": "string", "pattern": "^[0-9]+$"}}


def _long(description: str, required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"in": "query", "required": required, "description": description,
            "schema": {"type": "integer", "format": "int64", "minimum": 0, **extra}}  # fmt: skip


def _row_schema() -> dict[str, Any]:
    wallet = {"type": "string", "enum": list(WALLETS)}
    return {
        "type": "object",
        "required": ["amount", "asset", "status", "timestamp", "txId", "type"],
        "properties": {
            "amount": {"type": "string", "pattern": r"^[0-9]+\.[0-9]{8}$"},
            "asset": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "timestamp": {"type": "integer", "format": "int64"},
            "txId": {"type": "integer", "format": "int64"},
            "type": {"type": "string", "enum": list(TYPES)},
            "transFrom": wallet,
            "transTo": wallet,
            "fromSymbol": {"type": "string"},
            "toSymbol": {"type": "string"},
        },
        "additionalProperties": False,
    }


def _error_responses(weight_header: str) -> dict[str, Any]:
    headers = {weight_header: _INT_HEADER}
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "400": {"description": "Binance error (parameters, timestamp, signature)", "headers": headers,
                "content": content},
        "401": {"description": "API key missing, malformed, unknown or not permitted", "headers": headers,
                "content": content},
        "429": {"description": "Request weight over the limit (-1003)",
                "headers": {**headers, "Retry-After": _INT_HEADER}, "content": content},
        "default": {"description": "An injected fault: any Binance error with its status", "content": content},
    }  # fmt: skip


def _public(
    summary: str, example: dict[str, Any], schema: dict[str, Any], weight_header: str
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "responses": {
                "200": {
                    "description": "OK",
                    "headers": {weight_header: _INT_HEADER},
                    "content": {"application/json": {"schema": schema, "example": example}},
                },
                **_error_responses(weight_header),
            },
        }
    }


def openapi_document(profile: Profile | None = None) -> dict[str, Any]:
    profile = profile or Profile()
    history_required = ["total"] if profile.empty_rows == "absent" else ["rows", "total"]
    return {
        "openapi": "3.0.3",
        "info": {"title": "binance-mock", "version": __version__,
                 "description": "Binance endpoints emulated by binance-mock, and its control API."},
        "paths": {
            "/sapi/v1/margin/transfer": {
                "get": {
                    "summary": "Get Cross Margin Transfer History (USER_DATA)",
                    "operationId": "getCrossMarginTransferHistory",
                    "security": [{"ApiKeyAuth": []}],
                    "parameters": [
                        {"in": "query", "name": "asset", "schema": {"type": "string"}},
                        {"in": "query", "name": "type", "schema": {"type": "string", "enum": list(TYPES)}},
                        {"name": "startTime", **_long("UTC ms, inclusive")},
                        {"name": "endTime", **_long("UTC ms, inclusive")},
                        {"name": "current", **_long("page, from 1", minimum=1)},
                        {"name": "size", **_long("default 10", minimum=1, maximum=MAX_SIZE)},
                        {"in": "query", "name": "isolatedSymbol", "schema": {"type": "string"}},
                        {"name": "recvWindow", **_long("ms", maximum=MAX_RECV_WINDOW_MS)},
                        {"name": "timestamp", **_long("UTC ms of the request", required=True)},
                        {"in": "query", "name": "signature", "required": True, "schema": {"type": "string"},
                         "description": "HMAC-SHA256 hex, or RSA / Ed25519 base64 of the query string"},
                    ],
                    "responses": {
                        "200": {
                            "description": "Rows newest first, one page, with the window's total",
                            "headers": {"X-SAPI-USED-IP-WEIGHT-1M": _INT_HEADER},
                            "content": {"application/json": {"schema": {
                                "type": "object",
                                "required": history_required,
                                "properties": {
                                    "rows": {"type": "array", "items": {"$ref": "#/components/schemas/Transfer"}},
                                    "total": {"type": "integer", "minimum": 0},
                                },
                                "additionalProperties": False,
                            }}},
                        },
                        **_error_responses("X-SAPI-USED-IP-WEIGHT-1M"),
                    },
                }
            },
            "/api/v3/ping": _public("Test connectivity", {}, {"type": "object", "additionalProperties": False},
                                    "X-MBX-USED-WEIGHT-1M"),
            "/api/v3/time": _public(
                "Check server time", {"serverTime": 1499827319559},
                {"type": "object", "required": ["serverTime"], "properties": {"serverTime": {"type": "integer"}}},
                "X-MBX-USED-WEIGHT-1M",
            ),
            "/sapi/v1/system/status": _public(
                "System status", {"status": 0, "msg": "normal"},
                {"type": "object", "required": ["status", "msg"],
                 "properties": {"status": {"type": "integer", "enum": [0, 1]}, "msg": {"type": "string"}}},
                "X-SAPI-USED-IP-WEIGHT-1M",
            ),
            **_control_paths(),
        },
        "components": {
            "securitySchemes": {"ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-MBX-APIKEY"},
                                "AdminToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR, "Transfer": _row_schema(), "ControlError": {
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
        "/_mock/clock": {"get": op("Server clock"),
                         "put": op('{"now_ms": N} | {"offset_ms": N} | {"mode": "real"}', body=True)},
        "/_mock/pacing": {"get": op("Pacing interval (F23)"), "put": op('{"min_interval_ms": N}', body=True)},
        "/_mock/transfers": {"post": op('Add rows: {"apiKey": ..., "rows": [...]}', "201", body=True),
                             "get": op("Rows of an account, newest first"),
                             "delete": op("Empty the ledger", "204")},
        "/_mock/requests": {"get": op("The journal"), "delete": op("Clear the journal", "204")},
        "/_mock/reset": {"post": op("Back to the state at start")},
    }  # fmt: skip
