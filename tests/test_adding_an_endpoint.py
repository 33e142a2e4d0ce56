"""A new endpoint is one declaration: this module declares one (the block between the markers,
under 40 lines) and shows that it gets signatures, weights, faults, journal, pacing and its
OpenAPI entry from the pipeline, with no other module touched (docs/adding-an-endpoint.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from helpers import NOW, Signer
from starlette.testclient import TestClient

from mock_server.endpoints.declaration import Context, Endpoint, Security, Values
from mock_server.endpoints.registry import DEFAULT_ENDPOINTS
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Long, Text
from mock_server.state.clock import Clock

# --- the declaration (with the six imports it needs above: 30 lines) ---


def count_rules(values: Values, ctx: Context) -> Values:
    if values["asset"] not in ("BTC", "ETH", "USDT", "BNB"):
        raise BinanceError(errors.NOT_VALID_MARGIN_ASSET)
    return values


def count_answer(values: Values, ctx: Context) -> bytes:
    assert ctx.account is not None
    rows = [r for r in ctx.ledger.rows(ctx.account.api_key) if r["asset"] == values["asset"]]
    return b'{"asset":"%s","count":%d}' % (values["asset"].encode(), min(len(rows), values["limit"]))


COUNT = Endpoint(
    "GET", "/sapi/v1/margin/transferCount", "Count an asset's transfers (test)", count_answer,
    lambda profile: {"type": "object", "required": ["asset", "count"]},
    security=Security.SIGNED, weight=5, weight_kind="UID", permission="margin",
    params=(Text("asset", required=True), Long("limit", default=100, minimum=1, maximum=500)),
    rules=count_rules, margin_account=True, paced=True,
)  # fmt: skip
ENDPOINTS = (*DEFAULT_ENDPOINTS, COUNT)
# --- end of the declaration ---


@pytest.fixture
def served() -> Iterator[tuple[Exchange, Signer]]:
    clock = Clock()
    clock.freeze(NOW)
    exchange = Exchange(Settings(anchor_ms=NOW, rows=200, endpoints=ENDPOINTS), clock=clock)
    yield exchange, Signer(TestClient(create_app(exchange=exchange)))


def _get(signer: Signer, params: dict[str, Any], **kw: Any) -> Any:
    return signer.get(params, path=COUNT.path, **kw)


def test_answers_from_the_ledger_with_its_uid_weight(served: tuple[Exchange, Signer]) -> None:
    exchange, signer = served
    usdt = sum(1 for r in exchange.transfers(signer.api_key) if r["asset"] == "USDT")
    r = _get(signer, {"asset": "USDT"})
    assert r.status_code == 200 and r.json() == {"asset": "USDT", "count": usdt} and usdt > 0
    assert r.headers["x-sapi-used-uid-weight-1m"] == "5"
    assert _get(signer, {"asset": "USDT"}).headers["x-sapi-used-uid-weight-1m"] == "10"


def test_signature_key_and_parameters_are_checked(served: tuple[Exchange, Signer]) -> None:
    _, signer = served
    bad_sig = signer.raw(signer.query({"asset": "BTC"}) + "&signature=" + "0" * 64, path=COUNT.path)
    assert (bad_sig.status_code, bad_sig.json()["code"]) == (400, -1022)
    assert _get(signer, {"asset": "BTC"}, api_key="nosuchkey").json()["code"] == -2015
    assert _get(signer, {}).json() == {"code": -1102, "msg": errors.MANDATORY_PARAM.format("asset")}
    assert _get(signer, {"asset": "BTC", "limit": 501}).json()["code"] == -1130
    assert _get(signer, {"asset": "DOGE"}).json()["code"] == -3027


def test_faults_pacing_and_journal_apply(served: tuple[Exchange, Signer]) -> None:
    exchange, signer = served
    exchange.add_fault({"code": -3044, "match": {"path": COUNT.path}})
    assert _get(signer, {"asset": "BTC"}).json()["code"] == -3044
    exchange.set_pacing(1_000)
    assert _get(signer, {"asset": "BTC"}).status_code == 200
    assert _get(signer, {"asset": "BTC"}).json()["code"] == -21003  # the clock is frozen: too close
    checks = [(e.path, e.check, e.code) for e in exchange.requests()]
    assert checks == [(COUNT.path, "fault", -3044), (COUNT.path, "ok", None), (COUNT.path, "pacing", -21003)]


def test_openapi_entry_is_generated_from_the_declaration(served: tuple[Exchange, Signer]) -> None:
    _, signer = served
    op = signer.client.get("/_mock/openapi.json").json()["paths"][COUNT.path]["get"]
    names = [(p["name"], p["required"]) for p in op["parameters"]]
    assert names == [("asset", True), ("limit", False), ("recvWindow", False), ("timestamp", True),
                     ("signature", True)]  # fmt: skip
    assert op["parameters"][1]["schema"] == {"type": "integer", "format": "int64", "minimum": 1,
                                             "maximum": 500, "default": 100}  # fmt: skip
    assert op["security"] == [{"ApiKeyAuth": []}] and op["x-weight"] == {"value": 5, "kind": "UID"}
    assert "X-SAPI-USED-UID-WEIGHT-1M" in op["responses"]["200"]["headers"]
