"""The control API over HTTP (Starlette's TestClient)."""

from __future__ import annotations

import pytest
from helpers import NOW, PATH, Signer, assert_error
from starlette.testclient import TestClient

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET
from mock_server.state.clock import Clock

ROW = {"amount": "2.50000000", "asset": "ETH", "timestamp": NOW - 1000, "txId": 1, "type": "ROLL_OUT"}


def test_fault_rule_lifecycle(client: TestClient, signer: Signer) -> None:
    r = client.post("/_mock/faults", json={"code": -3020, "times": 2})
    assert r.status_code == 201
    rule_id = r.json()["id"]
    for _ in range(2):
        assert_error(signer.get(), -3020, "Transfer out amount exceeds max amount.", 400)
    assert signer.get().status_code == 200
    (listed,) = client.get("/_mock/faults").json()["faults"]
    assert (listed["id"], listed["fired"], listed["remaining"]) == (rule_id, 2, 0)
    assert client.delete(f"/_mock/faults/{rule_id}").status_code == 204
    assert client.delete(f"/_mock/faults/{rule_id}").status_code == 404
    assert client.get("/_mock/faults").json() == {"faults": []}


def test_faults_come_after_validation(client: TestClient, signer: Signer) -> None:
    client.post("/_mock/faults", json={"code": -3020, "times": None})
    assert signer.get({"size": 0}).json()["code"] == -1130  # F16: parameters first
    assert signer.get(ts=NOW - 10**6).json()["code"] == -1021
    assert signer.get().json()["code"] == -3020


def test_bad_rule_gets_a_clear_400(client: TestClient) -> None:
    r = client.post("/_mock/faults", json={"code": "x"})
    assert r.status_code == 400 and "'code' must be an integer" in r.json()["error"]
    r = client.post("/_mock/faults", content=b"{not json")
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
    assert client.delete("/_mock/faults/abc").status_code == 404


def test_injected_429_has_retry_after(client: TestClient, signer: Signer) -> None:
    client.post("/_mock/faults", json={"code": -1003, "args": ["12000", "1 MINUTE"]})
    r = signer.get()
    assert r.status_code == 429 and r.headers["Retry-After"] == str(60 - (NOW // 1000) % 60)
    assert r.json()["msg"].startswith(
        "Too much request weight used; current limit is 12000 request weight per 1 MINUTE"
    )
    client.post("/_mock/faults", json={"code": -1003, "retry_after": 7})
    assert signer.get().headers["Retry-After"] == "7"


def test_clock_freeze_offset_real(client: TestClient, signer: Signer) -> None:
    assert client.get("/_mock/clock").json() == {
        "mode": "frozen",
        "now_ms": NOW,
        "offset_ms": 0,
        "strict": False,
    }
    assert client.put("/_mock/clock", json={"now_ms": NOW + 60_000}).json()["now_ms"] == NOW + 60_000
    assert client.get("/api/v3/time").json() == {"serverTime": NOW + 60_000}
    assert signer.get(ts=NOW).json()["code"] == -1021  # the timestamp check reads the same clock
    state = client.put("/_mock/clock", json={"offset_ms": -3_600_000}).json()
    assert state["mode"] == "offset" and state["offset_ms"] == -3_600_000
    assert client.put("/_mock/clock", json={"mode": "real"}).json()["mode"] == "real"
    assert client.put("/_mock/clock", json={"now_ms": "soon"}).status_code == 400


def test_transfers_added_validated_whole_or_nothing(client: TestClient, signer: Signer) -> None:
    client.delete("/_mock/transfers")
    assert signer.get().json() == {"rows": [], "total": 0}
    r = client.post("/_mock/transfers", json={"rows": [ROW, {**ROW, "txId": 2, "amount": "1"}]})
    assert r.status_code == 400 and "rows[1]: field 'amount'" in r.json()["error"]
    assert client.get("/_mock/transfers").json() == {"rows": []}
    r = client.post("/_mock/transfers", json={"apiKey": DEMO_API_KEY, "rows": [ROW]})
    assert r.status_code == 201 and r.json() == {"added": 1, "total": 1}
    assert signer.get().json() == {"rows": [{**ROW, "status": "CONFIRMED"}], "total": 1}
    dup = client.post("/_mock/transfers", json={"rows": [ROW]})
    assert dup.status_code == 400 and "txId 1 is already" in dup.json()["error"]
    assert client.post("/_mock/transfers", json={"apiKey": "nobody", "rows": []}).status_code == 400


def test_journal_redacts_and_masks(client: TestClient, signer: Signer) -> None:
    client.delete("/_mock/requests")
    signer.get({"asset": "BNB"})
    signer.get(ts=NOW - 10**6)
    entries = client.get("/_mock/requests").json()["requests"]
    assert [e["status"] for e in entries] == [200, 400]
    assert entries[1]["check"] == "timestamp" and entries[1]["code"] == -1021
    text = str(entries)
    assert DEMO_API_KEY not in text and DEMO_SECRET not in text
    assert entries[0]["apiKey"] == DEMO_API_KEY[:4] + "..." + DEMO_API_KEY[-4:]
    assert ["signature", "<redacted>"] in entries[0]["params"] and ["asset", "BNB"] in entries[0]["params"]
    assert client.delete("/_mock/requests").status_code == 204
    assert client.get("/_mock/requests").json() == {"requests": []}


def test_journal_is_bounded() -> None:
    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=10, journal_size=5), clock=clock)
    client = TestClient(create_app(exchange=ex))
    for _ in range(12):
        client.get("/api/v3/ping")
    entries = client.get("/_mock/requests").json()["requests"]
    assert len(entries) == 5 and entries[-1]["id"] == 12


