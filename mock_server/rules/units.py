"""Unit mistakes caught where a person types an instant: seconds given where milliseconds go.

A 10-digit number is a Unix time in seconds (2001 to 2286); taken as milliseconds it is a
moment in January 1970, which no one means. Only absolute instants are checked: an offset or
a duration of 10 digits (a few months in ms) is a reasonable value.
"""

from __future__ import annotations

SECONDS_LOW, SECONDS_HIGH = 10**9, 10**10


def looks_like_seconds(value: int) -> bool:
    return SECONDS_LOW <= value < SECONDS_HIGH


def seconds_mistake(name: str, value: int) -> str | None:
    """The refusal of `value` given for `name` if it looks like seconds, else None."""
    if not looks_like_seconds(value):
        return None
    return (
        f"{name} {value} looks like seconds; it takes milliseconds since the epoch "
        f"(13 digits), e.g. {value * 1000}"
    )
