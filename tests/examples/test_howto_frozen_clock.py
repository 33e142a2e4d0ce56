"""How to: freeze or shift the server clock with an unmodified client (binance-connector).

The client signs with your machine's clock and never asks the server's time; the mock accepts
a timestamp valid against either clock while its own is frozen or shifted. `strict=True`
checks the mock's time alone, to test how your code handles -1021.

Self-contained: copy this file alone into your tests. It needs binance-mock installed (its
pytest plugin provides the `binance_mock` fixture) and binance-connector.
"""

import pytest
from binance.error import ClientError
from binance.spot import Spot

DAY_MS = 86_400_000


@pytest.fixture
def spot(binance_mock):
    """binance-connector, unmodified, pointed at the mock."""
    return Spot(api_key=binance_mock.api_key, api_secret=binance_mock.secret, base_url=binance_mock.base_url)


def test_freeze_the_clock_40_days_back_and_the_default_window_follows(binance_mock, spot):
    then = binance_mock.now_ms() - 40 * DAY_MS
    binance_mock.freeze_clock(then)

    page = spot.margin_transfer_history(asset="USDT", size=100)  # signed with the real time: still accepted

    assert page["total"] > 0
    assert all(then - 7 * DAY_MS <= row["timestamp"] <= then for row in page["rows"])
    assert spot.time()["serverTime"] == then


def test_shift_the_clock_two_seconds_back(binance_mock, spot):
    binance_mock.shift_clock(-2_000)
    assert "total" in spot.margin_transfer_history(asset="USDT")


def test_strict_clock_makes_minus_1021_reachable(binance_mock, spot):
    binance_mock.freeze_clock(binance_mock.now_ms() - 60_000, strict=True)
    with pytest.raises(ClientError) as e:
        spot.margin_transfer_history(asset="USDT")
    assert e.value.error_code == -1021
