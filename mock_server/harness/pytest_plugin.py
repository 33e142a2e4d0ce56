"""pytest plugin (entry point `pytest11`): the `binance_mock` fixture.

One server per test session (starting uvicorn costs more than a test); every test gets
it back in its start state, so no test sees another's faults, rows, clock or journal.
Override `binance_mock_options` in a conftest.py to change how it starts:

    @pytest.fixture(scope="session")
    def binance_mock_options():
        return {"seed": 11, "rows": 5000, "min_interval_ms": 0}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mock_server.harness.mock import MockBinance


@pytest.fixture(scope="session")
def binance_mock_options() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="session")
def binance_mock_server(binance_mock_options: dict[str, Any]) -> Iterator[MockBinance]:
    # Imported here: pytest loads this plugin in every run of every project that installs
    # binance-mock, and the server's dependencies cost about 160 ms to import.
    from mock_server.harness.mock import MockBinance

    with MockBinance(**binance_mock_options) as mock:
        yield mock


@pytest.fixture
def binance_mock(binance_mock_server: MockBinance) -> Iterator[MockBinance]:
    binance_mock_server.reset()
    yield binance_mock_server
    binance_mock_server.reset()