def test_reset_restores_start_state(client: TestClient, signer: Signer) -> None:
    before = signer.get({"size": 100}).json()
    client.post("/_mock/faults", json={"code": -3020, "times": None})
    client.delete("/_mock/transfers")
    client.put("/_mock/clock", json={"now_ms": 5})
    client.put("/_mock/pacing", json={"min_interval_ms": 900})
    assert client.post("/_mock/reset").json() == {"status": "reset"}
    assert client.get("/_mock/faults").json() == {"faults": []}
    assert client.get("/_mock/clock").json()["now_ms"] == NOW
    assert client.get("/_mock/pacing").json() == {"min_interval_ms": 0}
    assert signer.get({"size": 100}).json() == before


def test_pacing_over_http(client: TestClient, signer: Signer) -> None:
    client.put("/_mock/pacing", json={"min_interval_ms": 500})
    assert signer.get().status_code == 200
    assert_error(signer.get(), -21003, "Fail to retrieve margin assets.", 400)
    client.put("/_mock/clock", json={"now_ms": NOW + 500})
    assert signer.get(ts=NOW + 500).status_code == 200
    assert client.put("/_mock/pacing", json={"min_interval_ms": -1}).status_code == 400


def test_admin_token_required_when_set() -> None:
    clock = Clock()
    clock.freeze(NOW)
    client = TestClient(create_app(exchange=Exchange(Settings(rows=1), clock=clock), admin_token="t0ken"))
    assert client.get("/_mock/faults").status_code == 401
    assert client.get("/_mock/faults", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/_mock/faults", headers={"Authorization": "Bearer t0ken"}).status_code == 200
    assert client.get("/_mock/health").status_code == 200  # readiness stays open


def test_non_loopback_caller_refused_without_token() -> None:
    ex = Exchange(Settings(rows=1))
    client = TestClient(create_app(exchange=ex), client=("10.1.2.3", 5000))
    r = client.get("/_mock/requests")
    assert r.status_code == 403
    assert "access-control-allow-origin" not in r.headers


def test_openapi_served(client: TestClient) -> None:
    doc = client.get("/_mock/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/sapi/v1/margin/transfer" in doc["paths"] and "/_mock/faults" in doc["paths"]


# --- what a new user hit in their first hour ---


def test_a_rule_without_a_path_fires_on_signed_calls_only(client: TestClient, signer: Signer) -> None:
    client.post("/_mock/faults", json={"code": -21003, "times": 2})
    assert client.get("/api/v3/time").status_code == 200  # a client reading the time first
    assert client.get("/api/v3/ping").status_code == 200
    assert [signer.get().json().get("code") for _ in range(3)] == [-21003, -21003, None]


def test_a_rule_naming_a_public_path_fires_there(client: TestClient) -> None:
    client.post("/_mock/faults", json={"code": -1001, "match": {"path": "/api/v3/ping"}})
    r = client.get("/api/v3/ping")
    assert (r.status_code, r.json()["code"]) == (503, -1001)
    assert client.get("/api/v3/ping").status_code == 200


def test_a_rule_for_a_path_the_mock_does_not_serve_is_refused(client: TestClient) -> None:
    r = client.post("/_mock/faults", json={"code": -3020, "match": {"path": "/sapi/v1/margin/transfers"}})
    assert r.status_code == 400
    assert (
        "/sapi/v1/margin/transfers" in r.json()["error"] and "/sapi/v1/margin/transfer" in r.json()["error"]
    )
    assert client.get("/_mock/faults").json() == {"faults": []}


@pytest.mark.parametrize("status", [100, 204, 304, 399])
def test_a_fault_status_must_carry_a_body(client: TestClient, status: int) -> None:
    r = client.post("/_mock/faults", json={"code": -1000, "http_status": status})
    assert r.status_code == 400 and "'http_status' must be" in r.json()["error"]


def test_a_fault_status_of_4xx_or_5xx_is_used(client: TestClient, signer: Signer) -> None:
    assert client.post("/_mock/faults", json={"code": -1000, "http_status": 502}).status_code == 201
    assert signer.get().status_code == 502


def test_unknown_control_routes_answer_json(client: TestClient) -> None:
    for method, path in (("GET", "/_mock/nosuch"), ("POST", "/_mock/clock"), ("GET", "/_mock/")):
        r = client.request(method, path)
        assert r.status_code in (404, 405) and r.headers["content-type"] == "application/json"
        assert path in r.json()["error"]


def test_the_journal_filters_by_path_key_status_and_code(client: TestClient, signer: Signer) -> None:
    client.delete("/_mock/requests")
    client.get("/api/v3/ping")
    signer.get()
    signer.get(ts=NOW - 10**6)
    signer.get(api_key="UnknownKey1")

    def ids(**query: str) -> list[tuple[str, int]]:
        return [
            (e["path"], e["status"]) for e in client.get("/_mock/requests", params=query).json()["requests"]
        ]

    assert ids(path="/api/v3/ping") == [("/api/v3/ping", 200)]
    assert ids(status="400") == [(PATH, 400)]
    assert ids(code="-2015") == [(PATH, 401)]
    assert ids(apiKey=DEMO_API_KEY, status="200") == [(PATH, 200)]
    r = client.get("/_mock/requests", params={"status": "abc"})
    assert r.status_code == 400 and "status" in r.json()["error"]
    r = client.get("/_mock/requests", params={"colour": "red"})
    assert r.status_code == 400 and "colour" in r.json()["error"]


@pytest.mark.parametrize("host", ["evil.example:8900", "evil.example", "127.0.0.1.evil.example"])
def test_dns_rebinding_a_foreign_host_name_is_refused_without_a_token(client: TestClient, host: str) -> None:
    headers = {"Host": host, "Origin": f"http://{host}"}
    r = client.post("/_mock/faults", json={"code": -3020}, headers=headers)
    assert r.status_code == 403 and "Host" in r.json()["error"]
    assert client.get("/_mock/faults").json() == {"faults": []}


@pytest.mark.parametrize("host", ["127.0.0.1:8900", "localhost:8900", "[::1]:8900", "localhost", "127.0.0.2"])
def test_loopback_host_names_are_served_without_a_token(client: TestClient, host: str) -> None:
    assert client.get("/_mock/faults", headers={"Host": host}).status_code == 200
