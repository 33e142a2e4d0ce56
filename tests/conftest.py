from __future__ import annotations

import gc
import os
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from helpers import NOW, Signer

from mock_server import MockBinance
from mock_server.exchange import Exchange, Settings
from mock_server.http.app import create_app
from mock_server.state.clock import Clock

# CI runs the same property examples every time (`.ci/run` sets CI=true), so a red run means the
# change broke something, never that a new random draw found an older bug; runs elsewhere keep
# exploring at random, and what they find becomes an @example.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def server() -> Iterator[MockBinance]:
    """One real server for a module's tests (its start costs more than a test); `mock` hands it
    to each test reset."""
    with MockBinance(rows=0) as m:
        yield m


@pytest.fixture()
def mock(server: MockBinance) -> Iterator[MockBinance]:
    """The module's server as at its start; the WebSocket connections a test leaves open are
    dropped after it, so they reach neither the next test's events nor its journal. A module
    needing more (balances, a frozen clock) overrides it with `def mock(mock)`."""
    server.reset()
    yield server
    server.drop_streams()
    deadline = time.monotonic() + 5
    while server.connections() and time.monotonic() < deadline:
        time.sleep(0.01)


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
