"""Each contract check as one pytest test (collected by `pytest --pyargs binance_mock.contracts`)."""

from __future__ import annotations

from typing import Any

import pytest

from binance_mock.contracts.checks import all_checks
from binance_mock.contracts.outcomes import Aborted
from binance_mock.contracts.runner import ERROR, FAILED, SKIPPED, run_check

CHECKS = all_checks()


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_contract(check: Any, contract_context: Any) -> None:
    ctx = contract_context
    if ctx.memo.get("_aborted"):
        pytest.fail(f"run stopped: {ctx.memo['_aborted']}")
    try:
        result = run_check(check, ctx)
    except Aborted as exc:
        ctx.memo["_aborted"] = ctx.target.redact(str(exc))
        pytest.fail(f"run stopped: {ctx.memo['_aborted']}")
    if result.status == SKIPPED:
        pytest.skip(result.message)
    if result.status in (FAILED, ERROR):
        pytest.fail(f"{check.rule} ({check.source})\n{result.message}", pytrace=False)
