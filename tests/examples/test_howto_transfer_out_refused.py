"""How to: make the next call fail with -3020 (EXCEED_MAX_ROLLOUT), then succeed."""

import pytest
from binance.error import ClientError


def test_minus_3020_once(binance_mock, spot):
    binance_mock.inject(-3020)  # times=1 by default: a oneshot

    with pytest.raises(ClientError) as e:
        spot.margin_transfer_history(asset="USDT")
    assert (e.value.status_code, e.value.error_code) == (400, -3020)
    assert e.value.error_message == "Transfer out amount exceeds max amount."

    assert "rows" in spot.margin_transfer_history(asset="USDT")  # the next call succeeds
