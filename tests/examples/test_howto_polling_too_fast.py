"""How to: -21003 "Fail to retrieve margin assets." — injected, or earned by polling too fast."""

import pytest
from binance.error import ClientError


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
