"""The spec tier: every operation of Binance's OpenAPI description answers, with Binance's rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jsonschema_rs
import pytest
from helpers import NOW, Signer
from starlette.testclient import TestClient

from mock_server.endpoints.declaration import Endpoint, Security
from mock_server.endpoints.registry import DEFAULT_ENDPOINTS
from mock_server.endpoints.spec import corrected, load_spec, spec_endpoints
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.rules.params import Choice, Decimal, Long
from mock_server.state.clock import Clock

# The operations the spec tier still answers (the others are the exact and world tiers' own).
SPEC = [
    e for e in spec_endpoints() if all((d.method, d.path) != (e.method, e.path) for d in DEFAULT_ENDPOINTS)
]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def served() -> tuple[Exchange, Signer]:
    clock = Clock()
    clock.freeze(NOW)
    exchange = Exchange(Settings(anchor_ms=NOW, rows=50, sapi_weight_limit=10**9, api_weight_limit=10**9,
                                 sapi_uid_weight_limit=10**9), clock=clock)  # fmt: skip
    return exchange, Signer(TestClient(create_app(exchange=exchange)))


def _valid(endpoint: Endpoint) -> dict[str, str]:
    """A value for every mandatory parameter, valid by its declaration."""
    out = {}
    for rule in endpoint.params:
        if not rule.required:
            continue
        if isinstance(rule, Choice):
            out[rule.name] = rule.values[0]
        elif isinstance(rule, Long):
            out[rule.name] = str(max(rule.minimum or 1, 1))
        elif isinstance(rule, Decimal):
            out[rule.name] = "1.5"
        else:
            out[rule.name] = "BTCUSDT"
    return out


def _call(signer: Signer, endpoint: Endpoint, params: dict[str, Any], sign: bool = True) -> Any:
    query = urlencode(params)
    if endpoint.security is Security.SIGNED and sign:
        query = signer.sign(signer.query(params))
    headers = {"X-MBX-APIKEY": signer.api_key} if endpoint.security is not Security.NONE else {}
    return signer.client.request(
        endpoint.method, f"{endpoint.path}?{query}" if query else endpoint.path, headers=headers
    )


def _official_200(endpoint: Endpoint) -> Any:
    spec = load_spec()
    op = spec["paths"][endpoint.path][endpoint.method.lower()]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]})


def test_every_operation_of_the_description_is_served(served: tuple[Exchange, Signer]) -> None:
    _, signer = served
    operations = sum(
        1 for item in load_spec()["paths"].values() for m in ("get", "post", "put", "delete") if m in item
    )
    tiers = signer.client.get("/_mock/health").json()["tiers"]
    described = {f"{m.upper()} {path}" for path, item in load_spec()["paths"].items() for m in item
                 if m in ("get", "post", "put", "delete")}  # fmt: skip
    assert len(described) == operations == 340
    assert described <= set(tiers["exact"]) | set(tiers["world"]) | set(tiers["spec"])
    assert set(tiers["spec"]) == described - set(tiers["exact"]) - set(tiers["world"])
    assert "GET /api/v3/klines" in tiers["world"] and "GET /fapi/v1/exchangeInfo" in tiers["world"]
    assert "GET /sapi/v1/margin/transfer" in tiers["exact"] and "GET /api/v3/allOrderList" in tiers["spec"]
    assert "GET /api/v3/account" in tiers["world"]  # the wallets answer it
    doc = signer.client.get("/_mock/openapi.json").json()
    assert doc["paths"]["/api/v3/allOrderList"]["get"]["x-tier"] == "spec"
    assert doc["paths"]["/sapi/v1/margin/transfer"]["get"]["x-tier"] == "exact"


@pytest.mark.parametrize("endpoint", SPEC, ids=[f"{e.method} {e.path}" for e in SPEC])
def test_a_valid_call_answers_200_with_a_body_valid_against_the_official_schema(
    served: tuple[Exchange, Signer], endpoint: Endpoint
) -> None:
    _, signer = served
    r = _call(signer, endpoint, _valid(endpoint))
    assert r.status_code == 200, r.text
    _official_200(endpoint).validate(r.json())
    # No field the description gives no value for echoes its own name ("amount": "amount").
    assert not re.search(r'"(\w+)":"\1"', r.text), r.text[:300]


SIGNED = [e for e in SPEC if e.security is Security.SIGNED]


def test_every_signed_operation_refuses_a_wrong_signature_as_the_margin_endpoint_does(
    served: tuple[Exchange, Signer],
) -> None:
    _, signer = served
    margin = signer.raw(signer.query({}) + "&signature=" + "0" * 64)
    assert (margin.status_code, margin.json()["code"]) == (400, -1022)
    for endpoint in SIGNED:
        query = signer.query(_valid(endpoint)) + "&signature=" + "0" * 64
        r = signer.client.request(
            endpoint.method, f"{endpoint.path}?{query}", headers={"X-MBX-APIKEY": signer.api_key}
        )
        assert (r.status_code, r.content) == (400, margin.content), (endpoint.method, endpoint.path)


def _find(method: str, path: str) -> Endpoint:
    return next(e for e in SPEC if (e.method, e.path) == (method, path))


def test_parameters_follow_binances_rules(served: tuple[Exchange, Signer]) -> None:
    _, signer = served
    orders = _find("GET", "/sapi/v1/algo/spot/historicalOrders")  # symbol and side mandatory, side an enum
    missing = _call(signer, orders, {})
    assert missing.json() == {
        "code": -1102,
        "msg": "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
    }
    enum = _call(signer, orders, {"symbol": "BTCUSDT", "side": "MAYBE"})
    assert enum.json() == {"code": -1130, "msg": "Data sent for parameter 'side' is not valid."}
    long = _call(signer, orders, {"symbol": "BTCUSDT", "side": "BUY", "startTime": "12x"})
    assert long.json()["code"] == -1100 and "'startTime'" in long.json()["msg"]
    unknown = _call(signer, orders, {"symbol": "BTCUSDT", "side": "BUY", "colour": "red"})
    assert unknown.status_code == 200  # unknown: ignored


def test_weights_come_from_the_description_in_binances_headers(served: tuple[Exchange, Signer]) -> None:
    exchange, signer = served
    exchange.reset_weights()
    account = _find("GET", "/api/v3/allOrderList")  # Weight(IP): 20, shared /api counter
    assert account.weight == 20
    r = _call(signer, account, {})
    assert r.headers["x-mbx-used-weight-1m"] == "20"
    uid = next(e for e in SPEC if e.path.startswith("/sapi/") and e.weight_kind == "UID" and not _valid(e))
    r = _call(signer, uid, {})
    assert r.headers["x-sapi-used-uid-weight-1m"] == str(uid.weight)


def test_the_journal_names_the_tier(served: tuple[Exchange, Signer]) -> None:
    exchange, signer = served
    exchange.clear_requests()
    signer.client.get("/api/v3/time")
    _call(signer, _find("GET", "/api/v3/allOrderList"), {})
    signer.client.get("/api/v3/nosuch")
    assert [e.tier for e in exchange.requests()] == ["exact", "spec", None]


def test_only_exact_serves_the_exact_endpoints_alone() -> None:
    client = TestClient(create_app(exchange=Exchange(Settings(rows=10, only_exact=True))))
    r = client.get("/api/v3/exchangeInfo")
    assert (r.status_code, r.json()["code"]) == (404, -1099)
    assert client.get("/_mock/health").json()["tiers"]["spec"] == []


def test_the_json_the_mock_reads_is_the_yaml_description() -> None:
    import yaml

    yaml_path = ROOT / "mock_server" / "spec" / "spot_api.yaml"
    described = yaml.load(yaml_path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert corrected(described) == load_spec()


def test_listings_show_the_markets_pairs_and_the_ledgers_assets(served: tuple[Exchange, Signer]) -> None:
    exchange, signer = served
    assets = exchange.assets(signer.api_key)
    symbols = exchange.isolated_symbols()
    coins = _call(signer, _find("GET", "/sapi/v1/capital/config/getall"), {}).json()
    assert [c["coin"] for c in coins] == assets
    isolated = _call(signer, _find("GET", "/sapi/v1/margin/isolated/allPairs"), {}).json()
    assert [p["symbol"] for p in isolated] == symbols
    assert all(p["base"] + p["quote"] == p["symbol"] and p["quote"] in assets for p in isolated)
    pairs = _call(signer, _find("GET", "/sapi/v1/margin/allPairs"), {}).json()
    info = signer.client.get("/api/v3/exchangeInfo").json()  # the world tier's
    assert {p["symbol"] for p in pairs} == {s["symbol"] for s in info["symbols"]} >= set(symbols)
    assert {a + "USDT" for a in assets if a != "USDT"} <= {s["symbol"] for s in info["symbols"]}


def test_pacing_acts_on_the_signed_margin_endpoints(served: tuple[Exchange, Signer]) -> None:
    exchange, signer = served
    exchange.set_pacing(1_000)
    try:
        margin_account = _find("GET", "/sapi/v1/margin/forceLiquidationRec")
        assert margin_account.paced and not _find("GET", "/api/v3/allOrderList").paced
        assert _call(signer, margin_account, {}).status_code == 200
        assert _call(signer, margin_account, {}).json()["code"] == -21003  # the clock is frozen: too close
    finally:
        exchange.set_pacing(0)
