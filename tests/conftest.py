from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from helpers import NOW, Signer

from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.state.clock import Clock

# CI runs the same property examples every time (`.ci/run` sets CI=true), so a red run means the
# change broke something, never that a new random draw found an older bug; runs elsewhere keep
# exploring at random, and what they find becomes an @example.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def exchange() -> Exchange:
    clock = Clock()
    clock.freeze(NOW)
    return Exchange(Settings(anchor_ms=NOW, rows=500), clock=clock)


@pytest.fixture
def client(exchange: Exchange) -> TestClient:
    return TestClient(create_app(exchange=exchange))


@pytest.fixture
def signer(client: TestClient) -> Signer:
    return Signer(client)
