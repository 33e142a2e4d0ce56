"""The control API over HTTP (Starlette's TestClient)."""

from __future__ import annotations

from helpers import NOW, Signer, assert_error
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
    assert r.json()["msg"].startswith("Too much request weight used; current limit is 12000 request weight per 1 MINUTE")
    client.post("/_mock/faults", json={"code": -1003, "retry_after": 7})
    assert signer.get().headers["Retry-After"] == "7"


def test_clock_freeze_offset_real(client: TestClient, signer: Signer) -> None:
    assert client.get("/_mock/clock").json() == {"mode": "frozen", "now_ms": NOW, "offset_ms": 0}
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
