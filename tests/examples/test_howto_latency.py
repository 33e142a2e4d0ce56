"""How to: slow answers — a fixed delay or a random one in a range."""

import time

import pytest
import requests
from binance.spot import Spot


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


def test_latency_range_on_every_call(binance_mock, spot):
    binance_mock.inject(delay_ms=[100, 200], times=None)
    started = time.monotonic()
    spot.margin_transfer_history(asset="BNB")
    assert time.monotonic() - started >= 0.1
