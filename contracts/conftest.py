"""`pytest --pyargs contracts --base-url URL ...` from the project root: the checks as pytest tests."""

from __future__ import annotations

from contracts.plugin import contract_context, pytest_addoption

__all__ = ["contract_context", "pytest_addoption"]
