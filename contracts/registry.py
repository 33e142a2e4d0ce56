"""The check registry: every check is a small function with a stable id, a rule and a source.

A check raises `Failed` when the target breaks its rule, `Skipped` when it cannot decide
(no control API, not enough data, another key type), and returns normally when it passed.
Checks never print: the runner reports, so the redaction of secrets happens in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracts.context import Context


class Failed(AssertionError):
    """The target broke the check's rule; the message says how (never with a secret in it)."""


class Skipped(Exception):
    """The check cannot run against this target; the message is the reason."""


class Aborted(Exception):
    """Live safety stopped the run (429/418, request budget, weight watermark)."""


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    rule: str  # one line: what the target must do
    source: str  # the page, facts §N, or decision F#
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


def all_checks() -> list[Check]:
    # Importing the modules registers their checks; order of the list is the report's order.
    from contracts.checks import load

    load()
    return list(CHECKS.values())


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)
