"""How to: -21003 "Fail to retrieve margin assets." — injected, or earned by polling too fast.

Self-contained: copy this file alone into your tests. It needs binance-mock installed (its
pytest plugin provides the `binance_mock` fixture) and binance-connector.
"""

import pytest
from binance.error import ClientError
from binance.spot import Spot


@pytest.fixture
def spot(binance_mock):
    """binance-connector, unmodified, pointed at the mock."""
    return Spot(api_key=binance_mock.api_key, api_secret=binance_mock.secret, base_url=binance_mock.base_url)


def test_minus_21003_injected_twice_then_ok(binance_mock, spot):
    binance_mock.inject(-21003, times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as e:
            spot.margin_transfer_history(asset="BTC")
        assert (e.value.error_code, e.value.error_message) == (-21003, "Fail to retrieve margin assets.")
    spot.margin_transfer_history(asset="BTC")


def test_minus_21003_from_pacing(binance_mock, spot):
    binance_mock.set_pacing(500)  # Binance asks for 500 ms between calls
    binance_mock.freeze_clock(binance_mock.now_ms())

    spot.margin_transfer_history(asset="BTC")
    with pytest.raises(ClientError) as e:
        spot.margin_transfer_history(asset="BTC")  # same instant: too fast
    assert e.value.error_code == -21003

    binance_mock.advance_clock(500)
    spot.margin_transfer_history(asset="BTC")  # 500 ms later: fine
