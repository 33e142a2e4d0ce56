"""How to: a connection closed without a reply, and a TCP reset."""

import pytest
import requests


def test_empty_reply(binance_mock, spot):
    binance_mock.inject(fault="empty_reply")
    with pytest.raises(requests.exceptions.ConnectionError):
        spot.margin_transfer_history(asset="USDT")
    spot.margin_transfer_history(asset="USDT")  # recovered


def test_connection_reset(binance_mock, spot):
    binance_mock.inject(fault="reset", times=2)
    for _ in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            spot.margin_transfer_history(asset="USDT")
    spot.margin_transfer_history(asset="USDT")
