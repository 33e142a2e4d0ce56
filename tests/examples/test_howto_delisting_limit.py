"""How to: a -3065 delisting limit, its message filled from `args`.

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


def test_minus_3065_with_args(binance_mock, spot):
    binance_mock.inject(-3065, args=["LUNA", "125.5", "LUNA"], match={"params": {"asset": "LUNA"}})

    assert "rows" in spot.margin_transfer_history(asset="USDT")  # other assets are unaffected
    with pytest.raises(ClientError) as e:
        spot.margin_transfer_history(asset="LUNA")
    assert e.value.error_code == -3065
    assert e.value.error_message == (
        "LUNA has been scheduled for delisting. You may only transfer up to 125.5 LUNA, "
        "which is the amount of liabilities less any collateral already available."
    )
