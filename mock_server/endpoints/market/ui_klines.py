"""GET /api/v3/uiKlines: klines "modified for presentation": here the same candles as klines."""

from __future__ import annotations

from mock_server.endpoints.declaration import Endpoint
from mock_server.endpoints.market.klines import PARAMS, respond, rules
from mock_server.endpoints.spec import spec_schema

ENDPOINT = Endpoint(
    "GET", "/api/v3/uiKlines", "UIKlines", respond, spec_schema("GET", "/api/v3/uiKlines"),
    weight=2, params=PARAMS, rules=rules, tier="world", operation_id="getUIKlines",
)  # fmt: skip
