"""The distribution's own namespace for the packages whose folder names are too generic to
install at the top of site-packages: `binance_mock.contracts` is the repository's `contracts/`
and `binance_mock.client_under_test` its `client_under_test/` (setuptools' package-dir in
pyproject.toml; setup.py lists them). Only `mock_server` installs at the top, for
`from mock_server import MockBinance`.
"""
