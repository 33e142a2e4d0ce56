"""How to: a 429 with Retry-After — injected, or by spending a small weight limit.

Self-contained: copy this file alone into your tests. It needs binance-mock installed (its
pytest plugin provides the `binance_mock` fixture) and binance-connector.
"""

import pytest
from binance.error import ClientError
from binance.spot import Spot

from mock_server import MockBinance


@pytest.fixture
def spot(binance_mock):
    """binance-connector, unmodified, pointed at the mock."""
    return Spot(api_key=binance_mock.api_key, api_secret=binance_mock.secret, base_url=binance_mock.base_url)


def test_injected_429(binance_mock, spot):
    binance_mock.inject(-1003, retry_after=3)
    with pytest.raises(ClientError) as e:
        spot.margin_transfer_history(asset="ETH")
    assert (e.value.status_code, e.value.error_code) == (429, -1003)
    assert e.value.header["Retry-After"] == "3"
    # Without `args` the message names the mock's own limit for /sapi, not a literal %s.
    assert "current limit is 12000 request weight per 1 MINUTE." in e.value.error_message


def test_weight_limit_reached():
    with MockBinance(rows=100, ip_weight_limit=3) as mock:
        spot = Spot(api_key=mock.api_key, api_secret=mock.secret, base_url=mock.base_url)
        mock.freeze_clock(mock.now_ms())  # stay inside one weight minute
        for _ in range(3):
            spot.margin_transfer_history(asset="ETH")
        with pytest.raises(ClientError) as e:
            spot.margin_transfer_history(asset="ETH")
        assert e.value.status_code == 429
        assert e.value.header["X-SAPI-USED-IP-WEIGHT-1M"] == "4"
        assert int(e.value.header["Retry-After"]) >= 1
