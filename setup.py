"""The package list pyproject.toml cannot write: `contracts/` and `client_under_test/` install
as `binance_mock.contracts` and `binance_mock.client_under_test` (the folders keep their names;
pyproject.toml's package-dir maps them). They are found as `[tool.setuptools.packages.find]`
finds packages (data folders such as mock_server/spec count), so that a new subpackage is never
left out of the wheel. Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

TOP = ("mock_server", "binance_mock")  # installed under their own names
NAMESPACED = ("contracts", "client_under_test")  # installed under binance_mock


def _found(*names: str) -> list[str]:
    return find_namespace_packages(include=[p for name in names for p in (name, f"{name}.*")])


setup(packages=[*_found(*TOP), *(f"binance_mock.{p}" for p in _found(*NAMESPACED))])
