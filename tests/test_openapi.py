"""The served OpenAPI document stays true: real responses validate against it."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from helpers import NOW, Signer
from starlette.testclient import TestClient

from mock_server.http.openapi import openapi_document


def _resolve(node: Any, doc: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolve(target, doc)
        return {k: _resolve(v, doc) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, doc) for v in node]
    return node


def _check(doc: dict[str, Any], path: str, response: Any) -> None:
    responses = doc["paths"][path]["get"]["responses"]
    spec = responses.get(str(response.status_code)) or responses["default"]
    schema = _resolve(spec["content"]["application/json"]["schema"], doc)
    jsonschema_rs.validator_for(schema).validate(response.json())
    for header, header_spec in spec.get("headers", {}).items():
        assert header in response.headers, header
        jsonschema_rs.validator_for(header_spec["schema"]).validate(response.headers[header])


@pytest.mark.parametrize(
    ("params", "ts", "status"),
    [
        ({"size": 100}, NOW, 200),
        ({"asset": "NOPE"}, NOW, 200),
        ({"size": 1000}, NOW, 400),
        ({}, NOW - 10**7, 400),
    ],
)
def test_history_responses_match_the_document(client: TestClient, signer: Signer, params, ts, status) -> None:
    doc = client.get("/_mock/openapi.json").json()
    r = signer.get(params, ts=ts)
    assert r.status_code == status
    _check(doc, "/sapi/v1/margin/transfer", r)


def test_401_429_and_injected_errors_match(client: TestClient, signer: Signer) -> None:
    doc = client.get("/_mock/openapi.json").json()
    _check(doc, "/sapi/v1/margin/transfer", signer.get(api_key=None))
    client.post("/_mock/faults", json={"code": -1003})
    r = signer.get()
    assert r.status_code == 429
    _check(doc, "/sapi/v1/margin/transfer", r)
    client.post("/_mock/faults", json={"code": -1001})
    r = signer.get()
    assert r.status_code == 503
    _check(doc, "/sapi/v1/margin/transfer", r)


@pytest.mark.parametrize("path", ["/api/v3/ping", "/api/v3/time", "/sapi/v1/system/status"])
def test_public_endpoints_match(client: TestClient, path: str) -> None:
    doc = client.get("/_mock/openapi.json").json()
    _check(doc, path, client.get(path))


def test_document_follows_the_empty_rows_profile() -> None:
    from mock_server.endpoints.registry import DEFAULT_ENDPOINTS
    from mock_server.rules.fidelity import Profile

    schema = openapi_document(DEFAULT_ENDPOINTS, Profile(empty_rows="absent"))["paths"][
        "/sapi/v1/margin/transfer"
    ]["get"]
    assert schema["responses"]["200"]["content"]["application/json"]["schema"]["required"] == ["total"]
