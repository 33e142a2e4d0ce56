"""`pytest contracts --base-url URL ...` in a checkout: the checks as pytest tests (installed:
`pytest -p binance_mock.contracts.plugin --pyargs binance_mock.contracts --base-url URL`)."""

from __future__ import annotations

from binance_mock.contracts.plugin import contract_context, pytest_addoption

__all__ = ["contract_context", "pytest_addoption"]
