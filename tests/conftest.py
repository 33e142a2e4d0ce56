from __future__ import annotations

import gc
import os
import sys
import warnings
from collections.abc import Iterator
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


@pytest.fixture()
def leaky() -> Iterator[None]:
    """For a client that leaves a socket behind when stopped (python-binance's threaded
    manager lets its own event loop go with the connection's transport in it): collected here,
    without the ResourceWarning, so that no later test is blamed for it."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
