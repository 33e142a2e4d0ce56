"""How to: make the next call fail with -3020 (EXCEED_MAX_ROLLOUT), then succeed.

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


def test_minus_3020_once(binance_mock, spot):
    binance_mock.inject(-3020)  # times=1 by default: a oneshot

    with pytest.raises(ClientError) as e:
        spot.margin_transfer_history(asset="USDT")
    assert (e.value.status_code, e.value.error_code) == (400, -3020)
    assert e.value.error_message == "Transfer out amount exceeds max amount."

    assert "rows" in spot.margin_transfer_history(asset="USDT")  # the next call succeeds
