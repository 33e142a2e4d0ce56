"""A frozen or shifted clock keeps unmodified clients working; strict mode keeps -1021 reachable."""

from __future__ import annotations

import time
from typing import Any

import pytest
from helpers import NOW, Signer
from starlette.testclient import TestClient

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app

DAY = 86_400_000


@pytest.fixture
def real() -> tuple[Exchange, Signer]:
    """A mock on the real clock, as `binance-mock serve` starts."""
    exchange = Exchange(Settings(rows=200))
    return exchange, Signer(TestClient(create_app(exchange=exchange)))


def _wall() -> int:
    return time.time_ns() // 1_000_000


def _code(r: Any) -> int | None:
    return r.json().get("code") if r.status_code != 200 else None


@pytest.mark.parametrize("clock", [{"now_ms": NOW}, {"offset_ms": -2_000}, {"offset_ms": 30 * DAY}])
def test_a_client_signing_with_the_wall_clock_keeps_working(
    real: tuple[Exchange, Signer], clock: dict
) -> None:
    _, signer = real
    assert signer.client.put("/_mock/clock", json=clock).status_code == 200
    assert _code(signer.get(ts=_wall())) is None


def test_a_client_that_syncs_to_the_server_time_keeps_working(real: tuple[Exchange, Signer]) -> None:
    _, signer = real
    signer.client.put("/_mock/clock", json={"now_ms": NOW})
    server = signer.client.get("/api/v3/time").json()["serverTime"]
    assert server == NOW and _code(signer.get(ts=server)) is None


def test_a_timestamp_valid_against_neither_clock_is_refused(real: tuple[Exchange, Signer]) -> None:
    _, signer = real
    signer.client.put("/_mock/clock", json={"now_ms": NOW})
    r = signer.get(ts=NOW - 10_000)
    assert r.json() == {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}


@pytest.mark.parametrize("clock", [{"now_ms": NOW, "strict": True}, {"offset_ms": 60_000, "strict": True}])
def test_strict_mode_checks_the_mocks_time_alone(real: tuple[Exchange, Signer], clock: dict) -> None:
    _, signer = real
    state = signer.client.put("/_mock/clock", json=clock).json()
    assert state["strict"] is True
    assert _code(signer.get(ts=_wall())) == -1021
    server = signer.client.get("/api/v3/time").json()["serverTime"]
    assert _code(signer.get(ts=server)) is None


def test_the_clock_state_shows_strictness_and_real_time_clears_it(real: tuple[Exchange, Signer]) -> None:
    _, signer = real
    assert signer.client.get("/_mock/clock").json()["strict"] is False
    signer.client.put("/_mock/clock", json={"now_ms": NOW, "strict": True})
    state = signer.client.put("/_mock/clock", json={"mode": "real"}).json()
    assert (state["mode"], state["strict"]) == ("real", False)


@pytest.mark.parametrize(
    "body",
    [{"now_ms": NOW, "strict": "yes"}, {"strict": True}, {"now_ms": NOW, "offset_ms": 1}, {"now_ms": -1},
     {"now_ms": 10**16}, {"mode": "fake"}],
)  # fmt: skip
def test_bad_clock_settings_are_refused_naming_the_value(real: tuple[Exchange, Signer], body: dict) -> None:
    _, signer = real
    r = signer.client.put("/_mock/clock", json=body)
    assert r.status_code == 400 and "clock" in r.json()["error"]
