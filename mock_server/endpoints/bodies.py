"""A 200 body from an OpenAPI response schema: valid against it, the same for the same seed.

Binance's description carries an `example` on most fields, but dozens of them contradict
their own schema (a string example on an integer field, say); an example is used only where
it fits, else a value of the right type is made up from the seed and the field's name. Integer
fields named like a time (`time`, `updateTime`, `closeTime`, ...) are the mock's clock at the
call, so they move with a frozen or shifted clock.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_TIME_FIELD = re.compile(r"(^|[a-z])(time|Time|timestamp|Timestamp)$")
_NOW = "\x00now\x00"  # stands for a time field in the rendered template
_NOW_JSON = json.dumps(_NOW).encode()
_INT_BOUNDS = {"int32": 2**31 - 1, "int64": 2**63 - 1}

Resolve = Callable[[Mapping[str, Any]], Mapping[str, Any]]


class Template:
    """A rendered body with the time fields left open: `render(now_ms)` fills them."""

    __slots__ = ("_parts",)

    def __init__(self, value: Any) -> None:
        self._parts = json.dumps(value, separators=(",", ":")).encode().split(_NOW_JSON)

    def render(self, now_ms: int) -> bytes:
        if len(self._parts) == 1:
            return self._parts[0]
        return (b"%d" % now_ms).join(self._parts)


def value_for(schema: Mapping[str, Any], resolve: Resolve, seed: int, name: str = "") -> Any:
    """A value valid against `schema` (after `resolve` follows its $ref)."""
    schema = resolve(schema)
    if schema.get("anyOf"):
        return value_for(schema["anyOf"][0], resolve, seed, name)
    if schema.get("oneOf"):
        return _one_of([resolve(alt) for alt in schema["oneOf"]], resolve, seed, name)
    kind = schema.get("type") or (
        "object" if "properties" in schema else "array" if "items" in schema else None
    )
    example = schema.get("example")
    if kind == "object":
        props = schema.get("properties") or {}
        out = {key: value_for(sub, resolve, seed, key) for key, sub in props.items()}
        # Some schemas require a field they never describe: any value is valid for it.
        out.update({key: _text(seed, key) for key in schema.get("required", ()) if key not in out})
        return out
    if kind == "array":
        count = max(1, schema.get("minItems", 1))
        if schema.get("maxItems") is not None:
            count = min(count, schema["maxItems"])
        return [value_for(schema.get("items") or {}, resolve, seed, name) for _ in range(count)]
    if kind == "integer":
        if _TIME_FIELD.search(name):
            return _NOW
        if isinstance(example, int) and not isinstance(example, bool) and _fits(example, schema):
            return example
        return _number(seed, name) % min(_INT_BOUNDS.get(schema.get("format", ""), 2**31 - 1), 10**6)
    if kind == "number":
        if isinstance(example, int | float) and not isinstance(example, bool):
            return example
        return _number(seed, name) % 10_000 / 100
    if kind == "boolean":
        return example if isinstance(example, bool) else _number(seed, name) % 2 == 0
    if kind == "string":
        if schema.get("enum"):
            return schema["enum"][0]
        return example if isinstance(example, str) else _text(seed, name)
    return example if example is not None else {}


# A string field the description gives no example for: a value like the ones Binance sends
# there, by the field's name (an amount is a decimal, an asset a coin), never the name itself.
_PLAUSIBLE: tuple[tuple[re.Pattern[str], Callable[[int], str]], ...] = (
    (re.compile(r"(?i)(amount|qty|quantity|price|balance|free|locked|borrowed|interest|fee|commission|volume"
                r"|total|value|rate|limit|net|asset(s)?Value|margin|loan|principal|collateral)$"),
     lambda n: f"{n % 100_000 / 100:.8f}"),
    (re.compile(r"(?i)^(asset|coin|currency|baseAsset|quoteAsset|marginAsset|commissionAsset|feeAsset)$"),
     lambda n: ("USDT", "BTC", "BNB", "ETH")[n % 4]),
    (re.compile(r"(?i)symbol$"), lambda n: ("BTCUSDT", "ETHUSDT", "BNBUSDT")[n % 3]),
    (re.compile(r"(?i)(id|Id|ID)$"), lambda n: str(n % 10**9)),
    (re.compile(r"^rateLimitType$"), lambda n: "REQUEST_WEIGHT"),
    (re.compile(r"^interval$"), lambda n: "MINUTE"),
    (re.compile(r"(?i)status$"), lambda n: "NORMAL"),
    (re.compile(r"(?i)(side)$"), lambda n: ("BUY", "SELL")[n % 2]),
    (re.compile(r"(?i)(address)$"), lambda n: f"0x{n:012x}"),
    (re.compile(r"(?i)(network)$"), lambda n: ("BSC", "ETH")[n % 2]),
)  # fmt: skip


def _text(seed: int, name: str) -> str:
    n = _number(seed, name)
    for pattern, make in _PLAUSIBLE:
        if name and pattern.search(name):
            return make(n)
    return f"{n % 36**6:06x}"[:6] if name else "0"


def _one_of(alternatives: list[Mapping[str, Any]], resolve: Resolve, seed: int, name: str) -> Any:
    """A value of one alternative that lacks a field every other one requires: valid under
    exactly one (the first alternative when none is)."""
    values = [value_for(alt, resolve, seed, name) for alt in alternatives]
    for i, value in enumerate(values):
        if not isinstance(value, dict):
            continue
        others = [set(alt.get("required", ())) for j, alt in enumerate(alternatives) if j != i]
        if all(not required <= value.keys() for required in others):
            return value
    return values[0]


def _fits(value: int, schema: Mapping[str, Any]) -> bool:
    bound = _INT_BOUNDS.get(schema.get("format", ""), 2**63 - 1)
    return -bound - 1 <= value <= bound


def _number(seed: int, name: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{seed}/{name}".encode(), digest_size=6).digest(), "big")
