"""The pytest side of the suite: options and the session's target (see conftest.py).

Loaded with `-p binance_mock.contracts.plugin` (`pytest -p binance_mock.contracts.plugin --pyargs
binance_mock.contracts --base-url URL`, anywhere), or as the folder's conftest when pytest is given
the folder itself (`pytest contracts --base-url URL` in a checkout).
The project's own test run (`tests/`) never loads it, so its options cannot clash there.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pytest

from binance_mock.contracts.runner import Config, check_credentials, finish, prepare, write_profile
from binance_mock.contracts.target import Safety

_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--base-url", {"default": None, "help": "contract target (default http://127.0.0.1:8900)"}),
    ("--api-key", {"default": None, "help": "API key (or BINANCE_API_KEY)"}),
    ("--secret", {"default": None, "help": "HMAC secret (or BINANCE_API_SECRET)"}),
    ("--key-type", {"default": "hmac", "choices": ("hmac", "rsa", "ed25519")}),
    ("--private-key", {"default": None, "help": "PKCS#8 PEM key for rsa/ed25519"}),
    ("--live", {"action": "store_true", "help": "ignore any control API"}),
    ("--rate", {"type": float, "default": None, "help": "max requests per second"}),
    ("--max-requests", {"type": int, "default": 400}),
    ("--contract-profile", {"default": None, "help": "expected fidelity profile file"}),
    ("--fidelity", {"action": "append", "default": [], "help": "expected decision NAME=VALUE"}),
    ("--write-profile", {"default": None, "help": "write the observed profile here"}),
    (
        "--allow-writes",
        {"action": "store_true", "help": "also run wallet.round_trip (moves 1 USDT and back)"},
    ),
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contracts", "binance-mock contract suite")
    for name, kwargs in _OPTIONS:
        # Another plugin (e.g. pytest-base-url), or this module loaded both as `-p` plugin and as
        # conftest, may own the name already; the value is read the same way.
        with contextlib.suppress(ValueError):
            group.addoption(name, **kwargs)


def _config(pc: pytest.Config) -> Config:
    from argparse import Namespace

    from binance_mock.contracts.cli import DEFAULT_BASE_URL, credentials, expected_profile

    opt = pc.getoption
    args = Namespace(
        api_key=opt("api_key"), secret=opt("secret"), key_type=opt("key_type"), private_key=opt("private_key"),
        profile=opt("contract_profile"), fidelity=opt("fidelity"),
    )  # fmt: skip
    rate = opt("rate")
    return Config(
        base_url=opt("base_url") or os.environ.get("BINANCE_BASE_URL") or DEFAULT_BASE_URL,
        creds=credentials(args),
        live=opt("live"),
        safety=Safety(
            min_interval_s=1 / rate if rate else 0.5,
            max_requests=opt("max_requests"),
            allow_writes=opt("allow_writes"),
        ),
        pace_fixed=rate is not None or opt("live"),
        expected=expected_profile(args),
    )


@pytest.fixture(scope="session")
def contract_context(pytestconfig: pytest.Config) -> Iterator[Any]:
    ctx, _mode, _notes = prepare(_config(pytestconfig))
    check_credentials(ctx)
    ctx.memo["_aborted"] = None
    yield ctx
    finish(ctx)
    path = pytestconfig.getoption("write_profile")
    if path:
        from binance_mock.contracts.runner import Report

        write_profile(Report([], ctx, ""), path)
