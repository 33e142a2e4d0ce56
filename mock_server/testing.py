"""`from mock_server.testing import MockBinance` keeps working; the class lives in harness/mock.py."""

from mock_server.harness.mock import MockBinance

__all__ = ["MockBinance"]
