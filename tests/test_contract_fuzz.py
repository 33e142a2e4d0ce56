"""Schemathesis against the mock's served OpenAPI document, every request signed (or deliberately not)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from binance_mock.contracts.fuzz import SIGNED_PATH, run_schemathesis
from mock_server import MockBinance
from mock_server.endpoints import margin_transfer

# A bounded run for make test; `make fuzz` runs 10,000 examples a path.
EXAMPLES = {SIGNED_PATH: 300, "/api/v3/ping": 20, "/api/v3/time": 20, "/sapi/v1/system/status": 20}


@pytest.fixture(scope="module")
def mock() -> Iterator[MockBinance]:
    with MockBinance(rows=2_000) as m:
        yield m


def test_schemathesis_finds_no_failure_in_a_bounded_run(mock: MockBinance) -> None:
    stats = run_schemathesis(mock.base_url, EXAMPLES, mock.api_key, mock.secret or "", seed=1)
    assert not stats.failures, stats.failures[:5]
    assert stats.examples >= 300, stats
    # The generated traffic reaches both the answers and the refusals.
    assert stats.by_status.get(200, 0) > 30 and stats.by_status.get(400, 0) > 30, stats.by_status
    assert stats.by_status.get(401, 0) > 0
    assert {"wrong_signature", "stale", "no_key"} <= set(stats.by_mode)


def test_schemathesis_catches_a_response_off_its_schema(mock: MockBinance) -> None:
    def amount_as_number(*a: Any) -> bytes:
        body = json.loads(margin_transfer.respond(*a))
        for row in body.get("rows", []):
            row["amount"] = float(row["amount"])
        return json.dumps(body).encode()

    broken = dataclasses.replace(margin_transfer.ENDPOINT, answer=amount_as_number)
    original = mock.exchange.replace_endpoint(broken)
    try:
        stats = run_schemathesis(mock.base_url, {SIGNED_PATH: 150}, mock.api_key, mock.secret or "", seed=1)
    finally:
        mock.exchange.replace_endpoint(original)
    assert stats.failures and all(SIGNED_PATH in f for f in stats.failures)


def test_fuzz_without_the_test_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from mock_server.cli import main

    monkeypatch.setitem(sys.modules, "schemathesis", None)  # as if not installed
    assert main(["fuzz", "--max-examples", "1"]) == 2
    assert "pip install 'binance-mock[test]'" in capsys.readouterr().err


def test_every_operation_of_binances_own_description_conforms() -> None:
    """Schemathesis driven by the official description over all 340 operations, signing each
    signed one: not_a_server_error, status_code_conformance, content_type_conformance and
    response_schema_conformance. One example an operation here (`make fuzz` runs 100)."""
    from mock_server.endpoints.spec import SPEC_FILE

    with MockBinance(rows=300, ip_weight_limit=10**9) as mock:
        mock.exchange.weights.api_ip.limit = mock.exchange.weights.sapi_uid.limit = 10**9
        stats = run_schemathesis(mock.base_url, {}, mock.api_key, mock.secret or "", seed=3,
                                 spec_path=str(SPEC_FILE), default_examples=1)  # fmt: skip
    assert not stats.failures, stats.failures[:5]
    assert stats.examples >= 340, stats
    assert {200, 400} <= set(stats.by_status), stats.by_status  # answers and refusals both reached
