"""Shared by the how-to examples: a real Binance client pointed at the mock."""

from __future__ import annotations

import pytest
from binance.spot import Spot

from mock_server import MockBinance


@pytest.fixture
def spot(binance_mock: MockBinance) -> Spot:
    return Spot(api_key=binance_mock.api_key, api_secret=binance_mock.secret, base_url=binance_mock.base_url)
