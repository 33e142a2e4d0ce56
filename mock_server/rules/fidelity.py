"""Where Binance is silent: every undocumented behaviour the mock had to choose, in one place.

Each field of `Profile` is one named decision of docs/fidelity.md (F1...F45), which explains
every choice. Its default is the mock's best guess; the alternatives are what live could
plausibly do instead, so a client can be tested against each of them
(`binance-mock serve --profile FILE` or `--fidelity name=value`); the contract suite reports
which one a target shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_type_hints

from mock_server.rules.files import read_table

DAY_MS = 86_400_000

# Decisions without alternatives: fixed numbers the rules below depend on.
DEFAULT_WINDOW_MS = 7 * DAY_MS  # page: "Returns data for last 7 days by default"
MAX_WINDOW_MS = 30 * DAY_MS  # page: "The max interval ... is 30 days" (F6: 2,592,000,000 ms)
MAX_RECV_WINDOW_MS = 60_000  # page: "cannot be greater than 60000"
DEFAULT_RECV_WINDOW_MS = 5_000  # docs/fidelity.md §2
FUTURE_TOLERANCE_MS = 1_000  # docs/fidelity.md §2: timestamp < serverTime + 1000
DEFAULT_SIZE = 10
MAX_SIZE = 100
LONG_LEGAL_RANGE = "^[0-9]{1,20}$"  # F10
SAPI_IP_WEIGHT_LIMIT = 12_000  # F18, per IP per minute for this endpoint
API_IP_WEIGHT_LIMIT = 6_000  # /api/* shares one limit per IP
SAPI_UID_WEIGHT_LIMIT = 180_000  # each UID-limited /sapi endpoint, per account per minute


@dataclass(frozen=True, slots=True)
class Profile:
    # F1: units of rows[].timestamp.
    row_timestamp_unit: Literal["ms", "s"] = "ms"
    # F2: an empty page is {"rows": [], "total": N}, or {"total": N} without rows.
    empty_rows: Literal["list", "absent"] = "list"
    # F3: size > 100 is -1130, or silently clamped to 100.
    size_over_max: Literal["error", "clamp"] = "error"
    # F4: size < 1 or current < 1 is -1130, or treated as the default.
    below_min: Literal["error", "default"] = "error"
    # F6: a missing endTime is now, or startTime + 7 days.
    missing_end: Literal["now", "start_plus_7d"] = "now"
    # F7: a window over 30 days is -1127 (720 hours), or -3011.
    window_too_long: Literal["-1127", "-3011"] = "-1127"
    # F8: startTime > endTime is -3011, or an empty result.
    start_after_end: Literal["error", "empty"] = "error"
    # F9: a bad `type` is -1130, or -1100.
    bad_type: Literal["-1130", "-1100"] = "-1130"
    # F12: an unknown parameter is ignored, or -1104.
    unknown_param: Literal["ignore", "error"] = "ignore"
    # F13: an isolatedSymbol the account never used gives an empty result, or -11001.
    unknown_isolated_symbol: Literal["empty", "error"] = "empty"
    # F14: `signature` may stand anywhere, or must be the last parameter (else -1022).
    signature_position: Literal["anywhere", "last"] = "anywhere"
    # F20: a microsecond timestamp is far in the future (-1021), or accepted as µs.
    microsecond_timestamp: Literal["reject", "accept"] = "reject"
    # F38: a spec-tier parameter outside its enum is -1130, or -1100 naming the legal values.
    bad_enum: Literal["-1130", "-1100"] = "-1130"
    # F43: optional market parameters that exclude each other are -1128, or the later ignored.
    market_combination: Literal["-1128", "ignore"] = "-1128"
    # F44: a market list's limit over its maximum is the maximum, or -1130.
    market_limit_over_max: Literal["clamp", "error"] = "clamp"
    # F45: a malformed windowSize or timeZone is -1130, or -1100 naming its legal range.
    market_bad_window: Literal["-1130", "-1100"] = "-1130"
    # F61: a resting order fills at the first trade at its price (touch), or only beyond it.
    resting_fill: Literal["touch", "through"] = "touch"

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def choices(cls, name: str) -> tuple[str, ...]:
        return get_args(get_type_hints(cls)[name])

    def with_values(self, values: dict[str, Any]) -> Profile:
        """A copy with `values` applied; unknown names or values raise ValueError naming them."""
        changes: dict[str, str] = {}
        for name, value in values.items():
            if name not in self.names():
                raise ValueError(f"unknown fidelity decision {name!r}; known: {', '.join(self.names())}")
            text = str(value)
            allowed = self.choices(name)
            if text not in allowed:
                raise ValueError(
                    f"fidelity decision {name!r} takes one of {', '.join(allowed)}; got {text!r}"
                )
            changes[name] = text
        return replace(self, **changes)

    def differences(self) -> dict[str, str]:
        default = Profile()
        return {k: v for k, v in asdict(self).items() if getattr(default, k) != v}

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Switch:
    """One alternative of one Profile decision, as a declaration names it: `Switch("below_min",
    "default")` is true under a profile whose below_min is "default". A misspelt decision or
    value raises here, when the endpoint is declared, not when a request first needs it."""

    decision: str
    value: str

    def __post_init__(self) -> None:
        if self.decision not in Profile.names():
            raise ValueError(
                f"unknown fidelity decision {self.decision!r}; known: {', '.join(Profile.names())}"
            )
        choices = Profile.choices(self.decision)
        if self.value not in choices:
            raise ValueError(
                f"fidelity decision {self.decision!r} takes one of {', '.join(choices)}; got {self.value!r}"
            )

    def on(self, profile: Profile) -> bool:
        return getattr(profile, self.decision) == self.value  # a known name: checked above


def load_profile(path: str | Path) -> Profile:
    """Read a profile file: JSON or TOML, a flat table of decision = value."""
    p = Path(path)
    data: Any = read_table(p)
    if isinstance(data, dict) and isinstance(data.get("profile"), dict):
        data = data["profile"]
    if not isinstance(data, dict):
        raise ValueError(f"{p}: a profile is a table of decision = value")
    return Profile().with_values(data)


def parse_assignments(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--fidelity takes name=value, got {item!r}")
        out[name.strip()] = value.strip()
    return out
