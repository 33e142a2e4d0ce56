"""How to: start the mock from a scenario file (the same shapes as the control API).

Self-contained: copy this file alone into your tests. It needs binance-mock and
binance-connector installed.
"""

import json
import time

import pytest
from binance.error import ClientError
from binance.spot import Spot

from mock_server import MockBinance


def test_scenario(tmp_path):
    an_hour_ago = int(time.time() * 1000) - 3_600_000
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "faults": [{"code": -3020, "times": 1}],
                "rows": [
                    {
                        "amount": "3.00000000",
                        "asset": "DOT",
                        "status": "CONFIRMED",
                        "timestamp": an_hour_ago,
                        "txId": 42,
                        "type": "ROLL_IN",
                    }
                ],
            }
        )
    )
    with MockBinance(rows=0, scenario=str(scenario)) as mock:
        spot = Spot(api_key=mock.api_key, api_secret=mock.secret, base_url=mock.base_url)
        with pytest.raises(ClientError) as e:
            spot.margin_transfer_history(asset="DOT")
        assert e.value.error_code == -3020  # the scenario's oneshot
        assert spot.margin_transfer_history(asset="DOT")["rows"][0]["txId"] == 42
        mock.reset()  # reset replays the scenario: the fault is armed again
        with pytest.raises(ClientError):
            spot.margin_transfer_history(asset="DOT")
