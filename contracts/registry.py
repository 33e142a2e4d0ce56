"""The check registry: every check is a small function with a stable id, a rule and a source.

A check raises `Failed` when the target breaks its rule, `Skipped` when it cannot decide
(no control API, not enough data, another key type), and returns normally when it passed.
Checks never print: the runner reports, so the redaction of secrets happens in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from binance_mock.contracts.context import Context
from binance_mock.contracts.outcomes import Aborted, Failed, Skipped, expect

__all__ = ["CHECKS", "Aborted", "Check", "Failed", "Skipped", "check", "expect"]


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    rule: str  # one line: what the target must do
    source: str  # the page, §N of docs/fidelity.md, or decision F#
    fn: Callable[[Context], None] = field(repr=False)
    needs_control: bool = False  # fault injection, seeded rows or a frozen clock
    decision: str | None = None  # the fidelity decision this check classifies, if any
    tags: tuple[str, ...] = ()


CHECKS: dict[str, Check] = {}


def check(
    id: str,
    rule: str,
    source: str,
    *,
    control: bool = False,
    decision: str | None = None,
    tags: tuple[str, ...] = (),
) -> Callable[[Callable[[Context], None]], Callable[[Context], None]]:
    def register(fn: Callable[[Context], None]) -> Callable[[Context], None]:
        if id in CHECKS:
            raise ValueError(f"duplicate check id {id!r}")
        CHECKS[id] = Check(id, rule, source, fn, control, decision, tags)
        return fn

    return register
