"""How to: slow answers — a fixed delay or a random one in a range.

Self-contained: copy this file alone into your tests. It needs binance-mock installed (its
pytest plugin provides the `binance_mock` fixture) and binance-connector.
"""

import time

import pytest
import requests
from binance.spot import Spot


@pytest.fixture
def spot(binance_mock):
    """binance-connector, unmodified, pointed at the mock; a timeout far above any delay below
    turns a delay in the wrong unit into a failure instead of a hung test."""
    return Spot(
        api_key=binance_mock.api_key,
        api_secret=binance_mock.secret,
        base_url=binance_mock.base_url,
        timeout=10,
    )


def test_fixed_latency_trips_a_client_timeout(binance_mock):
    binance_mock.inject(delay_ms=1500)
    impatient = Spot(
        api_key=binance_mock.api_key,
        api_secret=binance_mock.secret,
        base_url=binance_mock.base_url,
        timeout=0.5,
    )
    with pytest.raises(requests.exceptions.ReadTimeout):
        impatient.margin_transfer_history(asset="BNB")


def test_latency_range_on_every_matching_call(binance_mock, spot):
    rule = binance_mock.inject(delay_ms=[100, 200], times=None, match={"params": {"asset": "BNB"}})

    started = time.monotonic()
    for _ in range(3):
        assert "total" in spot.margin_transfer_history(asset="BNB")
    assert time.monotonic() - started >= 3 * 0.1  # each BNB call waited at least the low end
    assert "total" in spot.margin_transfer_history(asset="ETH")

    # How much was delayed, counted rather than timed (a busy machine adds its own latency):
    # the rule fired once per BNB call and never for the ETH one, and only with its range.
    (fired,) = [r for r in binance_mock.faults() if r["id"] == rule]
    assert (fired["fired"], fired["delay_ms"], fired["remaining"]) == (3, [100, 200], None)
    assert [e["status"] for e in binance_mock.requests()] == [200] * 4
