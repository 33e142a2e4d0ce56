"""The exchange: its settings, its state and the one pipeline every call goes through."""

from mock_server.exchange.exchange import Exchange
from mock_server.exchange.settings import Settings

__all__ = ["Exchange", "Settings"]
