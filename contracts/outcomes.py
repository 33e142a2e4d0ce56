"""How a check ends other than by passing: the exceptions a check or the target raises."""

from __future__ import annotations


class Failed(AssertionError):
    """The target broke the check's rule; the message says how (never with a secret in it)."""


class Skipped(Exception):
    """The check cannot run against this target; the message is the reason."""


class Aborted(Exception):
    """Live safety stopped the run (429/418, request budget, weight watermark)."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


class Unusable(Exception):
    """The run cannot start: the target is unreachable, or it rejects the credentials."""
