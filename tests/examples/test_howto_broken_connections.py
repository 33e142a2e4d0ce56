"""How to: a connection closed without a reply, and a TCP reset.

Self-contained: copy this file alone into your tests. It needs binance-mock installed (its
pytest plugin provides the `binance_mock` fixture) and binance-connector.
"""

import pytest
import requests
from binance.spot import Spot


@pytest.fixture
def spot(binance_mock):
    """binance-connector, unmodified, pointed at the mock."""
    return Spot(api_key=binance_mock.api_key, api_secret=binance_mock.secret, base_url=binance_mock.base_url)


def assert_recovered(binance_mock, page, broken):
    """The call after the faults got a real page; the journal shows the `broken` calls the
    fault answered with no status (0), then the one that was served."""
    assert page["total"] > 0 and page["rows"]
    assert {row["asset"] for row in page["rows"]} == {"USDT"}
    seen = [(e["status"], e["check"]) for e in binance_mock.requests("/sapi/v1/margin/transfer")]
    assert seen == [(0, "fault")] * broken + [(200, "ok")]


def test_empty_reply(binance_mock, spot):
    binance_mock.inject(fault="empty_reply")
    with pytest.raises(requests.exceptions.ConnectionError):
        spot.margin_transfer_history(asset="USDT")
    page = spot.margin_transfer_history(asset="USDT")  # recovered
    assert_recovered(binance_mock, page, broken=1)


def test_connection_reset(binance_mock, spot):
    binance_mock.inject(fault="reset", times=2)
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            spot.margin_transfer_history(asset="USDT")
    page = spot.margin_transfer_history(asset="USDT")  # recovered
    assert_recovered(binance_mock, page, broken=2)
