"""binance-mock: a fake Binance for tests.

`from mock_server import MockBinance` runs one in a background thread (docs/python-api.md).
It is imported on first use, so importing the package (as the pytest plugin's entry point
does in every pytest run) costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_server.version import __version__

__all__ = ["MockBinance", "__version__"]

if TYPE_CHECKING:
    from mock_server.harness.mock import MockBinance


def __getattr__(name: str) -> Any:
    if name == "MockBinance":
        from mock_server.harness.mock import MockBinance

        return MockBinance
    raise AttributeError(f"module 'mock_server' has no attribute {name!r}")
